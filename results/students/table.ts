/**
 * Builds results/students/tables.md from the results.json of every distillation in this folder
 * (one folder per teacher, `D-C-b64-sS`, written by `deno task distill`; see queue.sh):
 * `deno run -A results/students/table.ts && deno fmt results/students` (then the README headline:
 * `deno run -A results/summary.ts`).
 *
 * Every figure is the last epoch's test ROC AUC in % of a student trained from scratch, by
 * one-step KD and by P-KDGAN (10 epochs from the frozen teacher, then 5 jointly), at one of the
 * papers' compression ratios (teacher FLOPs / student FLOPs; the nearest architecture to the
 * asked ratio, so 311.11:1 is w3/l32 at 315.6:1 on the width-64 teacher). Nothing is chosen on
 * the test set.
 */
import {
  loadDistillations,
  meanInterval,
  nearestRatio,
  studentsByRatio,
} from "../../lib/results/mod.ts";
import { arch, mean, pct, signed } from "../_format.ts";

/** Published means over classes (P-KDGAN, IJCAI 2020 and arXiv 2109.07295). */
const PUBLISHED: Record<string, string> = {
  mnist: "students 97.25 at 311:1; P-KDGAN +1.77 over scratch",
  "fashion-mnist": "students 92.93 at 700:1; P-KDGAN +1.73 over scratch",
};

const dir = new URL(".", import.meta.url).pathname;
const runs = await loadDistillations(dir);

const perClass = [
  "| dataset | class | seed | teacher | student | ratio | scratch | one-step KD | P-KDGAN | P-KDGAN - scratch |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...runs.flatMap((r) =>
    r.students.map((s) =>
      `| ${r.dataset} | ${r.normal_class} | ${r.seed} | ${pct(r.teacher.auc)} | ${arch(s)} | ${
        s.ratio.toFixed(1)
      }:1 | ${pct(s.auc_scratch)} | ${pct(s.auc_one_step)} | ${pct(s.auc_pkdgan)} | ${
        s.auc_pkdgan !== null && s.auc_scratch !== null ? signed(s.auc_pkdgan - s.auc_scratch) : ""
      } |`
    )
  ),
];

const byRatio = studentsByRatio(runs);
/** The papers' headline ratio of each dataset. */
const PUBLISHED_RATIO: Record<string, number> = JSON.parse(
  await Deno.readTextFile(new URL("../paper_figures.json", import.meta.url)),
).compression_ratios.by_dataset;
/** Whether a row is the architecture nearest its dataset's published ratio. */
const nearestPublished = (r: (typeof byRatio)[number]) =>
  nearestRatio(byRatio.filter((x) => x.dataset === r.dataset), PUBLISHED_RATIO[r.dataset]) === r;
/** The 95 % Student-t interval of the mean gain over classes, in points; empty below 3 classes. */
const interval = (gains: number[]) => {
  const ci = gains.length >= 3 ? meanInterval(gains) : null;
  return ci ? `${signed(ci.low)} to ${signed(ci.high)}` : "";
};
const summaryRows = byRatio.map((r) =>
  `| ${r.dataset} | w${r.width}/l${r.latent} | ${r.ratio.toFixed(1)}:1 | ${r.classes.length} (${
    r.classes.join(", ")
  }) | ${pct(r.teacher)} | ${pct(r.scratch)} | ${pct(r.oneStep)} | ${pct(r.pkdgan)} | ${
    signed(mean(r.gains))
  } (${r.gains.filter((g) => g > 0).length} of ${r.gains.length} > 0) | ${interval(r.gains)} | ${
    nearestPublished(r) ? PUBLISHED[r.dataset] ?? "" : ""
  } |`
);

const text = [
  "<!-- made by table.ts from the results.json files beside it; do not edit -->",
  "",
  "## Per dataset and ratio (mean over the classes run, test ROC AUC %)",
  "",
  "| dataset | student | ratio | classes | teacher | scratch | one-step KD | P-KDGAN | P-KDGAN - scratch | its 95 % interval over classes | published |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...summaryRows,
  "",
  "## Per class",
  "",
  ...perClass,
  "",
].join("\n");
await Deno.writeTextFile(`${dir}/tables.md`, text);
console.log(text);
