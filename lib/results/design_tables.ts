/**
 * results/design/tables.md: the distillation design study (issue 26), read back from its folders
 * (`D-C-sS-VARIANT`, each a `deno task distill` output with `results.json` and `jobs/`) and
 * rendered as a pure function of them.
 *
 * Per dataset and variant: P-KDGAN's gain over the same student trained alone (last epoch, the
 * headline) with its 95 % Student-t interval over classes, the same gain at each method's best
 * test epoch (the reference code's protocol, comparison only), the published gain, and the mean
 * validation agreement of the P-KDGAN students with their teachers (Spearman rank correlation on
 * the validation normals: the criterion of results/README.md, "Choosing the distillation design
 * without the test set"). No figure here is chosen on the test set.
 *
 * @module
 */

import { readJson, readJsonIfPresent } from "../util/json.ts";
import { cpuOf } from "./teacher_runs.ts";
import { join } from "@std/path";
import { BEST_TEST_EPOCH_LABEL, bestTestEpoch } from "../metrics/mod.ts";
import { bestEpochGain, type DistilledStudent } from "./distillations.ts";
import { mean, pct, signed } from "./format.ts";
import { table } from "./markdown.ts";
import type { PaperFigures } from "./paper_figures.ts";
import { type MeanInterval, meanInterval } from "./stats.ts";

/** One distillation of the design study: a class, a variant, its one student. */
export interface DesignCell {
  dataset: string;
  normal: number;
  seed: number;
  /** The design variant (`default`, `latent-keep`, ... `papers`). */
  variant: string;
  student: DistilledStudent;
  /** The P-KDGAN student's validation agreement with its teacher, when its job file has one. */
  agreement: number | null;
  /**
   * P-KDGAN minus scratch at each one's best test epoch under each image's own BatchNorm
   * statistics (comparison only), where both students are scored that way (batch 1, the mode
   * chosen on validation) and their job files have the per-image curve; else null.
   */
  bestEpochPerImageGain?: number | null;
  /** The reference code's protocol taken apart, where both students were scored per image. */
  protocol?: ProtocolGains | null;
  /** The CPU the distillation ran on (`machine` of the folder's `run.json`); null unrecorded. */
  cpu?: string | null;
}

/**
 * P-KDGAN minus scratch (AUC units) under each half of the reference code's protocol, for a class
 * whose students trained at batch 1 and were scored with each image's own statistics (comparison
 * only; read from the job files' per-epoch curves).
 */
export interface ProtocolGains {
  /** Last epoch, moving statistics (the job files' `movingAuc`). */
  lastMoving: number;
  /**
   * Best epoch, moving statistics, over the last stage only for both: P-KDGAN's joint stage
   * (stage 2) and scratch's epochs of the same stage (its last 5 of 15).
   */
  bestMovingStage2: number;
  /** The same under per-image statistics. */
  bestPerImageStage2: number;
  /** Whether P-KDGAN's best per-image epoch is one of stage 1 (its student trained by K alone). */
  perImageBestInStage1: boolean;
  /** Whether scratch's best per-image epoch is one of its stage-1 epochs (the base rate). */
  scratchPerImageBestInStage1: boolean;
}

type EpochRecord = { auc?: number; perImageAuc?: number; stage?: number };

/** The best epoch of `records` by `key` with its stage (the first on ties), or undefined. */
function bestOf(records: EpochRecord[], key: "auc" | "perImageAuc") {
  return bestTestEpoch(records.map((r) => ({ epoch: 0, auc: r[key], stage: r.stage }))) ??
    undefined;
}

