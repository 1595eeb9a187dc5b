/**
 * Loading a folder of PNG/JPEG images as an image set of a model's size, for scoring new data:
 * a plain folder (no labels), or one laid out as a folder dataset's test split (`normal/` and
 * `anomalous/`, or a `labels.csv`), whose labels are kept.
 *
 * @module
 */

import { relative } from "@std/path";
import { decodeImage, type LabelledImageFiles, listLabelledImages } from "../data/folder.ts";
import { isLabelsCsv } from "../data/labels.ts";
import { listImageFiles, readFileNamed } from "../data/mod.ts";
import { prepareRgbImage } from "../data/preprocess.ts";
import type { ImageSet, SkippedFiles } from "../data/types.ts";
import { addSize, sourceImageNotes, type SourceImages } from "../data/source_images.ts";

/**
 * Reads every `.png`, `.jpg` and `.jpeg` under `dir` (a plain folder's sorted by path), resized
 * to `size` x `size` with `channels` channels. Names are paths relative to `dir`. Hidden files and
 * folders (`.*`, `._*`, `.ipynb_checkpoints/`, `__MACOSX/`) and non-images are not scored: they
 * are counted in `skipped`. Transparent PNGs are composited onto white, as in training.
 * `sourceImages` records the sizes and channels found, `notes` what resizing and channel
 * conversion did to them (see `sourceImageNotes`).
 *
 * A folder laid out as a folder dataset's test split is read by that split's reader
 * (`listLabelledImages`, in its order: `normal/` then `anomalous/`, or the order of
 * `dir/labels.csv`) and keeps its labels: `isAnomaly` (and `labels`) is 0 for normal, 1 for
 * anomalous, per image; images outside `normal/` and `anomalous/` (or not in the CSV) are counted
 * in `skipped`, not scored. A plain folder has no `isAnomaly` and `labels` of -1.
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
 * if (set.isAnomaly !== undefined) throw new Error("a plain folder has no labels");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadImageFolder(
  dir: string,
  size: number,
  channels: number,
): Promise<
  ImageSet & {
    skipped: SkippedFiles[];
    sourceImages: SourceImages;
    notes: string[];
    isAnomaly?: Uint8Array;
  }
> {
  dir = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  const listing = await imageFiles(dir).catch((error: Error) => {
    throw new Error(`--images: ${error.message}`);
  });
  const { files, labels } = listing;
  if (files.length === 0) {
    const skipped = listing.skipped.map((k) => `${k.count} skipped: ${k.reason}`).join("; ");
    throw new Error(
      `--images: no PNG or JPEG files ` +
        (labels ? `to score in ${dir}'s labelled layout (${listing.layout})` : `under ${dir}`) +
        (skipped ? ` (${skipped})` : ""),
    );
  }
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
    labels: labels ? Int32Array.from(labels) : new Int32Array(files.length).fill(-1),
    count: files.length,
    height: size,
    width: size,
    channels,
    names: files.map((f) => relative(dir, f)),
    skipped: listing.skipped,
    sourceImages: { sizes, channels: grey ? 1 : 3 },
    notes: [
      ...listing.notes,
      ...sourceImageNotes({ sizes, channels: grey ? 1 : 3 }, size, channels),
    ],
    ...(labels ? { isAnomaly: Uint8Array.from(labels) } : {}),
  };
}

/**
 * The images of `dir` and their labels: a folder dataset's test split, or else a plain folder. A
 * `labels.csv` of another kind (`id,species`: {@linkcode isLabelsCsv}) is passed over with a note,
 * and the folder is read as if it had none (`normal/` and `anomalous/`, or unlabelled); labels are
 * optional here, unlike in a folder dataset's test split, where the same file is an error. A
 * labels file with a bad line (a missing or hidden file, a bad label) is an error naming the line.
 */
async function imageFiles(dir: string): Promise<{
  files: string[];
  labels?: number[];
  layout?: LabelledImageFiles["layout"];
  skipped: SkippedFiles[];
  notes: string[];
}> {
  const notes: string[] = [];
  const csv = `${dir}/labels.csv`;
  const text = await Deno.readTextFile(csv).catch((error) => {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) {
      return undefined;
    }
    throw new Error(`${csv}: cannot read (${(error as Error).message})`);
  });
  const foreign = text !== undefined && !isLabelsCsv(text, csv);
  if (foreign) {
    notes.push(
      `${csv} is not a labels file (its first line is neither a "file,label" header nor a ` +
        "file and a label): not read as labels",
    );
  }
  const labelled = await listLabelledImages(dir, dir, foreign ? [] : [dir]);
  if (labelled) return { ...labelled, notes };
  const plain = await listImageFiles(dir, dir);
  return { files: plain.files.sort(), skipped: plain.skipped, notes };
}

/**
 * Pixels (bytes, 0-255) to the model's input range as float32, out[i] = p / 127.5 - 1 for p =
 * pixels[i], through the same table the scoring path uses: for callers that feed another runtime
 * (the `students` bench's ONNX rows), so both see identical inputs.
 */
export { scalePixels } from "./_pixels.ts";
