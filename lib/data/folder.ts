/**
 * A folder of your own images as a one-class dataset (PNG or JPEG, decoded with pngjs and
 * jpeg-js):
 *
 * ```
 * <dir>/train/                 normal training images (subfolders are searched too)
 * <dir>/test/normal/           normal test images        } either these two folders,
 * <dir>/test/anomalous/        anomalous test images     }
 * <dir>/test/*.png + labels.csv                            or a labels CSV: `file,label`
 * ```
 *
 * The CSV lives at `<dir>/test/labels.csv` or `<dir>/labels.csv`; `file` is relative to
 * `<dir>/test`, `label` is `0`/`normal` or `1`/`anomalous`; a header line is optional, and one
 * naming `file` and `label` may list other columns (not read). Fields holding a comma are quoted. All images must have one size. Class 0 is normal, 1 anomalous.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { parseLabelsCsv } from "./labels.ts";
import { addSize } from "./source_images.ts";
import { PNG } from "pngjs";
import jpeg from "jpeg-js";
import {
  exists,
  findFirst,
  folderFingerprint,
  isHiddenName,
  LINK_REASONS,
  listImageFiles,
  mergeSkipped,
  readFileNamed,
} from "./_files.ts";
import { convertChannels, resizeBilinear } from "./preprocess.ts";
import type { DatasetSpec, ImageSet, LabelledDataset, SkippedFiles } from "./types.ts";

/**
 * Class names of a folder dataset.
 *
 * @example
 * ```ts
 * import { FOLDER_CLASSES } from "./folder.ts";
 * if (FOLDER_CLASSES.join() !== "normal,anomalous") throw new Error();
 * ```
 */
export const FOLDER_CLASSES: readonly string[] = ["normal", "anomalous"];

/**
 * A decoded image: RGB bytes, row-major.
 *
 * @example
 * ```ts
 * import type { DecodedImage } from "./folder.ts";
 * const img: DecodedImage = { width: 1, height: 1, rgb: Uint8Array.of(1, 2, 3) };
 * if (img.rgb.length !== 3) throw new Error();
 * ```
 */
export interface DecodedImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** width*height*3 bytes, RGB. */
  rgb: Uint8Array;
  /** True when the image had transparent pixels (alpha < 255), composited onto white. */
  transparent?: boolean;
}

interface PngSync {
  sync: { read(buffer: Buffer): { width: number; height: number; data: Uint8Array } };
}

/**
 * Decodes PNG or JPEG bytes (told apart by their magic numbers) to RGB. `name` appears in the
 * error when the bytes are neither or are damaged.
 *
 * A PNG with transparency is composited onto white, as an image viewer shows it: an opaque image
 * is unchanged, and one whose shapes live only in the alpha channel (RGB all 0, a common way to
 * save masks and digits) becomes black shapes on white instead of an all-black image.
 * `transparent` says that this happened.
 *
 * @example
 * ```ts
 * import jpeg from "jpeg-js";
 * import { decodeImage } from "./folder.ts";
 * const data = new Uint8Array(4 * 4 * 4).fill(128);
 * const bytes = jpeg.encode({ data, width: 4, height: 4 }, 95).data;
 * const img = decodeImage(new Uint8Array(bytes), "x.jpg");
 * if (img.width !== 4 || Math.abs(img.rgb[0] - 128) > 3) throw new Error("decoded");
 * ```
 */
export function decodeImage(bytes: Uint8Array, name: string): DecodedImage {
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e &&
    bytes[3] === 0x47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) {
    throw new Error(`${name}: unreadable image, expected a PNG or JPEG file`);
  }
  try {
    if (isPng) {
      const png = (PNG as unknown as PngSync).sync.read(Buffer.from(bytes));
      const n = png.width * png.height;
      const rgb = new Uint8Array(n * 3);
      let transparent = false;
      for (let p = 0; p < n; p++) {
        const alpha = png.data[p * 4 + 3];
        if (alpha === 255) {
          rgb[p * 3] = png.data[p * 4];
          rgb[p * 3 + 1] = png.data[p * 4 + 1];
          rgb[p * 3 + 2] = png.data[p * 4 + 2];
          continue;
        }
        transparent = true;
        for (let c = 0; c < 3; c++) {
          rgb[p * 3 + c] = Math.round((png.data[p * 4 + c] * alpha + 255 * (255 - alpha)) / 255);
        }
      }
      return { width: png.width, height: png.height, rgb, ...(transparent ? { transparent } : {}) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false });
    return { width: img.width, height: img.height, rgb: img.data };
  } catch (err) {
    throw new Error(
      `${name}: unreadable ${isPng ? "PNG" : "JPEG"} image (${(err as Error).message})`,
    );
  }
}

