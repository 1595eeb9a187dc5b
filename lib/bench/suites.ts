/**
 * The registry of benchmark suites behind `deno task bench --suite NAME`, and the description of
 * the machine a result was measured on. A suite is a name, a `run` that returns flat rows, and the
 * columns to print. `kernels` is registered here; `model` and `distill` live in `model.ts`,
 * `profile` in `profile.ts`.
 *
 * @module
 */

import { machineInfo, versions } from "../run/provenance.ts";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { type KernelImpl, type KernelRow, runKernelSuite } from "./kernels.ts";
import type { BackendChoice } from "../backend/select.ts";

/** What every suite is given. */
export interface SuiteOptions {
  /** `--backend`: which backend(s) to measure; `auto` lets the suite choose. */
  backend: BackendChoice;
  /** A line of progress now and then. */
  onProgress?: (msg: string) => void;
}

/** A benchmark suite. */
export interface BenchSuite {
  name: string;
  /** One line for `--help`. */
  description: string;
  /** Which columns of a row the table shows, in order. */
  columns: string[];
  run(opts: SuiteOptions): Promise<Record<string, unknown>[]>;
  /** Lines printed under the table (targets met or not, say). */
  summarize?(rows: Record<string, unknown>[]): string[];
}

/** Every suite name `--suite` accepts besides `all`, available or not. */
export const SUITE_NAMES = [
  "kernels",
  "model",
  "distill",
  "profile",
  "students",
  "score-profile",
] as const;
/** A suite name. */
export type SuiteName = typeof SUITE_NAMES[number];

const registry = new Map<string, BenchSuite>();

/**
 * Adds (or replaces) a suite.
 *
 * @example
 * ```ts
 * import { getSuite, registerSuite } from "./suites.ts";
 * registerSuite({ name: "noop", description: "nothing", columns: [], run: () => Promise.resolve([]) });
 * if (getSuite("noop") === undefined) throw new Error();
 * ```
 */
export function registerSuite(suite: BenchSuite): void {
  registry.set(suite.name, suite);
}

/**
 * The suite of that name, or undefined when none is registered (yet).
 *
 * @example
 * ```ts
 * import { getSuite } from "./suites.ts";
 * if (getSuite("kernels") === undefined) throw new Error();
 * console.log(getSuite("model") !== undefined);
 * ```
 */
export function getSuite(name: string): BenchSuite | undefined {
  return registry.get(name);
}

/**
 * Every registered suite, in registration order.
 *
 * @example
 * ```ts
 * import { listSuites } from "./suites.ts";
 * console.log(listSuites().map((s) => s.name));
 * ```
 */
export function listSuites(): BenchSuite[] {
  return [...registry.values()];
}

/** Where a benchmark ran. */
export interface Machine {
  cpu: string;
  /** The CPU's vector extensions (lib/run/provenance.ts `SIMD_FLAGS`): figures and bits depend on them. */
  simd: string[];
  cores: number;
  os: string;
  deno: string;
  v8: string;
  typescript: string;
  tfjs: string;
  wasmThreads: number;
}

/**
 * Describes this machine and runtime for a result file.
 *
 * @example
 * ```ts
 * import { describeMachine } from "./suites.ts";
 * console.log(describeMachine().cores);
 * ```
 */
export function describeMachine(): Machine {
  const machine = machineInfo();
  const v = versions();
  let wasmThreads = 1;
  try {
    wasmThreads = wasm.getThreadsCount();
  } catch {
    // The wasm backend has not started; it would run single-threaded.
  }
  return {
    cpu: machine.cpu,
    simd: machine.simd ?? [],
    cores: machine.cores,
    os: `${machine.os} ${machine.arch}`,
    deno: v.deno,
    v8: v.v8,
    typescript: v.typescript,
    tfjs: v.tfjs,
    wasmThreads,
  };
}

function kernelImpls(backend: BackendChoice): KernelImpl[] | undefined {
  switch (backend) {
    case "auto":
      return undefined; // cpu, stock and edegan wasm, and onednn where it loads
    case "cpu":
      return ["cpu"];
    case "wasm":
      return ["wasm-stock", "wasm-edegan"];
    case "onednn":
      return ["wasm-edegan", "onednn"];
    default:
      throw new Error(
        `--backend: the kernels suite measures cpu, wasm and onednn only; got '${backend}' ` +
          `(accepted: auto, cpu, wasm, onednn)`,
      );
  }
}

/** Ratios the kernels suite is held to, printed under its table. */
function summarizeKernels(rows: Record<string, unknown>[]): string[] {
  const all = rows as unknown as KernelRow[];
  const find = (kernel: string, impl: string, shape: string, batch: number) =>
    all.find((r) =>
      r.kernel === kernel && r.impl === impl && r.shape === shape && r.batch === batch
    );
  const lines: string[] = [];
  for (const row of all) {
    if (row.impl === "onednn") {
      const wasm = find(row.kernel, "wasm-edegan", row.shape, row.batch);
      if (wasm) {
        lines.push(
          `${row.kernel} ${row.shape} batch ${row.batch}: onednn ${row.gflops.toFixed(1)} ` +
            `GFLOP/s, ${(wasm.ms / row.ms).toFixed(1)}x edegan wasm` +
            (row.served === false ? " (the onednn backend leaves it to wasm)" : ""),
        );
      }
      continue;
    }
    if (row.impl !== "wasm-edegan") continue;
    const forward = find("Conv2D", "wasm-stock", row.shape, row.batch);
    const stock = find(row.kernel, "wasm-stock", row.shape, row.batch);
    const parts = [`${row.kernel} ${row.shape} batch ${row.batch}:`];
    if (forward) {
      const share = row.gflops / forward.gflops;
      parts.push(
        `${(100 * share).toFixed(0)}% of Conv2D ${share >= 0.6 ? "(>=60% met)" : "(<60%)"}`,
      );
    }
    if (stock) {
      const speedup = stock.ms / row.ms;
      parts.push(`${speedup.toFixed(1)}x stock ${speedup >= 8 ? "(>=8x met)" : "(<8x)"}`);
    }
    lines.push(parts.join(" "));
  }
  return lines;
}

registerSuite({
  name: "kernels",
  description: "conv kernels of every teacher layer: cpu, stock wasm, edegan wasm, oneDNN",
  columns: ["kernel", "shape", "batch", "impl", "ms", "gflops"],
  run: async (opts) =>
    await runKernelSuite({
      impls: kernelImpls(opts.backend),
      onProgress: opts.onProgress,
    }) as unknown as Record<string, unknown>[],
  summarize: summarizeKernels,
});
