/**
 * results/students/tables.md as a pure function of the distillations (`loadDistillations`) and
 * the published figures: per dataset and ratio (the papers' student tables), P-KDGAN's gain
 * against the teacher's lead, and per class.
 *
 * Every figure is the last epoch's test ROC AUC in % of a student trained from scratch, by
 * one-step KD and by P-KDGAN (10 epochs from the frozen teacher, then 5 jointly), at one of the
 * papers' compression ratios (teacher FLOPs / student FLOPs; the nearest architecture to the
 * asked ratio, so 311.11:1 is w3/l32 at 315.6:1 on the width-64 teacher). Nothing is chosen on
 * the test set. Beside the last-epoch gain, the gain at each method's best test epoch (the
 * reference code's protocol, for comparison with published figures only): "n/a" for distillations
 * whose job files kept no per-epoch AUCs.
 *
 * @module
 */

import { BEST_TEST_EPOCH_LABEL } from "../metrics/mod.ts";
import {
  bestEpochGain,
  type Distillation,
  gainByTeacherLead,
  type GainGroup,
  nearestRatio,
  studentsByRatio,
} from "./distillations.ts";
import { arch, gainInterval, mean, pct, signed } from "./format.ts";
import { table } from "./markdown.ts";
import type { PaperFigures } from "./paper_figures.ts";

/** A best-test-epoch figure, or "n/a" where the job files kept no per-epoch AUCs. */
const orNa = (x: number | null | undefined, show: (x: number) => string) =>
  typeof x === "number" ? show(x) : "n/a";

/**
 * The text of results/students/tables.md (before `deno fmt`).
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { studentTables } from "./student_tables.ts";
 * const paper = { auc_percent: {}, compression_ratios: { by_dataset: { mnist: 311.11 } },
 *   student_gain_percent: { values: {} } };
 * const run = { dataset: "mnist", normal_class: 3, seed: 0, teacher: { width: 64, auc: 0.96 },
 *   students: [{ width: 3, latent: 32, ratio: 315.6, auc_scratch: 0.9, auc_one_step: 0.88,
 *     auc_pkdgan: 0.91 }] };
 * assertStringIncludes(studentTables([run], paper), "| 90.00   | 88.00       | 91.00   | +1.00 ");
 * ```
 */
export function studentTables(runs: Distillation[], paper: PaperFigures): string {
  const published: Record<string, string> = Object.fromEntries(
    Object.entries(paper.student_gain_percent.values).map(([d, gain]) => [
      d,
      `students ${paper.auc_percent[d]?.["p-kdgan student"]?.value.toFixed(2)} at ${
        paper.compression_ratios.by_dataset[d]
      }:1; P-KDGAN ${gain >= 0 ? "+" : ""}${gain.toFixed(2)} over scratch`,
    ]),
  );

  const perClass = table(
    [
      "dataset",
      "class",
      "seed",
      "teacher",
      "student",
      "ratio",
      "scratch",
      "one-step KD",
      "P-KDGAN",
      "P-KDGAN - scratch",
      "best test epoch*: scratch",
      "one-step KD",
      "P-KDGAN",
      "P-KDGAN - scratch",
    ],
    runs.flatMap((r) =>
      r.students.map((s) => [
        r.dataset,
        String(r.normal_class),
        String(r.seed),
        pct(r.teacher.auc),
        arch(s),
        `${s.ratio.toFixed(1)}:1`,
        pct(s.auc_scratch),
        pct(s.auc_one_step),
        pct(s.auc_pkdgan),
        s.auc_pkdgan !== null && s.auc_scratch !== null ? signed(s.auc_pkdgan - s.auc_scratch) : "",
        orNa(s.best_epoch_auc_scratch, pct),
        orNa(s.best_epoch_auc_one_step, pct),
        orNa(s.best_epoch_auc_pkdgan, pct),
        orNa(bestEpochGain(s), signed),
      ])
    ),
  );

  const byRatio = studentsByRatio(runs);
  /** Whether a row is the architecture nearest its dataset's published ratio. */
  const nearestPublished = (r: (typeof byRatio)[number]) =>
    nearestRatio(
      byRatio.filter((x) => x.dataset === r.dataset),
      paper.compression_ratios.by_dataset[r.dataset],
    ) === r;
  const summary = table(
    [
      "dataset",
      "student",
      "ratio",
      "classes",
      "teacher",
      "scratch",
      "one-step KD",
      "P-KDGAN",
      "P-KDGAN - scratch",
      "its 95 % interval over classes",
      "P-KDGAN - scratch, best test epoch*",
      "published",
    ],
    byRatio.map((r) => [
      r.dataset,
      `w${r.width}/l${r.latent}`,
      `${r.ratio.toFixed(1)}:1`,
      `${r.classes.length} (${r.classes.join(", ")})`,
      pct(r.teacher),
      pct(r.scratch),
      pct(r.oneStep),
      pct(r.pkdgan),
      `${signed(mean(r.gains))} (${r.gains.filter((g) => g > 0).length} of ${r.gains.length} > 0)`,
      gainInterval(r.gains),
      r.bestEpochGains ? signed(mean(r.bestEpochGains)) : "n/a",
      nearestPublished(r) ? published[r.dataset] ?? "" : "",
    ]),
  );

  // Does P-KDGAN's gain need a teacher well ahead of its student? (split at a 1-point lead)
  const lead = gainByTeacherLead(runs);
  const leadRow = (label: string, g: GainGroup) => [
    label,
    String(g.students),
    String(g.above),
    g.students ? signed(g.mean) : "",
    g.students ? signed(g.median) : "",
  ];
  const leadSection = lead.ahead.students + lead.close.students >= 3
    ? [
      "## P-KDGAN's gain against the teacher's lead",
      "",
      "Each student of every class and ratio: the teacher's lead over the same student trained alone",
      "(teacher - scratch) and P-KDGAN's gain (P-KDGAN - scratch), in points. If the papers' gain",
      "needs a teacher well ahead of its student, it shows where the lead is large.",
      "",
      table(
        [
          "teacher - scratch",
          "students",
          "P-KDGAN above scratch",
          "P-KDGAN - scratch, mean",
          "median",
        ],
        [leadRow("1 point or more", lead.ahead), leadRow("under 1 point", lead.close)],
      ),
      "",
      `Pearson's r between lead and gain over the ${
        lead.ahead.students + lead.close.students
      } students: ${lead.r.toFixed(2)}.`,
      "",
    ]
    : [];

  return [
    "<!-- made by `deno task results` from the results.json files beside it; do not edit -->",
    "",
    "## Per dataset and ratio (mean over the classes run, test ROC AUC %)",
    "",
    summary,
    "",
    `Figures are the last epoch's (the headline). *: ${BEST_TEST_EPOCH_LABEL}: each method's`,
    "highest per-epoch test AUC, as the code the papers build on reports; never used to choose",
    "anything. n/a: these distillations ran before job files kept per-epoch test AUCs.",
    "",
    ...leadSection,
    "## Per class",
    "",
    `*: ${BEST_TEST_EPOCH_LABEL}.`,
    "",
    perClass,
    "",
  ].join("\n");
}
