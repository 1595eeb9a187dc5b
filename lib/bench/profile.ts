/**
 * The `profile` benchmark suite: where the milliseconds of one teacher training step go, kernel
 * by kernel, at batch 1 and 64 on one backend (`--backend`, default onednn where it loads, else
 * wasm). Every kernel of the backend is wrapped with a wall-clock timer (the wasm and oneDNN
 * kernels are synchronous, so a kernel's wall time is its run time); rows give milliseconds and
 * calls per step, and the step's time outside any kernel (JavaScript: autodiff bookkeeping, tidy,
 * reads) as `(outside kernels)`. The `score-profile` suite does the same for one scoring call of
 * the teacher and of the 311:1 and 700:1 students.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { type BackendChoice, selectBackend } from "../backend/select.ts";
import {
  EdeGan,
  type EdeGanConfig,
  narrowerCosts,
  resolveConfig,
  studentConfig,
} from "../models/ede_gan/mod.ts";
import { studentForRatio } from "../distill/students.ts";
import { scoreImages } from "../score/score.ts";
import { registerSuite } from "./suites.ts";

/** One row: a kernel's share of a training step. */
export interface ProfileRow {
  backend: string;
  batch: number;
  kernel: string;
  ms_per_step: number;
  calls_per_step: number;
  share: number;
}

/**
 * Profiles the teacher's training step on `backend` at each batch size: `steps` timed steps after
 * two warm-up steps. Kernels taking under 0.5 % of a step are folded into `(other kernels)`.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times training steps of the full-size teacher
 * import { profileTrainingStep } from "./profile.ts";
 * console.table(await profileTrainingStep("wasm", [1], 3));
 * ```
 */
