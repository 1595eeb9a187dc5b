/**
 * Finding the model folder of a run: `--model` may name a run directory (holding `model/`), a
 * model directory itself, or a shipped model (`shipped:NAME`, see `lib/ship/shipped.ts`).
 *
 * @module
 */

import { join } from "@std/path";
import { exists } from "../util/atomic.ts";
import { SHIPPED_PREFIX, shippedRunDir } from "../ship/shipped.ts";
import { EXPORT_METADATA_FILE } from "../export/metadata.ts";
import { readJsonIfPresent } from "../util/json.ts";

/**
 * The model folder inside `dir`, or `dir` itself, or that of the shipped model `shipped:NAME`
 * (`models/NAME/model`); an error naming `--model` when neither holds a `model.json`, or when
 * `dir` is an export (`deno task export`'s folder, whose `model.json` is no edegan model).
 *
 * @example
 * ```ts
 * import { join } from "@std/path";
 * import { resolveModelDir } from "./model_dir.ts";
 * const run = await Deno.makeTempDir();
 * await Deno.mkdir(join(run, "model"));
 * await Deno.writeTextFile(join(run, "model", "model.json"), "{}");
 * if (await resolveModelDir(run) !== join(run, "model")) throw new Error("model dir");
 * await Deno.remove(run, { recursive: true });
 * ```
 */
export async function resolveModelDir(dir: string): Promise<string> {
  if (dir.startsWith(SHIPPED_PREFIX)) dir = await shippedRunDir(dir);
  // An export's model.json is a TF.js graph model, not an edegan model: the folder is named as an
  // export, not taken for a run that lacks its run.json.
  if (await exists(join(dir, EXPORT_METADATA_FILE))) {
    const format = (path: string) =>
      readJsonIfPresent(path).then((json) => (json as { format?: unknown })?.format, () => {});
    const found = await format(join(dir, "model.json"));
    throw new Error(
      `--model ${dir}: is an export (it holds ${EXPORT_METADATA_FILE}), not a run` +
        (found !== undefined ? ` (model.json: format '${found}', expected 'edegan-model')` : "") +
        "; expected the run it was exported from (`deno task serve --model` takes a TF.js export)",
    );
  }
  if (await exists(join(dir, "model", "model.json"))) return join(dir, "model");
  if (await exists(join(dir, "model.json"))) return dir;
  throw new Error(
    `--model ${dir}: neither ${join(dir, "model", "model.json")} nor ${join(dir, "model.json")} ` +
      "exists; expected a run directory written by `deno task train` or a model directory",
  );
}
