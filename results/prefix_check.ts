/**
 * Does a committed training run come back from today's code? Reruns the first points of its loss
 * curve (`steps` in its `run.json`: the mean of each loss over every `step` steps) with the run's
 * own settings (dataset, class, protocol, split seed, width, latent, batch size, seed, average,
 * training and test limits, backend and oneDNN thread count, all read from the manifest) and
 * compares them point by point; stops there, so a run whose epoch takes many minutes is checked in
 * seconds. A curve that comes back to 1e-9 says the same arithmetic ran up to that step; it says
 * nothing about the evaluation at the end of an epoch, which a whole epoch (`deno task train` with
 * the same flags) checks.
 *
 * A teacher trained inside `deno task distill` or `deno task reproduce` records its limits in the
 * data section only (`data.limit`, `data.testLimit`; `training.limit` is null there): the rerun
 * takes the training section's limits, else the data section's ({@link rerunOptions}).
 *
 * oneDNN's kernels depend on the CPU's instruction set (results/README.md, "Which results come
 * back"). A run whose manifest records the set its kernels used (`avx2 kernels` in the backend's
 * description, since 2026-12-07), or a CPU whose extensions stop at AVX2 ({@link rerunIsa}), is
 * rerun with oneDNN capped to that set (`ONEDNN_MAX_CPU_ISA`)
 * when no cap is set already; a CPU without that set says so. A run that does not record it
 * (older manifests) and was made on another CPU gets a line saying so when it differs
 * ({@link isaHint}).
 *
 * `deno run -A results/prefix_check.ts RUN_DIR [--points N]` (default 3 points; `--help` prints
 * the usage); exits 0 when all points agree within 1e-9 (relative), 1 when a point differs, 2 on a
 * bad argument or a run it cannot rerun. Writes nothing under RUN_DIR (the rerun goes to a
 * temporary folder, removed after).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { join } from "@std/path";
import { trainRun, type TrainRunOptions } from "../lib/train/run.ts";
import { startBackend } from "../lib/cli/run_flags.ts";
import { nearestFlag, runTask } from "../lib/cli/flags.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import { maxCpuIsaCap } from "../lib/backend/onednn/_ffi.ts";
import type { DatasetName } from "../lib/data/mod.ts";
import { parseRunManifest, type TrainRunManifest } from "../lib/run/manifest.ts";
import { readJsonIfPresent } from "../lib/util/json.ts";
import { machineInfo } from "../lib/run/provenance.ts";
import { cpuOf } from "../lib/results/teacher_runs.ts";

/** Largest relative difference of a point that still comes back. */
export const TOLERANCE = 1e-9;

/** Points rerun when `--points` is not given. */
export const DEFAULT_POINTS = 3;

/** The `--help` text: what the script does, its argument, flags and exit codes. */
export const HELP = `Usage: deno run -A results/prefix_check.ts RUN_DIR [--points N]

Reruns the first N points of a committed training run's loss curve (steps in RUN_DIR/run.json)
with the settings its manifest records (data, model, seed, limits, backend, oneDNN threads) and
compares them with the committed ones, to ${TOLERANCE} relative. Writes nothing under RUN_DIR.
A run that records its oneDNN instruction set (or was made on a CPU whose recorded extensions
stop at AVX2) is rerun capped to it (ONEDNN_MAX_CPU_ISA) unless a cap is set; onednn runs do not rerun bit for bit across instruction sets (results/README.md,
"Which results come back").

Arguments:
  RUN_DIR       a run folder of deno task train (or a teacher of distill or reproduce) with run.json

Flags:
  --points N    how many points of the curve to rerun, at least 1 (default ${DEFAULT_POINTS})
  --help        show this text

Exit codes:
  0  every point comes back (within ${TOLERANCE})
  1  a point differs
  2  a bad argument, or a run that cannot be rerun (no run.json, too few points, not a train run)`;

/** What the command line asks: help, or a run folder and how many points to rerun. */
export type PrefixArgs = { help: true } | { help: false; dir: string; points: number };

/**
 * Reads the command line: `RUN_DIR [--points N]` or `--help`.
 *
 * @param args the script's arguments (`Deno.args`).
 * @returns `{ help: true }` for `--help`, else the run folder and the points (an integer >= 1).
 * @throws {Error} one line naming the flag or argument and what was expected: an unknown flag
 *   (with the nearest accepted one), `--points` not an integer >= 1, no RUN_DIR or more than one.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parsePrefixArgs } from "./prefix_check.ts";
 * assertEquals(parsePrefixArgs(["runs/a", "--points", "2"]), { help: false, dir: "runs/a", points: 2 });
 * assertEquals(parsePrefixArgs(["--help"]), { help: true });
 * assertThrows(() => parsePrefixArgs(["runs/a", "--points", "0"]), Error, "--points: expected");
 * ```
 */