/** {@link ProtocolGains} from the two students' job files, or null where it cannot be read. */
function protocolGains(
  pk: { bnStats?: { mode?: string }; movingAuc?: number; history?: EpochRecord[] } | undefined,
  scratch: { bnStats?: { mode?: string }; movingAuc?: number; history?: EpochRecord[] } | undefined,
): ProtocolGains | null {
  if (pk?.bnStats?.mode !== "per-image" || scratch?.bnStats?.mode !== "per-image") return null;
  const [ph, sh] = [pk.history ?? [], scratch.history ?? []];
  const [p2, s2] = [ph.filter((r) => r.stage === 2), sh.filter((r) => r.stage === 2)];
  const [pb, sb] = [bestOf(ph, "perImageAuc"), bestOf(sh, "perImageAuc")];
  const values = [
    pk.movingAuc,
    scratch.movingAuc,
    bestOf(p2, "auc")?.auc,
    bestOf(s2, "auc")?.auc,
    bestOf(p2, "perImageAuc")?.auc,
    bestOf(s2, "perImageAuc")?.auc,
  ];
  if (!pb || !sb || values.some((v) => v === undefined || !Number.isFinite(v))) return null;
  const [pm, sm, p2m, s2m, p2p, s2p] = values as number[];
  return {
    lastMoving: pm - sm,
    bestMovingStage2: p2m - s2m,
    bestPerImageStage2: p2p - s2p,
    perImageBestInStage1: pb.stage === 1,
    scratchPerImageBestInStage1: sb.stage === 1,
  };
}

/** A design study folder's name: dataset, class, seed, variant. */
const FOLDER = /^(mnist|fashion-mnist|cifar10)-(\d+)-s(\d+)-(.+)$/;

/**
 * The cells of a design study folder, sorted by dataset, variant and class; none when the folder
 * holds no study folder yet.
 *
 * @throws {Error} naming the file when a study folder's `results.json` or job file is unreadable.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { loadDesignCells } from "./design_tables.ts";
 * assertEquals(await loadDesignCells(await Deno.makeTempDir()), []);
 * ```
 */
export async function loadDesignCells(dir: string): Promise<DesignCell[]> {
  const cells: DesignCell[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = FOLDER.exec(entry.name);
    if (!entry.isDirectory || !name) continue;
    const folder = join(dir, entry.name);
    const results = await readJson(join(folder, "results.json")) as {
      students: DistilledStudent[];
    };
    const jobs: string[] = [];
    for await (const e of Deno.readDir(join(folder, "jobs"))) jobs.push(e.name);
    type Job = {
      validationAgreement?: { spearman?: number | null };
      bnStats?: { mode?: string };
      bestTestEpochPerImage?: { auc: number } | null;
      movingAuc?: number;
      history?: EpochRecord[];
    };
    const job = async (method: string) => {
      const file = jobs.find((n) => n.endsWith(`-${method}.json`));
      return file ? await readJson(join(folder, "jobs", file)) as Job : undefined;
    };
    const [pk, scratch] = [await job("pkdgan"), await job("scratch")];
    const manifest = await readJsonIfPresent(join(folder, "run.json")) as
      | { machine?: unknown }
      | undefined;
    const perImageBest = (j: Job | undefined) =>
      j?.bnStats?.mode === "per-image" ? j.bestTestEpochPerImage?.auc : undefined;
    const [pkBest, scratchBest] = [perImageBest(pk), perImageBest(scratch)];
    cells.push({
      dataset: name[1],
      normal: Number(name[2]),
      seed: Number(name[3]),
      variant: name[4],
      student: results.students[0],
      agreement: pk?.validationAgreement?.spearman ?? null,
      bestEpochPerImageGain: pkBest !== undefined && scratchBest !== undefined
        ? pkBest - scratchBest
        : null,
      protocol: protocolGains(pk, scratch),
      cpu: cpuOf(manifest?.machine),
    });
  }
  return cells.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || a.variant.localeCompare(b.variant) ||
    a.normal - b.normal
  );
}

/** One class of a design variant with both scratch and P-KDGAN (see {@link designGains}). */
export interface DesignClassGain {
  normal: number;
  seed: number;
  /** P-KDGAN minus scratch, last epoch, AUC units (0.01 = 1 point). */
  gain: number;
  /** The same at each method's best test epoch (comparison only); null without per-epoch AUCs. */
  bestEpochGain: number | null;
  /** The same under each image's own BatchNorm statistics ({@link DesignCell}); else null. */
  bestEpochPerImageGain: number | null;
  /** The P-KDGAN student's Spearman agreement with its teacher on the validation normals. */
  agreement: number | null;
}

