// The kernel's shared safety checks (models/pipelines/kernel/invariants.hpp), no SimGrid run.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "models/pipelines/kernel/invariants.hpp"

using pipesim::pipelines::DuplicateTxFinder;

TEST_CASE("DuplicateTxFinder: distinct transactions over a sequence, no duplicate") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{1, 2, 3}, b{4, 5}, empty{}, c{6};
  CHECK_FALSE(f.add(1, a).has_value());
  CHECK_FALSE(f.add(2, b).has_value());
  CHECK_FALSE(f.add(3, empty).has_value());
  CHECK_FALSE(f.add(4, c).has_value());
  CHECK_FALSE(f.first().has_value());
}

TEST_CASE("DuplicateTxFinder: a transaction at two positions is the first duplicate") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{10, 11}, b{12}, c{13, 11, 12}, d{10};
  CHECK_FALSE(f.add(5, a).has_value());
  CHECK_FALSE(f.add(6, b).has_value());
  const auto dup = f.add(8, c);
  REQUIRE(dup.has_value());
  CHECK(dup->tx == 11);  // 11 comes before 12 in c
  CHECK(dup->position == 8);
  CHECK(dup->first_position == 5);
  // The first duplicate sticks; later entries do not replace it.
  const auto again = f.add(9, d);
  REQUIRE(again.has_value());
  CHECK(again->tx == 11);
  CHECK(f.first()->position == 8);
}

TEST_CASE("DuplicateTxFinder: a transaction repeated inside one entry is a duplicate there") {
  DuplicateTxFinder f;
  const std::vector<std::uint64_t> a{7, 8, 7};
  const auto dup = f.add(3, a);
  REQUIRE(dup.has_value());
  CHECK(dup->tx == 7);
  CHECK(dup->position == 3);
  CHECK(dup->first_position == 3);
}
