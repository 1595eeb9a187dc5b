/**
 * This machine's peak float32 FLOP/s as oneDNN reaches it: one large convolution (64 images of
 * 16x16x256 by a 3x3x256x256 filter, stride 1: 19.3 GFLOP a call, compute-bound), on every core
 * the backend was given, the best of several calls. The model suite prints each phase's achieved
 * FLOP/s beside it, so a figure says how far it is from what this CPU can do.
 *
 * Achieved FLOP/s of a phase count the convolutions' multiply-adds (2 FLOPs each) from the layer
 * shapes (`lib/models/ede_gan/cost.ts`): scoring one image runs E1, Dec and E2 once forward;
 * training one image runs, per EDE-GAN step, the generator forward and backward (data and weight
 * gradients: 3 G) and the discriminator four times forward, once backward for data on the fake
 * images (the generator's step) and twice backward for data and weights (its own step):
 * 3 G + 9 D multiply-adds. BatchNorm, activations, losses and Adam are left out (a few percent).
 *
 * @module
 */

import { convGeometry, loadDnnl } from "../backend/mod.ts";
import { runConvolution } from "../backend/onednn/convolution.ts";
import { setDnnlThreads, threadCount } from "../backend/onednn/threads.ts";
import type { ModelCost } from "../models/ede_gan/cost.ts";

/** The peak measurement. */
export interface PeakFlops {
  /** Best GFLOP/s over the calls. */
  gflops: number;
  /** oneDNN's threads. */
  threads: number;
  /** What was run. */
  kernel: string;
  /** How many calls the best was taken over. */
  calls: number;
}

const SHAPE = { batch: 64, size: 16, channels: 256, kernel: 3 } as const;

/**
 * Measures the peak with oneDNN (`threads`, default every core the onednn backend would take),
 * or returns `undefined` when oneDNN does not load here.
 *
 * @example
 * ```ts ignore
 * // not run as a test: about a second of every core
 * import { measurePeakFlops } from "./peak.ts";
 * console.log(measurePeakFlops());
 * ```
 */
export function measurePeakFlops(
  opts: { threads?: number; calls?: number } = {},
): PeakFlops | undefined {
  let lib;
  try {
    lib = loadDnnl();
  } catch {
    return undefined;
  }
  const threads = setDnnlThreads(lib, opts.threads ?? threadCount());
  const { batch, size, channels, kernel } = SHAPE;
  const g = convGeometry([batch, size, size, channels], [kernel, kernel, channels, channels], {
    strides: 1,
    pad: "same",
  });
  const x = new Float32Array(batch * size * size * channels).fill(0.5);
  const f = new Float32Array(kernel * kernel * channels * channels).fill(0.01);
  const y = new Float32Array(batch * size * size * channels);
  const pointers = [x, f, y].map((a) => Deno.UnsafePointer.of(a));
  const flops = 2 * batch * size * size * channels * channels * kernel * kernel;
  const calls = opts.calls ?? 8;
  runConvolution("forward", g, pointers); // the plan is made once
  let best = Infinity;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    runConvolution("forward", g, pointers);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return {
    gflops: Math.round(flops / best / 1e7) / 100,
    threads,
    kernel: `oneDNN conv ${batch}x${size}x${size}x${channels}, 3x3x${channels}x${channels} s1`,
    calls,
  };
}

/**
 * FLOPs per image of a phase of an EDE-GAN of this cost (see the module's note on what counts).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { phaseFlops } from "./peak.ts";
 * const cost = { generator: { macs: 10 }, parts: { discriminator: { macs: 1 } } };
 * assertEquals([phaseFlops(cost, "score"), phaseFlops(cost, "train")], [20, 78]);
 * ```
 */
export function phaseFlops(
  cost: {
    generator: Pick<ModelCost["generator"], "macs">;
    parts: { discriminator: { macs: number } };
  },
  phase: "train" | "score",
): number {
  const g = cost.generator.macs;
  const d = cost.parts.discriminator.macs;
  return phase === "score" ? 2 * g : 2 * (3 * g + 9 * d);
}