/** P-KDGAN's gain over scratch for one dataset and design variant, over its classes. */
export interface DesignGain {
  dataset: string;
  variant: string;
  /** The student (`w3/l32`) and its compression ratio; null when no class is complete. */
  student: { width: number; latent: number; ratio: number } | null;
  /** The classes with both scratch and P-KDGAN, in the cells' order. */
  classes: DesignClassGain[];
  /** Mean gain over `classes`, AUC units; NaN for none. */
  mean: number;
  /**
   * The 95 % Student-t interval of that mean over classes (AUC units); null below 3 classes, as
   * in results/design/tables.md (two classes give t(0.975, 1) = 12.7: no interval worth reading).
   */
  interval: MeanInterval | null;
  /** Mean gain at the best test epoch (comparison only); null unless every class has one. */
  bestEpochMean: number | null;
  /** The same under each image's own BatchNorm statistics; null unless every class has one. */
  bestEpochPerImageMean: number | null;
  /** Mean validation agreement (Spearman) of the classes that have one; null for none. */
  agreement: number | null;
  /** The published gain (AUC units) and the ratio it was published at; null where none is. */
  published: { gain: number; ratio: number } | null;
}

/**
 * P-KDGAN minus scratch per dataset and design variant, in the order the cells first name them:
 * per class, the mean with its 95 % interval over classes, the best-test-epoch mean (the
 * reference code's protocol, comparison only), the mean validation agreement (the figure the
 * rule of results/README.md reads) and the published gain. `designTables` and notebook 05 read
 * the same numbers from here.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 * import { designGains } from "./design_tables.ts";
 * const paper = { auc_percent: {}, compression_ratios: { by_dataset: { mnist: 311.11 } },
 *   student_gain_percent: { values: { mnist: 1.77 } } };
 * const cell = (normal: number, pkdgan: number) => ({ dataset: "mnist", normal, seed: 0,
 *   variant: "default", agreement: 0.5, student: { width: 3, latent: 32, ratio: 315.6,
 *   auc_scratch: 0.9, auc_one_step: 0.88, auc_pkdgan: pkdgan } });
 * const [g] = designGains([cell(2, 0.91), cell(5, 0.92), cell(8, 0.93)], paper);
 * assertAlmostEquals(g.mean, 0.02, 1e-12);
 * // 0.02 ± t(0.975, 2) · 0.01 / √3
 * assertAlmostEquals(g.interval!.low, 0.02 - 4.302652729911275 * 0.01 / Math.sqrt(3), 1e-9);
 * assertEquals([g.classes.length, g.agreement, g.bestEpochMean], [3, 0.5, null]);
 * assertEquals(g.published, { gain: 0.0177, ratio: 311.11 });
 * ```
 */
export function designGains(cells: DesignCell[], paper: PaperFigures): DesignGain[] {
  const complete = (s: DistilledStudent) => s.auc_pkdgan !== null && s.auc_scratch !== null;
  const keys = [...new Set(cells.map((c) => `${c.dataset}|${c.variant}`))];
  return keys.map((key) => {
    const [dataset, variant] = key.split("|");
    const cs = cells.filter((c) => `${c.dataset}|${c.variant}` === key && complete(c.student));
    const classes = cs.map((c) => ({
      normal: c.normal,
      seed: c.seed,
      gain: c.student.auc_pkdgan! - c.student.auc_scratch!,
      bestEpochGain: bestEpochGain(c.student),
      bestEpochPerImageGain: c.bestEpochPerImageGain ?? null,
      agreement: c.agreement,
    }));
    const gains = classes.map((c) => c.gain);
    const best = classes.map((c) => c.bestEpochGain);
    const bestPerImage = classes.map((c) => c.bestEpochPerImageGain);
    const agreements = classes.flatMap((c) => c.agreement === null ? [] : [c.agreement]);
    const s = cs[0]?.student;
    const published = paper.student_gain_percent.values[dataset];
    const ratio = paper.compression_ratios.by_dataset[dataset];
    return {
      dataset,
      variant,
      student: s ? { width: s.width, latent: s.latent, ratio: s.ratio } : null,
      classes,
      mean: mean(gains),
      interval: gains.length >= 3 ? meanInterval(gains) : null,
      bestEpochMean: best.length && best.every((g) => g !== null) ? mean(best as number[]) : null,
      bestEpochPerImageMean: bestPerImage.length && bestPerImage.every((g) => g !== null)
        ? mean(bestPerImage as number[])
        : null,
      agreement: agreements.length ? mean(agreements) : null,
      published: published === undefined ? null : { gain: published / 100, ratio },
    };
  });
}

