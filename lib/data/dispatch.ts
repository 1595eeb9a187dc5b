/**
 * Loading a dataset by name: the registry's loader for it, at model resolution, cached once per
 * process.
 *
 * @module
 */

import { expandHome, imageFolderHint } from "./_files.ts";
import { ONE_CLASS_DEFAULTS } from "./options.ts";
import { prepareImageSet } from "./preprocess.ts";
import { addSize, sourceImageNotes } from "./source_images.ts";
import { type DatasetName, datasetSpec } from "./registry.ts";
import type { LabelledDataset } from "./types.ts";

/**
 * Where a dataset is looked for when no `dataDir` is given (`undefined` for `folder`, which has
 * no default).
 *
 * @example
 * ```ts
 * import { defaultDataDir } from "./dispatch.ts";
 * if (defaultDataDir("fashion-mnist") !== "/usr/share/datasets/fashion-mnist") throw new Error();
 * ```
 */
export function defaultDataDir(dataset: DatasetName): string | undefined {
  return datasetSpec(dataset).defaultDir();
}

/** The notes on how the images were changed to the model's size and channels, added once. */
function withSourceNotes(data: LabelledDataset): LabelledDataset {
  if (!data.sourceImages) return data;
  const notes = sourceImageNotes(data.sourceImages, data.train.height, data.train.channels);
  return notes.length === 0 ? data : { ...data, notes: [...(data.notes ?? []), ...notes] };
}

const rawCache = new Map<string, Promise<LabelledDataset>>();
const preparedCache = new Map<string, Promise<LabelledDataset>>();

/**
 * Forgets every dataset cached in this process (frees their memory once no split holds them).
 *
 * @example
 * ```ts
 * import { clearDataCache } from "./dispatch.ts";
 * clearDataCache();
 * ```
 */
export function clearDataCache(): void {
  rawCache.clear();
  preparedCache.clear();
}

/** Caches a promise, and forgets it if it fails so that a fixed file can be retried. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>) {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/**
 * Loads a dataset decoded, resized to `imageSize` and converted to `channels` (default: the
 * dataset's own), once per process: later calls with the same (dataset, dataDir, imageSize,
 * channels) return the cached arrays (treat them as read-only). A dataset whose files can change
 * (a folder) is decoded again when any of its files was added, removed or changed since. Errors,
 * thrown before anything is read: an unknown dataset, no `dataDir` for a dataset without a default
 * location, a bad `imageSize` or `channels`; a missing file's error says where its folder came
 * from (`dataDirOrigin`: `--data-dir D`, or the dataset's default location), and when the folder
 * holds images instead of the dataset's files, that `--dataset folder` reads them.
 *
 * @example
 * ```ts
 * import { loadDataset } from "./dispatch.ts";
 * const d = await loadDataset({ dataset: "mnist", imageSize: 32 });
 * if (d.train.width !== 32 || d.train.channels !== 1 || d.test.count !== 10000) throw new Error();
 * ```
 */
export function loadDataset(opts: {
  dataset: DatasetName;
  dataDir?: string;
  imageSize?: number;
  channels?: 1 | 3;
  /** Where `dataDir` came from, for errors (default: `--data-dir`, or the default location). */
  dataDirOrigin?: string;
}): Promise<LabelledDataset> {
  const { dataset } = opts;
  const spec = datasetSpec(dataset);
  const dataDir = opts.dataDir === undefined ? undefined : expandHome(opts.dataDir);
  const dir = dataDir || spec.defaultDir();
  if (dir === undefined) {
    throw new Error(`dataDir: the ${dataset} dataset needs --data-dir (${spec.dataDirHint})`);
  }
  const imageSize = opts.imageSize ?? ONE_CLASS_DEFAULTS.imageSize;
  if (!Number.isInteger(imageSize) || imageSize < 1) {
    throw new Error(`imageSize: ${imageSize} invalid, expected a positive integer`);
  }
  if (opts.channels !== undefined && opts.channels !== 1 && opts.channels !== 3) {
    throw new Error(`channels: ${opts.channels} invalid, expected 1 or 3`);
  }
  const channels = opts.channels ?? spec.imageShape?.[2];
  const rawKey = `${dataset}\u0000${dataDir ?? ""}`;
  const key = `${rawKey}\u0000${imageSize}\u0000${channels ?? "native"}`;
  const load = (key: string) =>
    cached(preparedCache, key, async () => {
      if (spec.resizesWhileDecoding) {
        return withSourceNotes(await spec.load(dataDir, { imageSize, channels }));
      }
      const raw = await cached(rawCache, rawKey, () => spec.load(dataDir, { imageSize, channels }));
      const c = channels ?? raw.train.channels;
      return withSourceNotes({
        ...raw,
        sourceImages: raw.sourceImages ?? {
          sizes: addSize([], raw.train.width, raw.train.height, raw.train.count + raw.test.count),
          channels: raw.train.channels === 1 ? 1 : 3,
        },
        train: prepareImageSet(raw.train, imageSize, c),
        test: prepareImageSet(raw.test, imageSize, c),
      });
    });
  // A folder changes while a notebook runs: its cache entry is only good for the same files.
  const loaded = spec.fingerprint
    ? spec.fingerprint(dir).then((print) => load(`${key}\u0000${print}`))
    : load(key);
  // A file or folder that is not there: say where its folder came from.
  const origin = opts.dataDirOrigin ??
    (dataDir ? `--data-dir ${dataDir}` : `${dataset}'s default location; --data-dir sets another`);
  return loaded.catch(async (error: Error) => {
    if (/not found/.test(error.message) && !error.message.includes("(data folder: ")) {
      error.message += ` (data folder: ${origin})`;
      // A folder of images given to another dataset (`--dataset folder` forgotten): say so.
      const hint = spec.name !== "folder" && !(await spec.present(dir).catch(() => false))
        ? await imageFolderHint(dir)
        : undefined;
      if (hint) error.message += ` (${hint})`;
    }
    throw error;
  });
}
