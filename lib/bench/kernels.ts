/**
 * The `kernels` benchmark suite: the three convolution kernels of every EDE-GAN teacher layer
 * (32x32x1 input, width 64, latent 100, 4x4 kernels, no bias) on the cpu backend, the stock wasm
 * backend, the wasm backend with the edegan training kernels, and oneDNN on the wasm heap (every
 * core, or `EDEGAN_THREADS`) where `libdnnl.so.2` loads.
 *
 * Each kernel is called directly (`kernelFunc` with its backend), outside the engine, on inputs
 * already on that backend, with new input tensors on every call as in training (where each
 * optimiser step makes new filters, and XNNPACK repacks any weights operand it has not seen, the
 * filter of Conv2D or dy in a product); a figure is
 * the median of `repeats` calls after a warm-up (at least one call and 100 ms). The
 * decoder mirrors the encoder, so a decoder layer's kernels are the encoder's with roles swapped
 * (its forward pass is `Conv2DBackpropInput`, its input gradient `Conv2D`); each distinct
 * computation is measured once and reported under every layer that runs it.
 *
 * @module
 */

import * as tf from "../tf.ts";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { convGeometry, loadDnnl, registerKernels, stockKernel } from "../backend/mod.ts";
import {
  type ConvKernelArgs,
  onednnConvolution,
  onednnServes,
  routing,
} from "../backend/onednn/kernels.ts";
import { setDnnlThreads, threadCount } from "../backend/onednn/threads.ts";
import type { ConvDirection } from "../backend/onednn/convolution.ts";

const DIRECTIONS: Record<KernelName, ConvDirection> = {
  Conv2D: "forward",
  Conv2DBackpropInput: "backwardData",
  Conv2DBackpropFilter: "backwardWeights",
};

/** Whether oneDNN loads here (and, once it has, runs on every core). */
function onednnLoads(): boolean {
  try {
    setDnnlThreads(loadDnnl(), threadCount());
    return true;
  } catch {
    return false;
  }
}

/** A kernel the suite measures. */
export type KernelName = "Conv2D" | "Conv2DBackpropInput" | "Conv2DBackpropFilter";
/** Which implementation ran it. */
export type KernelImpl = "cpu" | "wasm-stock" | "wasm-edegan" | "onednn";

/** One measured figure. */
export interface KernelRow {
  kernel: KernelName;
  /** The layer and its shapes, e.g. `enc2 conv 16x16x64->8x8x128 k4 s2 same`. */
  shape: string;
  impl: KernelImpl;
  /** Median milliseconds per call. */
  ms: number;
  /** Useful GFLOP/s: 2·N·Ho·Wo·Co·kh·kw·Ci of the convolution over `ms`. */
  gflops: number;
  batch: number;
  /** For `onednn` rows: whether the onednn backend runs this on oneDNN (else on edegan wasm). */
  served?: boolean;
}

/** Options of {@link runKernelSuite}. */
export interface KernelSuiteOptions {
  /** Batch sizes (default [1, 64]). */
  batches?: number[];
  /** Timed calls per figure after the warm-up (default 5; cpu above batch 1: at most 3, no warm-up). */
  repeats?: number;
  /** Which implementations (default: all, `onednn` where `libdnnl.so.2` loads). */
  impls?: KernelImpl[];
  /**
   * The cpu backend is skipped at a batch size where its batch-1 time scaled by the batch would
   * exceed this many milliseconds per call (default 2000; its Conv2DBackpropFilter takes seconds
   * at batch 1). The row is then absent.
   */
  cpuBudgetMs?: number;
  /** Called with a line of progress now and then. */
  onProgress?: (msg: string) => void;
}

/** One layer of the teacher: a convolution or transposed convolution, 4x4 kernel. */
export interface TeacherLayer {
  name: string;
  kind: "conv" | "convT";
  /** [height, width, channels] in and out, in the layer's own direction. */
  from: [number, number, number];
  to: [number, number, number];
  stride: number;
  pad: "same" | "valid";
}

/** Every convolution layer of the EDE-GAN teacher (E1 and Dec; E2 repeats E1). */
export const TEACHER_LAYERS: readonly TeacherLayer[] = [
  { name: "enc1", kind: "conv", from: [32, 32, 1], to: [16, 16, 64], stride: 2, pad: "same" },
  { name: "enc2", kind: "conv", from: [16, 16, 64], to: [8, 8, 128], stride: 2, pad: "same" },
  { name: "enc3", kind: "conv", from: [8, 8, 128], to: [4, 4, 256], stride: 2, pad: "same" },
  { name: "enc4", kind: "conv", from: [4, 4, 256], to: [1, 1, 100], stride: 1, pad: "valid" },
  { name: "dec1", kind: "convT", from: [1, 1, 100], to: [4, 4, 256], stride: 1, pad: "valid" },
  { name: "dec2", kind: "convT", from: [4, 4, 256], to: [8, 8, 128], stride: 2, pad: "same" },
  { name: "dec3", kind: "convT", from: [8, 8, 128], to: [16, 16, 64], stride: 2, pad: "same" },
  { name: "dec4", kind: "convT", from: [16, 16, 64], to: [32, 32, 1], stride: 2, pad: "same" },
];