/** One variant's row of {@link designProtocol}: mean P-KDGAN − scratch (AUC units) per reading. */
export interface DesignProtocolRow {
  dataset: string;
  variant: string;
  classes: { normal: number; seed: number }[];
  /** Last epoch, each image's own statistics: the headline of these students. */
  lastPerImage: number;
  /** Best test epoch, per image (column † of the tables). */
  bestPerImage: number;
  /** Last epoch, moving statistics. */
  lastMoving: number;
  /** Best test epoch, moving statistics: the reference code's protocol (column *). */
  bestMoving: number;
  /** Best per image over the last stage only, for both (P-KDGAN's joint stage). */
  bestPerImageStage2: number;
  /** Best moving over the last stage only, for both. */
  bestMovingStage2: number;
  /** Classes whose P-KDGAN best per-image epoch is a stage-1 one (its student trained by K alone). */
  perImageBestInStage1: number;
  /** The same count for scratch (stage 1 holds 10 of the 15 epochs: the base rate). */
  scratchPerImageBestInStage1: number;
}

/**
 * The reference code's protocol taken apart, per dataset and variant whose students trained at
 * batch 1 and were scored with each image's own statistics: P-KDGAN − scratch at the last or best
 * test epoch under per-image or moving statistics, and with P-KDGAN's best from its joint stage
 * only; comparison only, nothing is chosen on it. `designTables` and notebook 05 read it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { designProtocol } from "./design_tables.ts";
 * assertEquals(designProtocol([]), []);
 * ```
 */
export function designProtocol(cells: DesignCell[]): DesignProtocolRow[] {
  const complete = (c: DesignCell) =>
    c.student.auc_pkdgan !== null && c.student.auc_scratch !== null && !!c.protocol &&
    c.bestEpochPerImageGain != null && bestEpochGain(c.student) !== null;
  const keys = [...new Set(cells.filter(complete).map((c) => `${c.dataset}|${c.variant}`))];
  return keys.map((key) => {
    const cs = cells.filter((c) => `${c.dataset}|${c.variant}` === key && complete(c));
    const m = (f: (c: DesignCell) => number) => mean(cs.map(f));
    const p = (c: DesignCell) => c.protocol!;
    const [dataset, variant] = key.split("|");
    return {
      dataset,
      variant,
      classes: cs.map((c) => ({ normal: c.normal, seed: c.seed })),
      lastPerImage: m((c) => c.student.auc_pkdgan! - c.student.auc_scratch!),
      bestPerImage: m((c) => c.bestEpochPerImageGain!),
      lastMoving: m((c) => p(c).lastMoving),
      bestMoving: m((c) => bestEpochGain(c.student)!),
      bestPerImageStage2: m((c) => p(c).bestPerImageStage2),
      bestMovingStage2: m((c) => p(c).bestMovingStage2),
      perImageBestInStage1: cs.filter((c) => p(c).perImageBestInStage1).length,
      scratchPerImageBestInStage1: cs.filter((c) => p(c).scratchPerImageBestInStage1).length,
    };
  });
}

/**
 * The section "The reference code's protocol, taken apart": for each variant whose students trained
 * at batch 1 and were scored per image, the mean P-KDGAN − scratch under each combination of epoch
 * (last, best) and statistics (per image, moving), P-KDGAN's best from its joint stage only, and
 * how often its best per-image epoch is a stage-1 one. None when no variant has the job files.
 */
function protocolText(cells: DesignCell[]): string[] {
  const rows = designProtocol(cells).map((r) => [
    r.dataset,
    r.variant,
    r.classes.map((c) => `${c.normal}${c.seed ? ` (s${c.seed})` : ""}`).join(", "),
    ...[
      r.lastPerImage,
      r.bestPerImage,
      r.lastMoving,
      r.bestMoving,
      r.bestPerImageStage2,
      r.bestMovingStage2,
    ]
      .map(signed),
    `${r.perImageBestInStage1} / ${r.scratchPerImageBestInStage1} of ${r.classes.length}`,
  ]);
  if (rows.length === 0) return [];
  return [
    "## The reference code's protocol, taken apart (batch-1 students scored per image)",
    "",
    table(
      [
        "dataset",
        "variant",
        "classes",
        "last epoch, per image (headline)",
        "best epoch, per image†",
        "last epoch, moving",
        "best epoch, moving*",
        "best of the last 5 epochs, per image",
        "best of the last 5 epochs, moving",
        "best per-image epoch in the first 10: P-KDGAN / scratch",
      ],
      rows,
    ),
    "",
    "P-KDGAN − scratch, mean over the classes, points of test AUC; comparison only, nothing chosen",
    "on it. The reference code reports each method's best test epoch with the moving BatchNorm",
    "statistics (*); this toolkit's headline is the last epoch with the statistics the validation",
    "normals chose (each image's own, for these students). † changes the epoch only, \"last epoch,",
    'moving" the statistics only, * both. A best epoch is over all 15 epochs, or, where the column',
    "says so, over the last 5 for both methods (P-KDGAN's joint stage, scratch's epochs 11-15).",
    "P-KDGAN's stage 1 (its first 10 epochs) trains its student by K alone; 10 of the 15 epochs being",
    "stage 1, the last column gives scratch's count beside P-KDGAN's as the base rate.",
    "",
  ];
}

