/**
 * Where each registered dataset is looked for, and whether it is there (`deno task data list`).
 *
 * @module
 */

import { expandHome } from "./_files.ts";
import { DATASET_NAMES, type DatasetName, datasetSpec } from "./registry.ts";

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
 * Reports every registered dataset's location and presence, in the registry's order. `dataDirs`
 * overrides locations per dataset.
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
    const spec = datasetSpec(dataset);
    const given = dataDirs[dataset];
    const location = given !== undefined ? expandHome(given) : spec.defaultDir();
    const present = location !== undefined && (await spec.present(location));
    const note = present ? spec.whenPresent ?? spec.howToGet : spec.howToGet;
    const row: DatasetStatus = { dataset, present, note };
    if (location !== undefined) row.location = location;
    rows.push(row);
  }
  return rows;
}
