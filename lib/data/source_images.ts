/**
 * What the images were before they were brought to the model's square size and channels: the
 * sizes seen (with counts) and whether they were grey or colour, recorded in the data manifest
 * (`data.sourceImages` of `run.json`), and the notes a reader should see when that bringing
 * changed them much: an upscale by more than {@link LARGE_UPSCALE}x (a 1x1 image made 32x32), an
 * aspect ratio squashed to a square (4000x3000 to 32x32), grey made RGB or colour made grey.
 *
 * @module
 */

/** The images as found, before resizing and channel conversion. */
export interface SourceImages {
  /** Each size seen (width x height in pixels) and how many images had it, most common first. */
  sizes: { width: number; height: number; count: number }[];
  /** 1 when every image is grey (R = G = B), else 3. */
  channels: 1 | 3;
}

/** Upscaling by more than this factor (the model's side over the image's shorter side) is noted. */
export const LARGE_UPSCALE = 2;
/** An aspect ratio (width / height) further than this from 1 is noted as squashed. */
const ASPECT_TOLERANCE = 0.05;

/**
 * Adds `count` images of `width` x `height` to a size list (kept most common first).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { addSize } from "./source_images.ts";
 * const sizes = addSize(addSize([], 28, 28, 2), 4000, 3000);
 * assertEquals(sizes, [{ width: 28, height: 28, count: 2 }, { width: 4000, height: 3000, count: 1 }]);
 * ```
 */
export function addSize(
  sizes: SourceImages["sizes"],
  width: number,
  height: number,
  count = 1,
): SourceImages["sizes"] {
  const seen = sizes.find((s) => s.width === width && s.height === height);
  if (seen) seen.count += count;
  else sizes.push({ width, height, count });
  return sizes.sort((a, b) => b.count - a.count);
}

/**
 * The notes on what bringing `source` to `size` x `size` x `channels` does to it: large upscales,
 * squashed aspect ratios, channel conversions. Empty when nothing of note happens.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sourceImageNotes } from "./source_images.ts";
 * assertEquals(sourceImageNotes({ sizes: [{ width: 28, height: 28, count: 9 }], channels: 1 }, 32, 1), []);
 * assertEquals(sourceImageNotes({ sizes: [{ width: 1, height: 1, count: 4 }], channels: 1 }, 32, 1),
 *   ["4 image(s) of 1x1 are upscaled 32x to 32x32: the model sees interpolated copies with no detail of their own"]);
 * ```
 */
export function sourceImageNotes(source: SourceImages, size: number, channels: number): string[] {
  const notes: string[] = [];
  const shown = source.sizes.slice(0, 5);
  for (const { width, height, count } of shown) {
    const factor = size / Math.min(width, height);
    if (factor > LARGE_UPSCALE) {
      notes.push(
        `${count} image(s) of ${width}x${height} are upscaled ${
          round(factor)
        }x to ${size}x${size}: ` +
          "the model sees interpolated copies with no detail of their own",
      );
    }
    const aspect = width / height;
    if (Math.abs(aspect - 1) > ASPECT_TOLERANCE) {
      notes.push(
        `${count} image(s) of ${width}x${height} (aspect ${round(aspect)}) are resized to the ` +
          `square ${size}x${size}, which stretches them; crop or pad them to a square first to ` +
          "keep their shape",
      );
    }
  }
  if (source.sizes.length > shown.length) {
    notes.push(`${source.sizes.length - shown.length} more image size(s) not listed`);
  }
  if (source.channels === 3 && channels === 1) {
    notes.push(
      "colour (RGB) images are converted to grey, the model's 1 channel (BT.601 luma): their " +
        "colour is not scored",
    );
  } else if (source.channels === 1 && channels === 3) {
    notes.push(
      "grey images are converted to RGB (the grey value in each of the model's 3 channels)",
    );
  }
  return notes;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