/**
 * The design study's classes, fixed on 2026-12-06 before any of their distillations ran
 * (results/README.md, "Choosing the distillation design without the test set"), seed 0.
 */
export const DESIGN_STUDY_CLASSES: Readonly<Record<string, readonly number[]>> = {
  mnist: [0, 2, 5, 8, 9],
  "fashion-mnist": [0, 1, 2, 4, 6],
};

/** The weights of K's three terms as the rule of results/README.md settles them. */
export interface KWeightsDecision {
  /** Study classes (`dataset class`) whose `default` and `kd-weights-50` jobs both have one. */
  compared: string[];
  /** Study classes still missing either, named as `dataset class (variant)`. */
  missing: string[];
  /** Mean validation agreement over `compared`, K weights 1,1,1 (`default`); null for none. */
  unit: number | null;
  /** The same with 1,50,1 (`kd-weights-50`); null for none. */
  image50: number | null;
  /** `1,50,1` only when its mean is higher by more than 0.01 over every study class; else
   * `1,1,1`; null while a study class is missing (the rule reads all of them). */
  chosen: "1,1,1" | "1,50,1" | null;
}

/** How much higher `1,50,1`'s mean agreement must be to replace `1,1,1` (the written rule). */
export const K_WEIGHTS_MARGIN = 0.01;

/**
 * Settles K's weights by the rule written before the study (results/README.md, "Choosing the
 * distillation design without the test set", point 2): over the study's classes
 * ({@link DESIGN_STUDY_CLASSES}, seed 0), the mean Spearman agreement of the P-KDGAN students with
 * their teachers on the validation normals, `1,1,1` (variant `default`) against `1,50,1`
 * (`kd-weights-50`); `1,1,1` stays unless `1,50,1` is higher by more than
 * {@link K_WEIGHTS_MARGIN}. Reads no test figure; undecided (`chosen` null) until every study
 * class has both.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { kWeightsDecision } from "./design_tables.ts";
 * const cell = (variant: string, agreement: number) => ({ dataset: "mnist", normal: 2, seed: 0,
 *   variant, agreement, student: { width: 3, latent: 32, ratio: 315.6, auc_scratch: 0.9,
 *   auc_one_step: 0.88, auc_pkdgan: 0.92 } });
 * const d = kWeightsDecision([cell("default", 0.5), cell("kd-weights-50", 0.52)]);
 * assertEquals([d.compared, d.chosen], [["mnist 2"], null]); // 9 study classes still missing
 * assertEquals(d.missing.length, 18);
 * ```
 */
export function kWeightsDecision(cells: DesignCell[]): KWeightsDecision {
  const agreement = (dataset: string, normal: number, variant: string) =>
    cells.find((c) =>
      c.dataset === dataset && c.normal === normal && c.seed === 0 && c.variant === variant
    )?.agreement ?? null;
  const compared: string[] = [], missing: string[] = [];
  const unit: number[] = [], image50: number[] = [];
  for (const [dataset, classes] of Object.entries(DESIGN_STUDY_CLASSES)) {
    for (const normal of classes) {
      const a = agreement(dataset, normal, "default");
      const b = agreement(dataset, normal, "kd-weights-50");
      if (a === null) missing.push(`${dataset} ${normal} (default)`);
      if (b === null) missing.push(`${dataset} ${normal} (kd-weights-50)`);
      if (a === null || b === null) continue;
      compared.push(`${dataset} ${normal}`);
      unit.push(a);
      image50.push(b);
    }
  }
  const u = unit.length ? mean(unit) : null, w = image50.length ? mean(image50) : null;
  return {
    compared,
    missing,
    unit: u,
    image50: w,
    chosen: missing.length || u === null || w === null
      ? null
      : w - u > K_WEIGHTS_MARGIN
      ? "1,50,1"
      : "1,1,1",
  };
}

