#!/usr/bin/env node
// Re-executes recorded Ethereum mainnet blocks with a real EVM (@ethereumjs/vm) and writes, per
// block, the exact per-transaction access traces pipesim replays (data/eth-traces/, format in
// data/eth-traces/PROVENANCE.md and docs/workloads.md).
//
// Usage: node trace.mjs [--src DIR] [--out DIR] [--blocks N,M,...] [--check-only]
//   --src   the shared eth-blocks folder: N/block.json, N/pre_state.json (or .json.gz),
//           bytecodes.json.gz, block_hashes.json (default: <repo>/../shared/data/eth-blocks)
//   --out   where N.json.gz files go (default: <repo>/data/eth-traces)
//   --blocks  only these block numbers (default: every block whose bytecode is complete)
//   --check-only  run the checks, write nothing
//   --state-manager merkle|simple  the EVM's state backend (default merkle; simple reproduces
//           the SELFDESTRUCT mismatches investigated in data/eth-traces/PROVENANCE.md)
// Exit status: 0 when every requested block passed its checks, 1 otherwise, 2 on bad input.
import { readFileSync, writeFileSync, existsSync, readdirSync, mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync, constants as zconst } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createBlockFromRPC } from '@ethereumjs/block';
import { Common, Hardfork, Mainnet } from '@ethereumjs/common';
import { MerklePatriciaTrie } from '@ethereumjs/mpt';
import { RLP } from '@ethereumjs/rlp';
import { MerkleStateManager, SimpleStateManager } from '@ethereumjs/statemanager';
import {
  Account,
  Address,
  bigIntToBytes,
  bytesToHex,
  hexToBytes,
  setLengthLeft,
} from '@ethereumjs/util';
import { createVM, encodeReceipt, runTx, Bloom } from '@ethereumjs/vm';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { loadKZG } from 'kzg-wasm';

