/**
 * Where a training step's convolution time goes, call by call: every `Conv2D`,
 * `Conv2DBackpropInput` and `Conv2DBackpropFilter` call of the teacher's training step timed, by
 * pass (forward, data gradient, weight gradient) and geometry, with who ran it (oneDNN or edegan's
 * wasm loop) and, for oneDNN, the filter's reorder timed apart from the convolution
 * (`convolutionProbe` of `lib/backend/onednn/convolution.ts`). Wall-clock times of synchronous
 * calls: under load a call's median over many steps is the figure to read.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { EdeGan } from "../models/ede_gan/mod.ts";
import { type ConvGeometry, convGeometry } from "../backend/mod.ts";
import {
  convolutionProbe,
  type ConvolutionProbeCall,
  geometryKey,
} from "../backend/onednn/convolution.ts";

/** One row: one pass of one geometry, per training step. */
export interface ConvCallRow {
  /** `forward`, `data gradient` or `weight gradient`. */
  pass: string;
  /** {@link geometryKey}: input > output, kernel, stride, padding. */
  shape: string;
  /** `onednn (implementation, threads)` or `wasm`. */
  by: string;
  calls_per_step: number;
  /** Median wall ms of one call (the kernel function: output allocation included). */
  ms_per_call: number;
  /** Of which the filter's (or its gradient's) reorders, mean ms a step (oneDNN only). */
  reorder_ms_per_step: number;
  /** Multiply-adds ×2 over the median call time. */
  gflops: number;
}

const PASSES: Record<string, string> = {
  Conv2D: "forward",
  Conv2DBackpropInput: "data gradient",
  Conv2DBackpropFilter: "weight gradient",
};

function geometryOf(kernel: string, args: Parameters<tf.KernelFunc>[0]): ConvGeometry {
  const attrs = args.attrs as unknown as {
    inputShape: [number, number, number, number];
    filterShape: [number, number, number, number];
    strides: number | [number, number];
    pad: "same" | "valid" | number;
  };
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const shape4 = (s: number[]) => s as [number, number, number, number];
  if (kernel === "Conv2D") {
    return convGeometry(shape4(inputs.x.shape), shape4(inputs.filter.shape), attrs);
  }
  if (kernel === "Conv2DBackpropInput") {
    return convGeometry(attrs.inputShape, shape4(inputs.filter.shape), attrs);
  }
  return convGeometry(shape4(inputs.x.shape), attrs.filterShape, attrs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)];
}

/**
 * Times every convolution call of `steps` teacher training steps at `batch` on the active backend
 * (after two warm-up steps), and returns one row per pass and geometry, slowest first.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it trains the full-size teacher
 * import { timeConvolutionCalls } from "./conv_calls.ts";
 * console.table(await timeConvolutionCalls(1, 20));
 * ```
 */
export async function timeConvolutionCalls(batch: number, steps: number): Promise<ConvCallRow[]> {
  const backend = tf.getBackend();
  const calls = new Map<string, { ms: number[]; reorder: number[]; macs: number; by: string }>();
  let recording = false;
  const probe: { call?: ConvolutionProbeCall } = {};
  const wrapped: tf.KernelConfig[] = [];
  for (const k of tf.getKernelsForBackend(backend)) {
    if (!(k.kernelName in PASSES)) continue;
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args: Parameters<tf.KernelFunc>[0]) => {
        probe.call = undefined;
        const t0 = performance.now();
        const out = inner(args);
        const ms = performance.now() - t0;
        if (recording) {
          const g = geometryOf(k.kernelName, args);
          const probed = probe.call as ConvolutionProbeCall | undefined;
          const by = probed === undefined
            ? "wasm"
            : `onednn ${probed.implementation}${probed.singleThread ? "" : " (threads)"}`;
          const id = `${PASSES[k.kernelName]}|${geometryKey(g)}|${by}`;
          const entry = calls.get(id) ??
            {
              ms: [],
              reorder: [],
              macs: g.batch * g.outHeight * g.outWidth * g.outChannels * g.filterHeight *
                g.filterWidth * g.inChannels,
              by,
            };
          entry.ms.push(ms);
          entry.reorder.push(probed?.reorderMs ?? 0);
          calls.set(id, entry);
        }
        return out;
      },
    });
    wrapped.push(k);
  }
  convolutionProbe.record = (call) => probe.call = call;
  const model = EdeGan.create({ width: 64 }, 1);
  const optimisers = model.createOptimisers();
  const x = tf.tidy(() => tf.tanh(tf.randomNormal([batch, 32, 32, 1], 0, 1, "float32", 7)));
  try {
    let step = 0;
    const train = () => model.trainStep(x as tf.Tensor4D, optimisers, { seed: 1, step: ++step });
    for (let i = 0; i < 2; i++) await train();
    recording = true;
    for (let i = 0; i < steps; i++) await train();
  } finally {
    recording = false;
    convolutionProbe.record = undefined;
    for (const k of wrapped) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
    x.dispose();
    optimisers.generator.dispose();
    optimisers.discriminator.dispose();
    model.dispose();
  }
  const rows: ConvCallRow[] = [...calls].map(([id, e]) => {
    const [pass, shape] = id.split("|");
    const ms = median(e.ms);
    return {
      pass,
      shape,
      by: e.by,
      calls_per_step: e.ms.length / steps,
      ms_per_call: ms,
      reorder_ms_per_step: e.reorder.reduce((a, b) => a + b, 0) / steps,
      gflops: ms > 0 ? 2 * e.macs / ms / 1e6 : 0,
    };
  });
  return rows.sort((a, b) => b.ms_per_call * b.calls_per_step - a.ms_per_call * a.calls_per_step);
}
