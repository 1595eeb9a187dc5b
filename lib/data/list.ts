/**
 * Where each dataset is looked for, and whether it is there (`deno task data list`).
 *
 * @module
 */

import { exists, expandHome, findFirst } from "./_files.ts";
import { cifar10Present } from "./download.ts";
import { IDX_FILES, MNIST_SOURCE } from "./mnist.ts";
import { defaultDataDir } from "./protocol.ts";
import { DATASET_NAMES, type DatasetName } from "./types.ts";

/**
 * One line of the dataset list.
 *
 * @example
 * ```ts
 * import type { DatasetStatus } from "./list.ts";
 * const row: DatasetStatus = { dataset: "mnist", present: true, note: "built in" };
 * if (!row.present) throw new Error();
 * ```
 */
export interface DatasetStatus {
  /** The dataset. */
  dataset: DatasetName;
  /** The directory it is looked for in (undefined for `folder` without a `dataDir`). */
  location?: string;
  /** Whether all its files are there. */
  present: boolean;
  /** How to get it, or what it is. */
  note: string;
}

/**
 * Reports every dataset's location and presence. `dataDirs` overrides locations per dataset.
 *
 * @example
 * ```ts
 * import { listDatasets } from "./list.ts";
 * const rows = await listDatasets();
 * if (!rows.find((r) => r.dataset === "mnist")?.present) throw new Error("MNIST is built in");
 * ```
 */
export async function listDatasets(
  dataDirs: Partial<Record<DatasetName, string>> = {},
): Promise<DatasetStatus[]> {
  const rows: DatasetStatus[] = [];
  for (const dataset of DATASET_NAMES) {
    const given = dataDirs[dataset];
    const location = given !== undefined ? expandHome(given) : defaultDataDir(dataset);
    let present = false;
    let note = "";
    switch (dataset) {
      case "mnist":
      case "fashion-mnist": {
        present = location !== undefined;
        for (const base of Object.values(IDX_FILES)) {
          if (!location || !(await findFirst(location, [base, `${base}.gz`]))) present = false;
        }
        note = dataset === "mnist"
          ? `built in (${MNIST_SOURCE})`
          : "Debian package dataset-fashion-mnist, or IDX files (raw or .gz) in --data-dir";
        break;
      }
      case "cifar10":
        present = await cifar10Present(location);
        note = present ? "binary batches" : "run `deno task data cifar10` to download (~170 MB)";
        break;
      case "folder":
        present = location !== undefined && (await exists(`${location}/train`)) &&
          (await exists(`${location}/test`));
        note = "your images: --data-dir with train/ and test/{normal,anomalous}/ or labels.csv";
        break;
    }
    const row: DatasetStatus = { dataset, present, note };
    if (location !== undefined) row.location = location;
    rows.push(row);
  }
  return rows;
}
