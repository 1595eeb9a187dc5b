/**
 * The published distillations (results/students: one folder per teacher, each with the
 * `results.json` of `deno task distill`) read back, with the student nearest a published ratio.
 *
 * @module
 */

import { join } from "@std/path";
import { meanStd } from "../metrics/statistics.ts";
import { pearson } from "../viz/analysis.ts";
import { median } from "./stats.ts";
import { readJson, readJsonIfPresent } from "../util/json.ts";
import { cpuOf } from "./teacher_runs.ts";

/** One student architecture of a distillation, its three training methods' last-epoch AUCs. */
export interface DistilledStudent {
  width: number;
  latent: number;
  /** Compression ratio: teacher FLOPs / student FLOPs along the scoring path. */
  ratio: number;
  auc_scratch: number | null;
  auc_one_step: number | null;
  auc_pkdgan: number | null;
  /**
   * The best per-epoch test AUC of each method (the reference code's protocol, for comparison
   * with published figures only); absent or null in distillations run before job files kept
   * per-epoch AUCs.
   */
  best_epoch_auc_scratch?: number | null;
  best_epoch_auc_one_step?: number | null;
  best_epoch_auc_pkdgan?: number | null;
}

/** One distillation (`results.json` of `deno task distill`): a teacher and its students. */
export interface Distillation {
  dataset: string;
  normal_class: number;
  seed: number;
  teacher: { width: number; auc: number };
  students: DistilledStudent[];
  /**
   * The CPU the distillation ran on (`machine.cpu` of the `run.json` beside `results.json`); null
   * where that manifest is missing or has none.
   */
  cpu?: string | null;
}

/**
 * Every distillation under `dir` (one folder per teacher holding `results.json`), sorted by
 * dataset, class and seed.
 *
 * @throws {Error} naming the file when a folder lacks `results.json` or it is not JSON.
 *
 * @example
 * ```ts
 * import { loadDistillations } from "./distillations.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/mnist-2-b64-s0`);
 * await Deno.writeTextFile(`${dir}/mnist-2-b64-s0/results.json`, JSON.stringify({
 *   dataset: "mnist", normal_class: 2, seed: 0, teacher: { width: 64, auc: 0.92 },
 *   students: [{ width: 3, latent: 32, ratio: 315.6, auc_scratch: 0.93, auc_one_step: 0.77,
 *     auc_pkdgan: 0.89 }],
 * }));
 * const [d] = await loadDistillations(dir);
 * if (d.students[0].ratio !== 315.6) throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadDistillations(dir: string): Promise<Distillation[]> {
  const out: Distillation[] = [];
  for await (const entry of Deno.readDir(dir)) {
    // A hidden folder is none of them (a folder being landed: lib/sweep/campaign.ts).
    if (!entry.isDirectory || entry.name.startsWith(".")) continue;
    const results = await readJson(join(dir, entry.name, "results.json")) as Distillation;
    const manifest = await readJsonIfPresent(join(dir, entry.name, "run.json")) as
      | { machine?: unknown }
      | undefined;
    out.push({ ...results, cpu: cpuOf(manifest?.machine) });
  }
  return out.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || a.normal_class - b.normal_class || a.seed - b.seed
  );
}

/**
 * The item whose compression ratio is nearest `ratio` on a log scale (the first of a tie);
 * undefined when there is none. The papers' ratios are met by the nearest architecture: 311.11:1
 * is width 3, latent 32, at 315.6:1 on the width-64 teacher.
 *
 * @example
 * ```ts
 * import { nearestRatio } from "./distillations.ts";
 * if (nearestRatio([{ ratio: 24.4 }, { ratio: 315.6 }, { ratio: 655.4 }], 700)?.ratio !== 655.4) {
 *   throw new Error();
 * }
 * ```
 */
export function nearestRatio<T extends { ratio: number }>(
  items: readonly T[],
  ratio: number,
): T | undefined {
  const off = (x: T) => Math.abs(Math.log(x.ratio / ratio));
  return items.reduce<T | undefined>(
    (best, x) => best === undefined || off(x) < off(best) ? x : best,
    undefined,
  );
}

