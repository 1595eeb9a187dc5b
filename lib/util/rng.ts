/**
 * Seeded pseudo-random numbers, so that every shuffle, split and initialisation of a run can be
 * repeated from its seed.
 *
 * Hand-written on purpose (a dozen lines): the committed results, splits and tests depend on these
 * exact sequences, which a library's update could change; tfjs's own seeded ops cover the tensors.
 *
 * @module
 */

/** A source of uniform numbers in [0, 1), advanced by each call. */
export type Rng = () => number;

/**
 * Creates a seeded generator (mulberry32: 32-bit state, fast, good enough for shuffling and
 * splitting; not for cryptography).
 *
 * @example
 * ```ts
 * import { createRng } from "./rng.ts";
 * const a = createRng(7), b = createRng(7);
 * if (a() !== b()) throw new Error("same seed, same stream");
 * ```
 */
export function createRng(seed: number): Rng {
  let state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Returns a new array holding 0..n-1 in an order shuffled by `rng` (Fisher-Yates).
 *
 * @example
 * ```ts
 * import { createRng, shuffledIndices } from "./rng.ts";
 * const order = shuffledIndices(5, createRng(1));
 * if ([...order].sort().join() !== "0,1,2,3,4") throw new Error("a permutation");
 * ```
 */
export function shuffledIndices(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/**
 * Draws a standard normal number (Box-Muller) from `rng`.
 *
 * @example
 * ```ts
 * import { createRng, normal } from "./rng.ts";
 * const x = normal(createRng(3));
 * if (!Number.isFinite(x)) throw new Error("finite");
 * ```
 */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
