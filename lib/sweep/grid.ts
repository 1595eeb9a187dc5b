/**
 * A sweep's grid: datasets x normal classes x seeds x distillation designs x student widths x
 * methods. The grid expands to cells with stable ids (`mnist-c3-s0-w4-pkdgan`), and groups into
 * jobs at (dataset, class, seed, design) granularity (`mnist-c3-s0`, `mnist-c3-s0-stage1-kd`):
 * one job is one distillation experiment, which trains its teacher once and then every student
 * width by every method. The design axes (`student-latent=`, `kd-weights=`, `stage1=`,
 * `bn-stats=`, issue 26) are those of `deno task distill`'s flags; a design at every default has
 * the plain id, so sweeps without design axes keep their ids.
 *
 * @module
 */

import { DATASET_CLASS_COUNTS, DATASET_NAMES, type DatasetName } from "../data/registry.ts";
import {
  type Method,
  METHODS,
  STAGE1_STRUCTURES,
  type Stage1Structure,
} from "../distill/pkdgan.ts";
import { type DistillationWeights, parseKdWeights } from "../distill/kd_loss.ts";
import { STUDENT_LATENT_RULES, type StudentLatentRule } from "../distill/students.ts";
import type { DistillExperimentOptions } from "../distill/options.ts";
import { checkFinalScoring, DEFAULT_MODEL } from "../models/registry.ts";

/** A `--bn-stats` of the distillation (EDE-GAN's BatchNorm modes, or `auto`). */
type FinalBatchNormOption = NonNullable<DistillExperimentOptions["bnStats"]>;

/**
 * Checks a `--bn-stats` value by the registry entry of the model distillation trains (EDE-GAN, the
 * default model), so that this file names none of a model's own study files.
 */
function checkBnStats(value: string): FinalBatchNormOption {
  checkFinalScoring(DEFAULT_MODEL, value);
  return value as FinalBatchNormOption;
}

/**
 * One distillation design of a sweep (issue 26): each field a flag of `deno task distill`; a
 * field left out keeps that flag's default.
 */
export interface DistillDesignChoice {
  /** `--student-latent`. */
  studentLatent?: StudentLatentRule;
  /** `--kd-weights`. */
  kdWeights?: DistillationWeights;
  /** `--stage1`. */
  stage1?: Stage1Structure;
  /** `--bn-stats` (default: auto at batch 1, moving otherwise). */
  bnStats?: FinalBatchNormOption;
}

/** What a sweep covers. */
export interface SweepGrid {
  /** Datasets, e.g. `["mnist", "fashion-mnist"]`. */
  datasets: DatasetName[];
  /** Normal classes (one-class protocol), e.g. `[0, 1, ..., 9]`. */
  classes: number[];
  /** Seeds of initialisation, shuffling and splits. */
  seeds: number[];
  /** Student widths. */
  widths: number[];
  /** Distillation methods. */
  methods: Method[];
  /** Distillation designs (default: one, every flag at its default). */
  designs?: DistillDesignChoice[];
}

/** One point of the full product (a student trained by a method in one experiment). */
export interface GridCell {
  /** Stable id, e.g. `mnist-c3-s0-w4-pkdgan`. */
  id: string;
  /** The id of the job that computes this cell, e.g. `mnist-c3-s0`. */
  job: string;
  dataset: DatasetName;
  normal: number;
  seed: number;
  width: number;
  method: Method;
}

/** One unit of work of a sweep: a distillation experiment on (dataset, class, seed). */
export interface SweepJob {
  /** Stable id, e.g. `mnist-c3-s0`: the result file is `jobs/<id>.json`. */
  id: string;
  dataset: DatasetName;
  normal: number;
  seed: number;
  /** Student widths the experiment trains. */
  widths: number[];
  /** Methods each student is trained by. */
  methods: Method[];
  /** The distillation design (absent: every default). */
  design?: DistillDesignChoice;
}