/**
 * The student of a distillation nearest `ratio` ({@link nearestRatio}).
 *
 * @throws {RangeError} when the distillation has no student.
 *
 * @example
 * ```ts
 * import { nearestStudent } from "./distillations.ts";
 * const s = (ratio: number) => ({ width: 1, latent: 1, ratio, auc_scratch: null,
 *   auc_one_step: null, auc_pkdgan: null });
 * const d = { dataset: "mnist", normal_class: 0, seed: 0, teacher: { width: 64, auc: 0.9 },
 *   students: [s(24.4), s(315.6), s(655.4)] };
 * if (nearestStudent(d, 700).ratio !== 655.4) throw new Error();
 * ```
 */
export function nearestStudent(d: Distillation, ratio: number): DistilledStudent {
  const nearest = nearestRatio(d.students, ratio);
  if (!nearest) throw new RangeError(`${d.dataset} class ${d.normal_class}: no student`);
  return nearest;
}

/** The students of one architecture over the classes of one dataset (see {@link studentsByRatio}). */
export interface RatioSummary {
  dataset: string;
  width: number;
  latent: number;
  /** The architecture's compression ratio (the same teacher width everywhere). */
  ratio: number;
  /** The normal classes with every method's AUC, in order. */
  classes: number[];
  /** Means over those classes, AUC in [0, 1]. */
  teacher: number;
  scratch: number;
  oneStep: number;
  pkdgan: number;
  /** P-KDGAN minus scratch per class, in the order of `classes`. */
  gains: number[];
  /**
   * P-KDGAN minus scratch per class at each method's best test epoch (the reference code's
   * protocol, comparison only), in the order of `classes`; null unless every class has both.
   */
  bestEpochGains: number[] | null;
}

/**
 * A student's P-KDGAN gain over scratch at each method's best test epoch (the reference code's
 * protocol: for comparison with published figures only, never to choose anything), or null when
 * its distillation kept no per-epoch AUCs.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { bestEpochGain } from "./distillations.ts";
 * const s = { width: 3, latent: 32, ratio: 315.6, auc_scratch: 0.9, auc_one_step: 0.8,
 *   auc_pkdgan: 0.85, best_epoch_auc_scratch: 0.93, best_epoch_auc_pkdgan: 0.95 };
 * assertAlmostEquals(bestEpochGain(s)!, 0.02, 1e-12);
 * ```
 */
export function bestEpochGain(s: DistilledStudent): number | null {
  const pk = s.best_epoch_auc_pkdgan, scratch = s.best_epoch_auc_scratch;
  return typeof pk === "number" && typeof scratch === "number" ? pk - scratch : null;
}

/**
 * The per-ratio view of the papers' student tables: for each dataset and student architecture,
 * the mean over classes of the teacher's and each method's last-epoch AUC, and P-KDGAN's gain
 * over the same student trained alone per class. Only students with all three methods count.
 *
 * @example
 * ```ts
 * import { studentsByRatio } from "./distillations.ts";
 * const d = (c: number, scratch: number) => ({ dataset: "mnist", normal_class: c, seed: 0,
 *   teacher: { width: 64, auc: 0.9 }, students: [{ width: 3, latent: 32, ratio: 315.6,
 *   auc_scratch: scratch, auc_one_step: 0.8, auc_pkdgan: 0.9 }] });
 * const [row] = studentsByRatio([d(0, 0.85), d(1, 0.95)]);
 * if (row.classes.join() !== "0,1" || Math.abs(row.gains[0] - 0.05) > 1e-12) throw new Error();
 * ```
 */
