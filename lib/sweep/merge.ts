/**
 * Gathering a sweep's job result files (`OUT/jobs/*.json`) into paper-style tables: the teacher's
 * ROC AUC per normal class and on average, and the students' average AUC per width (compression
 * ratio) and method, each as mean ± std over seeds. Written as Markdown and JSON.
 *
 * How mean ± std is taken: per class, over the seeds that class was run with; on average, first
 * the mean over classes within each seed, then mean ± std of those per-seed averages. The std is
 * the sample standard deviation (n - 1); with one seed it is `null` and shown without `±`.
 *
 * @module
 */

import { join } from "@std/path";
import type { Method } from "../distill/pkdgan.ts";
import type { SweepJobResult } from "./runner.ts";
import { designSuffix } from "./grid.ts";
import { DEFAULT_MODEL } from "../models/registry.ts";
import { type MeanStd, meanStd } from "../metrics/statistics.ts";

/** One class's AUC over seeds. */
export interface ClassAuc extends MeanStd {
  normal_class: number;
}

/** AUC per class and on average. */
export interface AucTable {
  per_class: ClassAuc[];
  average: MeanStd;
}

/** One dataset's tables (one per distillation design, when a sweep varied it). */
export interface DatasetTables {
  /**
   * The dataset, followed by the design's id suffix when not the default (`mnist-stage1-kd`) and
   * by the model's name when not EDE-GAN (a campaign's training jobs: `mnist-deep-svdd`).
   */
  dataset: string;
  classes: number[];
  seeds: number[];
  /** The trained model's AUCs, its registered name and (EDE-GAN) width. */
  teacher: AucTable & { model: string; width?: number };
  students: {
    width: number;
    /** Teacher FLOPs / student FLOPs. */
    ratio: number;
    methods: Partial<Record<Method, AucTable>>;
  }[];
}

/** Everything `deno task merge` writes to `tables.json`. */
export interface MergedTables {
  jobs: number;
  presets: string[];
  datasets: DatasetTables[];
  /** Things a reader should know (mixed presets, missing values). */
  warnings: string[];
  std_definition: string;
}

/**
 * Per-class and average AUC from (class, seed, value) points (see the module doc for how).
 *
 * @example
 * ```ts
 * import { aucTable } from "./merge.ts";
 * const t = aucTable([
 *   { normal: 0, seed: 0, value: 0.9 }, { normal: 0, seed: 1, value: 0.8 },
 *   { normal: 1, seed: 0, value: 0.7 }, { normal: 1, seed: 1, value: 0.6 },
 * ]);
 * // per-seed averages 0.8 and 0.7
 * if (Math.abs(t.average.mean! - 0.75) > 1e-12) throw new Error();
 * ```
 */
export function aucTable(points: { normal: number; seed: number; value: number }[]): AucTable {
  const classes = [...new Set(points.map((p) => p.normal))].sort((a, b) => a - b);
  const seeds = [...new Set(points.map((p) => p.seed))].sort((a, b) => a - b);
  const per_class = classes.map((c) => ({
    normal_class: c,
    ...meanStd(points.filter((p) => p.normal === c).map((p) => p.value)),
  }));
  const perSeed = seeds.map((s) => meanStd(points.filter((p) => p.seed === s).map((p) => p.value)));
  return { per_class, average: meanStd(perSeed.map((m) => m.mean!)) };
}

/**
 * Reads every finished job's result file under `out/jobs` (markers and unparsable files are
 * left out), sorted by id.
 *
 * @example
 * ```ts
 * import { readJobResults } from "./merge.ts";
 * if ((await readJobResults(await Deno.makeTempDir())).length !== 0) throw new Error();
 * ```
 */
