/**
 * Builds results/design/tables.md from the distillations of the design study (issue 26; written
 * by results/students/design_queue.sh into `runs/design/D-C-sS-VARIANT`, landed here without
 * their checkpoints: `rsync -a --exclude '*.checkpoint*' --exclude '*.log' runs/design/
 * results/design/`), then `deno run -A results/design/table.ts && deno fmt results/design`.
 *
 * Per dataset and variant: P-KDGAN's gain over the same student trained alone (last epoch, the
 * headline) with its 95 % Student-t interval over classes, the same gain at each method's best
 * test epoch (the reference code's protocol, comparison only), the published gain, and the mean
 * validation agreement of the P-KDGAN students with their teachers (Spearman rank correlation on
 * the validation normals: the criterion of results/README.md, "Choosing the distillation design
 * without the test set"). No figure here is chosen on the test set.
 */
import { join } from "@std/path";
import { bestEpochGain, type DistilledStudent } from "../../lib/results/mod.ts";
import { BEST_TEST_EPOCH_LABEL } from "../../lib/metrics/mod.ts";
import { gainInterval, mean, pct, signed } from "../_format.ts";

const paper = JSON.parse(
  await Deno.readTextFile(new URL("../paper_figures.json", import.meta.url)),
) as {
  compression_ratios: { by_dataset: Record<string, number> };
  student_gain_percent: { values: Record<string, number> };
};

/** One distillation of the study: a class, a variant, its one student. */
interface Cell {
  dataset: string;
  normal: number;
  seed: number;
  variant: string;
  student: DistilledStudent;
  /** The P-KDGAN student's validation agreement with its teacher, when its job file has one. */
  agreement: number | null;
}

const dir = new URL(".", import.meta.url).pathname;
const cells: Cell[] = [];
for await (const entry of Deno.readDir(dir)) {
  const name = /^(mnist|fashion-mnist|cifar10)-(\d+)-s(\d+)-(.+)$/.exec(entry.name);
  if (!entry.isDirectory || !name) continue;
  const folder = join(dir, entry.name);
  const results = JSON.parse(await Deno.readTextFile(join(folder, "results.json")));
  const student = results.students[0] as DistilledStudent;
  const jobs = [...Deno.readDirSync(join(folder, "jobs"))].map((e) => e.name);
  const pkdgan = jobs.find((n) => n.endsWith("-pkdgan.json"));
  const job = pkdgan
    ? JSON.parse(await Deno.readTextFile(join(folder, "jobs", pkdgan)))
    : undefined;
  cells.push({
    dataset: name[1],
    normal: Number(name[2]),
    seed: Number(name[3]),
    variant: name[4],
    student,
    agreement: job?.validationAgreement?.spearman ?? null,
  });
}
cells.sort((a, b) =>
  a.dataset.localeCompare(b.dataset) || a.variant.localeCompare(b.variant) || a.normal - b.normal
);

const complete = (s: DistilledStudent) => s.auc_pkdgan !== null && s.auc_scratch !== null;
const groups = [...new Set(cells.map((c) => `${c.dataset}|${c.variant}`))];
const rows = groups.map((key) => {
  const [dataset, variant] = key.split("|");
  const cs = cells.filter((c) => `${c.dataset}|${c.variant}` === key && complete(c.student));
  const gains = cs.map((c) => c.student.auc_pkdgan! - c.student.auc_scratch!);
  const best = cs.map((c) => bestEpochGain(c.student));
  const agreements = cs.flatMap((c) => c.agreement === null ? [] : [c.agreement]);
  const s = cs[0]?.student;
  const published = paper.student_gain_percent.values[dataset];
  return `| ${dataset} | ${variant} | ${
    s ? `w${s.width}/l${s.latent} at ${s.ratio.toFixed(1)}:1` : ""
  } | ${cs.map((c) => `${c.normal}${c.seed ? ` (s${c.seed})` : ""}`).join(", ")} | ${
    pct(mean(cs.map((c) => c.student.auc_scratch!)))
  } | ${pct(mean(cs.map((c) => c.student.auc_pkdgan!)))} | ${
    gains.length ? signed(mean(gains)) : ""
  } (${gains.filter((g) => g > 0).length} of ${gains.length} > 0) | ${gainInterval(gains)} | ${
    best.length && best.every((g) => g !== null) ? signed(mean(best as number[])) : "n/a"
  } | ${agreements.length ? mean(agreements).toFixed(3) : ""} | ${
    published === undefined
      ? ""
      : `${signed(published / 100)} at ${paper.compression_ratios.by_dataset[dataset]}:1`
  } |`;
});

const perClass = cells.map((c) =>
  `| ${c.dataset} | ${c.normal} | ${c.seed} | ${c.variant} | w${c.student.width}/l${c.student.latent} | ${
    pct(c.student.auc_scratch)
  } | ${pct(c.student.auc_one_step)} | ${pct(c.student.auc_pkdgan)} | ${
    complete(c.student) ? signed(c.student.auc_pkdgan! - c.student.auc_scratch!) : ""
  } | ${((g) => g === null ? "n/a" : signed(g))(bestEpochGain(c.student))} | ${
    c.agreement === null ? "" : c.agreement.toFixed(3)
  } |`
);

const text = [
  "<!-- made by table.ts from the results.json and job files beside it; do not edit -->",
  "",
  "## P-KDGAN over scratch per design variant (mean over the classes run, test ROC AUC %)",
  "",
  "| dataset | variant | student | classes | scratch | P-KDGAN | P-KDGAN - scratch | its 95 % interval over classes | P-KDGAN - scratch, best test epoch* | validation agreement (P-KDGAN) | published |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  "",
  `Last epoch (the headline) unless marked *: ${BEST_TEST_EPOCH_LABEL}, each method's highest`,
  "per-epoch test AUC with the moving BatchNorm statistics; never used to choose anything.",
  "Validation agreement: the mean Spearman rank correlation of the P-KDGAN student's and its",
  "teacher's scores on the validation normals (the rule of results/README.md; no test image).",
  "",
  "## Per class",
  "",
  "| dataset | class | seed | variant | student | scratch | one-step KD | P-KDGAN | P-KDGAN - scratch | best test epoch* | validation agreement |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...perClass,
  "",
].join("\n");
await Deno.writeTextFile(join(dir, "tables.md"), text);
console.log(text);