/** The decision of {@link kWeightsDecision} as the lines tables.md shows. */
function kWeightsText(d: KWeightsDecision): string[] {
  const figures = d.unit === null || d.image50 === null
    ? "no study class has both yet."
    : `Mean over ${d.compared.length} of 10: 1,1,1 ${d.unit.toFixed(3)}, 1,50,1 ${
      d.image50.toFixed(3)
    } (difference ${d.image50 - d.unit >= 0 ? "+" : ""}${(d.image50 - d.unit).toFixed(3)}; ` +
      `the rule's margin ${K_WEIGHTS_MARGIN}).`;
  return [
    "## K's weights by the rule (validation normals only)",
    "",
    "The rule of results/README.md (point 2): the P-KDGAN students' mean validation agreement over",
    "the study's 10 classes, `default` (1,1,1) against `kd-weights-50` (1,50,1); 1,1,1 stays unless",
    `1,50,1 is higher by more than ${K_WEIGHTS_MARGIN}. ${figures}`,
    "",
    d.chosen ? `**Chosen: ${d.chosen}.**` : `**Not decided yet**: missing ${d.missing.join(", ")}.`,
    "",
  ];
}

/** One dataset's part of {@link defaultDecision}. */
export interface DefaultDatasetVerdict {
  dataset: string;
  /** Its classes (seed 0) where the chosen design has both scratch and P-KDGAN. */
  landed: number[];
  /** Its classes still missing. */
  missing: number[];
  /** Mean P-KDGAN − scratch over `landed`, AUC units; NaN for none. */
  mean: number;
  /** The 95 % interval of that mean over the classes; null below 3 classes. */
  interval: MeanInterval | null;
  /** With every class landed: whether the interval lies above zero; null before. */
  aboveZero: boolean | null;
}

/** What the written rule makes the default of `deno task distill` and `--preset paper`. */
export interface DefaultDecision {
  /** Per dataset of {@link DEFAULT_RULE_DATASETS}, in that order. */
  datasets: DefaultDatasetVerdict[];
  /**
   * `chosen`: the chosen design becomes the default (every dataset's interval above zero);
   * `today`: today's defaults stay (a dataset with every class landed has an interval not above
   * zero, which settles it whatever the others give); null while undecided.
   */
  verdict: "chosen" | "today" | null;
}

/** The datasets the default's rule reads, each over its classes 0-9, seed 0. */
export const DEFAULT_RULE_DATASETS: readonly string[] = ["mnist", "fashion-mnist"];

/**
 * Settles the default of `deno task distill` and `--preset paper` by the rule written in
 * results/README.md ("What 'P-KDGAN wins' means for the default", issue 26 point 5): the chosen
 * design (variant `chosen`) becomes the default only if, on both MNIST and Fashion-MNIST, the 95 %
 * Student-t interval over the 10 classes (seed 0) of P-KDGAN − scratch at the last epoch lies above
 * zero; otherwise today's defaults stay. A dataset whose 10 classes have landed with an interval
 * not above zero settles it at once; with every dataset's above zero it is `chosen`; else undecided.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { defaultDecision } from "./design_tables.ts";
 * const cell = (dataset: string, normal: number, gain: number) => ({ dataset, normal, seed: 0,
 *   variant: "chosen", agreement: 0.6, student: { width: 3, latent: 100, ratio: 255.3,
 *   auc_scratch: 0.9, auc_one_step: 0.9, auc_pkdgan: 0.9 + gain } });
 * const classes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
 * // MNIST: 10 classes, each P-KDGAN 1 to 2 points higher; Fashion-MNIST: 9 of 10 so far
 * const mnist = classes.map((c) => cell("mnist", c, 0.01 + c / 1000));
 * const fashion = classes.slice(0, 9).map((c) => cell("fashion-mnist", c, 0.01));
 * const open = defaultDecision([...mnist, ...fashion]);
 * assertEquals([open.verdict, open.datasets[0].aboveZero, open.datasets[1].missing], [null, true, [9]]);
 * // One dataset whose 10 classes straddle zero settles it: today's defaults stay
 * const mixed = classes.map((c) => cell("fashion-mnist", c, c % 2 ? 0.01 : -0.01));
 * assertEquals(defaultDecision([...mnist, ...mixed]).verdict, "today");
 * ```
 */
