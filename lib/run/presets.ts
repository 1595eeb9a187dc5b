/**
 * The run sizes every task and notebook shares: `quick` (minutes on 2 CPU cores; the default),
 * `paper` (the paper's setting: the teacher of width 64, batch size 1, all normal images, 15
 * epochs) and `ci` (a smoke test of the code in seconds, the size the notebooks' tests run at;
 * its numbers mean nothing). A flag given explicitly always wins over its preset's value.
 *
 * @module
 */

import type { EmaOption } from "../train/ema.ts";

/** A preset's name. */
export type PresetName = "quick" | "paper" | "ci";

/** The training settings a preset fixes. */
export interface TrainPreset {
  epochs: number;
  batchSize: number;
  width: number;
  /** Training images used (undefined: all). */
  limit?: number;
  /** Test images scored (undefined: all). */
  testLimit?: number;
  /** Width of the teacher the distillation trains. */
  teacherWidth: number;
  /** Student widths of the distillation. */
  students: number[];
  /** Epochs of distillation step 1 and step 2. */
  distillEpochs: { step1: number; step2: number };
  /**
   * The default of `--ema` for the teachers (off when absent): `paper` averages the generator's
   * weights over about the last epoch (`auto`), as measured over the full-length runs of
   * results/teachers (the figures: the row "average of the generator's weights (`--ema`)" of the
   * table in results/README.md, rebuilt with the runs); `quick` (2 short epochs, not measured)
   * keeps the live weights.
   */
  ema?: EmaOption;
}

/** Presets, in one place. */
export const PRESETS: Record<PresetName, TrainPreset> = {
  quick: {
    epochs: 2,
    batchSize: 16,
    width: 16,
    limit: 1024,
    testLimit: 2000,
    teacherWidth: 32,
    students: [8, 4, 2],
    distillEpochs: { step1: 2, step2: 1 },
  },
  paper: {
    epochs: 15,
    batchSize: 1,
    width: 64,
    teacherWidth: 64,
    students: [12, 8, 4, 3, 2],
    distillEpochs: { step1: 10, step2: 5 },
    ema: "auto",
  },
  ci: {
    epochs: 1,
    batchSize: 16,
    width: 8,
    limit: 256,
    testLimit: 500,
    teacherWidth: 8,
    students: [2],
    distillEpochs: { step1: 1, step2: 1 },
  },
};

/**
 * A preset by name, or an error naming the accepted ones.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { preset } from "./presets.ts";
 * assertEquals([preset("paper").width, preset("ci").limit], [64, 256]);
 * assertThrows(() => preset("tiny"), Error, "--preset: 'tiny' is not one of quick, paper, ci");
 * ```
 */
export function preset(name: string): TrainPreset {
  if (!Object.hasOwn(PRESETS, name)) {
    throw new Error(`--preset: '${name}' is not one of ${Object.keys(PRESETS).join(", ")}`);
  }
  return PRESETS[name as PresetName];
}

/**
 * The preset named by `--preset X`/`--preset=X` in `args`, else `EDEGAN_PRESET`, else `quick`:
 * read before the other flags because it sets their defaults.
 *
 * @example
 * ```ts
 * import { presetFromArgs } from "./presets.ts";
 * if (presetFromArgs(["--preset", "paper"]) !== "paper") throw new Error();
 * ```
 */
export function presetFromArgs(args: string[]): PresetName {
  let name = Deno.env.get("EDEGAN_PRESET") || "quick";
  args.forEach((arg, i) => {
    if (arg === "--preset" && args[i + 1] !== undefined) name = args[i + 1];
    else if (arg.startsWith("--preset=")) name = arg.slice("--preset=".length);
  });
  preset(name);
  return name as PresetName;
}