export function parsePrefixArgs(args: string[]): PrefixArgs {
  const unknown: string[] = [];
  // `--points -1` -> `--points=-1`: parseArgs would read `-1` as a short flag, not as the value.
  const joined = args.flatMap((arg, i) =>
    arg === "--points" && /^-\d/.test(args[i + 1] ?? "")
      ? [`--points=${args[i + 1]}`]
      : i > 0 && args[i - 1] === "--points" && /^-\d/.test(arg)
      ? []
      : [arg]
  );
  const flags = parseArgs(joined, {
    string: ["points", "_"],
    boolean: ["help"],
    unknown: (arg: string, key?: string) => {
      if (key !== undefined) unknown.push(arg);
      return key === undefined;
    },
  });
  if (unknown.length > 0) {
    const near = nearestFlag(unknown[0], ["points", "help"]);
    throw new Error(
      `prefix_check: unknown flag ${unknown[0].replace(/=.*$/, "")}` +
        (near ? ` (did you mean --${near}?)` : "") + "; accepted: --points N, --help",
    );
  }
  if (flags.help) return { help: true };
  const positional = flags._.map(String);
  if (positional.length === 0) {
    throw new Error("prefix_check: expected RUN_DIR, a run folder with run.json (see --help)");
  }
  if (positional.length > 1) {
    throw new Error(
      `prefix_check: expected one RUN_DIR, got ${positional.length}: ${positional.join(" ")}`,
    );
  }
  const text = flags.points;
  const points = text === undefined ? DEFAULT_POINTS : Number(text);
  if (text?.trim() === "" || !Number.isInteger(points) || points < 1) {
    throw new Error(`--points: expected an integer >= 1, got '${text}'`);
  }
  return { help: false, dir: positional[0], points };
}

/** What of a run {@link rerunOptions} reads: its training, data and model settings. */
export type RerunOptions = Pick<
  TrainRunOptions,
  | "dataset"
  | "normal"
  | "protocol"
  | "epochs"
  | "batchSize"
  | "seed"
  | "limit"
  | "testLimit"
  | "ema"
  | "model"
>;

/**
 * The options of `trainRun` that rerun a training run as its manifest records it. The limits are
 * the training section's (`--limit`, `--test-limit` of `deno task train`), else, where those are
 * null or absent, the data section's: a teacher trained inside `deno task distill` or
 * `deno task reproduce` is handed its data already split, so only `data.limit` and
 * `data.testLimit` hold the limits it trained and tested with. A recorded decay of the weight
 * average (`training.ema`, a number) is kept; the model's width, latent size and constraint are
 * the manifest's `config` (the defaults where absent).
 *
 * @param run a `train` run's manifest (`run.json`, as `readRunManifest` or `parseRunManifest` return it).
 * @returns the run's settings; `limit` and `testLimit` are numbers of images, or undefined (none).
 * @throws {Error} when the manifest has no data section (no dataset and class to rerun on).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rerunOptions } from "./prefix_check.ts";
 * const opts = rerunOptions({
 *   kind: "train", status: "finished",
 *   training: { epochs: 2, batchSize: 16, seed: 0, limit: null, testLimit: null },
 *   data: { dataset: "mnist", normalClass: 2, limit: 1024, testLimit: 2000 },
 * });
 * assertEquals([opts.limit, opts.testLimit], [1024, 2000]);
 * ```
 */
export function rerunOptions(run: TrainRunManifest): RerunOptions {
  const data = run.data;
  if (!data) throw new Error("run.json has no data section: no dataset and class to rerun on");
  const training = run.training;
  const config = run.config ?? {};
  return {
    dataset: data.dataset as DatasetName,
    normal: data.normalClass,
    protocol: data.protocol,
    epochs: training.epochs,
    batchSize: training.batchSize,
    seed: training.seed,
    limit: training.limit ?? data.limit ?? undefined,
    testLimit: training.testLimit ?? data.testLimit ?? undefined,
    ema: typeof training.ema === "number" ? training.ema : undefined,
    model: {
      ...(config.width != null ? { width: config.width } : {}),
      ...(config.latentSize != null ? { latentSize: config.latentSize } : {}),
      ...(config.latent != null ? { latent: config.latent as "tanh" | "none" } : {}),
    },
  };
}

