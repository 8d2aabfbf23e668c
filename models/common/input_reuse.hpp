// Reuse of immutable simulation inputs between the simulations of one process tree.
//
// `pipesim sweep`, `capacity` and `compare` run every point in its own child process (SimGrid
// allows one engine per process). When the parent has loaded the replay stream and built the
// genesis state layer (with its Merkle Patricia Trie) once and then forks its children, a child
// finds them in memory instead of decoding and hashing them again: the loaders that honour this
// switch (workload::load_recorded_stream, execution::StateLayer::make_base) keep their last result
// and hand it out again for identical inputs. Outputs do not depend on it (the kept objects are
// immutable and equal to what a fresh build gives; tests/cli checks a forked sweep against
// exec'd points byte for byte). Off by default: a single `pipesim run` keeps nothing beyond its
// own use. Set from one thread before any simulation starts.
#pragma once

namespace pipesim {

/// Turns reuse on for this process and, through fork(), for its children.
void enable_input_reuse() noexcept;

/// Whether enable_input_reuse() was called in this process (or a parent it was forked from).
bool input_reuse_enabled() noexcept;

}  // namespace pipesim
