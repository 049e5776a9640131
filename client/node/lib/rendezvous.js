'use strict';
// Key affinity: rendezvous (highest-random-weight) hashing of keys over the targets, an exact
// port of client/rendezvous.{h,cc} (the C++ client), so a key goes to the same proposer from
// every client in every language — which is what keeps the proposers' one-round-trip cache hot
// (docs/protocol.md). The hash is a fixed function of the bytes: little-endian 8-byte words and
// the splitmix64 finalizer, in 64-bit BigInt arithmetic (every product is reduced mod 2^64).
// Keys and targets are hashed as their UTF-8 bytes. Objects are immutable after construction.

const MASK64 = (1n << 64n) - 1n;

/** The splitmix64 finalizer of a 64-bit BigInt. */
function mix(z) {
  z = (z + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** Up to 8 bytes of `bytes` from `start`, read as a little-endian word. */
function loadLittleEndian(bytes, start) {
  let word = 0n;
  const end = Math.min(bytes.length, start + 8);
  for (let i = start; i < end; ++i) word |= BigInt(bytes[i]) << BigInt(8 * (i - start));
  return word;
}

function toBytes(value, what) {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  throw new TypeError(`${what} must be a string, Buffer or Uint8Array, got ${typeof value}`);
}

/**
 * A 64-bit hash (BigInt in 0..2^64-1) of `bytes` under `seed`; equals the C++ Hash64.
 * @param {string|Uint8Array} bytes a string is hashed as its UTF-8 bytes
 * @param {bigint} seed 0..2^64-1
 */
function hash64(bytes, seed = 0n) {
  const b = toBytes(bytes, 'hash64 bytes');
  if (typeof seed !== 'bigint' || seed < 0n || seed > MASK64) {
    throw new RangeError(`hash64 seed must be a BigInt in 0..2^64-1, got ${seed}`);
  }
  let h = mix(seed ^ ((BigInt(b.length) * 0xff51afd7ed558ccdn) & MASK64));
  for (let i = 0; i < b.length; i += 8) h = mix(h ^ mix(loadLittleEndian(b, i)));
  return mix(h);
}

class Rendezvous {
  /**
   * @param {string[]} targets not empty, no duplicates (the caller checks)
   */
  constructor(targets) {
    this.targets = Object.freeze([...targets]);
    this._seeds = this.targets.map((t) => hash64(t, 0n));
  }

  /** Indexes into targets, best first: [0] serves `key`, the rest are its failover order. */
  rank(key) {
    const bytes = toBytes(key, 'key');
    const scores = this._seeds.map((seed) => hash64(bytes, seed));
    const order = this.targets.map((_, i) => i);
    order.sort((a, b) => {
      if (scores[a] !== scores[b]) return scores[a] > scores[b] ? -1 : 1;
      // Ties (astronomically rare) by the target's bytes, like std::string's operator<.
      return Buffer.compare(Buffer.from(this.targets[a]), Buffer.from(this.targets[b]));
    });
    return order;
  }

  /** Same as rank(key)[0]. */
  pick(key) {
    return this.rank(key)[0];
  }
}

module.exports = { hash64, Rendezvous };