export async function readJobResults(out: string): Promise<SweepJobResult[]> {
  const dir = join(out, "jobs");
  const results: SweepJobResult[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      // A linked result file (shards gathered with ln -s) is read like a copy.
      if (!(entry.isFile || entry.isSymlink) || !entry.name.endsWith(".json")) continue;
      try {
        const value = JSON.parse(await Deno.readTextFile(join(dir, entry.name)));
        if (typeof value?.teacher?.auc === "number" && Array.isArray(value.students)) {
          results.push(value);
        }
      } catch {
        // a file being written by another machine, or damaged: not finished
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return results.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The tables of a set of job results.
 *
 * @example
 * ```ts
 * import { mergeResults } from "./merge.ts";
 * const tables = mergeResults([{ id: "mnist-c0-s0", dataset: "mnist", normal_class: 0, seed: 0,
 *   teacher: { width: 64, params: 1, mflops: 1, auc: 0.9 }, students: [], seconds: 1,
 *   finished_at: "" }]);
 * if (tables.datasets[0].teacher.average.mean !== 0.9) throw new Error();
 * ```
 */
export function mergeResults(results: SweepJobResult[]): MergedTables {
  const warnings: string[] = [];
  const presets = [...new Set(results.map((r) => r.preset ?? "unknown"))].sort();
  if (presets.length > 1) warnings.push(`job results of several presets mixed: ${presets.join()}`);
  // One table per dataset and design: designs are never averaged together.
  // ... and models never either (a campaign's training jobs record theirs; absent: EDE-GAN).
  const modelOf = (r: SweepJobResult) => r.model ?? DEFAULT_MODEL;
  const tableOf = (r: SweepJobResult) =>
    `${r.dataset}${designSuffix(r.design ?? {})}` +
    (modelOf(r) === DEFAULT_MODEL ? "" : `-${modelOf(r)}`);
  const datasets = [...new Set(results.map(tableOf))].sort();
  const tables = datasets.map((dataset): DatasetTables => {
    const rs = results.filter((r) => tableOf(r) === dataset);
    const teacherWidths = [...new Set(rs.map((r) => r.teacher.width))];
    if (teacherWidths.length > 1) {
      warnings.push(`${dataset}: teachers of several widths mixed: ${teacherWidths.join()}`);
    }
    const widths = [...new Set(rs.flatMap((r) => r.students.map((s) => s.width)))]
      .sort((a, b) => b - a);
    return {
      dataset,
      classes: [...new Set(rs.map((r) => r.normal_class))].sort((a, b) => a - b),
      seeds: [...new Set(rs.map((r) => r.seed))].sort((a, b) => a - b),
      teacher: {
        model: modelOf(rs[0]),
        ...(teacherWidths[0] !== undefined ? { width: teacherWidths[0] } : {}),
        ...aucTable(
          rs.map((r) => ({ normal: r.normal_class, seed: r.seed, value: r.teacher.auc })),
        ),
      },
      students: widths.map((width) => {
        const rows = rs.flatMap((r) =>
          r.students.filter((s) => s.width === width).map((s) => ({ r, s }))
        );
        const methods = [...new Set(rows.flatMap(({ s }) => Object.keys(s.auc)))] as Method[];
        const entries = methods.map((m) => {
          const points = rows.flatMap(({ r, s }) => {
            const value = s.auc[m];
            return typeof value === "number"
              ? [{ normal: r.normal_class, seed: r.seed, value }]
              : [];
          });
          if (points.length < rows.length) {
            warnings.push(
              `${dataset} w${width} ${m}: ${rows.length - points.length} of ${rows.length} ` +
                `jobs without an AUC`,
            );
          }
          return [m, aucTable(points)] as const;
        });
        return { width, ratio: rows[0].s.ratio, methods: Object.fromEntries(entries) };
      }),
    };
  });
  return {
    jobs: results.length,
    presets,
    datasets: tables,
    warnings,
    std_definition: "sample std (n - 1) over seeds; the average is taken over classes within " +
      "each seed first",
  };
}

/**
 * An AUC as a percentage `mean ± std` with two decimals (`-` when missing).
 *
 * @example
 * ```ts
 * import { formatAuc } from "./merge.ts";
 * if (formatAuc({ mean: 0.978, std: 0.0012, n: 2 }) !== "97.80 ± 0.12") throw new Error();
 * ```
 */
export function formatAuc(m: MeanStd): string {
  if (m.mean === null) return "-";
  const mean = (m.mean * 100).toFixed(2);
  return m.std === null ? mean : `${mean} ± ${(m.std * 100).toFixed(2)}`;
}

/**
 * The tables as Markdown: per dataset, the teacher's AUC (%) per class and on average, then the
 * students' average AUC (%) per width and ratio (rows) and method (columns).
 *
 * @example
 * ```ts
 * import { mergeResults, tablesMarkdown } from "./merge.ts";
 * const md = tablesMarkdown(mergeResults([]));
 * if (!md.startsWith("#")) throw new Error();
 * ```
 */
export function tablesMarkdown(tables: MergedTables): string {
  const lines = [
    "# Sweep results",
    "",
    `${tables.jobs} job results; preset ${tables.presets.join(", ") || "-"}. ROC AUC in %, ` +
    `mean ± ${tables.std_definition}.`,
  ];
  for (const d of tables.datasets) {
    const seeds = `seeds ${d.seeds.join(", ")}`;
    const model = d.teacher.model === DEFAULT_MODEL ? "EDE-GAN" : d.teacher.model;
    const width = d.teacher.width !== undefined ? `, width ${d.teacher.width}` : "";
    lines.push("", `## ${d.dataset}: teacher (${model}${width}), ${seeds}`, "");
    lines.push(row(["class", ...d.teacher.per_class.map((c) => String(c.normal_class)), "avg"]));
    lines.push(row(["---", ...d.teacher.per_class.map(() => "---:"), "---:"]));
    lines.push(row(["AUC", ...d.teacher.per_class.map(formatAuc), formatAuc(d.teacher.average)]));
    if (d.students.length === 0) continue;
    const methods = [...new Set(d.students.flatMap((s) => Object.keys(s.methods)))] as Method[];
    lines.push("", `## ${d.dataset}: students, AUC averaged over classes ${d.classes.join(", ")}`);
    lines.push("");
    lines.push(row(["student", "ratio", ...methods]));
    lines.push(row(["---", "---:", ...methods.map(() => "---:")]));
    lines.push(row(["teacher", "1:1", ...methods.map(() => formatAuc(d.teacher.average))]));
    for (const s of d.students) {
      lines.push(row([
        `w${s.width}`,
        `${s.ratio.toFixed(2)}:1`,
        ...methods.map((m) => s.methods[m] ? formatAuc(s.methods[m]!.average) : "-"),
      ]));
    }
  }
  if (tables.warnings.length > 0) {
    lines.push("", "## Warnings", "", ...tables.warnings.map((w) => `- ${w}`));
  }
  return lines.join("\n") + "\n";
}

/**
 * One Markdown table row. Written by hand, not with npm `markdown-table` (which the tasks use): the
 * committed tables.md files are this exact text, and `deno task merge` over committed results must
 * rewrite them byte for byte.
 */
function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}