/**
 * The id of the job on (dataset, class, seed).
 *
 * @example
 * ```ts
 * import { jobId } from "./grid.ts";
 * if (jobId("mnist", 3, 0) !== "mnist-c3-s0") throw new Error();
 * ```
 */
export function jobId(
  dataset: string,
  normal: number,
  seed: number,
  design: DistillDesignChoice = {},
): string {
  return `${dataset}-c${normal}-s${seed}${designSuffix(design)}`;
}

/**
 * The part of a job id that names a design: one `-flag-value` per field that differs from the
 * default (`--bn-stats` whenever given, its default depending on the batch size); "" for the
 * default design.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { designSuffix } from "./grid.ts";
 * assertEquals(designSuffix({ stage1: "kd", kdWeights: { z1: 1, x: 50, z2: 1 } }),
 *   "-kd-weights-1_50_1-stage1-kd");
 * assertEquals(designSuffix({ studentLatent: "shrink", stage1: "kd-gan" }), "");
 * ```
 */
export function designSuffix(design: DistillDesignChoice): string {
  const parts: string[] = [];
  if (design.studentLatent && design.studentLatent !== "shrink") {
    parts.push(`student-latent-${design.studentLatent}`);
  }
  const w = design.kdWeights;
  if (w && (w.z1 !== 1 || w.x !== 1 || w.z2 !== 1)) parts.push(`kd-weights-${w.z1}_${w.x}_${w.z2}`);
  if (design.stage1 && design.stage1 !== "kd-gan") parts.push(`stage1-${design.stage1}`);
  if (design.bnStats) parts.push(`bn-stats-${design.bnStats}`);
  return parts.map((p) => `-${p}`).join("");
}

/**
 * The designs of a sweep's design axes (`student-latent=shrink,keep`, `kd-weights=1,1,1/1,50,1`
 * with `/` between weight triples, `stage1=kd,kd-gan`, `bn-stats=auto,moving`): every
 * combination, in the order given. No axis gives the one default design. Errors name the axis.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseDesignAxes } from "./grid.ts";
 * const designs = parseDesignAxes({ "stage1": "kd,kd-gan", "kd-weights": "1,50,1" });
 * assertEquals(designs.map((d) => [d.stage1, d.kdWeights?.x]), [["kd", 50], ["kd-gan", 50]]);
 * ```
 */
export function parseDesignAxes(
  axes: Record<string, string | undefined>,
): DistillDesignChoice[] {
  const list = <T>(key: string, sep: string, parse: (v: string) => T): T[] | undefined => {
    const text = axes[key];
    if (text === undefined) return undefined;
    return [...new Set(text.split(sep).map((v) => v.trim()))].map(parse);
  };
  const choice = <T extends string>(key: string, choices: readonly T[]) => (v: string) => {
    if (!(choices as readonly string[]).includes(v)) {
      throw new Error(`${key}=: '${v}' is not one of ${choices.join(", ")}`);
    }
    return v as T;
  };
  const axesGiven: [keyof DistillDesignChoice, unknown[] | undefined][] = [
    ["studentLatent", list("student-latent", ",", choice("student-latent", STUDENT_LATENT_RULES))],
    ["kdWeights", list("kd-weights", "/", parseKdWeights)],
    ["stage1", list("stage1", ",", choice("stage1", STAGE1_STRUCTURES))],
    ["bnStats", list("bn-stats", ",", checkBnStats)],
  ];
  let designs: DistillDesignChoice[] = [{}];
  for (const [field, values] of axesGiven) {
    if (!values) continue;
    designs = designs.flatMap((d) => values.map((v) => ({ ...d, [field]: v })));
  }
  return designs;
}

/** The keys of {@link parseDesignAxes}, as positional `key=value` arguments of a sweep. */
export const DESIGN_AXES = ["student-latent", "kd-weights", "stage1", "bn-stats"] as const;

