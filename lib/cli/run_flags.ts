/**
 * What the training tasks (`train`, `study`, `distill`, `score`, `sweep`) share between their
 * flags and the library: starting the `--backend` and turning the data and training flags into
 * the library's options.
 *
 * @module
 */

import { parseEmaOption } from "../train/ema.ts";
import { type BackendChoice, selectBackend } from "../backend/select.ts";
import type { DatasetName, Protocol } from "../data/types.ts";
import { OPTION_FLAGS } from "../data/options.ts";
import type { LatentConstraint } from "../models/ede_gan/mod.ts";
import type { RunDataOptions, TrainRunOptions } from "../train/run.ts";
import type { ParsedFlags } from "./flags.ts";

/** The active backend as a run's manifest records it. */
export interface BackendRecord {
  name: string;
  device: string;
  skipped: string[];
}

/**
 * The backends `--backend auto` skipped, on one line of at most 100 characters for the usual
 * reasons: each with the gist of its reason, backends with the same gist named together (the full
 * reasons go into `run.json`'s `backend.skipped`, and `--backend NAME` prints one in full, as
 * the README's backend table says).
 * `skipped` holds `name: reason` lines as `selectBackend` returns them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { skippedSummary } from "./run_flags.ts";
 * assertEquals(
 *   skippedSummary([
 *     "tensorflow-gpu: npm package @tensorflow/tfjs-node-gpu is not installed (...)",
 *     "tensorflow: @tensorflow/tfjs-node is installed but its native addon x is missing: ...",
 *     "webgpu: the only adapter is a CPU emulation (llvmpipe), slower than wasm; pass ...",
 *   ]),
 *   "skipped tensorflow-gpu, tensorflow (needs deno task setup:native), webgpu (CPU emulation)",
 * );
 * ```
 */
export function skippedSummary(skipped: readonly string[]): string {
  const gist = (name: string, reason: string) => {
    if (name.startsWith("tensorflow") && /is not installed|addon|no libtensorflow/.test(reason)) {
      return "needs deno task setup:native";
    }
    if (/CPU emulation/.test(reason)) return "CPU emulation";
    if (/no WebGPU adapter|no navigator\.gpu/.test(reason)) return "no GPU adapter";
    const first = reason.split(/[.;(]/)[0].trim();
    return first.length > 40 ? first.slice(0, 37) + "..." : first;
  };
  const groups = new Map<string, string[]>();
  for (const line of skipped) {
    const [name, ...rest] = line.split(": ");
    const key = gist(name, rest.join(": "));
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  const parts = [...groups].map(([why, names]) => `${names.join(", ")} (${why})`);
  return `skipped ${parts.join(", ")}`;
}

/**
 * Starts the backend named by `--backend` (with `--threads` for `onednn`), prints it (and, on one
 * line, which backends `auto` skipped), and returns it for the manifest.
 *
 * @example
 * ```ts
 * import { startBackend } from "./run_flags.ts";
 * const backend = await startBackend("cpu");
 * if (backend.name !== "cpu") throw new Error();
 * ```
 */
export async function startBackend(
  choice: BackendChoice,
  threads?: number,
): Promise<BackendRecord> {
  const selection = await selectBackend(choice, { threads });
  console.log(`backend: ${selection.backend} (${selection.device})`);
  if (selection.skipped.length > 0) console.log(`  ${skippedSummary(selection.skipped)}`);
  return { name: selection.backend, device: selection.device, skipped: selection.skipped };
}

/**
 * The data options of a run from `--dataset`, `--data-dir`, `--normal`, `--protocol`, `--seed`,
 * `--limit` and `--test-limit`: each read under its flag in {@linkcode OPTION_FLAGS}, the one
 * table of the data options' flags (the run's `seed` is the split's `--seed`).
 *
 * @example
 * ```ts
 * import { runDataFromFlags } from "./run_flags.ts";
 * const data = runDataFromFlags({ _: [], dataset: "mnist", normal: 3, seed: 1, "test-limit": 200 });
 * if (data.normal !== 3 || data.seed !== 1 || data.testLimit !== 200) throw new Error();
 * ```
 */
export function runDataFromFlags(flags: ParsedFlags): RunDataOptions {
  const flag = (option: keyof typeof OPTION_FLAGS) => flags[OPTION_FLAGS[option].slice(2)];
  return {
    dataset: flag("dataset") as DatasetName,
    dataDir: flag("dataDir") as string | undefined,
    normal: flag("normal") as number,
    protocol: flag("protocol") as Protocol,
    seed: flag("splitSeed") as number,
    limit: flag("limit") as number | undefined,
    testLimit: flag("testLimit") as number | undefined,
  };
}

/**
 * The training options of a run: its data, plus `--epochs`, `--batch-size`, `--width` and
 * `--latent`.
 *
 * @example
 * ```ts
 * import { trainOptionsFromFlags } from "./run_flags.ts";
 * const opts = trainOptionsFromFlags({ _: [], dataset: "mnist", normal: 1, seed: 0, epochs: 2,
 *   "batch-size": 16, width: 8, latent: "tanh" });
 * if (opts.model?.width !== 8 || opts.batchSize !== 16) throw new Error();
 * ```
 */
export function trainOptionsFromFlags(flags: ParsedFlags): TrainRunOptions {
  const ema = parseEmaOption(flags.ema as string | undefined);
  return {
    ...runDataFromFlags(flags),
    epochs: flags.epochs as number,
    batchSize: flags["batch-size"] as number,
    model: {
      ...(flags.width !== undefined ? { width: flags.width as number } : {}),
      ...(flags.latent !== undefined ? { latent: flags.latent as LatentConstraint } : {}),
    },
    ...(ema !== undefined ? { ema } : {}),
  };
}

/**
 * `--distill-epochs S1,S2`: epochs of step 1 (frozen teacher) and step 2 (joint fine-tuning).
 *
 * @example
 * ```ts
 * import { parseDistillEpochs } from "./run_flags.ts";
 * if (parseDistillEpochs("10,5").step2 !== 5) throw new Error();
 * ```
 */
export function parseDistillEpochs(text: string): { step1: number; step2: number } {
  const parts = text.split(",").map(Number);
  if (parts.length !== 2 || !parts.every((n) => Number.isInteger(n) && n >= 0) || parts[0] < 1) {
    throw new Error(
      `--distill-epochs: '${text}' is not STEP1,STEP2 epochs (integers, step 1 at least 1), ` +
        "e.g. --distill-epochs 10,5",
    );
  }
  return { step1: parts[0], step2: parts[1] };
}
