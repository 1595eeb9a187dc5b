/**
 * The README's table of the quick-preset sweeps (`results/reproduce-*-quick/`): per dataset, the
 * teacher's and each student width's average ROC AUC over the classes, mean ± sample std over
 * seeds, for scratch, one-step KD and P-KDGAN, read from each folder's `tables.json` (what
 * `deno task merge` writes; see `lib/sweep/merge.ts` for how mean ± std is taken).
 *
 * @module
 */

import type { AucTable, MergedTables } from "../sweep/merge.ts";
import { table } from "./markdown.ts";
import { pct } from "./format.ts";

/** Display names of the datasets, in the table's order. */
const DATASET_NAMES: Record<string, string> = { mnist: "MNIST", "fashion-mnist": "Fashion-MNIST" };

/** `mean ± std` in % (two decimals), or the mean alone with one seed. */
const meanPm = (t: AucTable | undefined): string => {
  const m = t?.average;
  if (!m || m.mean === null || m.mean === undefined) return "";
  return m.std === null || m.std === undefined ? pct(m.mean) : `${pct(m.mean)} ± ${pct(m.std)}`;
};

/**
 * The `quick` block of `results/README.md`: one Markdown table over the merged tables of the
 * quick sweeps (each dataset's default design only), rows in the order given, students in the
 * order of their widths (widest first), between the `<!-- quick:start` and `<!-- quick:end -->`
 * markers.
 *
 * @throws {Error} naming the dataset when its tables hold no teacher average.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { quickBlock } from "./quick_tables.ts";
 * const auc = (mean: number, std: number) => ({ per_class: [], average: { mean, std, n: 2 } });
 * const block = quickBlock([{
 *   jobs: 2, presets: ["quick"], warnings: [], std_definition: "",
 *   datasets: [{
 *     dataset: "mnist", classes: [0], seeds: [0, 1],
 *     teacher: { model: "ede-gan", width: 32, ...auc(0.9, 0.01) },
 *     students: [{ width: 8, ratio: 13.09, methods: { scratch: auc(0.91, 0.02) } }],
 *   }],
 * }]);
 * const row = block.split("\n")[4].split("|").map((cell) => cell.trim());
 * assertEquals(row.slice(1, 8),
 *   ["MNIST", "90.00 ± 1.00 (w32)", "w8", "13.09:1", "91.00 ± 2.00", "", ""]);
 * ```
 */
export function quickBlock(sweeps: MergedTables[]): string {
  const rows: string[][] = [];
  for (const sweep of sweeps) {
    for (const d of sweep.datasets) {
      if (!(d.dataset in DATASET_NAMES)) continue; // a varied design or another model
      const teacher = meanPm(d.teacher);
      if (teacher === "") throw new Error(`quick tables of ${d.dataset}: no teacher average`);
      const students = [...d.students].sort((a, b) => b.width - a.width);
      students.forEach((s, i) =>
        rows.push([
          i === 0 ? DATASET_NAMES[d.dataset] : "",
          i === 0 ? `${teacher} (w${d.teacher.width})` : "",
          `w${s.width}`,
          `${s.ratio.toFixed(2)}:1`,
          meanPm(s.methods.scratch),
          meanPm(s.methods["one-step"]),
          meanPm(s.methods.pkdgan),
        ])
      );
    }
  }
  return [
    "<!-- quick:start (made by `deno task results` from reproduce-*-quick/tables.json; do not edit) -->",
    "",
    table(["dataset", "teacher", "student", "ratio", "scratch", "one-step KD", "P-KDGAN"], rows),
    "",
    "<!-- quick:end -->",
  ].join("\n");
}