/**
 * The images of a folder laid out as a folder dataset's test split, with their labels, or
 * `undefined` when it has neither layout (see {@linkcode listLabelledImages}).
 *
 * @example
 * ```ts
 * import type { LabelledImageFiles } from "./folder.ts";
 * const l: LabelledImageFiles = {
 *   files: ["d/normal/a.png"], labels: [0], layout: "normal/ and anomalous/", skipped: [],
 * };
 * if (l.labels.length !== l.files.length) throw new Error();
 * ```
 */
export interface LabelledImageFiles {
  /**
   * Image paths (`dir/...`): with subfolders every normal image then every anomalous one, each
   * sorted by path; with a labels CSV, the CSV's order.
   */
  files: string[];
  /** Per file: 0 normal, 1 anomalous. */
  labels: number[];
  /** Which of the two layouts gave the labels. */
  layout: "labels.csv" | "normal/ and anomalous/";
  /**
   * What was passed over, counted by reason, examples relative to `root`: hidden files, links
   * that lead nowhere, with subfolders also non-images and images outside `normal/` and
   * `anomalous/`, with a CSV also the images it does not list.
   */
  skipped: SkippedFiles[];
}

/**
 * Lists a folder of labelled images, the one reader of a folder dataset's test split
 * (`<dataDir>/test`) and of a labelled folder given to `deno task score --images`. Two layouts
 * (module doc):
 *
 * - a `labels.csv` in the first of `csvDirs` that has one (`file,label`, `file` relative to
 *   `dir`, `label` `0`/`normal` or `1`/`anomalous`): its files, in its order;
 * - else `dir/normal/` and `dir/anomalous/`: the images under each (subfolders too), labelled 0
 *   and 1. Images elsewhere under `dir` are not read; `skipped` counts them.
 *
 * Returns `undefined` when `dir` has neither (no CSV, or not both subfolders): an unlabelled
 * folder. Errors name the CSV and line: a bad label, a file listed twice, a hidden or missing
 * file. Nothing is decoded here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { listLabelledImages } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * for (const sub of ["normal", "anomalous"]) await Deno.mkdir(`${dir}/${sub}`);
 * for (const f of ["normal/a.png", "normal/b.png", "anomalous/c.png", "loose.png"]) {
 *   await Deno.writeFile(`${dir}/${f}`, new Uint8Array());
 * }
 * const l = await listLabelledImages(dir, dir);
 * assertEquals(l?.files.map((f) => f.slice(dir.length + 1)), ["normal/a.png", "normal/b.png", "anomalous/c.png"]);
 * assertEquals(l?.labels, [0, 0, 1]);
 * assertEquals(l?.skipped.map((s) => [s.reason, s.count]), [["not under normal/ or anomalous/", 1]]);
 * await Deno.remove(`${dir}/anomalous`, { recursive: true });
 * assertEquals(await listLabelledImages(dir, dir), undefined);
 * ```
 */