export function studentsByRatio(distillations: Distillation[]): RatioSummary[] {
  const mean = (xs: number[]) => meanStd(xs).mean!;
  const out: RatioSummary[] = [];
  for (const dataset of [...new Set(distillations.map((d) => d.dataset))]) {
    const of = distillations.filter((d) => d.dataset === dataset);
    const archs = [...new Set(of.flatMap((d) => d.students.map((s) => `${s.width}/${s.latent}`)))];
    for (const a of archs) {
      const cells = of.flatMap((d) =>
        d.students.filter((s) =>
          `${s.width}/${s.latent}` === a && s.auc_scratch !== null &&
          s.auc_one_step !== null && s.auc_pkdgan !== null
        ).map((s) => ({ d, s }))
      );
      if (cells.length === 0) continue;
      out.push({
        dataset,
        width: cells[0].s.width,
        latent: cells[0].s.latent,
        ratio: cells[0].s.ratio,
        classes: cells.map(({ d }) => d.normal_class),
        teacher: mean(cells.map(({ d }) => d.teacher.auc)),
        scratch: mean(cells.map(({ s }) => s.auc_scratch!)),
        oneStep: mean(cells.map(({ s }) => s.auc_one_step!)),
        pkdgan: mean(cells.map(({ s }) => s.auc_pkdgan!)),
        gains: cells.map(({ s }) => s.auc_pkdgan! - s.auc_scratch!),
        bestEpochGains: cells.every(({ s }) => bestEpochGain(s) !== null)
          ? cells.map(({ s }) => bestEpochGain(s)!)
          : null,
      });
    }
  }
  return out;
}

/** P-KDGAN's gains over scratch for one group of students (see {@link gainByTeacherLead}). */
export interface GainGroup {
  students: number;
  /** Students whose P-KDGAN AUC is above the same student trained alone. */
  above: number;
  /** Mean and median of P-KDGAN − scratch, AUC units; NaN for an empty group. */
  mean: number;
  median: number;
}

/**
 * Does P-KDGAN's gain need a teacher well ahead of its student? Every student with all three
 * methods (class x ratio), split by the teacher's lead over the same student trained alone
 * (teacher − scratch) at `threshold` (AUC units; 0.01 = 1 point), with Pearson's r between lead
 * and gain over all of them (NaN below two students).
 *
 * @example
 * ```ts
 * import { gainByTeacherLead } from "./distillations.ts";
 * const d = (c: number, scratch: number, pkdgan: number) => ({ dataset: "mnist", normal_class: c,
 *   seed: 0, teacher: { width: 64, auc: 0.95 }, students: [{ width: 3, latent: 32, ratio: 315.6,
 *   auc_scratch: scratch, auc_one_step: 0.8, auc_pkdgan: pkdgan }] });
 * const g = gainByTeacherLead([d(0, 0.9, 0.92), d(1, 0.96, 0.95)]);
 * if (g.ahead.students !== 1 || g.ahead.above !== 1 || g.close.above !== 0) throw new Error();
 * if (Math.abs(g.r - 1) > 1e-12) throw new Error();
 * ```
 */
export function gainByTeacherLead(
  distillations: Distillation[],
  threshold = 0.01,
): { ahead: GainGroup; close: GainGroup; r: number } {
  const pairs = distillations.flatMap((d) =>
    d.students.filter((s) =>
      s.auc_scratch !== null && s.auc_one_step !== null && s.auc_pkdgan !== null
    ).map((s) => ({ lead: d.teacher.auc - s.auc_scratch!, gain: s.auc_pkdgan! - s.auc_scratch! }))
  );
  const group = (ps: typeof pairs): GainGroup => ({
    students: ps.length,
    above: ps.filter((p) => p.gain > 0).length,
    mean: meanStd(ps.map((p) => p.gain)).mean ?? NaN,
    median: median(ps.map((p) => p.gain)),
  });
  return {
    ahead: group(pairs.filter((p) => p.lead >= threshold)),
    close: group(pairs.filter((p) => p.lead < threshold)),
    r: pairs.length >= 2 ? pearson(pairs.map((p) => p.lead), pairs.map((p) => p.gain)) : NaN,
  };
}
