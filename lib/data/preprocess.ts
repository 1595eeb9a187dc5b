/**
 * Preprocessing done once per dataset: resizing to the model's square size and converting to the
 * model's channels, keeping uint8 NHWC so that even CIFAR-10 stays small (50,000x32x32x3 bytes =
 * 150 MB rather than 600 MB of float32). Conversion to float happens per batch
 * ({@linkcode batchTensor}).
 *
 * ## 28 -> 32: bilinear resize, not zero padding
 * MNIST and Fashion-MNIST are 28x28, the DCGAN-style networks take 32x32. GANomaly and OCGAN
 * feed MNIST through torchvision's `transforms.Resize(32)`, which is PIL's bilinear filter; we
 * implement that same filter (triangle kernel, half-pixel centres, support widened by the scale
 * factor when shrinking, i.e. antialiased), so the digits fill the frame exactly as in the papers
 * whose AUCs we compare against. Zero padding would keep pixels exact but change the fraction of
 * background, the stroke widths relative to the receptive fields, and so the numbers.
 *
 * @module
 */

import type { ImageSet } from "./types.ts";

/** ITU-R BT.601 luma weights, as PIL's `convert("L")`. */
const LUMA = [0.299, 0.587, 0.114] as const;

interface Taps {
  start: Int32Array;
  size: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

/** PIL's `precompute_coeffs` for the bilinear (triangle) filter. */
function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const size = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const t = Math.abs((i - center + 0.5) / filterScale);
      const w = t < 1 ? 1 - t : 0;
      weights[o * maxTaps + i - lo] = w;
      total += w;
    }
    if (total > 0) { for (let k = 0; k < hi - lo; k++) weights[o * maxTaps + k] /= total; }
    start[o] = lo;
    size[o] = hi - lo;
  }
  return { start, size, weights, maxTaps };
}

/**
 * Resizes every image of an NHWC uint8 batch with PIL/torchvision bilinear filtering
 * (antialiased when shrinking). Returns the input unchanged when the size already matches.
 *
 * @example
 * ```ts
 * import { resizeBilinear } from "./preprocess.ts";
 * const flat = new Uint8Array(28 * 28).fill(200);
 * const out = resizeBilinear(flat, 1, 28, 28, 1, 32, 32);
 * if (out.length !== 32 * 32 || out[0] !== 200 || out[1023] !== 200) throw new Error("flat stays flat");
 * ```
 */
export function resizeBilinear(
  pixels: Uint8Array,
  count: number,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): Uint8Array {
  if (height === outHeight && width === outWidth) return pixels;
  const tx = bilinearTaps(width, outWidth);
  const ty = bilinearTaps(height, outHeight);
  const out = new Uint8Array(count * outHeight * outWidth * channels);
  // Writes through a clamped view round and clip to 0..255 for free.
  const clamped = new Uint8ClampedArray(out.buffer);
  // One image at a time through a float buffer: horizontal pass, then vertical pass row by row.
  const inStride = width * channels;
  const stride = outWidth * channels;
  const mid = new Float32Array(height * stride);
  const acc = new Float32Array(stride);
  const inImage = height * inStride;
  const outImage = outHeight * stride;
  for (let n = 0; n < count; n++) {
    const base = n * inImage;
    for (let y = 0; y < height; y++) {
      const row = base + y * inStride;
      const midRow = y * stride;
      for (let x = 0; x < outWidth; x++) {
        const src = row + tx.start[x] * channels, k = tx.size[x], wo = x * tx.maxTaps;
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let t = 0; t < k; t++) sum += tx.weights[wo + t] * pixels[src + t * channels + c];
          mid[midRow + x * channels + c] = sum;
        }
      }
    }
    const outBase = n * outImage;
    for (let y = 0; y < outHeight; y++) {
      const s = ty.start[y], k = ty.size[y], wo = y * ty.maxTaps;
      acc.fill(0);
      for (let t = 0; t < k; t++) {
        const w = ty.weights[wo + t], srcRow = (s + t) * stride;
        for (let i = 0; i < stride; i++) acc[i] += w * mid[srcRow + i];
      }
      const dst = outBase + y * stride;
      for (let i = 0; i < stride; i++) clamped[dst + i] = acc[i];
    }
  }
  return out;
}

/**
 * Converts NHWC uint8 pixels between 1 and 3 channels: RGB -> grey by BT.601 luma (as PIL),
 * grey -> RGB by repeating the grey value. Returns the input when nothing changes.
 *
 * @example
 * ```ts
 * import { convertChannels } from "./preprocess.ts";
 * const grey = convertChannels(Uint8Array.of(255, 0, 0), 1, 3, 1);
 * const rgb = convertChannels(Uint8Array.of(9), 1, 1, 3);
 * if (grey[0] !== 76 || rgb.join() !== "9,9,9") throw new Error("converted");
 * ```
 */
