/**
 * results/teachers/tables.md as a pure function of the teacher runs (`loadTeacherRuns`): per
 * dataset, per class, per run, the spread of a last-epoch figure with and without the weight
 * average, batch 1 against batch 64, and score kind x BatchNorm statistics.
 *
 * Every figure is the **last** epoch's test ROC AUC in % (nothing chosen on the test set). A run
 * trained with `--ema` records two figures per epoch from one training trajectory: the averaged
 * generator's (`auc`) and the live weights' (`liveAuc`, what the same run without `--ema` gives,
 * since the average never feeds back into training). "live" below is the live figure of either
 * kind of run; "averaged" exists only for runs trained with `--ema`. Beside the last-epoch
 * figures, the live weights' best test epoch (the reference code's protocol: the highest per-epoch
 * test AUC, as GANomaly's code reports; for comparison with published figures only).
 *
 * Spread: "epoch to epoch" is the mean absolute change of the test AUC between consecutive epochs
 * over the last five epochs (how much a last-epoch figure owes to the epoch it stopped at);
 * "seed to seed" is the sd of the last-epoch figure over seeds of one class.
 *
 * @module
 */

import { BEST_TEST_EPOCH_LABEL, bestTestEpoch } from "../metrics/mod.ts";
import { mean, meanSd, pct } from "./format.ts";
import { table } from "./markdown.ts";
import {
  averagingSpread,
  epochToEpochChange,
  FULL_EPOCHS,
  type ScoredModel,
  scoredModels,
  studyAuc,
  type TeacherRun,
} from "./teacher_runs.ts";

/** The live weights' best test epoch of a run (reference code's protocol, comparison only). */
export const bestLive = (r: TeacherRun): { epoch: number; auc: number } =>
  bestTestEpoch(r.live.map((auc, i) => ({ epoch: i + 1, auc })))!;

/** The published figures each dataset's teachers are compared with, in words. */
const PUBLISHED: Record<string, string> = {
  mnist: "EDE-GAN 97.80, OCGAN 97.50 (P-KDGAN students 97.25)",
  "fashion-mnist": "P-KDGAN students 92.93 (no teacher average published)",
};

/**
 * The text of results/teachers/tables.md (before `deno fmt`) from the runs in the order
 * `loadTeacherRuns` gives them.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { teacherTables } from "./teacher_tables.ts";
 * const run = { folder: "mnist-2-b64-s0", dataset: "mnist", normal: 2, seed: 0, batch: 64, latent: "tanh",
 *   epochs: 2, ema: null, live: [0.9, 0.95], averaged: null, minutes: 3, backend: "onednn",
 *   study: null, liveStudy: null };
 * assertStringIncludes(teacherTables([run]), "| mnist   | 2     | 0    | 64    | 2      | 95.00 ");
 * ```
 */
