/**
 * Data movement done in JavaScript directly on the wasm heap, for the rearrangements no stock
 * kernel does in one pass (im2col and its adjoint, phase interleaving, filter re-layout). Each function allocates
 * its output first and only then takes views, since an allocation may grow (and detach) the heap.
 *
 * @module
 */

import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { Info } from "./_ops.ts";
import type { ConvGeometry } from "./_geometry.ts";

/** Below this many floats a plain loop beats `copyWithin`'s call overhead. */
const SHORT_RUN = 24;

/** The whole heap as floats, and the float offset of each tensor given. */
function views(backend: BackendWasm, ...infos: Info[]): [Float32Array, ...number[]] {
  const heap = new Float32Array(backend.typedArrayFromHeap(infos[0]).buffer);
  return [heap, ...infos.map((info) => backend.dataIdMap.get(info.dataId)!.memoryOffset >>> 2)];
}

function copy(heap: Float32Array, to: number, from: number, length: number): void {
  if (length < SHORT_RUN) {
    for (let i = 0; i < length; i++) heap[to + i] = heap[from + i];
  } else {
    heap.copyWithin(to, from, from + length);
  }
}

function zero(heap: Float32Array, to: number, length: number): void {
  if (length < SHORT_RUN) {
    for (let i = 0; i < length; i++) heap[to + i] = 0;
  } else {
    heap.fill(0, to, to + length);
  }
}

/** The output columns j in [first, end) whose input column j·sw + b - padLeft lies inside x. */
function columnsInside(
  outWidth: number,
  width: number,
  strideWidth: number,
  padLeft: number,
  b: number,
): [number, number] {
  const first = Math.min(outWidth, Math.max(0, Math.ceil((padLeft - b) / strideWidth)));
  const end = Math.max(
    first,
    Math.min(outWidth, Math.floor((width - 1 + padLeft - b) / strideWidth) + 1),
  );
  return [first, end];
}

/**
 * im2col of an NHWC input: rows (n, i, j), columns (a, b, c), holding
 * x[n, i·sh + a - padTop, j·sw + b - padLeft, c] or 0 outside x. Shape [N·Ho·Wo, kh·kw·C]: the
 * left operand of a convolution as one matrix product with the filter [kh·kw·C, Co].
 */
export function im2col(backend: BackendWasm, x: Info, g: ConvGeometry): Info {
  const {
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padTop,
    padLeft,
  } = g;
  const [batch, height, width, channels] = x.shape;
  const rowLength = filterWidth * channels;
  const out = backend.makeOutput(
    [batch * outHeight * outWidth, filterHeight * rowLength],
    "float32",
  );
  const [heap, xAt, outAt] = views(backend, x, out);
  let to = outAt;
  for (let n = 0; n < batch; n++) {
    const image = xAt + n * height * width * channels;
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const w0 = j * strideWidth - padLeft;
        const bFirst = Math.min(filterWidth, Math.max(0, -w0));
        const bEnd = Math.max(bFirst, Math.min(filterWidth, width - w0));
        const before = bFirst * channels;
        const run = (bEnd - bFirst) * channels;
        const after = rowLength - before - run;
        for (let a = 0; a < filterHeight; a++, to += rowLength) {
          const h = i * strideHeight + a - padTop;
          if (h < 0 || h >= height) {
            zero(heap, to, rowLength);
            continue;
          }
          if (before > 0) zero(heap, to, before);
          copy(heap, to + before, image + (h * width + w0 + bFirst) * channels, run);
          if (after > 0) zero(heap, to + before + run, after);
        }
      }
    }
  }
  return out;
}

/**
 * Transposed im2col of an NHWC input: rows (a, b, c), columns (n, i, j), holding
 * x[n, i·sh + a - padTop, j·sw + b - padLeft, c] or 0 outside x. Shape [kh·kw·C, N·Ho·Wo].
 * Meant for small inputs (it gathers with stride C).
 */
