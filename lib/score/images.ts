/**
 * Loading a plain folder of PNG/JPEG images (no labels) as an image set of a model's size, for
 * scoring new data.
 *
 * @module
 */

import { join, relative } from "@std/path";
import { decodeImage } from "../data/folder.ts";
import { prepareImageSet } from "../data/preprocess.ts";
import type { ImageSet } from "../data/types.ts";

/**
 * Reads every `.png`, `.jpg` and `.jpeg` under `dir` (sorted by path), resized to
 * `size` x `size` with `channels` channels. Names are paths relative to `dir`.
 *
 * @example
 * ```ts ignore
 * import { loadImageFolder } from "./images.ts";
 * const set = await loadImageFolder("./my-images", 32, 1);
 * console.log(set.count, set.names);
 * ```
 */
export async function loadImageFolder(
  dir: string,
  size: number,
  channels: number,
): Promise<ImageSet> {
  const files: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch (error) {
      throw new Error(`--images: cannot read folder ${d} (${(error as Error).message})`);
    }
    for (const entry of entries) {
      const path = join(d, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (/\.(png|jpe?g)$/i.test(entry.name)) files.push(path);
    }
  };
  await walk(dir);
  files.sort();
  if (files.length === 0) throw new Error(`--images: no PNG or JPEG files under ${dir}`);
  const parts: ImageSet[] = [];
  for (const file of files) {
    const image = decodeImage(await Deno.readFile(file), file);
    parts.push(prepareImageSet(
      {
        pixels: image.rgb,
        labels: new Int32Array(1),
        count: 1,
        height: image.height,
        width: image.width,
        channels: 3,
      },
      size,
      channels,
    ));
  }
  const per = size * size * channels;
  const pixels = new Uint8Array(files.length * per);
  parts.forEach((p, i) => pixels.set(p.pixels, i * per));
  return {
    pixels,
    labels: new Int32Array(files.length).fill(-1),
    count: files.length,
    height: size,
    width: size,
    channels,
    names: files.map((f) => relative(dir, f)),
  };
}
