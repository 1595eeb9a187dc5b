/**
 * Shared test helpers: backend switching, and the rule that under `CI=true` a test whose tool is
 * missing fails instead of skipping.
 *
 * @module
 */

import * as tf from "../lib/tf.ts";
import { type BackendName, selectBackend } from "../lib/backend/select.ts";
import { loadDnnl } from "../lib/backend/onednn/_ffi.ts";
import type { ImageSet } from "../lib/data/types.ts";
import { resolveModelDir } from "../lib/score/model_dir.ts";
import { join } from "@std/path";

/** Whether this run is CI, where no test may skip. */
export const IN_CI = Deno.env.get("CI") === "true";

/**
 * Whether the slow tests run: `EDEGAN_SLOW=1` (`deno task test:slow` sets it and runs only them).
 * A slow test repeats, on other data, what a test of the default suite already proves end to end;
 * its name starts with `[slow]` and it is ignored otherwise (docs/testing.md lists them).
 */
export const SLOW = Deno.env.get("EDEGAN_SLOW") === "1";

/**
 * Switches tfjs to a backend for a test. `onednn` and `wasm` share tfjs's `wasm` backend (oneDNN
 * only takes its convolutions), so those two are always selected anew.
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (tf.getBackend() !== name || name === "wasm") await selectBackend(name);
}

/**
 * `true` when a test must be skipped because `what` is missing here; under CI, missing tools are
 * an error instead (CI installs them).
 */
export function skipUnless(available: boolean, what: string): boolean {
  if (available) return false;
  if (IN_CI) throw new Error(`CI=true but ${what} is missing: .ci/run should have installed it`);
  console.warn(`skipping: ${what} is missing`);
  return true;
}

/**
 * Runs `fn` with each variable of `vars` set (a string) or removed (`undefined`), then puts every
 * one back as it was before, also when `fn` throws or its promise rejects. The tests of a file
 * share one process's environment: a test that deletes a variable it set, instead of restoring it,
 * changes what the later tests see (a user's `EDEGAN_BACKEND`, CI's `OMP_NUM_THREADS`). `fn` may
 * set the same variables again; they are restored all the same (tests/helpers_test.ts).
 */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, Deno.env.get(name)]));
  apply(vars);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    apply(before);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => apply(before)) as T;
  apply(before);
  return result;
}

/** Largest absolute difference of two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Runs `deno run -A ARGS` from the repository root as a user would (progress bars off) and returns
 * its exit code and its stdout and stderr together; `env` is added to (and wins over) this
 * process's environment.
 */
export async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
    env: { EDEGAN_NO_PROGRESS: "1", ...env },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, text: decode(out.stdout) + decode(out.stderr) };
}

/**
 * Runs `deno run -A tasks/<name>.ts ARGS` from the repository root as a user would (progress bars
 * off), with stdout and stderr apart; killed after 2 minutes (every case that uses it must fail or
 * finish in seconds, not start training).
 */
export async function runTask(
  name: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${name}.ts`, ...args],
    cwd: new URL("../", import.meta.url),
    env: { EDEGAN_NO_PROGRESS: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/**
 * The smallest real training run the run-folder tests use: MNIST digit 1, 32 training and 40 test
 * images, a width-4 EDE-GAN, one epoch at batch 8, warnings silenced. Spread it and add `out`.
 */
export const TINY_RUN = {
  dataset: "mnist" as const,
  normal: 1,
  epochs: 1,
  batchSize: 8,
  seed: 0,
  model: { width: 4, latentSize: 8 },
  limit: 32,
  testLimit: 40,
  warn: () => {},
};

/** Whether oneDNN's library (`libdnnl.so.2`, Debian's `libdnnl2`) loads on this machine. */
export function dnnlAvailable(): boolean {
  try {
    loadDnnl();
    return true;
  } catch {
    return false;
  }
}

/** The first `count` images of a set (names dropped). */
export function firstImages(set: ImageSet, count: number): ImageSet {
  const per = set.height * set.width * set.channels;
  return {
    ...set,
    pixels: set.pixels.slice(0, count * per),
    labels: set.labels.slice(0, count),
    count,
    names: undefined,
  };
}

/**
 * A temporary copy of the shipped teacher `mnist-2` whose run.json records `bnStats` as the
 * statistics its scores were reported with; returns its model folder (`<tmp>/run/model`). The
 * caller removes the temporary folder ({@link tempRoot} of the returned path).
 */
export async function teacherRecording(bnStats: string): Promise<string> {
  const from = (await resolveModelDir("shipped:mnist-2")).replace(/\/model\/?$/, "");
  const dir = await Deno.makeTempDir({ prefix: "edegan-pool-bn-" });
  const cp = await new Deno.Command("cp", { args: ["-r", from, join(dir, "run")] }).output();
  if (!cp.success) throw new Error(new TextDecoder().decode(cp.stderr));
  const runJson = join(dir, "run", "run.json");
  const manifest = JSON.parse(await Deno.readTextFile(runJson));
  manifest.scoring = { ...manifest.scoring, bnStats };
  await Deno.writeTextFile(runJson, JSON.stringify(manifest));
  return join(dir, "run", "model");
}

/** The temporary folder of a {@link teacherRecording} model folder. */
export const tempRoot = (model: string) => model.replace(/\/run\/model$/, "");

/**
 * A distillation small enough for a test (seconds on wasm): MNIST digit 7, 64 training and 200
 * test images, a width-4 teacher of one epoch, one width-2 student of 1 + 1 epochs trained alone.
 * Spread it and override what a test varies: `{ ...TINY_DISTILLATION, out, methods: ["pkdgan"] }`.
 */
export const TINY_DISTILLATION = {
  dataset: "mnist" as const,
  normal: 7,
  seed: 1,
  limit: 64,
  testLimit: 200,
  teacher: { width: 4, epochs: 1, batchSize: 16 },
  students: [2],
  epochs: { step1: 1, step2: 1 },
  batchSize: 16,
  methods: ["scratch" as const],
};
