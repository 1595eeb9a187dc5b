/**
 * `deno task eval`: prints the metrics of scores written by `deno task score` or `train`
 * (ROC AUC, average precision, F1 at the calibrated threshold).
 *
 * @module
 */

import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { averagePrecision, f1AtThreshold, rocAuc } from "../lib/metrics/mod.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { readScoresCsv } from "../lib/score/csv.ts";
import { findScoresCsv } from "../lib/score/scores_output.ts";
import { prepareOutFile } from "../lib/util/out_dir.ts";

await runTask(async () => {
  const flags = parseFlags(
    "eval",
    Deno.args,
    { run: undefined, json: undefined },
    "Metrics of a run's test scores (scores.csv; a shipped model as shipped:NAME), of the\n" +
      "scores `deno task score` wrote into a folder (scores-test.csv, else its one scores-*.csv),\n" +
      "or of a scores CSV given as --run FILE. The run may also be given alone: deno task eval RUN.",
    [],
    {
      run: "required (or given alone, deno task eval RUN): a run folder, a shipped model " +
        "(shipped:NAME), the folder deno task score wrote, or a scores CSV",
    },
  );
  if (flags === null) return;
  if (flags._.length > 1 || (flags._.length === 1 && flags.run)) {
    throw new Error(
      `eval: one run expected, got ${[flags.run, ...flags._].filter(Boolean).join(", ")}`,
    );
  }
  flags.run ??= flags._[0];
  if (!flags.run) {
    throw new Error("--run: required (a run directory, shipped:NAME, score's folder or a CSV)");
  }
  if (flags.json) await prepareOutFile(flags.json as string, "--json");
  const path = await findScoresCsv(flags.run as string);
  const rows = await readScoresCsv(path).catch((error: Error) => {
    throw new Error(`--run ${flags.run}: not a readable scores CSV (${error.message})`);
  });
  const { scores, labels, decisions } = rows;
  if (labels.length === 0) {
    throw new Error(`${path}: no labelled rows to evaluate (every row needs a label)`);
  }
  const anomalous = labels.filter((l) => l === 1).length;
  if (anomalous === 0 || anomalous === labels.length) {
    throw new Error(
      `${path}: every label is ${anomalous === 0 ? "normal" : "anomalous"}; ` +
        "ROC AUC and average precision need both normal and anomalous rows",
    );
  }
  const metrics: Record<string, number> = {
    images: scores.length,
    anomalous,
    auc: rocAuc(scores, labels),
    averagePrecision: averagePrecision(scores, labels),
  };
  if (decisions.every((d) => d === 0 || d === 1)) {
    const f1 = f1AtThreshold(decisions, labels, 0.5);
    Object.assign(metrics, { f1: f1.f1, precision: f1.precision, recall: f1.recall });
  }
  console.log(formatTable([metrics]));
  if (flags.json) await writeJsonAtomic(flags.json as string, { source: path, ...metrics });
});