export function defaultDecision(cells: DesignCell[]): DefaultDecision {
  const datasets = DEFAULT_RULE_DATASETS.map((dataset) => {
    const gains = new Map<number, number>();
    for (const c of cells) {
      const s = c.student;
      if (
        c.dataset !== dataset || c.variant !== "chosen" || c.seed !== 0 ||
        s.auc_pkdgan === null || s.auc_scratch === null
      ) continue;
      gains.set(c.normal, s.auc_pkdgan - s.auc_scratch);
    }
    const all = Array.from({ length: 10 }, (_, i) => i);
    const landed = all.filter((c) => gains.has(c));
    const values = landed.map((c) => gains.get(c)!);
    const interval = values.length >= 3 ? meanInterval(values) : null;
    return {
      dataset,
      landed,
      missing: all.filter((c) => !gains.has(c)),
      mean: mean(values),
      interval,
      aboveZero: landed.length === 10 ? interval!.low > 0 : null,
    };
  });
  const verdict = datasets.some((d) => d.aboveZero === false)
    ? "today"
    : datasets.every((d) => d.aboveZero === true)
    ? "chosen"
    : null;
  return { datasets, verdict };
}

/** The decision of {@link defaultDecision} as the lines tables.md shows. */
function defaultText(d: DefaultDecision): string[] {
  const lines = d.datasets.map((v) => {
    const where = v.interval
      ? `P-KDGAN − scratch ${signed(v.mean)}, 95 % interval ${signed(v.interval.low)} to ${
        signed(v.interval.high)
      }`
      : v.landed.length
      ? `P-KDGAN − scratch ${signed(v.mean)}, no interval below 3 classes`
      : "no class yet";
    const state = v.aboveZero === null
      ? `open, missing ${v.missing.join(", ")}`
      : v.aboveZero
      ? "above zero"
      : "not above zero";
    return `- ${v.dataset}: ${v.landed.length} of 10 classes, ${where}: **${state}**.`;
  });
  const verdict = d.verdict === "chosen"
    ? "**Decided: the chosen design becomes the default** of `deno task distill` and `--preset paper`."
    : d.verdict === "today"
    ? "**Decided: today's defaults stay**; the chosen design stays one set of flags away " +
      "(results/design/chosen.json), and P-KDGAN does not beat the student trained alone here."
    : "**Not decided yet.**";
  return [
    "## The default by the rule (the chosen design, every class)",
    "",
    "The rule of results/README.md (\"What 'P-KDGAN wins' means for the default\"): the chosen design",
    "becomes the default only if, on both datasets, the 95 % interval over the 10 classes (seed 0)",
    "of P-KDGAN − scratch at the last epoch lies above zero; otherwise today's defaults stay. A",
    "dataset with all 10 classes and an interval not above zero settles it alone.",
    "",
    ...lines,
    "",
    verdict,
    "",
  ];
}

/**
 * The text of results/design/tables.md (before `deno fmt`) from the cells in the order given.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { designTables } from "./design_tables.ts";
 * const paper = { auc_percent: {}, compression_ratios: { by_dataset: { mnist: 311.11 } },
 *   student_gain_percent: { values: { mnist: 1.77 } } };
 * const student = { width: 3, latent: 32, ratio: 315.6, auc_scratch: 0.9, auc_one_step: 0.88,
 *   auc_pkdgan: 0.92 };
 * const text = designTables([{ dataset: "mnist", normal: 2, seed: 0, variant: "default", student,
 *   agreement: 0.81 }], paper);
 * const row = text.split("\n").find((l) => l.startsWith("| mnist   | default"))!;
 * assertStringIncludes(row, "| +2.00 (1 of 1 > 0) |");
 * assertStringIncludes(row, "| 0.810                          | +1.77 at 311.11:1 |");
 * ```
 */
