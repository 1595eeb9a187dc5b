/**
 * `deno task eval`: prints the metrics of scores written by `deno task score` or `train`
 * (ROC AUC, average precision, F1 at the calibrated threshold).
 *
 * @module
 */

import { join } from "@std/path";
import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { averagePrecision, f1AtThreshold, rocAuc } from "../lib/metrics/mod.ts";
import { exists, writeJsonAtomic } from "../lib/util/atomic.ts";

await runTask(async () => {
  const flags = parseFlags(
    "eval",
    Deno.args,
    { run: undefined, json: undefined },
    "Metrics of a run's test scores (scores.csv) or of a scores CSV given as --run FILE.",
  );
  if (flags === null) return;
  if (!flags.run) throw new Error("--run: required (a run directory or a scores CSV)");
  const path = (await exists(join(flags.run as string, "scores.csv")))
    ? join(flags.run as string, "scores.csv")
    : flags.run as string;
  const text = await Deno.readTextFile(path).catch(() => {
    throw new Error(`--run ${flags.run}: no scores.csv there and not a readable CSV file`);
  });
  const lines = text.trim().split("\n");
  const header = lines[0].split(",");
  const [iScore, iLabel, iDecision] = ["score", "label", "decision"].map((c) => header.indexOf(c));
  if (iScore < 0 || iLabel < 0) {
    throw new Error(`${path}: expected columns score and label, got ${header.join(",")}`);
  }
  const scores: number[] = [];
  const labels: number[] = [];
  const decisions: number[] = [];
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    if (cells[iLabel] === "") continue;
    scores.push(Number(cells[iScore]));
    labels.push(Number(cells[iLabel]));
    decisions.push(Number(cells[iDecision]));
  }
  if (scores.length === 0) throw new Error(`${path}: no labelled rows to evaluate`);
  const metrics: Record<string, number> = {
    images: scores.length,
    anomalous: labels.filter((l) => l === 1).length,
    auc: rocAuc(scores, labels),
    averagePrecision: averagePrecision(scores, labels),
  };
  if (iDecision >= 0 && decisions.every((d) => d === 0 || d === 1)) {
    const f1 = f1AtThreshold(decisions, labels, 0.5);
    Object.assign(metrics, { f1: f1.f1, precision: f1.precision, recall: f1.recall });
  }
  console.log(formatTable([metrics]));
  if (flags.json) await writeJsonAtomic(flags.json as string, { source: path, ...metrics });
});
