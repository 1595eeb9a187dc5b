/**
 * How many threads oneDNN runs: every core by default, fewer with `--threads N` or
 * `EDEGAN_THREADS`. Debian's oneDNN uses OpenMP (libgomp), whose thread count is set with
 * `omp_set_num_threads`; a oneDNN built on TBB or sequential ignores it.
 *
 * @module
 */

import { DnnlError, type DnnlLibrary } from "./_ffi.ts";

/**
 * The thread count asked for: `requested` (from `--threads`), else `EDEGAN_THREADS`, else every
 * core (`navigator.hardwareConcurrency`). Throws naming the flag or variable when it is not a
 * positive integer.
 *
 * @example
 * ```ts
 * import { threadCount } from "./threads.ts";
 * if (threadCount(3) !== 3) throw new Error();
 * if (threadCount() < 1) throw new Error();
 * ```
 */
export function threadCount(requested?: number): number {
  if (requested !== undefined) return positive(requested, "--threads");
  const env = Deno.env.get("EDEGAN_THREADS");
  if (env !== undefined && env !== "") return positive(Number(env), "EDEGAN_THREADS");
  return Math.max(1, navigator.hardwareConcurrency ?? 1);
}

function positive(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${name}: expected a whole number of threads >= 1, got '${n}'`);
  }
  return n;
}

let omp:
  | Deno.DynamicLibrary<{
    omp_set_num_threads: { parameters: ["i32"]; result: "void" };
    omp_get_max_threads: { parameters: []; result: "i32" };
  }>
  | null = null;

/**
 * Sets oneDNN's thread count and returns the count it will use (1 for a sequential build).
 * Throws a `DnnlError` when the OpenMP runtime oneDNN was built with cannot be opened.
 */
export function setDnnlThreads(lib: DnnlLibrary, threads: number): number {
  if (lib.runtime === "seq") return 1;
  if (lib.runtime !== "omp") return threads; // TBB/threadpool: oneDNN's own defaults
  try {
    omp ??= Deno.dlopen("libgomp.so.1", {
      omp_set_num_threads: { parameters: ["i32"], result: "void" },
      omp_get_max_threads: { parameters: [], result: "i32" },
    });
  } catch (error) {
    throw new DnnlError(`oneDNN uses OpenMP, but libgomp.so.1 did not open: ${error}`);
  }
  omp.symbols.omp_set_num_threads(threads);
  running = omp.symbols.omp_get_max_threads();
  return running;
}

let running = 1;

/**
 * Runs `f` with oneDNN on one thread, then restores the thread count. For memory-bound
 * primitives with several passes (batch normalisation): each pass ends in a barrier, and where
 * the other cores are busy a barrier waits for a descheduled thread; measured on the teacher's
 * 64x16x16x64 normalisation on a shared 2-core machine, 1.2 ms on one thread against 20-60 ms on
 * two.
 */
export function singleThreaded<T>(f: () => T): T {
  if (omp === null || running === 1) return f();
  omp.symbols.omp_set_num_threads(1);
  try {
    return f();
  } finally {
    omp.symbols.omp_set_num_threads(running);
  }
}
