#include "models/execution/cost_model.hpp"

namespace pipesim::execution {

double CostModel::io_s(std::uint32_t cold_reads, std::uint32_t warm_reads) const {
  if (async_io) {
    if (cold_reads > 0) return cold_read_us * 1e-6;
    return warm_reads > 0 ? warm_read_us * 1e-6 : 0.0;
  }
  return (cold_reads * cold_read_us + warm_reads * warm_read_us) * 1e-6;
}

double CostModel::execute_s(std::uint64_t gas, std::uint32_t cold_reads,
                            std::uint32_t warm_reads) const {
  return task_overhead_us * 1e-6 + static_cast<double>(gas) * cpu_ns_per_gas * 1e-9 +
         io_s(cold_reads, warm_reads);
}

double CostModel::validate_s(std::uint32_t reads) const {
  return (task_overhead_us + reads * warm_read_us) * 1e-6;
}

double CostModel::root_s(std::uint64_t nodes) const {
  return (task_overhead_us + static_cast<double>(nodes) * trie_node_hash_us) * 1e-6;
}

}  // namespace pipesim::execution
