/**
 * Builds results/teachers-b64/tables.md from the run.json of every teacher in this folder:
 * `deno run -A results/teachers-b64/table.ts`. Last-epoch test AUC (nothing chosen on the test
 * set), and beside it the spread over epochs, which the papers' single figures do not show.
 */
const dir = new URL(".", import.meta.url).pathname;
type Run = {
  data: { dataset: string; normalClass: number };
  training: { epochs: number; batchSize: number; seed: number };
  backend: { name: string; device: string };
  status: string;
  seconds?: number;
  history: { epoch: number; auc: number; seconds: number }[];
};
const rows: string[] = [];
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isDirectory) continue;
  const run = JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}/run.json`)) as Run;
  if (run.status !== "finished") continue;
  const aucs = run.history.map((h) => h.auc);
  const last = aucs.at(-1)!;
  const lastFive = aucs.slice(-5);
  const mean = lastFive.reduce((a, b) => a + b, 0) / lastFive.length;
  const sd = Math.sqrt(lastFive.reduce((a, b) => a + (b - mean) ** 2, 0) / (lastFive.length - 1));
  rows.push(
    `| ${run.data.dataset} | ${run.data.normalClass} | ${run.training.seed} | ` +
      `${run.training.batchSize} | ${run.training.epochs} | ${(100 * last).toFixed(2)} | ` +
      `${(100 * Math.min(...aucs)).toFixed(2)}-${(100 * Math.max(...aucs)).toFixed(2)} | ` +
      `${(100 * mean).toFixed(2)} ± ${(100 * sd).toFixed(2)} | ` +
      `${Math.round(run.history.reduce((a, h) => a + h.seconds, 0) / 60)} | ${run.backend.name} |`,
  );
}
rows.sort();
const text = [
  "| dataset | normal class | seed | batch | epochs | test AUC, last epoch | range over epochs | " +
  "last 5 epochs, mean ± sd | minutes | backend |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows,
  "",
].join("\n");
await Deno.writeTextFile(`${dir}/tables.md`, text);
console.log(text);
