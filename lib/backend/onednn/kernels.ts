/**
 * The tfjs kernels `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` on oneDNN, for the
 * wasm backend: they read and write the tensors where the wasm backend keeps them (its heap), by
 * pointer, with no copy. Inputs they do not handle (NCHW, dilation, non-float32, empty) go to the
 * kernel they replaced (edegan's wasm kernels).
 *
 * @module
 */

import type * as tf from "../../tf.ts";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { type BackpropAttrs, type ConvGeometry, convGeometry } from "../wasm_kernels/_geometry.ts";
import { type ConvDirection, runConvolution } from "./convolution.ts";

type Info = tf.TensorInfo;
type Shape4 = [number, number, number, number];

/** Attributes of the three convolution kernels as tfjs passes them. */
export interface ConvKernelAttrs extends BackpropAttrs {
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  inputShape?: Shape4;
  filterShape?: Shape4;
}

/** A kernel's arguments. */
export interface ConvKernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: ConvKernelAttrs;
}

/** The wasm heap's address and each tensor's address in it (taken after every allocation). */
function addresses(backend: BackendWasm, infos: Info[]): Deno.PointerValue[] {
  const heap = (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  const base = Deno.UnsafePointer.of(heap as Uint8Array<ArrayBuffer>);
  return infos.map((info) =>
    Deno.UnsafePointer.offset(base!, backend.dataIdMap.get(info.dataId)!.memoryOffset)
  );
}

function handles(attrs: ConvKernelAttrs, ...infos: Info[]): boolean {
  const d = attrs.dilations ?? 1;
  const [dh, dw] = typeof d === "number" ? [d, d] : d;
  return attrs.dataFormat !== "NCHW" && dh === 1 && dw === 1 &&
    infos.every((i) => i.dtype === "float32" && i.shape.length === 4);
}

function isEmpty(g: ConvGeometry): boolean {
  return g.batch * g.outHeight * g.outWidth * g.outChannels * g.inChannels * g.inHeight *
      g.inWidth === 0;
}

/**
 * Runs one convolution direction on oneDNN, or returns `undefined` when the inputs are of a kind
 * it leaves to the fallback.
 */
export function onednnConvolution(
  direction: ConvDirection,
  args: ConvKernelArgs,
): Info | undefined {
  const { inputs, backend, attrs } = args;
  let g: ConvGeometry;
  let a: Info, b: Info, outShape: number[];
  if (direction === "forward") {
    const { x, filter } = inputs as { x: Info; filter: Info };
    if (!handles(attrs, x, filter)) return undefined;
    g = convGeometry(x.shape as Shape4, filter.shape as Shape4, attrs);
    [a, b] = [x, filter];
    outShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
  } else if (direction === "backwardData") {
    const { dy, filter } = inputs as { dy: Info; filter: Info };
    if (!handles(attrs, dy, filter)) return undefined;
    g = convGeometry(attrs.inputShape!, filter.shape as Shape4, attrs);
    [a, b] = [dy, filter];
    outShape = attrs.inputShape!;
  } else {
    const { x, dy } = inputs as { x: Info; dy: Info };
    if (!handles(attrs, x, dy)) return undefined;
    g = convGeometry(x.shape as Shape4, attrs.filterShape!, attrs);
    [a, b] = [x, dy];
    outShape = attrs.filterShape!;
  }
  if (isEmpty(g)) return undefined;
  const out = backend.makeOutput(outShape, "float32");
  runConvolution(direction, g, addresses(backend, [a, b, out]));
  return out;
}
