/**
 * The full-length teachers of results/teachers (one folder per run, `D-C-bB-sS`: run.json and its
 * score studies) loaded as rows, with the statistics the tables and the README headline share
 * (`table.ts`, `../summary.ts`).
 *
 * Every figure is the **last** epoch's test ROC AUC (nothing chosen on the test set). A run trained
 * with `--ema` records two figures per epoch from one training trajectory: the averaged
 * generator's (`auc`) and the live weights' (`liveAuc`, what the same run without `--ema` gives,
 * since the average never feeds back into training). "plain" is the live figure of either kind of
 * run; "averaged" exists only for runs trained with `--ema`.
 *
 * @module
 */
export type Run = {
  data: { dataset: string; normalClass: number };
  training: { epochs: number; batchSize: number; seed: number; ema?: number | null };
  backend: { name: string };
  status: string;
  seconds?: number;
  history: { epoch: number; auc: number; liveAuc?: number; seconds: number }[];
};
/** `study-score.json` beside a run (`deno task study score --model RUN`): kinds x BatchNorm modes. */
export type Study = {
  bnStats: { choice: { mode: string } };
  rows: { bnStats: string; kind: string; auc: number }[];
};
export type Row = {
  dataset: string;
  normal: number;
  seed: number;
  batch: number;
  epochs: number;
  ema: number | null;
  plain: number[];
  averaged: number[] | null;
  minutes: number;
  backend: string;
  study: Study | null;
  /** `study-score-live.json` (`--weights live`): a `--ema` run's live weights scored. */
  liveStudy: Study | null;
};

export const PUBLISHED: Record<string, string> = {
  mnist: "EDE-GAN 97.80, OCGAN 97.50 (P-KDGAN students 97.25)",
  "fashion-mnist": "P-KDGAN students 92.93 (no teacher average published)",
};

export async function loadTeachers(dir: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory) continue;
    const run = JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}/run.json`)) as Run;
    if (run.status !== "finished") continue;
    const ema = run.training.ema ?? null;
    const studyPath = `${dir}/${entry.name}/study-score.json`;
    const study = await Deno.readTextFile(studyPath).then(
      (t) => JSON.parse(t) as Study,
      () => null,
    );
    const liveStudy = await Deno.readTextFile(`${dir}/${entry.name}/study-score-live.json`)
      .then((t) => JSON.parse(t) as Study, () => null);
    rows.push({
      dataset: run.data.dataset,
      normal: run.data.normalClass,
      seed: run.training.seed,
      batch: run.training.batchSize,
      epochs: run.training.epochs,
      ema,
      plain: run.history.map((h) => ema === null ? h.auc : h.liveAuc!),
      averaged: ema === null ? null : run.history.map((h) => h.auc),
      // Training time summed over epochs: survives --resume, where run.seconds is the last process.
      minutes: run.history.reduce((a, h) => a + h.seconds, 0) / 60,
      backend: run.backend.name,
      study,
      liveStudy,
    });
  }
  rows.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || a.normal - b.normal || b.batch - a.batch ||
    b.epochs - a.epochs || a.seed - b.seed
  );
  return rows;
}

export const pct = (x: number) => (100 * x).toFixed(2);
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export const sd = (xs: number[]) => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
export const meanSd = (xs: number[]) =>
  xs.length === 0 ? "" : xs.length === 1 ? pct(xs[0]) : `${pct(mean(xs))} ± ${pct(sd(xs))}`;
/** Mean |AUC(e) - AUC(e-1)| over the last five epochs. */
export const jitter = (aucs: number[]) => {
  const tail = aucs.slice(-6);
  return mean(tail.slice(1).map((x, i) => Math.abs(x - tail[i])));
};

/** The paper's length: the per-dataset table averages only these (shorter runs: batch size). */
export const FULL_EPOCHS = 15;

/** A study's AUC of one score kind under one BatchNorm mode. */
export const auc = (st: Study, mode: string, kind: string) =>
  st.rows.find((r) => r.bnStats === mode && r.kind === kind)?.auc;

export type Scored = {
  run: Row;
  weights: string;
  moving: number;
  chosen?: { auc: number; mode: string };
};
/** A run's scored models: the live weights, and with `--ema` the averaged generator. */
export const chosenOf = (st: Study | null) =>
  st
    ? { mode: st.bnStats.choice.mode, auc: auc(st, st.bnStats.choice.mode, "latent")! }
    : undefined;
export const scoredModels = (r: Row): Scored[] => {
  const live = { run: r, weights: "live", moving: r.plain.at(-1)! };
  if (!r.averaged) return [{ ...live, chosen: chosenOf(r.study) }];
  // The score study scores the averaged generator; `--weights live` the live weights.
  return [
    { ...live, chosen: chosenOf(r.liveStudy) },
    { run: r, weights: `EMA ${r.ema}`, moving: r.averaged.at(-1)!, chosen: chosenOf(r.study) },
  ];
};