const FORMAT = 'pipesim-eth-trace/1';
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function die(msg) {
  process.stderr.write(`evm-trace: ${msg}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { src: resolve(repo, '..', 'shared', 'data', 'eth-blocks'), out: join(repo, 'data', 'eth-traces'), blocks: null, checkOnly: false, stateManager: 'merkle' };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--src') o.src = resolve(val());
    else if (a === '--out') o.out = resolve(val());
    else if (a === '--blocks') {
      o.blocks = val().split(',').map((s) => {
        if (!/^[0-9]+$/.test(s)) die(`--blocks: "${s}" is not a block number`);
        return Number(s);
      });
    } else if (a === '--check-only') o.checkOnly = true;
    else if (a === '--state-manager') {
      o.stateManager = val();
      if (o.stateManager !== 'merkle' && o.stateManager !== 'simple') die(`--state-manager: expected merkle or simple, got "${o.stateManager}"`);
    }
    else if (a === '-h' || a === '--help') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(4, 14).map((l) => l.slice(3)).join('\n') + '\n');
      process.exit(0);
    } else die(`unknown argument "${a}"`);
  }
  return o;
}

function readJson(path) {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  if (existsSync(path + '.gz')) return JSON.parse(gunzipSync(readFileSync(path + '.gz')).toString('utf8'));
  die(`${path}: no such file (nor ${path}.gz)`);
}

const hex = (b) => bytesToHex(b);
const keccakHex = (bytes) => hex(keccak_256(bytes));
const KECCAK_EMPTY = keccakHex(new Uint8Array(0));
// Compact hex of a non-negative integer: "0" for zero, no leading zeros.
const qty = (v) => v.toString(16);
const bytesQty = (b) => {
  let s = bytesToHex(b).slice(2).replace(/^0+/, '');
  return s === '' ? '0' : s;
};
const slotHex = (b) => bytesToHex(setLengthLeft(b, 32)).slice(2);

// Opcode classes of models/execution/transaction.hpp OpcodeProfile, in field order.
const PROFILE_FIELDS = [
  'arith_stack', 'memory_words', 'keccak_words', 'sload_cold', 'sload_warm', 'sstore_cold',
  'sstore_warm', 'account_reads', 'calls', 'creates', 'logs', 'precompile_ecrecover',
  'precompile_hash', 'precompile_bn254', 'precompile_modexp', 'precompile_other',
];
const P = Object.fromEntries(PROFILE_FIELDS.map((f, i) => [f, i]));
const ACCOUNT_READ_OPS = new Set(['BALANCE', 'EXTCODESIZE', 'EXTCODEHASH', 'EXTCODECOPY', 'SELFBALANCE']);
const CALL_OPS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL']);
const words = (n) => Number((n + 31n) / 32n);

// Precompile class of a call target (by address), given the fork; -1 when not a precompile.
function precompileClass(target, common) {
  if (target === 1n) return P.precompile_ecrecover;
  if (target >= 2n && target <= 4n) return P.precompile_hash;
  if (!common.gteHardfork(Hardfork.Byzantium)) return -1;
  if (target === 5n) return P.precompile_modexp;
  if (target >= 6n && target <= 8n) return P.precompile_bn254;
  if (target === 9n && common.gteHardfork(Hardfork.Istanbul)) return P.precompile_hash;
  if (target === 10n && common.gteHardfork(Hardfork.Cancun)) return P.precompile_other;
  return -1;
}

// EIP-4788 (Cancun): the beacon-roots contract and its ring-buffer length (EIP text, "Specification").
const BEACON_ROOTS = '0x000f3df6d732807ef1319fb7b8bb8522d0beac02';
const HISTORY_BUFFER_LENGTH = 8191n;

async function traceBlock(number, src, bytecodes, blockHashes, kzg, stateManager) {
  const t0 = process.hrtime.bigint();
  const blockJson = readJson(join(src, String(number), 'block.json'));
  const pre = readJson(join(src, String(number), 'pre_state.json'));
  const common = new Common({ chain: Mainnet, customCrypto: { kzg } });
  const timestamp = BigInt(blockJson.timestamp);
  common.setHardforkBy({ blockNumber: BigInt(blockJson.number), timestamp });
  const hardfork = common.hardfork();
  const block = createBlockFromRPC(blockJson, [], { common, setHardfork: false });

  // State: pre_state.json + bytecode, every code hash checked.
  const sm = stateManager === 'simple' ? new SimpleStateManager({ common }) : new MerkleStateManager({ common });
  const shadow = new Map(); // key -> bigint, committed values (pre-state, then after each tx)
  const knownSlots = new Map(); // address -> Set(slot hex) ever set
  const noteSlot = (a, s) => {
    if (!knownSlots.has(a)) knownSlots.set(a, new Set());
    knownSlots.get(a).add(s);
  };
  let codes = 0;
  for (const [addrRaw, acc] of Object.entries(pre)) {
    const a = addrRaw.toLowerCase();
    const address = new Address(hexToBytes(a));
    await sm.putAccount(address, new Account(BigInt(acc.nonce), BigInt(acc.balance)));
    shadow.set(`${a}|b`, BigInt(acc.balance));
    shadow.set(`${a}|n`, BigInt(acc.nonce));
    let codeWord = 0n;
    if (acc.code_hash !== undefined && acc.code_hash !== KECCAK_EMPTY) {
      const code = bytecodes[acc.code_hash];
      if (code === undefined) throw new Error(`block ${number}: no bytecode for code hash ${acc.code_hash} of ${a}`);
      const bytes = hexToBytes(code);
      const h = keccakHex(bytes);
      if (h !== acc.code_hash) throw new Error(`block ${number}: bytecode of ${acc.code_hash} hashes to ${h}`);
      await sm.putCode(address, bytes);
      codeWord = BigInt(h);
      ++codes;
    }
    shadow.set(`${a}|c`, codeWord);
    for (const [slot, value] of Object.entries(acc.storage ?? {})) {
      const s = slotHex(hexToBytes(slot.length % 2 ? '0x0' + slot.slice(2) : slot));
      const v = BigInt(value);
      if (v !== 0n) await sm.putStorage(address, hexToBytes('0x' + s), bigIntToBytes(v));
      shadow.set(`${a}|s|${s}`, v);
      noteSlot(a, s);
    }
  }
  // Ancestor hashes for BLOCKHASH.
  const hashes = blockHashes[String(number)] ?? {};
  const blockchain = {
    getBlock: async (n) => {
      const h = hashes[String(n)];
      if (h === undefined) throw new Error(`block ${number}: BLOCKHASH(${n}) not in block_hashes.json`);
      return { hash: () => hexToBytes(h) };
    },
    putBlock: async () => {},
    shallowCopy() { return this; },
  };
  const vm = await createVM({ common, stateManager: sm, blockchain });
  // Pre-Byzantium receipts carry an intermediate state root, which a partial pre-state cannot
  // reproduce; it is not checked (gas and logsBloom are), so skip computing it.
  if (!common.gteHardfork(Hardfork.Byzantium)) sm.getStateRoot = async () => new Uint8Array(32);

  // EIP-4788 system write before the first transaction (Cancun on).
  const systemWrites = [];
  if (common.isActivatedEIP(4788) && block.header.parentBeaconBlockRoot !== undefined) {
    const addr = new Address(hexToBytes(BEACON_ROOTS));
    if ((await sm.getCode(addr)).length > 0) {
      const i1 = timestamp % HISTORY_BUFFER_LENGTH;
      const i2 = i1 + HISTORY_BUFFER_LENGTH;
      const root = BigInt(hex(block.header.parentBeaconBlockRoot));
      for (const [slot, v] of [[i1, timestamp], [i2, root]]) {
        const s = slotHex(bigIntToBytes(slot));
        await sm.putStorage(addr, hexToBytes('0x' + s), bigIntToBytes(v));
        shadow.set(`${BEACON_ROOTS}|s|${s}`, v);
        noteSlot(BEACON_ROOTS, s);
        systemWrites.push([BEACON_ROOTS, s, v]);
      }
    }
  }

  // Access recording: wrap the state manager's public calls (nested calls are not recorded).
  const coinbase = block.header.coinbase.toString().toLowerCase();
  let rec = null; // per-transaction recorder
  let nest = 0;
  let inEvm = false; // inside the top-level message (not runTx's fee bookkeeping)
  const read = (k, a) => {
    if (rec === null) return;
    if (a === coinbase && !inEvm) return; // the fee credit, replayed by pipesim's VM itself
    if (!rec.readSet.has(k)) rec.readSet.set(k, rec.readSet.size);
  };
  const put = (k) => {
    if (rec !== null) rec.putSet.add(k);
  };
  const wrap = (name, onCall) => {
    const orig = sm[name].bind(sm);
    sm[name] = async (...args) => {
      if (nest === 0) onCall(...args);
      ++nest;
      try {
        return await orig(...args);
      } finally {
        --nest;
      }
    };
    return orig;
  };
  const A = (address) => address.toString().toLowerCase();
  const raw = {
    getAccount: wrap('getAccount', (ad) => { const a = A(ad); read(`${a}|b`, a); read(`${a}|n`, a); }),
    getCode: wrap('getCode', (ad) => { const a = A(ad); read(`${a}|c`, a); }),
    getStorage: wrap('getStorage', (ad, k) => { const a = A(ad); read(`${a}|s|${slotHex(k)}`, a); }),
  };
  wrap('getCodeSize', (ad) => { const a = A(ad); read(`${a}|c`, a); });
  wrap('putAccount', (ad) => { const a = A(ad); put(`${a}|b`); put(`${a}|n`); });
  wrap('putCode', (ad) => { const a = A(ad); put(`${a}|c`); });
  wrap('putStorage', (ad, k) => { const a = A(ad); const s = slotHex(k); put(`${a}|s|${s}`); noteSlot(a, s); });
  const clearAll = (ad) => {
    const a = A(ad);
    put(`${a}|b`); put(`${a}|n`); put(`${a}|c`);
    for (const s of knownSlots.get(a) ?? []) put(`${a}|s|${s}`);
  };
  wrap('deleteAccount', clearAll);
  wrap('clearStorage', (ad) => { const a = A(ad); for (const s of knownSlots.get(a) ?? []) put(`${a}|s|${s}`); });
  let messages = 0;
  vm.evm.events.on('beforeMessage', () => { ++messages; inEvm = true; });
  vm.evm.events.on('afterMessage', () => { --messages; inEvm = messages > 0; });

  // Opcode profile from the EVM's step events.
  const berlin = common.isActivatedEIP(2929);
  vm.evm.events.on('step', (ev) => {
    if (rec === null) return;
    const p = rec.profile;
    const st = ev.stack;
    const top = (i) => st[st.length - 1 - i];
    const name = ev.opcode.name;
    if (name === 'SLOAD' || name === 'SSTORE') {
      const a = ev.address.toString().toLowerCase();
      const slot = setLengthLeft(bigIntToBytes(top(0)), 32);
      const key = `${a}|${slotHex(slot)}`;
      const warm = berlin ? vm.evm.journal.isWarmedStorage(ev.address.bytes, slot) : rec.warm.has(key);
      rec.warm.add(key);
      if (name === 'SLOAD') ++p[warm ? P.sload_warm : P.sload_cold];
      else ++p[warm ? P.sstore_warm : P.sstore_cold];
    } else if (name === 'KECCAK256' || name === 'SHA3') {
      p[P.keccak_words] += words(top(1));
    } else if (name === 'MLOAD' || name === 'MSTORE' || name === 'MSTORE8') {
      p[P.memory_words] += 1;
    } else if (name === 'CALLDATACOPY' || name === 'CODECOPY' || name === 'RETURNDATACOPY' || name === 'MCOPY') {
      p[P.memory_words] += words(top(2));
    } else if (name === 'RETURN' || name === 'REVERT') {
      p[P.memory_words] += words(top(1));
    } else if (ACCOUNT_READ_OPS.has(name)) {
      ++p[P.account_reads];
      if (name === 'EXTCODECOPY') p[P.memory_words] += words(top(3));
    } else if (CALL_OPS.has(name)) {
      const c = precompileClass(top(1), common);
      ++p[c >= 0 ? c : P.calls];
    } else if (name === 'CREATE' || name === 'CREATE2') {
      ++p[P.creates];
    } else if (name === 'SELFDESTRUCT' || name === 'SUICIDE') {
      ++p[P.calls]; // moves the balance to another account, like a value call
    } else if (name.startsWith('LOG')) {
      ++p[P.logs];
    } else {
      ++p[P.arith_stack];
    }
  });

  // Current value of a tracked key (no recording).
  const current = async (k) => {
    const [a, kind, s] = k.split('|');
    const address = new Address(hexToBytes(a));
    if (kind === 's') return BigInt(bytesToHex(await raw.getStorage(address, hexToBytes('0x' + s))) === '0x' ? 0 : bytesToHex(await raw.getStorage(address, hexToBytes('0x' + s))));
    const acc = await raw.getAccount(address);
    if (kind === 'b') return acc?.balance ?? 0n;
    if (kind === 'n') return acc?.nonce ?? 0n;
    const ch = acc === undefined ? KECCAK_EMPTY : hex(acc.codeHash);
    return ch === KECCAK_EMPTY ? 0n : BigInt(ch);
  };

  // Address table (first-use order) for compact keys.
  const addrIndex = new Map();
  const addrs = [];
  const ai = (a) => {
    if (!addrIndex.has(a)) { addrIndex.set(a, addrs.length); addrs.push(a); }
    return addrIndex.get(a);
  };
  const encKey = (k) => {
    const [a, kind, s] = k.split('|');
    const i = ai(a);
    if (kind !== 's') return `${i}${kind}`;
    return `${i}s${s.replace(/^0+/, '') || '0'}`;
  };

  const receiptsTrie = new MerklePatriciaTrie();
  const bloom = new Bloom(undefined, common);
  const txs = [];
  let cumulative = 0n;
  for (let i = 0; i < block.transactions.length; ++i) {
    const tx = block.transactions[i];
    rec = { readSet: new Map(), putSet: new Set(), profile: new Array(PROFILE_FIELDS.length).fill(0), warm: new Set() };
    inEvm = false;
    messages = 0;
    const r = await runTx(vm, { tx, block, blockGasUsed: cumulative, skipBlockGasLimitValidation: true, skipHardForkValidation: true });
    const cur = rec;
    rec = null;
    cumulative += r.totalGasSpent;
    // Writes: keys put during the transaction, final value vs the value before it.
    const tip = r.minerValue / r.totalGasSpent; // wei per gas credited to the coinbase
    if (r.minerValue !== tip * r.totalGasSpent) throw new Error(`block ${number} tx ${i}: fee not a multiple of gas`);
    const writes = [];
    const noop = [];
    const created = [];
    const destroyed = [];
    const coinbaseBal = `${coinbase}|b`;
    const keys = [...cur.putSet];
    if (!cur.putSet.has(coinbaseBal) && r.minerValue !== 0n) keys.push(coinbaseBal);
    for (const k of keys) {
      const before = shadow.get(k) ?? 0n;
      let after = await current(k);
      shadow.set(k, after);
      if (k === coinbaseBal) after -= r.minerValue; // the VM credits gas_used x tip itself
      // The fee credit alone is not an access of the transaction (pipesim's VM credits it).
      if (k.startsWith(`${coinbase}|`) && !cur.readSet.has(k) && after === before) continue;
      if (after !== before) writes.push([k, after]);
      else noop.push(k);
      if (k.endsWith('|c')) {
        const a = k.split('|')[0];
        if (before === 0n && after !== 0n) created.push(a);
        if (before !== 0n && after === 0n) destroyed.push(a);
      }
    }
    const sortKeys = (x, y) => (x < y ? -1 : x > y ? 1 : 0);
    writes.sort((x, y) => sortKeys(x[0], y[0]));
    noop.sort(sortKeys);
    const reads = [...cur.readSet.keys()];
    const receipt = r.receipt;
    const enc = encodeReceipt(receipt, tx.type);
    await receiptsTrie.put(RLP.encode(i), enc);
    bloom.or(r.bloom);
    txs.push({
      status: receipt.status ?? (r.execResult.exceptionError ? 0 : 1),
      gas: Number(r.totalGasSpent),
      tip: qty(tip),
      logs: receipt.logs.length,
      reads: reads.map(encKey),
      writes: writes.map(([k, v]) => [encKey(k), qty(v)]),
      noop_writes: noop.map(encKey),
      created: created.map(ai),
      destroyed: destroyed.map(ai),
      ops: cur.profile,
      sender: ai(tx.getSenderAddress().toString().toLowerCase()),
    });
  }
  const gasUsed = BigInt(blockJson.gasUsed);
  const receiptsRoot = hex(await receiptsTrie.root());
  const byzantium = common.gteHardfork(Hardfork.Byzantium);
  const checks = {
    gas_used: Number(cumulative),
    header_gas_used: Number(gasUsed),
    gas_ok: cumulative === gasUsed,
    receipts_root_ok: byzantium ? receiptsRoot === blockJson.receiptsRoot.toLowerCase() : null,
    logs_bloom_ok: hex(bloom.bitvector) === blockJson.logsBloom.toLowerCase(),
  };
  checks.exact = checks.gas_ok && checks.logs_bloom_ok && checks.receipts_root_ok !== false;
  const out = {
    format: FORMAT,
    block: number,
    hash: blockJson.hash,
    hardfork,
    coinbase: ai(coinbase),
    checks,
    system_writes: systemWrites.map(([a, s, v]) => [encKey(`${a}|s|${s}`), qty(v)]),
    accounts: addrs,
    txs,
  };
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { out, seconds, codes };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(join(o.src, 'bytecodes.json.gz'))) die(`${o.src}: no bytecodes.json.gz (use --src)`);
  const tLoad = process.hrtime.bigint();
  const bytecodes = JSON.parse(gunzipSync(readFileSync(join(o.src, 'bytecodes.json.gz'))).toString('utf8'));
  const blockHashes = JSON.parse(readFileSync(join(o.src, 'block_hashes.json'), 'utf8'));
  const kzg = await loadKZG();
  // Covered blocks: every code hash of the pre-state has its bytecode.
  const all = readdirSync(o.src).filter((d) => /^[0-9]+$/.test(d)).map(Number).sort((a, b) => a - b);
  const covered = (o.blocks ?? all).filter((n) => all.includes(n)).filter((n) => {
    const pre = readJson(join(o.src, String(n), 'pre_state.json'));
    return Object.values(pre).every((acc) => acc.code_hash === undefined || acc.code_hash === KECCAK_EMPTY || bytecodes[acc.code_hash] !== undefined);
  });
  const wanted = o.blocks ?? covered;
  for (const n of wanted) if (!covered.includes(n)) die(`block ${n}: not in ${o.src} or its bytecode is incomplete`);
  if (!o.checkOnly) mkdirSync(o.out, { recursive: true });
  process.stderr.write(`evm-trace: ${covered.length} of ${o.blocks === null ? all.length : o.blocks.length} blocks covered; loading took ${(Number(process.hrtime.bigint() - tLoad) / 1e9).toFixed(1)} s\n`);
  let failed = 0;
  process.stdout.write('block\thardfork\ttxs\tgas_used\theader_gas_used\tgas_ok\treceipts_root_ok\tlogs_bloom_ok\tseconds\n');
  for (const n of wanted) {
    const { out, seconds } = await traceBlock(n, o.src, bytecodes, blockHashes, kzg, o.stateManager);
    const c = out.checks;
    if (!c.exact) ++failed;
    process.stdout.write(`${n}\t${out.hardfork}\t${out.txs.length}\t${c.gas_used}\t${c.header_gas_used}\t${c.gas_ok}\t${c.receipts_root_ok}\t${c.logs_bloom_ok}\t${seconds.toFixed(2)}\n`);
    if (!o.checkOnly) {
      const body = Buffer.from(JSON.stringify(out) + '\n', 'utf8');
      writeFileSync(join(o.out, `${n}.json.gz`), gzipSync(body, { level: zconst.Z_BEST_COMPRESSION }));
    }
  }
  process.stderr.write(`evm-trace: ${wanted.length - failed} of ${wanted.length} blocks exact\n`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`evm-trace: ${e.stack ?? e}\n`);
  process.exit(2);
});