const KERNEL = 4;
const KERNELS: readonly KernelName[] = ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"];

/** The forward convolution a layer's kernels belong to: x [H,W,Ci] -> y [Ho,Wo,Co]. */
interface Conv {
  x: [number, number, number];
  y: [number, number, number];
  stride: number;
  pad: "same" | "valid";
}

function convOf(layer: TeacherLayer): Conv {
  return layer.kind === "conv"
    ? { x: layer.from, y: layer.to, stride: layer.stride, pad: layer.pad }
    : { x: layer.to, y: layer.from, stride: layer.stride, pad: layer.pad };
}

function describe(layer: TeacherLayer): string {
  const dims = (s: number[]) => s.join("x");
  return `${layer.name} ${layer.kind} ${dims(layer.from)}->${dims(layer.to)} k${KERNEL} ` +
    `s${layer.stride} ${layer.pad}`;
}

function gflop(conv: Conv, batch: number): number {
  const [ho, wo, co] = conv.y;
  return 2 * batch * ho * wo * co * KERNEL * KERNEL * conv.x[2] / 1e9;
}

interface Backend {
  write(values: Float32Array, shape: number[], dtype: "float32"): object;
  disposeData(dataId: object): void;
}

/** The inputs and attributes of one kernel call on a convolution. */
function kernelCall(kernel: KernelName, conv: Conv, batch: number) {
  const x = [batch, ...conv.x];
  const dy = [batch, ...conv.y];
  const filter = [KERNEL, KERNEL, conv.x[2], conv.y[2]];
  const common = { strides: conv.stride, pad: conv.pad, dataFormat: "NHWC" };
  switch (kernel) {
    case "Conv2D":
      return { shapes: { x, filter }, attrs: { ...common, dilations: 1 } };
    case "Conv2DBackpropInput":
      return { shapes: { dy, filter }, attrs: { ...common, inputShape: x } };
    case "Conv2DBackpropFilter":
      return { shapes: { x, dy }, attrs: { ...common, filterShape: filter } };
  }
}

function kernelFuncOf(kernel: KernelName, impl: KernelImpl): tf.KernelFunc | undefined {
  if (impl === "cpu") return tf.getKernel(kernel, "cpu")?.kernelFunc;
  if (impl === "onednn") {
    return (args) => {
      const out = everywhere(() =>
        onednnConvolution(DIRECTIONS[kernel], args as unknown as ConvKernelArgs)
      );
      if (out === undefined) throw new Error(`onednn: ${kernel} refused the bench's inputs`);
      return out;
    };
  }
  if (impl === "wasm-stock") {
    return stockKernel(kernel); // undefined for Conv2DBackpropFilter: the stock backend has none
  }
  return tf.getKernel(kernel, "wasm")?.kernelFunc;
}

/** Runs `f` with every convolution routed to oneDNN (the bench measures the shapes it leaves too). */
function everywhere<T>(f: () => T): T {
  routing.everything = true;
  try {
    return f();
  } finally {
    routing.everything = false;
  }
}

function servedByOnednn(kernel: KernelName, conv: Conv, batch: number): boolean {
  const g = convGeometry(
    [batch, ...conv.x] as [number, number, number, number],
    [KERNEL, KERNEL, conv.x[2], conv.y[2]],
    { strides: conv.stride, pad: conv.pad as "same" },
  );
  return onednnServes(DIRECTIONS[kernel], g);
}

/** The median of some timings (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Warm-up budget of every figure but the slow cpu ones (see {@link KernelSuiteOptions.repeats}). */
const WARM_UP_MS = 100;
const WARM_UP_MAX_CALLS = 50;

