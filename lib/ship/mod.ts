/**
 * Shipped models: trained teachers and students committed under `models/` (listed in
 * `models/index.json`, loadable anywhere a run is as `shipped:NAME`), and the packing of a finished
 * run into that folder (`deno task ship`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SHIPPED_PREFIX } from "./mod.ts";
 * assertEquals(`${SHIPPED_PREFIX}mnist-2`, "shipped:mnist-2");
 * ```
 *
 * @module
 */

export {
  derivedOutputDir,
  findShippedTeacher,
  readShippedIndex,
  repositoryModelsDir,
  SHIPPED_PREFIX,
  type ShippedIndex,
  type ShippedModel,
  shippedModelsDir,
  shippedRunDir,
  type TeacherQuery,
} from "./shipped.ts";
export {
  SHIPPED_MODELS_BLOCK,
  shippedModelsBlock,
  shippedModelsTable,
  updateReadmeBesideModels,
  updateShippedModelsReadme,
} from "./catalogue.ts";
export {
  maxAbsDifference,
  type PackOptions,
  packRun,
  SCORE_TOLERANCE,
  type ShipStorage,
} from "./pack.ts";
