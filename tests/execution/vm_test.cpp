// VM: semantics, gas and access sets of every transaction kind.
#include "models/execution/vm.hpp"

#include <doctest/doctest.h>

#include "models/execution/gas_schedule.hpp"

namespace pipesim::execution {
namespace {

Address vm_addr(std::uint8_t b) {
  Address a{};
  a[0] = b;
  a[19] = b;
  return a;
}
const Address kAlice = vm_addr(0xa1), kBob = vm_addr(0xb0), kCarol = vm_addr(0xc0);
const Address kToken = vm_addr(0x70), kToken1 = vm_addr(0x71), kPair = vm_addr(0x50),
              kNft = vm_addr(0x4e);
const Address kCoinbase = vm_addr(0xbe);

// A reader over a map, applying writes like a sequential executor.
struct MapState final : StateReader {
  StateMap map;
  bool read(const StateKey& key, U256& value) override {
    const U256* v = map.find(key);
    value = v ? *v : U256{};
    return true;
  }
  U256 get(const StateKey& k) const {
    const U256* v = map.find(k);
    return v ? *v : U256{};
  }
  TxResult run(Vm& vm, const Transaction& tx, bool lazy = false) {
    BlockEnv env;
    env.beneficiary = kCoinbase;
    env.lazy_beneficiary = lazy;
    TxResult r = vm.execute(tx, env, *this);
    for (const TxAccess& a : vm.accesses())
      if (a.written) map.set(a.key, a.current);
    return r;
  }
};

MapState funded() {
  MapState s;
  for (const Address& a : {kAlice, kBob, kCarol})
    s.map.set(StateKey::balance(a), U256{1'000'000'000});
  s.map.set(StateKey::code(kToken), U256{static_cast<std::uint64_t>(CodeKind::kErc20)});
  s.map.set(StateKey::code(kToken1), U256{static_cast<std::uint64_t>(CodeKind::kErc20)});
  for (const Address& a : {kAlice, kBob}) {
    s.map.set(StateKey::storage(kToken, erc20_balance_slot(a)), U256{1000});
    s.map.set(StateKey::storage(kToken1, erc20_balance_slot(a)), U256{1000});
  }
  s.map.set(StateKey::code(kPair), U256{static_cast<std::uint64_t>(CodeKind::kAmmPair)});
  s.map.set(StateKey::storage(kPair, word_slot(kPairToken0Slot)), address_word(kToken));
  s.map.set(StateKey::storage(kPair, word_slot(kPairToken1Slot)), address_word(kToken1));
  s.map.set(StateKey::storage(kPair, word_slot(kPairReserve0Slot)), U256{1'000'000});
  s.map.set(StateKey::storage(kPair, word_slot(kPairReserve1Slot)), U256{2'000'000});
  s.map.set(StateKey::storage(kToken, erc20_balance_slot(kPair)), U256{1'000'000});
  s.map.set(StateKey::storage(kToken1, erc20_balance_slot(kPair)), U256{2'000'000});
  s.map.set(StateKey::code(kNft), U256{static_cast<std::uint64_t>(CodeKind::kNftCollection)});
  return s;
}

TEST_CASE("native transfer: 21000 gas, value moves, nonce advances, fee to the beneficiary") {
  MapState s = funded();
  Vm vm;
  auto r = s.run(vm, Transaction::native_transfer(kAlice, kBob, U256{500}, 0, /*gas_price=*/2));
  CHECK(r.status == TxStatus::kSuccess);
  CHECK(r.gas_used == gas::kTx);
  CHECK(r.fee == U256{42'000});
  CHECK(s.get(StateKey::balance(kAlice)) == U256{1'000'000'000 - 500 - 42'000});
  CHECK(s.get(StateKey::balance(kBob)) == U256{1'000'000'000 + 500});
  CHECK(s.get(StateKey::nonce(kAlice)) == U256{1});
  CHECK(s.get(StateKey::balance(kCoinbase)) == U256{42'000});
  // Access set: read nonce, sender and recipient balance, beneficiary; all four written.
  int reads = 0, writes = 0;
  for (const TxAccess& a : vm.accesses()) {
    reads += a.read;
    writes += a.written;
  }
  CHECK(reads == 4);
  CHECK(writes == 4);
  CHECK(Transaction::native_transfer(kAlice, kBob, U256{1}, 0).size_bytes() == 110);
}

TEST_CASE("lazy beneficiary: the VM never touches the beneficiary") {
  MapState s = funded();
  Vm vm;
  auto r = s.run(vm, Transaction::native_transfer(kAlice, kBob, U256{1}, 0), /*lazy=*/true);
  CHECK(r.fee == U256{21'000});
  CHECK(s.get(StateKey::balance(kCoinbase)).is_zero());
  for (const TxAccess& a : vm.accesses()) CHECK(a.key.address != kCoinbase);
}

TEST_CASE("invalid transactions are skipped without effects; failing bodies revert but pay") {
  MapState s = funded();
  Vm vm;
  auto bad_nonce = s.run(vm, Transaction::native_transfer(kAlice, kBob, U256{1}, 5));
  CHECK(bad_nonce.status == TxStatus::kInvalidNonce);
  CHECK(bad_nonce.gas_used == 0);
  CHECK(s.get(StateKey::nonce(kAlice)).is_zero());
  for (const TxAccess& a : vm.accesses()) CHECK_FALSE(a.written);

  Transaction expensive = Transaction::native_transfer(kAlice, kBob, U256{1}, 0, 1'000'000);
  CHECK(s.run(vm, expensive).status == TxStatus::kInsufficientFunds);

  Transaction tiny_limit = Transaction::native_transfer(kAlice, kBob, U256{1}, 0);
  tiny_limit.gas_limit = 20'000;
  CHECK(s.run(vm, tiny_limit).status == TxStatus::kIntrinsicGas);

  auto too_much = s.run(vm, Transaction::native_transfer(kAlice, kBob, U256{2'000'000'000}, 0));
  CHECK(too_much.status == TxStatus::kReverted);
  CHECK(too_much.gas_used == gas::kTx);
  CHECK(s.get(StateKey::nonce(kAlice)) == U256{1});
  CHECK(s.get(StateKey::balance(kAlice)) == U256{1'000'000'000 - 21'000});
  CHECK(s.get(StateKey::balance(kBob)) == U256{1'000'000'000});
}

TEST_CASE("ERC-20 transfer: Solidity mapping slots, EIP-2929/2200 gas, revert on balance") {
  MapState s = funded();
  Vm vm;
  auto existing = s.run(vm, Transaction::erc20_transfer(kAlice, kToken, kBob, U256{100}, 0));
  CHECK(existing.status == TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kToken, erc20_balance_slot(kAlice))) == U256{900});
  CHECK(s.get(StateKey::storage(kToken, erc20_balance_slot(kBob))) == U256{1100});
  CHECK(existing.gas_used > 30'000);
  CHECK(existing.gas_used < 40'000);
  // To a fresh holder (slot 0 -> non-zero): SSTORE set instead of reset.
  auto fresh = s.run(vm, Transaction::erc20_transfer(kAlice, kToken, kCarol, U256{100}, 1));
  CHECK(fresh.status == TxStatus::kSuccess);
  // kBob and kCarol have the same number of zero bytes, so calldata gas is equal and the
  // difference is exactly SSTORE set vs reset.
  CHECK(fresh.gas_used - existing.gas_used == gas::kSstoreSet - gas::kSstoreReset);
  // Revert: too many tokens. Nonce advances, gas is paid, token balances unchanged.
  auto fail = s.run(vm, Transaction::erc20_transfer(kAlice, kToken, kBob, U256{10'000}, 2));
  CHECK(fail.status == TxStatus::kReverted);
  CHECK(fail.gas_used > gas::kTx);
  CHECK(s.get(StateKey::nonce(kAlice)) == U256{3});
  CHECK(s.get(StateKey::storage(kToken, erc20_balance_slot(kAlice))) == U256{800});
  // Wrong code kind: revert.
  CHECK(s.run(vm, Transaction::erc20_transfer(kAlice, kPair, kBob, U256{1}, 3)).status ==
        TxStatus::kReverted);
}

TEST_CASE("ERC-20 clearing a balance earns the EIP-3529 refund") {
  MapState s1 = funded(), s2 = funded();
  Vm vm;
  auto partial = s1.run(vm, Transaction::erc20_transfer(kAlice, kToken, kBob, U256{999}, 0));
  auto all = s2.run(vm, Transaction::erc20_transfer(kAlice, kToken, kBob, U256{1000}, 0));
  CHECK(partial.status == TxStatus::kSuccess);
  CHECK(all.status == TxStatus::kSuccess);
  // Amount 1000 vs 999 differs in one calldata byte at most (both non-zero): same pre-refund
  // gas, so the difference is the refund, capped at gas/5.
  CHECK(partial.gas_used - all.gas_used ==
        std::min<std::uint64_t>(gas::kSstoreClearsRefund, partial.gas_used / 5));
}

TEST_CASE("approve and transferFrom") {
  MapState s = funded();
  Vm vm;
  CHECK(s.run(vm, Transaction::erc20_approve(kAlice, kToken, kCarol, U256{50}, 0)).status ==
        TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kToken, erc20_allowance_slot(kAlice, kCarol))) == U256{50});
  auto ok = s.run(vm, Transaction::erc20_transfer_from(kCarol, kToken, kAlice, kBob, U256{30}, 0));
  CHECK(ok.status == TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kToken, erc20_allowance_slot(kAlice, kCarol))) == U256{20});
  CHECK(s.get(StateKey::storage(kToken, erc20_balance_slot(kBob))) == U256{1030});
  auto over =
      s.run(vm, Transaction::erc20_transfer_from(kCarol, kToken, kAlice, kBob, U256{30}, 1));
  CHECK(over.status == TxStatus::kReverted);
  CHECK(s.get(StateKey::storage(kToken, erc20_allowance_slot(kAlice, kCarol))) == U256{20});
}

TEST_CASE("AMM swap: constant product with fee, reserves and token balances updated") {
  MapState s = funded();
  Vm vm;
  const U256 out = amm_amount_out(U256{1000}, U256{1'000'000}, U256{2'000'000});
  CHECK(out == U256{1992});  // 1000*997*2e6 / (1e6*1000 + 997000) = 1992.02
  auto r = s.run(vm, Transaction::amm_swap(kAlice, kPair, true, U256{1000}, U256{1990}, 0));
  CHECK(r.status == TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kPair, word_slot(kPairReserve0Slot))) == U256{1'001'000});
  CHECK(s.get(StateKey::storage(kPair, word_slot(kPairReserve1Slot))) == U256{2'000'000 - 1992});
  CHECK(s.get(StateKey::storage(kToken, erc20_balance_slot(kAlice))) == U256{0});
  CHECK(s.get(StateKey::storage(kToken1, erc20_balance_slot(kAlice))) == U256{1000 + 1992});
  CHECK(r.gas_used > 2 * gas::kColdAccountAccess + gas::kTx);
  // Slippage bound: revert.
  auto slip = s.run(vm, Transaction::amm_swap(kBob, kPair, false, U256{100}, U256{1'000'000}, 0));
  CHECK(slip.status == TxStatus::kReverted);
  // Not enough token_in: revert (Alice has 0 token0 now).
  CHECK(s.run(vm, Transaction::amm_swap(kAlice, kPair, true, U256{10}, U256{}, 1)).status ==
        TxStatus::kReverted);
}

TEST_CASE("NFT mint: shared counter, owner and balance slots") {
  MapState s = funded();
  Vm vm;
  CHECK(s.run(vm, Transaction::nft_mint(kAlice, kNft, 0)).status == TxStatus::kSuccess);
  CHECK(s.run(vm, Transaction::nft_mint(kBob, kNft, 0)).status == TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kNft, word_slot(kNftNextIdSlot))) == U256{2});
  CHECK(s.get(StateKey::storage(kNft, nft_owner_slot(U256{0}))) == address_word(kAlice));
  CHECK(s.get(StateKey::storage(kNft, nft_owner_slot(U256{1}))) == address_word(kBob));
  CHECK(s.get(StateKey::storage(kNft, nft_balance_slot(kBob))) == U256{1});
}

TEST_CASE("access trace: recorded reads, set and increment writes, recorded gas") {
  MapState s = funded();
  Vm vm;
  auto trace = std::make_shared<AccessTrace>();
  Hash32 s1 = word_slot(1), s2 = word_slot(2);
  trace->reads = {StateKey::storage(kCarol, s1)};
  trace->writes = {{StateKey::storage(kCarol, s1), TraceWrite::Mode::kIncrement, U256{5}},
                   {StateKey::storage(kCarol, s2), TraceWrite::Mode::kSet, U256{9}}};
  trace->gas_used = 40'000;
  trace->size_bytes = 300;
  Transaction t = Transaction::access_trace(kAlice, trace, 0);
  CHECK(t.size_bytes() == 300);
  auto r = s.run(vm, t);
  CHECK(r.status == TxStatus::kSuccess);
  CHECK(r.gas_used == 40'000);
  CHECK(s.get(StateKey::storage(kCarol, s1)) == U256{5});
  CHECK(s.get(StateKey::storage(kCarol, s2)) == U256{9});
  auto r2 = s.run(vm, Transaction::access_trace(kAlice, trace, 1));
  CHECK(r2.status == TxStatus::kSuccess);
  CHECK(s.get(StateKey::storage(kCarol, s1)) == U256{10});
  // The kSet key is a blind write: not in the read set.
  for (const TxAccess& a : vm.accesses())
    if (a.key == StateKey::storage(kCarol, s2)) CHECK_FALSE(a.read);
}

}  // namespace
}  // namespace pipesim::execution