export function teacherTables(rows: TeacherRun[]): string {
  const perRun = table(
    [
      "dataset",
      "class",
      "seed",
      "batch",
      "epochs",
      "live, last",
      "live, best test epoch* (epoch)",
      "averaged, last (decay)",
      "live, range over epochs",
      "epoch to epoch, live",
      "epoch to epoch, averaged",
      "training minutes",
      "backend",
    ],
    rows.map((r) => [
      r.dataset,
      String(r.normal),
      String(r.seed),
      String(r.batch),
      String(r.epochs),
      pct(r.live.at(-1)!),
      `${pct(bestLive(r).auc)} (${bestLive(r).epoch})`,
      r.averaged ? `${pct(r.averaged.at(-1)!)} (${r.ema})` : "",
      `${pct(Math.min(...r.live))}-${pct(Math.max(...r.live))}`,
      pct(epochToEpochChange(r.live)),
      r.averaged ? pct(epochToEpochChange(r.averaged)) : "",
      String(Math.round(r.minutes)),
      r.backend,
    ]),
  );

  const classes = new Map<string, TeacherRun[]>();
  for (const r of rows) {
    const key = `${r.dataset}|${r.normal}|${r.batch}|${r.epochs}`;
    classes.set(key, [...(classes.get(key) ?? []), r]);
  }
  const perClass = table(
    [
      "dataset",
      "class",
      "batch",
      "epochs",
      "seeds",
      "live, mean ± sd over seeds",
      "live, best test epoch*, mean ± sd",
      "averaged, mean ± sd over seeds",
    ],
    [...classes.values()].map((rs) => {
      const withEma = rs.filter((r) => r.averaged);
      return [
        rs[0].dataset,
        String(rs[0].normal),
        String(rs[0].batch),
        String(rs[0].epochs),
        rs.map((r) => r.seed).join(", "),
        meanSd(rs.map((r) => r.live.at(-1)!)),
        meanSd(rs.map((r) => bestLive(r).auc)),
        withEma.length
          ? `${meanSd(withEma.map((r) => r.averaged!.at(-1)!))} (seeds ${
            withEma.map((r) => r.seed).join(", ")
          })`
          : "",
      ];
    }),
  );

  const full = rows.filter((r) => r.epochs === FULL_EPOCHS);
  const datasets = [...new Set(full.map((r) => r.dataset))];
  const perDataset = table(
    [
      "dataset",
      "batch",
      "classes run",
      "live, mean of class means",
      "live, best test epoch*, mean of class means",
      "runs with the average: live -> averaged, mean of class means",
      "published",
    ],
    datasets.flatMap((d) =>
      [...new Set(full.filter((r) => r.dataset === d).map((r) => r.batch))].map((batch) => {
        const groups = [...classes.values()].filter((rs) =>
          rs[0].dataset === d && rs[0].batch === batch && rs[0].epochs === FULL_EPOCHS
        );
        const means = groups.map((rs) => mean(rs.map((r) => r.live.at(-1)!)));
        const bestMeans = groups.map((rs) => mean(rs.map((r) => bestLive(r).auc)));
        // Paired: the live and averaged figures of the same runs (one training trajectory each).
        const paired = full.filter((r) => r.dataset === d && r.batch === batch && r.averaged);
        // As the headline of results/README.md: the mean over classes of each class's mean.
        const pairedClasses = [...new Set(paired.map((r) => r.normal))].map((c) =>
          paired.filter((r) => r.normal === c)
        );
        const classMean = (pick: (r: TeacherRun) => number) =>
          pct(mean(pairedClasses.map((rs) => mean(rs.map(pick)))));
        return [
          d,
          String(batch),
          `${means.length} of 10`,
          `${pct(mean(means))}${means.length < 10 ? " (not the ten-class average)" : ""}`,
          pct(mean(bestMeans)),
          paired.length
            ? `${classMean((r) => r.live.at(-1)!)} -> ${
              classMean((r) => r.averaged!.at(-1)!)
            } (${paired.length} runs, ${pairedClasses.length} classes)`
            : "",
          `${PUBLISHED[d] ?? ""}${
            batch === 1
              ? "; batch 1 here is scored with the moving averages, another function: see Batch size"
              : ""
          }`,
        ];
      })
    ),
  );

  // Item 6 of issue 14: the spread a last-epoch figure carries, with and without the weight
  // average, from the same runs (one trajectory each, so the comparison is paired).
  const spreadGroups = [...new Set(full.map((r) => `${r.dataset}|${r.batch}`))];
  const perSpread = table(
    [
      "dataset",
      "batch",
      "runs with the average",
      "epoch to epoch, live",
      "epoch to epoch, averaged",
      "classes with >= 2 averaged seeds",
      "seed-to-seed sd, live",
      "seed-to-seed sd, averaged",
      "classes where the average's sd is smaller",
    ],
    spreadGroups.flatMap((key) => {
      const [d, b] = key.split("|");
      const s = averagingSpread(full.filter((r) => r.dataset === d && r.batch === Number(b)));
      if (s.runs === 0) return [];
      const seedCells = s.seededClasses.length
        ? [
          `${s.seededClasses.length} (${s.seededClasses.map((c) => c.split(" ")[1]).join(", ")})`,
          pct(s.seedSdLive),
          pct(s.seedSdAveraged),
          `${s.smallerSd} of ${s.seededClasses.length}`,
        ]
        : ["0", "", "", ""];
      return [[d, b, String(s.runs), pct(s.epochLive), pct(s.epochAveraged), ...seedCells]];
    }),
  );

  const studies = rows.flatMap((r) => [
    ...(r.study ? [{ r, st: r.study, weights: r.averaged ? `averaged (${r.ema})` : "live" }] : []),
    ...(r.liveStudy && r.averaged ? [{ r, st: r.liveStudy, weights: "live" }] : []),
  ]);
  const perStudy = table(
    [
      "dataset",
      "class",
      "seed",
      "batch",
      "epochs",
      "weights",
      "BatchNorm at scoring",
      "latent",
      "reconstruction",
      "D features",
    ],
    studies.flatMap(({ r, st, weights }) =>
      [...new Set(st.rows.map((x) => x.bnStats))].map((mode) => [
        r.dataset,
        String(r.normal),
        String(r.seed),
        String(r.batch),
        String(r.epochs),
        weights,
        `${mode}${mode === st.bnStats.choice.mode ? " (chosen on validation)" : ""}`,
        ...["latent", "reconstruction", "features"].map((k) => pct(studyAuc(st, mode, k))),
      ])
    ),
  );

  // Batch size (the paper's second finding), per class with a batch-1 run: each run's scored
  // models under the moving averages and under the statistics the validation normals choose.
  const batchClasses = [
    ...new Set(rows.filter((r) => r.batch === 1).map((r) => `${r.dataset}|${r.normal}`)),
  ];
  const perBatch = table(
    [
      "dataset",
      "class",
      "batch",
      "epochs",
      "weights",
      "seeds",
      "training minutes",
      "moving averages",
      "chosen on validation",
    ],
    batchClasses.flatMap((key) => {
      const groups = new Map<string, ScoredModel[]>();
      for (const r of rows.filter((r) => `${r.dataset}|${r.normal}` === key)) {
        for (const m of scoredModels(r)) {
          const k = `${r.batch}|${r.epochs}|${m.weights}`;
          groups.set(k, [...(groups.get(k) ?? []), m]);
        }
      }
      return [...groups.values()].map((ms) => {
        const r = ms[0].run;
        const withChosen = ms.filter((m) => m.chosen);
        const chosenText = withChosen.length === 0
          ? ""
          : `${meanSd(withChosen.map((m) => m.chosen!.auc))} (${
            [...new Set(withChosen.map((m) => m.chosen!.mode))].join(", ")
          }${
            withChosen.length < ms.length
              ? `; seeds ${withChosen.map((m) => m.run.seed).join(", ")}`
              : ""
          })`;
        return [
          r.dataset,
          String(r.normal),
          String(r.batch),
          String(r.epochs),
          ms[0].weights,
          ms.map((m) => m.run.seed).join(", "),
          String(Math.round(mean(ms.map((m) => m.run.minutes)))),
          meanSd(ms.map((m) => m.moving)),
          chosenText,
        ];
      });
    }),
  );

  return [
    "<!-- made by `deno task results` from the run.json files beside it; do not edit -->",
    "",
    "## Per dataset",
    "",
    perDataset,
    "",
    `Every figure is the last epoch's (the headline), but those marked *: ${BEST_TEST_EPOCH_LABEL},`,
    "the highest per-epoch test AUC of the live weights (moving BatchNorm averages), as the code the",
    "papers build on reports; never used to choose anything.",
    "",
    "## Per class (last epoch, test ROC AUC %)",
    "",
    perClass,
    "",
    "## Per run",
    "",
    perRun,
    "",
    "## Spread of a last-epoch figure: live weights against the weight average (`--ema`)",
    "",
    "15-epoch runs trained with `--ema`, each giving both figures from one trajectory. Epoch to",
    "epoch: mean over runs of the mean absolute change of the test AUC over the last five epochs.",
    "Seed to seed: per class with two or more such seeds, the sd over seeds of the last epoch; mean",
    "over those classes. Points of ROC AUC %; moving BatchNorm averages (batch 1: see below).",
    "",
    perSpread,
    "",
    "## Batch size: batch 1 against batch 64 (last epoch, test ROC AUC %)",
    "",
    "Each run's live weights and, with `--ema`, its averaged generator, under the BatchNorm moving",
    "averages (the run's own curve) and under the statistics chosen on the validation normals (score",
    "studies: `study-score.json` scores the averaged generator where there is one, and",
    "`study-score-live.json` the live weights); mean ± sd over seeds.",
    "Training minutes sum the epochs (evaluation included); two jobs shared two cores, so they vary.",
    "",
    perBatch,
    "",
    "## Score kind x BatchNorm statistics at scoring (`deno task study score --model RUN`)",
    "",
    "The run's model (with `--ema`, the averaged generator), without retraining; the mode chosen on",
    "the validation normals (lowest generator objective, no test labels) is marked.",
    "",
    perStudy,
    "",
  ].join("\n");
}
