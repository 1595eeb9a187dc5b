/**
 * Plugins of the `deno task` commands: modules named in `EDEGAN_PLUGINS` (comma-separated paths,
 * relative to the working folder, or URLs) are imported before a task reads its flags, so that a
 * model or a dataset a researcher keeps outside this checkout (`registerModel`, `registerDataset`
 * at the module's top level) is known to `train --model-kind`, `--dataset`, `score`, `sweep` and
 * the rest, as the built-in ones are. The processes a sweep starts inherit the variable.
 *
 * @module
 */

import { isAbsolute, resolve, toFileUrl } from "@std/path";

/**
 * Imports each module of `list` (default `EDEGAN_PLUGINS`; comma-separated, blanks skipped):
 * a path is resolved against the working folder, a `file:`, `http(s):` or `npm:` specifier is
 * imported as it is. Returns the specifiers imported, in order.
 *
 * @throws Error naming `EDEGAN_PLUGINS` and the module: one that cannot be imported (missing, a
 *   syntax error, an error thrown at its top level).
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { loadPlugins } from "./plugins.ts";
 * assertEquals(await loadPlugins(""), []);
 * await assertRejects(() => loadPlugins("no/such/plugin.ts"), Error, "EDEGAN_PLUGINS: cannot import");
 * ```
 */
export async function loadPlugins(
  list: string | undefined = Deno.env.get("EDEGAN_PLUGINS"),
): Promise<string[]> {
  const imported: string[] = [];
  for (const entry of (list ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const specifier = /^(file|https?|npm|jsr):/.test(entry)
      ? entry
      : toFileUrl(isAbsolute(entry) ? entry : resolve(entry)).href;
    try {
      await import(specifier);
    } catch (error) {
      throw new Error(
        `EDEGAN_PLUGINS: cannot import ${entry} (${(error as Error).message.split("\n")[0]})`,
      );
    }
    imported.push(specifier);
  }
  return imported;
}