export async function listLabelledImages(
  dir: string,
  root: string,
  csvDirs: readonly string[] = [dir],
): Promise<LabelledImageFiles | undefined> {
  const rel = (path: string) => path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
  let csv: string | undefined;
  for (const d of csvDirs) csv ??= await findFirst(d, ["labels.csv"]);
  if (csv) {
    const pairs = parseLabelsCsv(new TextDecoder().decode(await readFileNamed(csv, "folder")), csv);
    const files: string[] = [];
    const labels: number[] = [];
    const listed = new Set<string>();
    for (const [raw, label] of pairs) {
      const file = raw.replace(/^(\.\/)+/, "");
      const path = `${dir}/${file}`;
      if (listed.has(path)) throw new Error(`${csv}: lists ${file} twice, expected each file once`);
      listed.add(path);
      if (file.split("/").some(isHiddenName)) {
        throw new Error(
          `${csv}: lists ${file}, a hidden file (.* or __MACOSX); hidden files are never data`,
        );
      }
      if (!(await exists(path))) {
        throw new Error(`${csv}: lists ${file}, but ${path} does not exist`);
      }
      files.push(path);
      labels.push(label);
    }
    // Images beside the CSV that it does not list are not data either: counted, not silent.
    const inDir = await listImageFiles(dir, root);
    const unlisted = inDir.files.filter((f) => !listed.has(f)).map(rel);
    const skipped = [
      ...inDir.skipped.filter((k) =>
        k.reason.startsWith("hidden") || Object.values(LINK_REASONS).some((r) => r === k.reason)
      ),
      ...(unlisted.length > 0
        ? [{
          reason: `not listed in ${rel(csv)}`,
          count: unlisted.length,
          examples: unlisted.slice(0, 3),
        }]
        : []),
    ];
    return { files, labels, layout: "labels.csv", skipped };
  }
  const normalDir = `${dir}/normal`, anomalousDir = `${dir}/anomalous`;
  if (!(await exists(normalDir)) || !(await exists(anomalousDir))) return undefined;
  // One walk of `dir`: the two subfolders' images, and what lies beside them, counted.
  const listing = await listImageFiles(dir, root);
  const under = (sub: string) => listing.files.filter((f) => f.startsWith(`${sub}/`));
  const normal = under(normalDir), anomalous = under(anomalousDir);
  const elsewhere = listing.files.filter((f) =>
    !f.startsWith(`${normalDir}/`) && !f.startsWith(`${anomalousDir}/`)
  ).map(rel);
  const skipped = [
    ...listing.skipped,
    ...(elsewhere.length > 0
      ? [{
        reason: `not under ${rel(normalDir)}/ or ${rel(anomalousDir)}/`,
        count: elsewhere.length,
        examples: elsewhere.slice(0, 3),
      }]
      : []),
  ];
  return {
    files: [...normal, ...anomalous],
    labels: [...normal.map(() => 0), ...anomalous.map(() => 1)],
    layout: "normal/ and anomalous/",
    skipped,
  };
}

/**
 * Options of {@linkcode loadFolder}.
 *
 * @example
 * ```ts
 * import type { FolderOptions } from "./folder.ts";
 * const opts: FolderOptions = { imageSize: 32, channels: 3 };
 * if (opts.channels !== 3) throw new Error();
 * ```
 */
export interface FolderOptions {
  /** Resize every image to this square size while decoding (saves memory on large images). */
  imageSize?: number;
  /** Convert to this many channels while decoding; default: 1 if every image is grey, else 3. */
  channels?: 1 | 3;
}

