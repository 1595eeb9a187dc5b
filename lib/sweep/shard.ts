/**
 * `--shard i/n`: the i-th (1-based) of n disjoint parts of a sweep, taken round-robin over the
 * sorted job list, so that n machines (a Slurm array, a Kubernetes Indexed Job) given the same
 * command and their own i cover every job exactly once with balanced parts.
 *
 * @module
 */

/** The i-th (1-based) of n parts. */
export interface Shard {
  /** 1-based index, 1..count. */
  index: number;
  /** Number of parts. */
  count: number;
}

/**
 * Parses `i/n` with 1 <= i <= n; errors name `--shard`.
 *
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * const s = parseShard("2/8");
 * if (s.index !== 2 || s.count !== 8) throw new Error();
 * ```
 */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new Error(`--shard: expected i/n (e.g. --shard 2/8), got '${text}'`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new Error(`--shard: n must be at least 1, got '${text}'`);
  if (index < 1 || index > count) {
    throw new Error(`--shard: i must be between 1 and ${count} (1-based), got '${text}'`);
  }
  return { index, count };
}

/**
 * The jobs of shard `i/n`: those at positions i-1, i-1+n, i-1+2n, ... of `jobs` (which should
 * already be in a stable order, as `sweepJobs` gives them).
 *
 * @example
 * ```ts
 * import { shardJobs } from "./shard.ts";
 * const part = shardJobs(["a", "b", "c", "d", "e"], { index: 2, count: 2 });
 * if (part.join() !== "b,d") throw new Error();
 * ```
 */
export function shardJobs<T>(jobs: readonly T[], shard: Shard): T[] {
  return jobs.filter((_, k) => k % shard.count === shard.index - 1);
}