/**
 * Every cell of the grid, in a stable order (dataset, class, seed, width as given, method as
 * given), each with its id.
 *
 * @example
 * ```ts
 * import { expandGrid } from "./grid.ts";
 * const cells = expandGrid({
 *   datasets: ["mnist"], classes: [3], seeds: [0], widths: [4], methods: ["pkdgan"],
 * });
 * if (cells.length !== 1 || cells[0].id !== "mnist-c3-s0-w4-pkdgan") throw new Error();
 * ```
 */
export function expandGrid(grid: SweepGrid): GridCell[] {
  return sweepJobs(grid).flatMap((job) =>
    job.widths.flatMap((width) =>
      job.methods.map((method) => ({
        id: `${job.id}-w${width}-${method}`,
        job: job.id,
        dataset: job.dataset,
        normal: job.normal,
        seed: job.seed,
        width,
        method,
      }))
    )
  );
}

/**
 * The grid's jobs, one per (dataset, class, seed), sorted by dataset name, then class, then seed
 * (numerically), so that every machine of a sharded sweep sees the same list. Duplicates in the
 * grid are dropped. A class outside a dataset's range (e.g. 10 for MNIST's 0-9) is an error
 * naming `classes` before any job is made.
 *
 * @example
 * ```ts
 * import { sweepJobs } from "./grid.ts";
 * const jobs = sweepJobs({
 *   datasets: ["mnist"], classes: [9, 2], seeds: [0, 1], widths: [8, 4], methods: ["pkdgan"],
 * });
 * if (jobs.map((j) => j.id).join() !== "mnist-c2-s0,mnist-c2-s1,mnist-c9-s0,mnist-c9-s1") {
 *   throw new Error();
 * }
 * ```
 */
export function sweepJobs(grid: SweepGrid): SweepJob[] {
  const datasets = [...new Set(grid.datasets)].sort();
  const classes = [...new Set(grid.classes)].sort((a, b) => a - b);
  // Checked before any job runs: a bad class would otherwise fail hours into the sweep.
  for (const dataset of datasets) {
    const count = DATASET_CLASS_COUNTS[dataset];
    const bad = classes.filter((c) => !Number.isInteger(c) || c < 0 || c >= count);
    if (bad.length > 0) {
      throw new Error(
        `classes: ${bad.join(", ")} out of range for ${dataset}, expected ` +
          (count === 1 ? "0 (the folder dataset's one class)" : `0-${count - 1}`) +
          "; nothing was run",
      );
    }
  }
  const seeds = [...new Set(grid.seeds)].sort((a, b) => a - b);
  const widths = [...new Set(grid.widths)];
  const methods = [...new Set(grid.methods)];
  const designs = grid.designs ?? [{}];
  const jobs: SweepJob[] = [];
  const ids = new Set<string>();
  for (const dataset of datasets) {
    for (const normal of classes) {
      for (const seed of seeds) {
        for (const design of designs) {
          const id = jobId(dataset, normal, seed, design);
          if (ids.has(id)) continue;
          ids.add(id);
          const hasDesign = Object.keys(design).length > 0;
          jobs.push({
            id,
            dataset,
            normal,
            seed,
            widths,
            methods,
            ...(hasDesign ? { design } : {}),
          });
        }
      }
    }
  }
  return jobs;
}

/**
 * Parses a list of non-negative integers with ranges, e.g. `0-9`, `0,1`, `0-4,7`; errors name
 * `flag`.
 *
 * @example
 * ```ts
 * import { parseIntList } from "./grid.ts";
 * if (parseIntList("0-2,5", "classes").join() !== "0,1,2,5") throw new Error();
 * ```
 */
export function parseIntList(text: string, flag: string): number[] {
  const values: number[] = [];
  for (const part of text.split(",")) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!range) {
      throw new Error(`${flag}: '${part}' is not an integer or a range a-b (e.g. ${flag}=0-9)`);
    }
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from) throw new Error(`${flag}: range '${part}' ends before it starts`);
    for (let v = from; v <= to; v++) values.push(v);
  }
  return [...new Set(values)];
}