/**
 * Loads a folder dataset (layout in the module doc). Training images are labelled 0, test images
 * 0 (normal) or 1 (anomalous); `names` holds each file's path relative to `dataDir`. Errors name
 * the file: unreadable images, a size differing from the first image, a CSV entry whose file is
 * missing, an empty train or test folder.
 *
 * Hidden files and folders (`.*`, `._*`, `.ipynb_checkpoints/`, `__MACOSX/`) are never data, and
 * neither are files that are not PNG or JPEG: they are counted in `skipped`. Symbolic links are
 * followed; dangling links and link loops are counted there too. Transparent PNGs are
 * composited onto white (see {@linkcode decodeImage}); `notes` says how many there were.
 *
 * @example
 * ```ts
 * import { PNG } from "pngjs";
 * import { loadFolder } from "./folder.ts";
 * const dir = await Deno.makeTempDir();
 * const png = (v: number) => { const p = new PNG({ width: 2, height: 2 }); p.data.fill(v); return PNG.sync.write(p); };
 * for (const sub of ["train", "test/normal", "test/anomalous"]) await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
 * await Deno.writeFile(`${dir}/train/a.png`, png(10));
 * await Deno.writeFile(`${dir}/test/normal/b.png`, png(20));
 * await Deno.writeFile(`${dir}/test/anomalous/c.png`, png(250));
 * const d = await loadFolder(dir);
 * if (d.train.count !== 1 || d.test.labels.join() !== "0,1" || d.test.channels !== 1) throw new Error("folder");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadFolder(
  dataDir: string,
  opts: FolderOptions = {},
): Promise<LabelledDataset> {
  dataDir = dataDir.length > 1 ? dataDir.replace(/\/+$/, "") : dataDir;
  const trainDir = `${dataDir}/train`;
  const testDir = `${dataDir}/test`;
  for (const [d, what] of [[trainDir, "normal training images"], [testDir, "test images"]]) {
    if (!(await exists(d))) {
      throw new Error(`folder: ${d} not found, expected a folder of ${what} (PNG or JPEG)`);
    }
  }
  const listings = [await listImageFiles(trainDir, dataDir)];
  const trainFiles = listings[0].files;
  if (trainFiles.length === 0) {
    throw new Error(
      `folder: no PNG or JPEG images in ${trainDir}, expected normal training images`,
    );
  }
  const labelled = await listLabelledImages(testDir, dataDir, [testDir, dataDir]);
  if (!labelled) {
    throw new Error(
      `folder: ${testDir} needs normal/ and anomalous/ subfolders or a labels.csv ` +
        `(file,label with label 0/1 or normal/anomalous)`,
    );
  }
  listings.push(labelled);
  const { files: testFiles, labels: testLabels } = labelled;
  if (testFiles.length === 0) {
    throw new Error(`folder: no PNG or JPEG test images under ${testDir}`);
  }

  const all = [...trainFiles, ...testFiles];
  let width = 0, height = 0, first = "";
  let grey = true;
  const decoded: Uint8Array[] = [];
  let transparent = 0;
  for (const path of all) {
    const img = decodeImage(await readFileNamed(path, "folder"), path);
    if (img.transparent) transparent++;
    if (!first) {
      width = img.width, height = img.height, first = path;
    } else if (img.width !== width || img.height !== height) {
      throw new Error(
        `${path}: image is ${img.width}x${img.height}, expected ${width}x${height} like ${first} ` +
          `(all images of a folder dataset must have one size)`,
      );
    }
    if (grey) {
      for (let p = 0; p < img.rgb.length; p += 3) {
        if (img.rgb[p] !== img.rgb[p + 1] || img.rgb[p] !== img.rgb[p + 2]) {
          grey = false;
          break;
        }
      }
    }
    let px = img.rgb;
    if (opts.imageSize) {
      px = resizeBilinear(px, 1, height, width, 3, opts.imageSize, opts.imageSize);
    }
    decoded.push(px);
  }
  const channels = opts.channels ?? (grey ? 1 : 3);
  const outH = opts.imageSize ?? height, outW = opts.imageSize ?? width;
  const per = outH * outW * channels;
  const stack = (from: number, to: number, labels: number[]): ImageSet => {
    const pixels = new Uint8Array((to - from) * per);
    for (let i = from; i < to; i++) {
      pixels.set(convertChannels(decoded[i], outH * outW, 3, channels), (i - from) * per);
    }
    return {
      pixels,
      labels: Int32Array.from(labels),
      count: to - from,
      height: outH,
      width: outW,
      channels,
      names: all.slice(from, to).map((p) => p.slice(dataDir.length + 1)),
    };
  };
  const train = stack(0, trainFiles.length, trainFiles.map(() => 0));
  const test = stack(trainFiles.length, all.length, testLabels);
  const skipped = mergeSkipped(...listings.map((l) => l.skipped));
  const notes = transparent === 0 ? [] : [
    `${transparent} of ${all.length} images have transparent pixels (alpha < 255): composited ` +
    `onto white, as an image viewer shows them`,
  ];
  return {
    train,
    test,
    classNames: [...FOLDER_CLASSES],
    source: dataDir,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    sourceImages: { sizes: addSize([], width, height, all.length), channels: grey ? 1 : 3 },
  };
}

/**
 * The folder dataset's entry in the dataset registry: your own images, normal or anomalous, read
 * from `--data-dir` (it has no default location), resized as they are decoded, and read again
 * when a file changes.
 *
 * @example
 * ```ts
 * import { FOLDER_DATASET } from "./folder.ts";
 * if (FOLDER_DATASET.defaultDir() !== undefined || FOLDER_DATASET.labels !== "anomaly") throw new Error();
 * ```
 */
export const FOLDER_DATASET: DatasetSpec<"folder"> = {
  name: "folder",
  classNames: FOLDER_CLASSES,
  labels: "anomaly",
  defaultDir: () => undefined,
  dataDirHint: "a folder with train/ and test/",
  howToGet: "your images: --data-dir with train/ and test/{normal,anomalous}/ or labels.csv",
  present: async (dir) => (await exists(`${dir}/train`)) && (await exists(`${dir}/test`)),
  load: (dataDir, target) => {
    if (dataDir === undefined) throw new Error("folder: no --data-dir given");
    return loadFolder(dataDir, target);
  },
  resizesWhileDecoding: true,
  fingerprint: folderFingerprint,
};