export function im2colTransposed(
  backend: BackendWasm,
  x: Info,
  g: ConvGeometry,
): Info {
  const {
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padTop,
    padLeft,
  } = g;
  const [batch, height, width, channels] = x.shape;
  const out = backend.makeOutput(
    [filterHeight * filterWidth * channels, batch * outHeight * outWidth],
    "float32",
  );
  const [heap, xAt, outAt] = views(backend, x, out);
  const rowStride = width * channels;
  let to = outAt;
  for (let a = 0; a < filterHeight; a++) {
    for (let b = 0; b < filterWidth; b++) {
      const [jFirst, jEnd] = columnsInside(outWidth, width, strideWidth, padLeft, b);
      for (let c = 0; c < channels; c++) {
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < outHeight; i++) {
            const h = i * strideHeight + a - padTop;
            if (h < 0 || h >= height) {
              zero(heap, to, outWidth);
              to += outWidth;
              continue;
            }
            zero(heap, to, jFirst);
            const step = strideWidth * channels;
            let from = xAt + n * height * rowStride + h * rowStride +
              (jFirst * strideWidth + b - padLeft) * channels + c;
            for (let j = jFirst; j < jEnd; j++, from += step) heap[to + j] = heap[from];
            zero(heap, to + jEnd, outWidth - jEnd);
            to += outWidth;
          }
        }
      }
    }
  }
  return out;
}

/**
 * The adjoint of im2col: dx [N, H, W, C] = Σ of cols [N·Ho·Wo, kh·kw·C] (rows (n, i, j), columns
 * (a, b, c)) scattered back to x[n, i·sh + a - padTop, j·sw + b - padLeft, c] (entries that fall
 * in the padding are dropped).
 */
export function col2im(
  backend: BackendWasm,
  cols: Info,
  g: ConvGeometry,
): Info {
  const {
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padTop,
    padLeft,
  } = g;
  const inShape: [number, number, number, number] = [g.batch, g.inHeight, g.inWidth, g.inChannels];
  const [batch, height, width, channels] = inShape;
  const out = backend.makeOutput(inShape, "float32");
  const [heap, colsAt, outAt] = views(backend, cols, out);
  heap.fill(0, outAt, outAt + batch * height * width * channels);
  const rowLength = filterWidth * channels;
  let from = colsAt;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < outHeight; i++) {
      for (let j = 0; j < outWidth; j++) {
        const w0 = j * strideWidth - padLeft;
        const bFirst = Math.min(filterWidth, Math.max(0, -w0));
        const bEnd = Math.max(bFirst, Math.min(filterWidth, width - w0));
        const run = (bEnd - bFirst) * channels;
        for (let a = 0; a < filterHeight; a++, from += rowLength) {
          const h = i * strideHeight + a - padTop;
          if (h < 0 || h >= height) continue;
          const to = outAt + ((n * height + h) * width + w0 + bFirst) * channels;
          const src = from + bFirst * channels;
          for (let k = 0; k < run; k++) heap[to + k] += heap[src + k];
        }
      }
    }
  }
  return out;
}

/**
 * The adjoint of {@link im2colTransposed}: dx [N, H, W, C] from colsT [kh·kw·C, N·Ho·Wo].
 */
export function col2imTransposed(
  backend: BackendWasm,
  colsT: Info,
  g: ConvGeometry,
): Info {
  const {
    outHeight,
    outWidth,
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    padTop,
    padLeft,
  } = g;
  const inShape: [number, number, number, number] = [g.batch, g.inHeight, g.inWidth, g.inChannels];
  const [batch, height, width, channels] = inShape;
  const out = backend.makeOutput(inShape, "float32");
  const [heap, colsAt, outAt] = views(backend, colsT, out);
  heap.fill(0, outAt, outAt + batch * height * width * channels);
  const rowStride = width * channels;
  const step = strideWidth * channels;
  let from = colsAt;
  for (let a = 0; a < filterHeight; a++) {
    for (let b = 0; b < filterWidth; b++) {
      const [jFirst, jEnd] = columnsInside(outWidth, width, strideWidth, padLeft, b);
      for (let c = 0; c < channels; c++) {
        for (let n = 0; n < batch; n++) {
          for (let i = 0; i < outHeight; i++, from += outWidth) {
            const h = i * strideHeight + a - padTop;
            if (h < 0 || h >= height) continue;
            let to = outAt + n * height * rowStride + h * rowStride +
              (jFirst * strideWidth + b - padLeft) * channels + c;
            for (let j = jFirst; j < jEnd; j++, to += step) heap[to] += heap[from + j];
          }
        }
      }
    }
  }
  return out;
}