export function convertChannels(
  pixels: Uint8Array,
  pixelCount: number,
  from: number,
  to: number,
): Uint8Array {
  if (from === to) return pixels;
  const out = new Uint8Array(pixelCount * to);
  if (from === 3 && to === 1) {
    for (let p = 0; p < pixelCount; p++) {
      const i = p * 3;
      out[p] = Math.round(LUMA[0] * pixels[i] + LUMA[1] * pixels[i + 1] + LUMA[2] * pixels[i + 2]);
    }
  } else if (from === 1 && to === 3) {
    for (let p = 0; p < pixelCount; p++) {
      const v = pixels[p];
      out[p * 3] = v;
      out[p * 3 + 1] = v;
      out[p * 3 + 2] = v;
    }
  } else {
    throw new Error(`channels: cannot convert ${from} to ${to} channels, expected 1 or 3`);
  }
  return out;
}

/**
 * Brings an image set to `size`x`size`x`channels` (resize, then channel conversion, in the
 * cheaper order). Labels and names are kept; pixels are shared when nothing changes.
 *
 * @example
 * ```ts
 * import { prepareImageSet } from "./preprocess.ts";
 * const set = { pixels: new Uint8Array(2 * 28 * 28), labels: Int32Array.of(3, 4), count: 2, height: 28, width: 28, channels: 1 };
 * const out = prepareImageSet(set, 32, 3);
 * if (out.pixels.length !== 2 * 32 * 32 * 3 || out.labels[1] !== 4) throw new Error("prepared");
 * ```
 */
export function prepareImageSet(set: ImageSet, size: number, channels: number): ImageSet {
  let pixels = set.pixels;
  let c = set.channels;
  if (channels < c) { // shrink the channels first: less to resize
    pixels = convertChannels(pixels, set.count * set.height * set.width, c, channels);
    c = channels;
  }
  pixels = resizeBilinear(pixels, set.count, set.height, set.width, c, size, size);
  pixels = convertChannels(pixels, set.count * size * size, c, channels);
  const out: ImageSet = {
    pixels,
    labels: set.labels,
    count: set.count,
    height: size,
    width: size,
    channels,
  };
  if (set.names) out.names = set.names;
  if (set.indices) out.indices = set.indices;
  return out;
}

/**
 * One decoded RGB image (`rgb`: `height` x `width` x 3 bytes) at a model's `size` x `size` x
 * `channels`, as {@link prepareImageSet} prepares a set: what `deno task score --images` and the
 * exported model's scoring page (`lib/export/page/page.js`) both do to an image they are given.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { prepareRgbImage } from "./preprocess.ts";
 * const rgb = new Uint8Array(4 * 4 * 3).fill(100);
 * assertEquals(prepareRgbImage({ rgb, width: 4, height: 4 }, 2, 1), new Uint8Array(4).fill(100));
 * ```
 */
export function prepareRgbImage(
  image: { rgb: Uint8Array; width: number; height: number },
  size: number,
  channels: number,
): Uint8Array {
  const one = {
    pixels: image.rgb,
    labels: new Int32Array(1),
    count: 1,
    height: image.height,
    width: image.width,
    channels: 3,
  };
  return prepareImageSet(one, size, channels).pixels;
}

/**
 * Copies the images at `indices` into a new set (pixels, labels and names); its `indices` field
 * records where each image came from (composed through earlier subsets).
 *
 * @example
 * ```ts
 * import { subsetImageSet } from "./preprocess.ts";
 * const set = { pixels: Uint8Array.of(1, 2, 3), labels: Int32Array.of(7, 8, 9), count: 3, height: 1, width: 1, channels: 1 };
 * const sub = subsetImageSet(set, [2, 0]);
 * if (sub.pixels.join() !== "3,1" || sub.labels.join() !== "9,7") throw new Error("subset");
 * ```
 */
export function subsetImageSet(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const per = set.height * set.width * set.channels;
  const pixels = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < set.count)) {
      throw new Error(`indices: ${j} out of range, expected 0..${set.count - 1}`);
    }
    pixels.set(set.pixels.subarray(j * per, (j + 1) * per), i * per);
    labels[i] = set.labels[j];
  }
  const out: ImageSet = {
    pixels,
    labels,
    count: indices.length,
    height: set.height,
    width: set.width,
    channels: set.channels,
  };
  if (set.names) out.names = Array.from(indices, (j) => set.names![j]);
  out.indices = Int32Array.from(indices, (j) => set.indices ? set.indices[j] : j);
  return out;
}
