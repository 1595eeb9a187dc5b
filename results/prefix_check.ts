/**
 * Does a committed training run come back from today's code? Reruns the first points of its loss
 * curve (`steps` in its `run.json`: the mean of each loss over every `step` steps) with the run's
 * own settings (dataset, class, split seed, width, latent, batch size, seed, average, backend and
 * oneDNN thread count, all read from the manifest) and compares them point by point; stops there,
 * so a run whose epoch takes many minutes is checked in seconds. A curve that comes back to 1e-9
 * says the same arithmetic ran up to that step; it says nothing about the evaluation at the end of
 * an epoch, which a whole epoch (`deno task train` with the same flags) checks.
 *
 * oneDNN's kernels depend on the CPU's instruction set (results/README.md, "Which results come
 * back"). A run whose manifest records the set its kernels used (`avx2 kernels` in the backend's
 * description, since 2026-12-07) is rerun with oneDNN capped to that set (`ONEDNN_MAX_CPU_ISA`)
 * when this CPU's best is another and no cap is set already; a CPU without that set says so.
 *
 * `deno run -A results/prefix_check.ts RUN_DIR [--points N]` (default 3 points); exits 1 when a
 * point differs by more than 1e-9 (relative), 0 when all agree. Writes nothing under RUN_DIR (the
 * rerun goes to a temporary folder, removed after).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { join } from "@std/path";
import { trainRun } from "../lib/train/run.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { maxCpuIsaCap } from "../lib/backend/onednn/_ffi.ts";
import type { DatasetName } from "../lib/data/mod.ts";

interface Manifest {
  training: {
    epochs: number;
    batchSize: number;
    seed: number;
    limit?: number | null;
    ema?: unknown;
  };
  config: { width: number; latentSize: number; latent: "tanh" | "none" };
  data: { dataset: DatasetName; normalClass: number; protocol?: string };
  backend: { name: string; device?: string };
  steps: Record<string, number>[];
}

class Enough extends Error {}

const flags = parseArgs(Deno.args, { string: ["points"] });
const dir = String(flags._[0] ?? "");
if (dir === "") throw new Error("usage: deno run -A results/prefix_check.ts RUN_DIR [--points N]");
const points = Number(flags.points ?? 3);
if (!Number.isInteger(points) || points < 1) throw new Error(`--points: expected N >= 1`);
const manifest = JSON.parse(await Deno.readTextFile(join(dir, "run.json"))) as Manifest;
if (!Array.isArray(manifest.steps) || manifest.steps.length < points) {
  throw new Error(`${dir}/run.json: fewer than ${points} points in 'steps'`);
}
const every = manifest.steps[0].step;
const names = Object.keys(manifest.steps[0]).filter((k) => k !== "step" && k !== "epoch");
const threads = /(\d+) thread\(s\)/.exec(manifest.backend.device ?? "")?.[1];
const ema = manifest.training.ema;
console.log(
  `${dir}: ${manifest.data.dataset} class ${manifest.data.normalClass}, width ` +
    `${manifest.config.width}, batch ${manifest.training.batchSize}, seed ` +
    `${manifest.training.seed}, ema ${ema ?? "off"}, ${manifest.backend.name}` +
    `${threads && manifest.backend.name === "onednn" ? ` at ${threads} thread(s)` : ""}; ` +
    `first ${points} points of ${every} steps`,
);
// The run's oneDNN instruction set, where recorded: this machine's oneDNN capped to it.
const isa = /, (\w+) kernels/.exec(manifest.backend.device ?? "")?.[1];
if (
  manifest.backend.name === "onednn" && isa !== undefined &&
  maxCpuIsaCap(Deno.env.toObject()) === undefined
) {
  Deno.env.set("ONEDNN_MAX_CPU_ISA", isa.toUpperCase());
  console.log(
    `oneDNN capped to the run's ${isa} kernels (ONEDNN_MAX_CPU_ISA=${isa.toUpperCase()})`,
  );
}
const backend = await startBackend(
  manifest.backend.name as BackendChoice,
  manifest.backend.name === "onednn" && threads ? Number(threads) : undefined,
);
if (isa !== undefined && !backend.device?.includes(`, ${isa} kernels`)) {
  console.log(
    `this CPU cannot run the run's ${isa} kernels (${backend.device}): expect differences`,
  );
}
const sums = new Map<string, number>();
const rerun: Record<string, number>[] = [];
const out = await Deno.makeTempDir({ prefix: "edegan-prefix-" });
try {
  await trainRun({
    dataset: manifest.data.dataset,
    normal: manifest.data.normalClass,
    epochs: manifest.training.epochs,
    batchSize: manifest.training.batchSize,
    seed: manifest.training.seed,
    limit: manifest.training.limit ?? undefined,
    ema: typeof ema === "number" ? ema : undefined,
    model: {
      width: manifest.config.width,
      latentSize: manifest.config.latentSize,
      latent: manifest.config.latent,
    },
    out,
    backend,
    warn: () => {},
    onStep: (step, losses) => {
      for (const name of names) {
        sums.set(name, (sums.get(name) ?? 0) + (losses as Record<string, number>)[name]);
      }
      if (step % every !== 0) return;
      rerun.push(Object.fromEntries(names.map((n) => [n, sums.get(n)! / every])));
      sums.clear();
      if (rerun.length === points) throw new Enough();
    },
  });
} catch (error) {
  if (!(error instanceof Enough)) throw error;
} finally {
  await Deno.remove(out, { recursive: true }).catch(() => {});
}
let worst = 0;
for (let i = 0; i < points; i++) {
  const cells = names.map((name) => {
    const was = manifest.steps[i][name];
    const now = rerun[i][name];
    const rel = Math.abs(now - was) / Math.max(Math.abs(was), 1e-12);
    worst = Math.max(worst, rel);
    return `${name} ${was.toFixed(9)} -> ${now.toFixed(9)}`;
  });
  console.log(`step ${manifest.steps[i].step}: ${cells.join(", ")}`);
}
console.log(
  `largest relative difference ${worst.toExponential(2)}: ${
    worst <= 1e-9 ? "comes back" : "differs"
  }`,
);
Deno.exit(worst <= 1e-9 ? 0 : 1);