/** [rows, cols] -> [cols, rows], blocked for the cache (the stock 2-D transpose is slow). */
export function transpose2d(backend: BackendWasm, x: Info): Info {
  const [rows, cols] = x.shape;
  const out = backend.makeOutput([cols, rows], "float32");
  const [heap, from, to] = views(backend, x, out);
  const block = 16;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const r1 = Math.min(rows, r0 + block);
    for (let c0 = 0; c0 < cols; c0 += block) {
      const c1 = Math.min(cols, c0 + block);
      for (let r = r0; r < r1; r++) {
        const src = from + r * cols;
        for (let c = c0; c < c1; c++) heap[to + c * rows + r] = heap[src + c];
      }
    }
  }
  return out;
}

/**
 * Interleaves per-phase outputs into [N, height, width, C]: out[n, h, w, :] =
 * phases[(h mod sh)·sw + (w mod sw)][n, ⌊h/sh⌋, ⌊w/sw⌋, :]; a `null` phase is all zeros.
 */
export function interleavePhases(
  backend: BackendWasm,
  phases: (Info | null)[],
  strideHeight: number,
  strideWidth: number,
  batch: number,
  height: number,
  width: number,
  channels: number,
): Info {
  const out = backend.makeOutput([batch, height, width, channels], "float32");
  const [heap, outAt, ...at] = views(
    backend,
    out,
    ...phases.map((p) => p ?? out),
  );
  const rowsOf = phases.map((p) => p?.shape[1] ?? 0);
  const colsOf = phases.map((p) => p?.shape[2] ?? 0);
  let to = outAt;
  for (let n = 0; n < batch; n++) {
    for (let h = 0; h < height; h++) {
      const rh = h % strideHeight;
      const qh = (h - rh) / strideHeight;
      for (let w = 0; w < width; w++) {
        const rw = w % strideWidth;
        const p = rh * strideWidth + rw;
        if (phases[p] === null) {
          zero(heap, to, channels);
        } else {
          const qw = (w - rw) / strideWidth;
          copy(heap, to, at[p] + ((n * rowsOf[p] + qh) * colsOf[p] + qw) * channels, channels);
        }
        to += channels;
      }
    }
  }
  return out;
}

/**
 * The filter of one phase of a transposed convolution: from f [kh, kw, Ci, Co] (given already
 * transposed as ft [kh, kw, Co, Ci]) builds g [Th, Tw, Co, Ci] with
 * g[th, tw, o, c] = f[rh + (Th-1-th)·sh, rw + (Tw-1-tw)·sw, c, o] (flipped taps of the phase).
 */
export function phaseFilter(
  backend: BackendWasm,
  ft: Info,
  rowPhase: number,
  colPhase: number,
  tapsHigh: number,
  tapsWide: number,
  strideHeight: number,
  strideWidth: number,
): Info {
  const [, filterWidth, outChannels, inChannels] = ft.shape;
  const out = backend.makeOutput([tapsHigh, tapsWide, outChannels, inChannels], "float32");
  const [heap, fAt, outAt] = views(backend, ft, out);
  const slab = outChannels * inChannels;
  let to = outAt;
  for (let th = 0; th < tapsHigh; th++) {
    const a = rowPhase + (tapsHigh - 1 - th) * strideHeight;
    for (let tw = 0; tw < tapsWide; tw++) {
      const b = colPhase + (tapsWide - 1 - tw) * strideWidth;
      copy(heap, to, fAt + (a * filterWidth + b) * slab, slab);
      to += slab;
    }
  }
  return out;
}