export function designTables(cells: DesignCell[], paper: PaperFigures): string {
  const complete = (s: DistilledStudent) => s.auc_pkdgan !== null && s.auc_scratch !== null;
  const rows = designGains(cells, paper).map((g) => {
    const cs = cells.filter((c) =>
      c.dataset === g.dataset && c.variant === g.variant && complete(c.student)
    );
    const s = g.student;
    return [
      g.dataset,
      g.variant,
      s ? `w${s.width}/l${s.latent} at ${s.ratio.toFixed(1)}:1` : "",
      g.classes.map((c) => `${c.normal}${c.seed ? ` (s${c.seed})` : ""}`).join(", "),
      pct(mean(cs.map((c) => c.student.auc_scratch!))),
      pct(mean(cs.map((c) => c.student.auc_pkdgan!))),
      `${g.classes.length ? signed(g.mean) : ""} (${
        g.classes.filter((c) => c.gain > 0).length
      } of ${g.classes.length} > 0)`,
      g.interval ? `${signed(g.interval.low)} to ${signed(g.interval.high)}` : "",
      g.bestEpochMean === null ? "n/a" : signed(g.bestEpochMean),
      g.bestEpochPerImageMean === null ? "" : signed(g.bestEpochPerImageMean),
      g.agreement === null ? "" : g.agreement.toFixed(3),
      g.published ? `${signed(g.published.gain)} at ${g.published.ratio}:1` : "",
    ];
  });
  const perClass = cells.map((c) => {
    const best = bestEpochGain(c.student);
    return [
      c.dataset,
      String(c.normal),
      String(c.seed),
      c.variant,
      `w${c.student.width}/l${c.student.latent}`,
      pct(c.student.auc_scratch),
      pct(c.student.auc_one_step),
      pct(c.student.auc_pkdgan),
      complete(c.student) ? signed(c.student.auc_pkdgan! - c.student.auc_scratch!) : "",
      best === null ? "n/a" : signed(best),
      c.bestEpochPerImageGain == null ? "" : signed(c.bestEpochPerImageGain),
      c.agreement === null ? "" : c.agreement.toFixed(3),
    ];
  });
  return [
    "<!-- made by `deno task results` from the results.json and job files beside it; do not edit -->",
    "",
    "## P-KDGAN over scratch per design variant (mean over the classes run, test ROC AUC %)",
    "",
    table(
      [
        "dataset",
        "variant",
        "student",
        "classes",
        "scratch",
        "P-KDGAN",
        "P-KDGAN - scratch",
        "its 95 % interval over classes",
        "P-KDGAN - scratch, best test epoch*",
        "the same, per-image BatchNorm†",
        "validation agreement (P-KDGAN)",
        "published",
      ],
      rows,
    ),
    "",
    `Last epoch (the headline) unless marked *: ${BEST_TEST_EPOCH_LABEL}, each method's highest`,
    "per-epoch test AUC with the moving BatchNorm statistics (the reference code scores in eval",
    "mode); never used to choose anything. †: the same under each image's own statistics, for the",
    "variants whose students train at batch 1 and are scored that way (the mode their validation",
    "normals chose): like for like with their last-epoch figures, so it isolates the choice of",
    "epoch, where for these variants * also changes the statistics; blank where a class's student",
    "was scored otherwise. A best epoch is taken over both stages, so P-KDGAN's can be a stage-1",
    "epoch (its student trained by K alone, before the joint stage).",
    "Validation agreement: the mean Spearman rank correlation of the P-KDGAN student's and its",
    "teacher's scores on the validation normals (the rule of results/README.md; no test image).",
    "One-step KD (per class below) enters neither the gain nor the rule; most folders computed it",
    "before the frozen teacher's passes stopped depending on what ran before them in the process",
    '(results/README.md, "Which results come back", names the folders), so two variants that give',
    "it the same flags can differ there.",
    "",
    ...protocolText(cells),
    ...kWeightsText(kWeightsDecision(cells)),
    ...defaultText(defaultDecision(cells)),
    "## Per class",
    "",
    table(
      [
        "dataset",
        "class",
        "seed",
        "variant",
        "student",
        "scratch",
        "one-step KD",
        "P-KDGAN",
        "P-KDGAN - scratch",
        "best test epoch*",
        "per-image BatchNorm†",
        "validation agreement",
      ],
      perClass,
    ),
    "",
  ].join("\n");
}