export async function profileTrainingStep(
  backend: BackendChoice,
  batches = [1, 64],
  steps?: number,
  onProgress?: (msg: string) => void,
): Promise<ProfileRow[]> {
  const selection = await selectBackend(backend);
  const { times, restore } = timeKernels();
  const rows: ProfileRow[] = [];
  try {
    for (const batch of batches) {
      onProgress?.(`${selection.backend} batch ${batch}`);
      const model = EdeGan.create({ width: 64 }, 1);
      const optimisers = model.createOptimisers();
      const x = tf.tidy(() => tf.tanh(tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", 7)));
      let step = 0;
      const train = () => model.trainStep(x as tf.Tensor4D, optimisers, { seed: 1, step: ++step });
      for (let i = 0; i < 2; i++) await train();
      times.clear();
      const n = steps ?? (batch === 1 ? 30 : 4);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await train();
      const stepMs = (performance.now() - t0) / n;
      let inKernels = 0;
      let otherMs = 0;
      let otherCalls = 0;
      const sorted = [...times].sort((a, b) => b[1][0] - a[1][0]);
      for (const [kernel, [ms, calls]] of sorted) {
        inKernels += ms / n;
        if (ms / n < 0.005 * stepMs) {
          otherMs += ms / n;
          otherCalls += calls / n;
          continue;
        }
        rows.push(row(selection.backend, batch, kernel, ms / n, calls / n, stepMs));
      }
      rows.push(row(selection.backend, batch, "(other kernels)", otherMs, otherCalls, stepMs));
      rows.push(row(selection.backend, batch, "(outside kernels)", stepMs - inKernels, 0, stepMs));
      rows.push(row(selection.backend, batch, "(step)", stepMs, 0, stepMs));
      x.dispose();
      optimisers.generator.dispose();
      optimisers.discriminator.dispose();
      model.dispose();
    }
  } finally {
    restore();
  }
  return rows;
}

/**
 * Wraps every kernel of the current backend with a wall-clock timer (ms and calls by kernel name,
 * in `times`) until `restore()`. A kernel called from inside another (the steps of
 * `EdeganScoreSequence`) is recorded under its path, `OUTER / NAME`, and only outermost calls count in
 * `topLevelMs`, so that the time outside kernels is not counted twice.
 */
function timeKernels(): {
  times: Map<string, [number, number]>;
  topLevelMs: () => number;
  restore: () => void;
} {
  const tfjsName = tf.getBackend();
  const times = new Map<string, [number, number]>();
  const wrapped: tf.KernelConfig[] = [];
  const stack: string[] = [];
  let topLevel = 0;
  for (const k of tf.getKernelsForBackend(tfjsName)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, tfjsName);
    tf.registerKernel({
      ...k,
      kernelFunc: (args: Parameters<tf.KernelFunc>[0]) => {
        const name = [...stack, k.kernelName].join(" / ");
        stack.push(k.kernelName);
        const t = performance.now();
        let out;
        try {
          out = f(args);
        } finally {
          stack.pop();
        }
        const ms = performance.now() - t;
        if (stack.length === 0) topLevel += ms;
        const entry = times.get(name) ?? [0, 0];
        entry[0] += ms;
        entry[1]++;
        times.set(name, entry);
        return out;
      },
    });
    wrapped.push(k);
  }
  const restore = () => {
    for (const k of wrapped) {
      tf.unregisterKernel(k.kernelName, tfjsName);
      tf.registerKernel(k);
    }
  };
  const clear = times.clear.bind(times);
  times.clear = () => {
    topLevel = 0;
    clear();
  };
  return { times, topLevelMs: () => topLevel, restore };
}

/** One row of the scoring profile: a kernel's share of one `scoreImages` call. */
export interface ScoreProfileRow {
  backend: string;
  model: string;
  batch: number;
  kernel: string;
  ms_per_call: number;
  calls_per_call: number;
  share: number;
}

/**
 * Where one scoring call (`scoreImages` on one batch) of the teacher and of the 311:1 and 700:1
 * students goes, kernel by kernel, at batch 256 and 1: the rest of the call is `(outside
 * kernels)` (JavaScript: op dispatch, tidy, pixels to tensor, the read and the checks). Kernels
 * under 2% of a call are folded into `(other kernels)`. The kernels that `EdeganScoreSequence`
 * runs (the whole scoring pass on the wasm backends) are rows `EdeganScoreSequence / NAME` (and
 * `... / NAME / INNER` for a kernel one of them calls), parts of the row above them, beside
 * `NAME (self)`: a kernel's time outside the kernels it calls (for `EdeganScoreSequence`, its
 * JavaScript between the steps).
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times the full-size teacher
 * import { profileScoring } from "./profile.ts";
 * console.table(await profileScoring("onednn"));
 * ```
 */
export async function profileScoring(
  backend: BackendChoice,
  onProgress?: (msg: string) => void,
): Promise<ScoreProfileRow[]> {
  const selection = await selectBackend(backend);
  const teacher = resolveConfig({ width: 64 });
  const costs = narrowerCosts(teacher);
  const models: [string, EdeGanConfig][] = [
    ["teacher", teacher],
    ...[311.11, 700].map((r) =>
      [`${r}:1`, studentConfig(teacher, studentForRatio(costs, r))] as [string, EdeGanConfig]
    ),
  ];
  const rows: ScoreProfileRow[] = [];
  const { times, topLevelMs, restore } = timeKernels();
  try {
    for (const [name, config] of models) {
      const model = EdeGan.create(config, 1);
      for (const batch of [256, 1]) {
        onProgress?.(`${selection.backend} ${name} batch ${batch}`);
        const set = {
          pixels: new Uint8Array(batch * 32 * 32).map((_, i) => (i * 37) % 256),
          labels: new Int32Array(batch),
          count: batch,
          height: 32,
          width: 32,
          channels: 1,
        };
        const call = () => scoreImages(model, set, { batchSize: batch });
        await call();
        times.clear();
        const n = batch === 1 ? 200 : name === "teacher" ? 3 : 20;
        const t0 = performance.now();
        for (let i = 0; i < n; i++) await call();
        const callMs = (performance.now() - t0) / n;
        const inKernels = topLevelMs() / n;
        let otherMs = 0, otherCalls = 0;
        const push = (kernel: string, ms: number, calls: number) =>
          rows.push({
            backend: selection.backend,
            model: name,
            batch,
            kernel,
            ms_per_call: Math.round(ms * 1000) / 1000,
            calls_per_call: Math.round(calls * 10) / 10,
            share: Math.round((ms / callMs) * 1000) / 1000,
          });
        const sorted = [...times].sort((a, b) => b[1][0] - a[1][0]);
        for (const [kernel, [ms, calls]] of sorted) {
          const depth = kernel.split(" / ").length;
          const nested = sorted.filter(([k]) =>
            k.startsWith(`${kernel} / `) && k.split(" / ").length === depth + 1
          );
          if (nested.length > 0) {
            // The outer kernel's own time, outside the kernels it calls.
            const own = ms - nested.reduce((sum, [, [m]]) => sum + m, 0);
            push(`${kernel} (self)`, own / n, 0);
          }
          if (ms / n < 0.02 * callMs) {
            otherMs += ms / n;
            otherCalls += calls / n;
          } else push(kernel, ms / n, calls / n);
        }
        push("(other kernels)", otherMs, otherCalls);
        push("(outside kernels)", callMs - inKernels, 0);
        push("(call)", callMs, 0);
      }
      model.dispose();
    }
  } finally {
    restore();
  }
  return rows;
}

function row(
  backend: string,
  batch: number,
  kernel: string,
  ms: number,
  calls: number,
  stepMs: number,
): ProfileRow {
  const r = (v: number, d = 100) => Math.round(v * d) / d;
  return {
    backend,
    batch,
    kernel,
    ms_per_step: r(ms),
    calls_per_step: r(calls, 10),
    share: r(ms / stepMs, 1000),
  };
}

registerSuite({
  name: "score-profile",
  description: "where a scoring call's milliseconds go: teacher, 311:1, 700:1 (batch 256, 1)",
  columns: ["backend", "model", "batch", "kernel", "ms_per_call", "calls_per_call", "share"],
  run: async (opts) =>
    (await profileScoring(
      opts.backend === "auto" ? "onednn" : opts.backend,
      opts.onProgress,
    )) as unknown as Record<string, unknown>[],
});

registerSuite({
  name: "profile",
  description: "where a teacher training step's milliseconds go, kernel by kernel (batch 1, 64)",
  columns: ["backend", "batch", "kernel", "ms_per_step", "calls_per_step", "share"],
  run: async (opts) =>
    (await profileTrainingStep(
      opts.backend === "auto" ? "auto" : opts.backend,
      undefined,
      undefined,
      opts.onProgress,
    )) as unknown as Record<string, unknown>[],
});