/**
 * The instruction set of oneDNN's kernels that a backend description names (`avx2` in `oneDNN
 * 2.6.3 convolutions (omp, 1 thread(s) from --threads, avx2 kernels)`, recorded since 2026-12-07);
 * undefined where it names none (older manifests, other backends).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { recordedIsa } from "./prefix_check.ts";
 * assertEquals(recordedIsa("oneDNN 2.6.3 convolutions (omp, 1 thread(s), avx2 kernels)"), "avx2");
 * assertEquals(recordedIsa("oneDNN 2.6.3 convolutions (omp, 1 thread(s))"), undefined);
 * ```
 */
export function recordedIsa(device: string | null | undefined): string | undefined {
  return /, (\w+) kernels/.exec(device ?? "")?.[1];
}

/**
 * The instruction set to cap oneDNN to for a rerun of `run`: the one its backend description
 * records ({@link recordedIsa}), else `avx2` where its machine's recorded extensions
 * (`machine.simd`, since 2026-12-07) have AVX2 but no AVX-512 (oneDNN's kernels there are its
 * `avx2` ones; an AVX-512 CPU capped to them gave an AVX2 CPU's bits, results/README.md), else
 * undefined (an AVX-512 machine's variant is not known from its extensions; older manifests).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rerunIsa } from "./prefix_check.ts";
 * const device = "oneDNN 2.6.3 convolutions (omp, 1 thread(s))";
 * assertEquals(rerunIsa({ backend: { device }, machine: { simd: ["avx", "avx2", "fma"] } }), "avx2");
 * assertEquals(rerunIsa({ backend: { device }, machine: { simd: ["avx2", "avx512f"] } }), undefined);
 * assertEquals(rerunIsa({ backend: { device: `${device.slice(0, -1)}, avx kernels)` } }), "avx");
 * ```
 */
export function rerunIsa(
  run: { backend?: { device?: string | null } | null; machine?: unknown },
): string | undefined {
  const recorded = recordedIsa(run.backend?.device);
  if (recorded !== undefined) return recorded;
  const simd = (run.machine as { simd?: unknown } | null | undefined)?.simd;
  if (!Array.isArray(simd)) return undefined;
  return simd.includes("avx2") && !simd.some((s) => String(s).startsWith("avx512"))
    ? "avx2"
    : undefined;
}

/**
 * The line to print when a rerun differs from an onednn run whose manifest does not record the
 * instruction set of its kernels and that was made on another CPU: where it was made, and that
 * onednn runs do not rerun bit for bit across instruction sets. Undefined in every other case: the
 * rerun came back, another backend, a recorded set (then the rerun is capped to it, or says the
 * CPU cannot run it), or the same CPU (by `machine.cpu`, and by `machine.simd` where both record
 * it), or a CPU not known (`unknown` or absent).
 *
 * @param run the run's manifest: its `backend` (name, description) and `machine` (`cpu`, `simd`).
 * @param here this machine (`machineInfo()`), with `isa`, the set oneDNN's kernels use here where
 *   known (from the rerun's backend description).
 * @param differs whether the rerun differs (the verdict).
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { isaHint } from "./prefix_check.ts";
 * const run = {
 *   backend: { name: "onednn", device: "oneDNN 2.6.3 convolutions (omp, 1 thread(s))" },
 *   machine: { cpu: "Intel Xeon" },
 * };
 * assert(isaHint(run, { cpu: "AMD EPYC", simd: ["avx2"] }, true)?.includes("Intel Xeon"));
 * assertEquals(isaHint(run, { cpu: "Intel Xeon" }, true), undefined);
 * assertEquals(isaHint(run, { cpu: "AMD EPYC" }, false), undefined);
 * ```
 */
