/**
 * Loading a plain folder of PNG/JPEG images (no labels) as an image set of a model's size, for
 * scoring new data.
 *
 * @module
 */

import { relative } from "@std/path";
import { decodeImage } from "../data/folder.ts";
import { listImageFiles, readFileNamed } from "../data/mod.ts";
import { prepareRgbImage } from "../data/preprocess.ts";
import type { ImageSet, SkippedFiles } from "../data/types.ts";
import { addSize, sourceImageNotes, type SourceImages } from "../data/source_images.ts";

/**
 * Reads every `.png`, `.jpg` and `.jpeg` under `dir` (sorted by path), resized to
 * `size` x `size` with `channels` channels. Names are paths relative to `dir`. Hidden files and
 * folders (`.*`, `._*`, `.ipynb_checkpoints/`, `__MACOSX/`) and non-images are not scored: they
 * are counted in `skipped`. Transparent PNGs are composited onto white, as in training.
 * `sourceImages` records the sizes and channels found, `notes` what resizing and channel
 * conversion did to them (see `sourceImageNotes`).
 *
 * @example
 * ```ts
 * import jpeg from "jpeg-js";
 * import { loadImageFolder } from "./images.ts";
 * const dir = await Deno.makeTempDir();
 * const rgba = new Uint8Array(8 * 8 * 4).fill(200);
 * await Deno.writeFile(`${dir}/a.jpg`, jpeg.encode({ data: rgba, width: 8, height: 8 }, 95).data);
 * await Deno.writeTextFile(`${dir}/notes.txt`, "not an image");
 * const set = await loadImageFolder(dir, 4, 1);
 * if (set.count !== 1 || set.names![0] !== "a.jpg" || set.pixels.length !== 16) {
 *   throw new Error(`loaded ${set.count} images`);
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadImageFolder(
  dir: string,
  size: number,
  channels: number,
): Promise<ImageSet & { skipped: SkippedFiles[]; sourceImages: SourceImages; notes: string[] }> {
  dir = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  const listing = await listImageFiles(dir, dir).catch((error: Error) => {
    throw new Error(`--images: ${error.message}`);
  });
  const files = listing.files.sort();
  if (files.length === 0) throw new Error(`--images: no PNG or JPEG files under ${dir}`);
  const parts: Uint8Array[] = [];
  const sizes: SourceImages["sizes"] = [];
  let grey = true;
  for (const file of files) {
    const image = decodeImage(await readFileNamed(file, "--images"), file);
    addSize(sizes, image.width, image.height);
    for (let p = 0; grey && p < image.rgb.length; p += 3) {
      grey = image.rgb[p] === image.rgb[p + 1] && image.rgb[p] === image.rgb[p + 2];
    }
    parts.push(prepareRgbImage(image, size, channels));
  }
  const per = size * size * channels;
  const pixels = new Uint8Array(files.length * per);
  parts.forEach((p, i) => pixels.set(p, i * per));
  return {
    pixels,
    labels: new Int32Array(files.length).fill(-1),
    count: files.length,
    height: size,
    width: size,
    channels,
    names: files.map((f) => relative(dir, f)),
    skipped: listing.skipped,
    sourceImages: { sizes, channels: grey ? 1 : 3 },
    notes: sourceImageNotes({ sizes, channels: grey ? 1 : 3 }, size, channels),
  };
}

/**
 * Pixels (bytes, 0-255) to the model's input range as float32, out[i] = p / 127.5 - 1 for p =
 * pixels[i], through the same table the scoring path uses: for callers that feed another runtime
 * (the `students` bench's ONNX rows), so both see identical inputs.
 */
export { scalePixels } from "./_pixels.ts";