/**
 * Parses comma-separated positive student widths; errors name `--students`.
 *
 * @example
 * ```ts
 * import { parseWidths } from "./grid.ts";
 * if (parseWidths("8,4").join() !== "8,4") throw new Error();
 * ```
 */
export function parseWidths(text: string): number[] {
  return text.split(",").map((w) => {
    const width = Number(w);
    if (/^\s*[0-9.]+(x[0-9]+|:1)\s*$/.test(w)) {
      throw new Error(
        `--students: '${w}': a sweep takes student widths only (e.g. --students 8,4,2); latent ` +
          `sizes and compression ratios (3x32, 311:1) are for deno task distill`,
      );
    }
    if (w.trim() === "" || !Number.isInteger(width) || width < 1) {
      throw new Error(`--students: '${w}' is not a positive integer width (e.g. --students 8,4,2)`);
    }
    return width;
  });
}

/**
 * Parses comma-separated methods; errors name `--methods` and the accepted ones.
 *
 * @example
 * ```ts
 * import { parseMethods } from "./grid.ts";
 * if (parseMethods("scratch,pkdgan").length !== 2) throw new Error();
 * ```
 */
export function parseMethods(text: string): Method[] {
  return text.split(",").map((m) => {
    if (!(METHODS as readonly string[]).includes(m)) {
      throw new Error(`--methods: '${m}' is not one of ${METHODS.join(", ")}`);
    }
    return m as Method;
  });
}

/**
 * Parses comma-separated datasets; errors name `--dataset` and the accepted ones.
 *
 * @example
 * ```ts
 * import { parseDatasets } from "./grid.ts";
 * if (parseDatasets("mnist,cifar10").join() !== "mnist,cifar10") throw new Error();
 * ```
 */
export function parseDatasets(text: string): DatasetName[] {
  // `--dataset`'s choices are the registry's names (lib/cli/flags.ts reads the same list).
  return text.split(",").map((d) => {
    if (!DATASET_NAMES.includes(d)) {
      throw new Error(`--dataset: '${d}' is not one of ${DATASET_NAMES.join(", ")}`);
    }
    return d as DatasetName;
  });
}

/**
 * Takes `--dataset a,b` (or `--dataset=a,b`) out of `args`, since the shared flag parser accepts a
 * single dataset only: returns the list (or `undefined` when absent) and the remaining args.
 *
 * @example
 * ```ts
 * import { takeDatasets } from "./grid.ts";
 * const { datasets, rest } = takeDatasets(["--dataset", "mnist,cifar10", "--seed", "1"]);
 * if (datasets?.length !== 2 || rest.join(" ") !== "--seed 1") throw new Error();
 * ```
 */
export function takeDatasets(
  args: string[],
): { datasets: DatasetName[] | undefined; rest: string[] } {
  let text: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--dataset") {
      if (args[i + 1] === undefined) throw new Error("--dataset: expected a value");
      text = args[++i];
    } else if (args[i].startsWith("--dataset=")) text = args[i].slice("--dataset=".length);
    else rest.push(args[i]);
  }
  return { datasets: text === undefined ? undefined : parseDatasets(text), rest };
}

/**
 * Reads `key=value` positional arguments (e.g. `classes=0-9 seeds=0,1`) into a record; any other
 * positional or an unknown key is an error naming it and the accepted keys.
 *
 * @example
 * ```ts
 * import { parseKeyValues } from "./grid.ts";
 * const kv = parseKeyValues(["classes=0-9"], ["classes", "seeds"]);
 * if (kv.classes !== "0-9" || kv.seeds !== undefined) throw new Error();
 * ```
 */
export function parseKeyValues(
  positional: string[],
  keys: string[],
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const arg of positional) {
    const eq = arg.indexOf("=");
    const key = eq < 0 ? arg : arg.slice(0, eq);
    if (eq < 0 || !keys.includes(key)) {
      throw new Error(
        `unexpected argument '${arg}'; accepted: ${keys.map((k) => `${k}=...`).join(", ")}`,
      );
    }
    out[key] = arg.slice(eq + 1);
  }
  return out;
}