export function isaHint(
  run: Pick<TrainRunManifest, "backend" | "machine">,
  here: { cpu: string; simd?: readonly string[]; isa?: string },
  differs: boolean,
): string | undefined {
  if (!differs || run.backend?.name !== "onednn" || recordedIsa(run.backend.device) !== undefined) {
    return undefined;
  }
  const made = run.machine as { cpu?: unknown; simd?: unknown } | null | undefined;
  if (typeof made?.cpu !== "string" || made.cpu === "unknown" || here.cpu === "unknown") {
    return undefined;
  }
  const simd = Array.isArray(made.simd) && made.simd.length > 0 && (here.simd?.length ?? 0) > 0
    ? made.simd.join() !== here.simd!.join()
    : false;
  if (made.cpu === here.cpu && !simd) return undefined;
  return `made on ${cpuOf(made)}, rerun on ${cpuOf(here)}` +
    `${here.isa ? ` (oneDNN's ${here.isa} kernels)` : ""}, and the run does not record the ` +
    `instruction set of its oneDNN kernels: onednn runs do not rerun bit for bit across ` +
    `instruction sets (results/README.md, "Which results come back"), so the difference may be ` +
    `the CPU's, not the code's`;
}

class Enough extends Error {}

/**
 * Runs the check for `args` (see {@link HELP}), printing as it goes.
 *
 * @returns the exit code: 0 when every point comes back (and after `--help`), 1 when one differs.
 * @throws {Error} on a bad argument ({@link parsePrefixArgs}) or a run that cannot be rerun: no
 *   `run.json`, not a `train` run, fewer points than asked; the script prints it and exits 2.
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parsePrefixArgs(args);
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const { dir, points } = parsed;
  const file = join(dir, "run.json");
  const raw = await readJsonIfPresent(file);
  if (raw === undefined) throw new Error(`RUN_DIR: ${file} does not exist`);
  const manifest = parseRunManifest(raw, file);
  if (manifest.kind !== "train") {
    throw new Error(
      `${dir}/run.json: kind is "${manifest.kind}", expected "train" (a run of deno task train)`,
    );
  }
  // It reruns EDE-GAN's training step (its losses are the points compared): another model's run
  // would be retrained as an EDE-GAN and read as "differs".
  if ((manifest.model ?? "ede-gan") !== "ede-gan") {
    throw new Error(
      `${dir}/run.json: a ${manifest.model} run; this check reruns EDE-GAN runs only ` +
        `(model "ede-gan")`,
    );
  }
  // The file's own points: their losses in the order the run wrote them (the schema's parse puts
  // the fields it knows first).
  const steps = (raw as { steps?: Record<string, number>[] | null }).steps ?? [];
  if (steps.length < points) {
    throw new Error(`${dir}/run.json: fewer than ${points} points in 'steps' (${steps.length})`);
  }
  const options = rerunOptions(manifest);
  const backendName = manifest.backend?.name;
  if (!backendName) throw new Error(`${dir}/run.json: no backend recorded to rerun on`);
  const every = steps[0].step;
  const names = Object.keys(steps[0]).filter((k) => k !== "step" && k !== "epoch");
  const threads = /(\d+) thread\(s\)/.exec(manifest.backend?.device ?? "")?.[1];
  const limits = [
    options.limit !== undefined ? `limit ${options.limit}` : "",
    options.testLimit !== undefined ? `test limit ${options.testLimit}` : "",
  ].filter((s) => s !== "").join(", ");
  console.log(
    `${dir}: ${options.dataset} class ${options.normal}, width ` +
      `${options.model?.width}, batch ${options.batchSize}, seed ` +
      `${options.seed}, ema ${options.ema ?? "off"}${limits ? `, ${limits}` : ""}, ${backendName}` +
      `${threads && backendName === "onednn" ? ` at ${threads} thread(s)` : ""}; ` +
      `first ${points} points of ${every} steps`,
  );
  // The run's oneDNN instruction set, where recorded or known: this machine's oneDNN capped to it.
  const isa = rerunIsa(manifest);
  if (
    backendName === "onednn" && isa !== undefined &&
    maxCpuIsaCap(Deno.env.toObject()) === undefined
  ) {
    Deno.env.set("ONEDNN_MAX_CPU_ISA", isa.toUpperCase());
    console.log(
      `oneDNN capped to the run's ${isa} kernels (ONEDNN_MAX_CPU_ISA=${isa.toUpperCase()})`,
    );
  }
  const backend = await startBackend(
    backendName as BackendChoice,
    backendName === "onednn" && threads ? Number(threads) : undefined,
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
      ...options,
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
      const was = steps[i][name];
      const now = rerun[i][name];
      const rel = Math.abs(now - was) / Math.max(Math.abs(was), 1e-12);
      worst = Math.max(worst, rel);
      return `${name} ${was.toFixed(9)} -> ${now.toFixed(9)}`;
    });
    console.log(`step ${steps[i].step}: ${cells.join(", ")}`);
  }
  const differs = !(worst <= TOLERANCE);
  console.log(
    `largest relative difference ${worst.toExponential(2)}: ${differs ? "differs" : "comes back"}`,
  );
  const hint = isaHint(manifest, { ...machineInfo(), isa: recordedIsa(backend.device) }, differs);
  if (hint !== undefined) console.log(hint);
  return differs ? 1 : 0;
}

if (import.meta.main) {
  let code = 0;
  await runTask(async () => {
    code = await main(Deno.args);
  });
  Deno.exit(code);
}