/** Median milliseconds of one kernel call. */
function time(
  kernelFunc: tf.KernelFunc,
  backend: Backend,
  call: ReturnType<typeof kernelCall>,
  warmups: number,
  repeats: number,
): number {
  const inputs: Record<string, tf.TensorInfo> = {};
  const values: Record<string, Float32Array> = {};
  let seed = 1;
  for (const [name, shape] of Object.entries(call.shapes)) {
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    values[name] = new Float32Array(size);
    for (let i = 0; i < size; i++) values[name][i] = Math.sin(i * 0.7 + seed) * 0.5;
    seed++;
  }
  const run = () => {
    // New input tensors on every call, as in training (written before the clock starts).
    for (const [name, shape] of Object.entries(call.shapes)) {
      if (inputs[name] !== undefined) backend.disposeData(inputs[name].dataId);
      inputs[name] = {
        dataId: backend.write(values[name], shape, "float32"),
        shape,
        dtype: "float32",
      };
    }
    const start = performance.now();
    const out = kernelFunc({
      inputs,
      backend: backend as unknown as tf.KernelBackend,
      attrs: call.attrs as unknown as tf.NamedAttrMap,
    }) as tf.TensorInfo;
    const ms = performance.now() - start;
    backend.disposeData(out.dataId);
    return ms;
  };
  // Warm up until the JIT has compiled the JavaScript parts of a kernel (im2col, col2im and the
  // like run for thousands of steps in training, never cold): at least `warmups` calls and
  // WARM_UP_MS milliseconds, at most WARM_UP_MAX_CALLS calls.
  const warmStart = performance.now();
  for (
    let calls = 0;
    calls < warmups ||
    (warmups > 0 && calls < WARM_UP_MAX_CALLS && performance.now() - warmStart < WARM_UP_MS);
    calls++
  ) run();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(run());
  for (const info of Object.values(inputs)) backend.disposeData(info.dataId);
  return median(times);
}

/**
 * Measures Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter of every teacher layer on each
 * implementation and batch size. Leaves the previously active backend active again.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it times every kernel shape for minutes
 * import { runKernelSuite } from "./kernels.ts";
 * const rows = await runKernelSuite({ batches: [1], repeats: 3, onProgress: console.log });
 * console.table(rows);
 * ```
 */
export async function runKernelSuite(opts: KernelSuiteOptions = {}): Promise<KernelRow[]> {
  const batches = [...(opts.batches ?? [1, 64])].sort((a, b) => a - b);
  const repeats = opts.repeats ?? 5;
  const impls = opts.impls ??
    ["cpu", "wasm-stock", "wasm-edegan", ...(onednnLoads() ? ["onednn" as const] : [])];
  const cpuBudgetMs = opts.cpuBudgetMs ?? 2000;
  const progress = opts.onProgress ?? (() => {});
  const previous = tf.getBackend();
  void wasm; // importing it registers the 'wasm' backend
  if (!await tf.setBackend("wasm")) throw new Error("the wasm backend did not start");
  registerKernels("wasm"); // wasm-edegan rows are the wasm kernels, whatever ran before
  const backends: Record<"cpu" | "wasm", Backend> = {
    wasm: tf.findBackend("wasm") as unknown as Backend,
    cpu: (await tf.setBackend("cpu"), tf.findBackend("cpu")) as unknown as Backend,
  };
  const measured = new Map<string, number>();
  const rows: KernelRow[] = [];
  try {
    for (const batch of batches) {
      for (const layer of TEACHER_LAYERS) {
        const conv = convOf(layer);
        for (const kernel of KERNELS) {
          for (const impl of impls) {
            const kernelFunc = kernelFuncOf(kernel, impl);
            if (kernelFunc === undefined) continue;
            const key = JSON.stringify([kernel, impl, batch, conv]);
            let ms = measured.get(key);
            if (ms === undefined && impl === "cpu" && batch > 1) {
              const single = measured.get(JSON.stringify([kernel, impl, 1, conv]));
              if (single !== undefined && single * batch > cpuBudgetMs) {
                progress(
                  `${kernel} ${describe(layer)} batch ${batch} cpu: skipped ` +
                    `(about ${(single * batch / 1e3).toFixed(0)} s per call)`,
                );
                continue;
              }
            }
            if (ms === undefined) {
              const slow = impl === "cpu" && batch > 1;
              const backend = backends[impl === "cpu" ? "cpu" : "wasm"];
              ms = time(
                kernelFunc,
                backend,
                kernelCall(kernel, conv, batch),
                slow ? 0 : 1,
                slow ? Math.min(repeats, 3) : repeats,
              );
              measured.set(key, ms);
              progress(`${kernel} ${describe(layer)} batch ${batch} ${impl}: ${ms.toFixed(2)} ms`);
            }
            rows.push({
              kernel,
              shape: describe(layer),
              impl,
              ms,
              gflops: gflop(conv, batch) / (ms / 1e3),
              batch,
              ...(impl === "onednn" ? { served: servedByOnednn(kernel, conv, batch) } : {}),
            });
          }
        }
      }
    }
  } finally {
    if (previous) await tf.setBackend(previous);
  }
  return rows;
}
