/**
 * Finding the model folder of a run: `--model` may name a run directory (holding `model/`) or a
 * model directory itself.
 *
 * @module
 */

import { join } from "@std/path";
import { exists } from "../util/atomic.ts";

/**
 * The model folder inside `dir`, or `dir` itself; an error naming `--model` when neither holds a
 * `model.json`.
 *
 * @example
 * ```ts ignore
 * import { resolveModelDir } from "./model_dir.ts";
 * console.log(await resolveModelDir("runs/mnist-1"));
 * ```
 */
export async function resolveModelDir(dir: string): Promise<string> {
  if (await exists(join(dir, "model", "model.json"))) return join(dir, "model");
  if (await exists(join(dir, "model.json"))) return dir;
  throw new Error(
    `--model ${dir}: neither ${join(dir, "model", "model.json")} nor ${join(dir, "model.json")} ` +
      "exists; expected a run directory written by `deno task train` or a model directory",
  );
}
