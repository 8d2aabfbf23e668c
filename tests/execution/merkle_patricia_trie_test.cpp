// Merkle Patricia Trie against the ethereum/tests TrieTests vectors, plus persistence and
// incremental-hashing properties.
#include "models/execution/merkle_patricia_trie.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "models/common/random.hpp"
#include "models/execution/keccak.hpp"
#include "models/execution/rlp.hpp"

namespace pipesim::execution {
namespace {

nlohmann::json load(const std::string& name) {
  const std::string path = std::string(PIPESIM_SOURCE_DIR) + "/tests/data/trie-tests/" + name;
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  return nlohmann::json::parse(in);
}

// TrieTests convention (PROVENANCE.md): raw string unless it starts with "0x", then hex.
Bytes bytes_of(const std::string& s) {
  if (s.rfind("0x", 0) == 0) return from_hex(s);
  return Bytes(s.begin(), s.end());
}

// Applies one vector to a plain or secure trie; null or empty values delete.
template <class Trie>
void apply(Trie& trie, const nlohmann::json& key, const nlohmann::json& value) {
  const Bytes k = bytes_of(key.template get<std::string>());
  if (value.is_null()) {
    trie.erase(k);
  } else {
    trie.put(k, bytes_of(value.template get<std::string>()));
  }
}

// Runs every test of `file`; "in" is an object (any order: also checked reversed) or a list of
// [key, value|null] applied in order. Returns the number of vectors passed.
template <class Trie>
int run_file(const std::string& file) {
  const auto tests = load(file);
  int passed = 0;
  for (const auto& item : tests.items()) {
    const std::string& name = item.key();
    const auto& t = item.value();
    CAPTURE(file);
    CAPTURE(name);
    const std::string expected = t.at("root").template get<std::string>();
    Trie trie;
    std::vector<std::pair<nlohmann::json, nlohmann::json>> ops;
    if (t.at("in").is_object()) {
      for (const auto& [k, v] : t.at("in").items()) ops.emplace_back(k, v);
    } else {
      for (const auto& kv : t.at("in")) ops.emplace_back(kv.at(0), kv.at(1));
    }
    for (const auto& [k, v] : ops) apply(trie, k, v);
    const bool ok = to_hex0x(trie.root_hash()) == expected;
    CHECK(to_hex0x(trie.root_hash()) == expected);
    if (t.at("in").is_object()) {  // any order: the reverse order gives the same root
      Trie reversed;
      for (auto it = ops.rbegin(); it != ops.rend(); ++it) apply(reversed, it->first, it->second);
      CHECK(to_hex0x(reversed.root_hash()) == expected);
    }
    if (ok) ++passed;
  }
  MESSAGE(file << ": " << passed << " vectors passed");
  return passed;
}

Hash32 hash_of(std::string_view hex) {
  return fixed_from_hex<32>(hex);
}

}  // namespace

TEST_CASE("keccak256: known digests") {
  CHECK(to_hex(keccak256({})) == to_hex(kEmptyCodeHash));
  CHECK(to_hex(kEmptyCodeHash) ==
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  const std::string abc = "abc";  // Keccak-256 (not SHA3-256) of "abc"
  CHECK(to_hex(keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(abc.data()), 3))) ==
        "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(keccak256(rlp::encode_string({})) == kEmptyTrieRoot);
}

TEST_CASE("trie: ethereum/tests TrieTests vectors give the exact roots") {
  int total = 0;
  total += run_file<MerklePatriciaTrie>("trieanyorder.json");
  total += run_file<SecureMerklePatriciaTrie>("trieanyorder_secureTrie.json");
  total += run_file<MerklePatriciaTrie>("trietest.json");
  total += run_file<SecureMerklePatriciaTrie>("trietest_secureTrie.json");
  total += run_file<SecureMerklePatriciaTrie>("hex_encoded_securetrie_test.json");
  CHECK(total == 7 + 7 + 5 + 3 + 3);
}

TEST_CASE("trie: empty trie, get, erase and size") {
  MerklePatriciaTrie t;
  CHECK(t.root_hash() == kEmptyTrieRoot);
  CHECK(t.empty());
  const Bytes dog{'d', 'o', 'g'}, doge{'d', 'o', 'g', 'e'}, puppy{'p', 'u', 'p', 'p', 'y'};
  t.put(dog, puppy);
  t.put(doge, Bytes{'c', 'o', 'i', 'n'});
  CHECK(t.size() == 2);
  CHECK(t.get(dog) == puppy);
  CHECK_FALSE(t.get(Bytes{'d', 'o'}).has_value());
  CHECK(t.erase(doge));
  CHECK_FALSE(t.erase(doge));
  CHECK(t.size() == 1);
  MerklePatriciaTrie single;
  single.put(dog, puppy);
  CHECK(t.root_hash() == single.root_hash());
  t.put(dog, {});  // empty value erases
  CHECK(t.empty());
  CHECK(t.root_hash() == kEmptyTrieRoot);
}

TEST_CASE("trie: single short leaf root is hand-checkable") {
  // Key 0x01, value 0x02: leaf RLP = [HP([0,1], leaf) = 0x2001, 0x02] = c4 82 2001 02 (5 bytes,
  // shorter than 32 but the root is hashed anyway).
  MerklePatriciaTrie t;
  t.put(Bytes{0x01}, Bytes{0x02});
  CHECK(t.root_hash() == keccak256(from_hex("c482200102")));
}

TEST_CASE("trie: copies are independent (persistence) and share the unchanged structure") {
  std::mt19937_64 rng(7);
  auto random_key = [&] {
    Bytes k(32);
    for (auto& b : k) b = static_cast<std::uint8_t>(rng());
    return k;
  };
  MerklePatriciaTrie base;
  std::vector<Bytes> keys;
  for (int i = 0; i < 500; ++i) {
    keys.push_back(random_key());
    base.put(keys.back(), Bytes{static_cast<std::uint8_t>(i + 1)});
  }
  const Hash32 base_root = base.root_hash();

  MerklePatriciaTrie fork_a = base;  // two forks of the same block
  MerklePatriciaTrie fork_b = base;
  fork_a.put(keys[0], Bytes{0xaa});
  fork_b.erase(keys[1]);
  fork_b.put(random_key(), Bytes{0xbb});
  CHECK(base.root_hash() == base_root);
  CHECK(base.get(keys[0]) == Bytes{1});
  CHECK(fork_b.get(keys[0]) == Bytes{1});
  CHECK(fork_a.get(keys[0]) == Bytes{0xaa});
  CHECK(fork_a.get(keys[1]).has_value());
  CHECK_FALSE(fork_b.get(keys[1]).has_value());
  CHECK(fork_a.root_hash() != base_root);
  CHECK(fork_b.root_hash() != base_root);
  CHECK(fork_a.root_hash() != fork_b.root_hash());

  // Undoing the change restores the base root (content-addressed).
  fork_a.put(keys[0], Bytes{1});
  CHECK(fork_a.root_hash() == base_root);

  // Only the changed path is re-hashed: one update of a 500-key trie touches a handful of nodes.
  std::uint64_t hashed = 0;
  fork_a.put(keys[2], Bytes{0xcc});
  fork_a.root_hash(&hashed);
  CHECK(hashed >= 2);
  CHECK(hashed <= 6);
  hashed = 0;
  fork_a.root_hash(&hashed);
  CHECK(hashed == 0);
  // A no-op put changes nothing and re-hashes nothing.
  fork_a.put(keys[2], Bytes{0xcc});
  fork_a.root_hash(&hashed);
  CHECK(hashed == 0);
}

TEST_CASE("trie: random inserts and erases match a rebuilt trie in any order") {
  std::mt19937_64 rng(11);
  // Model keyed by std::string (GCC 12 warns falsely on std::map<std::vector<...>> compares).
  std::map<std::string, Bytes> model;
  auto bytes = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  MerklePatriciaTrie t;
  for (int step = 0; step < 3000; ++step) {
    // Short keys over a small alphabet force prefixes, branch values and collapses.
    std::string k(1 + rng() % 3, '\0');
    for (auto& c : k) c = static_cast<char>(rng() % 4 * 0x11);
    if (rng() % 3 == 0) {
      CHECK(t.erase(bytes(k)) == (model.erase(k) == 1));
    } else {
      Bytes v(1 + rng() % 40, static_cast<std::uint8_t>(rng()));
      t.put(bytes(k), v);
      model[k] = v;
    }
    if (step % 100 == 99) {
      MerklePatriciaTrie rebuilt;
      std::vector<std::pair<std::string, Bytes>> items(model.begin(), model.end());
      pipesim::shuffle(items.begin(), items.end(), rng);
      for (const auto& [kk, vv] : items) rebuilt.put(bytes(kk), vv);
      REQUIRE(t.root_hash() == rebuilt.root_hash());
      CHECK(t.size() == model.size());
      for (const auto& [kk, vv] : model) CHECK(t.get(bytes(kk)) == vv);
    }
  }
}

TEST_CASE("trie: many versions updated independently all keep their own content") {
  // Random puts and erases on random versions, each version a copy of another one: every version's
  // root and contents must equal a trie rebuilt from scratch from its own model. Exercises in-place
  // updates of unshared nodes and path copying of shared ones, including branch collapses.
  std::mt19937_64 rng(23);
  struct Version {
    MerklePatriciaTrie trie;
    std::map<std::string, Bytes> model;
  };
  std::vector<Version> versions(1);
  auto bytes = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  for (int step = 0; step < 4000; ++step) {
    if (rng() % 10 == 0 && versions.size() < 12)
      versions.push_back(versions[rng() % versions.size()]);
    Version& v = versions[rng() % versions.size()];
    std::string k(1 + rng() % 4, '\0');
    for (auto& c : k) c = static_cast<char>(rng() % 3 * 0x21);
    if (rng() % 3 == 0) {
      CHECK(v.trie.erase(bytes(k)) == (v.model.erase(k) == 1));
    } else {
      Bytes val(1 + rng() % 40, static_cast<std::uint8_t>(rng()));
      v.trie.put(bytes(k), val);
      v.model[k] = val;
    }
    if (rng() % 7 == 0) v.trie.root_hash();  // interleave cached hashes with updates
  }
  for (const Version& v : versions) {
    MerklePatriciaTrie rebuilt;
    for (const auto& [k, val] : v.model) rebuilt.put(bytes(k), val);
    CHECK(v.trie.root_hash() == rebuilt.root_hash());
    CHECK(v.trie.size() == v.model.size());
    for (const auto& [k, val] : v.model) CHECK(v.trie.get(bytes(k)) == val);
  }
}

TEST_CASE("trie: known roots of the Yellow Paper style examples") {
  // Vector "dogs" of trieanyorder.json, restated here so a broken data file cannot hide a bug.
  MerklePatriciaTrie t;
  t.put(Bytes{'d', 'o', 'e'}, Bytes{'r', 'e', 'i', 'n', 'd', 'e', 'e', 'r'});
  t.put(Bytes{'d', 'o', 'g'}, Bytes{'p', 'u', 'p', 'p', 'y'});
  const std::string dw = "dogglesworth";
  t.put(Bytes(dw.begin(), dw.end()), Bytes{'c', 'a', 't'});
  CHECK(t.root_hash() ==
        hash_of("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"));
}

}  // namespace pipesim::execution
