/**
 * How many threads oneDNN runs: `--threads N`, else `EDEGAN_THREADS`, else `OMP_NUM_THREADS`,
 * else every core. Debian's oneDNN uses OpenMP (libgomp), whose thread count is set with
 * `omp_set_num_threads`; a oneDNN built on TBB or sequential ignores it.
 *
 * @module
 */

import { DnnlError, type DnnlLibrary } from "./_ffi.ts";
import { envVar } from "../../util/env.ts";

/** A thread count and where it came from. */
export interface ThreadChoice {
  count: number;
  /** `--threads`, `EDEGAN_THREADS`, `OMP_NUM_THREADS` or `every core`. */
  source: string;
  /** More threads than cores; an OMP_NUM_THREADS that a flag overrides. */
  warnings: string[];
}

/**
 * The thread count of oneDNN and where it came from, first of: `requested` (`--threads`, which
 * `EDEGAN_THREADS` also sets), `EDEGAN_THREADS`, `OMP_NUM_THREADS` (OpenMP's own variable, as
 * Slurm sets it; its first number), every core (`navigator.hardwareConcurrency`). A count above
 * the cores is kept, with a warning; a value that is not a positive integer throws, naming it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { threadChoice } from "./threads.ts";
 * assertEquals(threadChoice(1).source, "--threads");
 * assertEquals(threadChoice(100_000).warnings.length >= 1, true);
 * ```
 */
export function threadChoice(requested?: number): ThreadChoice {
  const cores = Math.max(1, navigator.hardwareConcurrency ?? 1);
  const omp = envVar("OMP_NUM_THREADS");
  const edegan = envVar("EDEGAN_THREADS");
  let choice: ThreadChoice;
  if (requested !== undefined) {
    choice = { count: positive(requested, "--threads"), source: "--threads", warnings: [] };
  } else if (edegan !== undefined) {
    choice = {
      count: positive(Number(edegan), "EDEGAN_THREADS"),
      source: "EDEGAN_THREADS",
      warnings: [],
    };
  } else if (omp !== undefined) {
    const first = Number(omp.split(",")[0]);
    choice = { count: positive(first, "OMP_NUM_THREADS"), source: "OMP_NUM_THREADS", warnings: [] };
  } else {
    choice = { count: cores, source: "every core", warnings: [] };
  }
  if (omp !== undefined && choice.source !== "OMP_NUM_THREADS") {
    choice.warnings.push(
      `OMP_NUM_THREADS=${omp} is overridden by ${choice.source} ${choice.count}`,
    );
  }
  if (choice.count > cores) {
    choice.warnings.push(
      `${choice.source} ${choice.count}: more threads than the ${cores} core(s) here; oneDNN ` +
        `runs them all, which is slower than one per core`,
    );
  }
  return choice;
}

/**
 * The thread count asked for ({@link threadChoice}'s count).
 *
 * @example
 * ```ts
 * import { threadCount } from "./threads.ts";
 * if (threadCount(3) !== 3) throw new Error();
 * if (threadCount() < 1) throw new Error();
 * ```
 */
export function threadCount(requested?: number): number {
  return threadChoice(requested).count;
}

/** An environment variable's value; undefined when unset, empty or not permitted to read. */
export { envVar };

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
  chosen = threads;
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
let chosen = 1;

/**
 * The thread count last asked of {@link setDnnlThreads} (`--threads`, else its defaults): what the
 * onednn backend's own native kernels (its Adam) run on, whatever oneDNN's runtime.
 *
 * @example
 * ```ts
 * import { chosenThreads } from "./threads.ts";
 * if (chosenThreads() < 1) throw new Error();
 * ```
 */
export function chosenThreads(): number {
  return chosen;
}

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
