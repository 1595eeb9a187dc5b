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
import { envVar } from "./env.ts";

/**
 * Imports each module of `list` (default `EDEGAN_PLUGINS`; comma-separated, blanks skipped):
 * a path is resolved against the folder the command was typed in (`INIT_CWD`, which `deno task`
 * sets, as it runs tasks in the checkout's root; else the working folder), a `file:`, `http(s):`,
 * `npm:` or `jsr:` specifier is imported as it is. Returns the specifiers imported, in order. A
 * plugin registers into this checkout's registries only when it imports `registerModel` and
 * `registerDataset` from this checkout's `mod.ts` (another copy of edegan has registries of its
 * own). Importing a module twice runs it once.
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
  list: string | undefined = envVar("EDEGAN_PLUGINS"),
): Promise<string[]> {
  const imported: string[] = [];
  for (const entry of (list ?? "").split(",").map((e) => e.trim()).filter(Boolean)) {
    const specifier = /^(file|https?|npm|jsr):/.test(entry)
      ? entry
      : toFileUrl(isAbsolute(entry) ? entry : resolve(typedIn(), entry)).href;
    try {
      await import(specifier);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`EDEGAN_PLUGINS: cannot import ${entry} (${message.split("\n")[0]})`);
    }
    imported.push(specifier);
  }
  return imported;
}

/** The folder the command was typed in: `INIT_CWD` under `deno task`, else the working folder. */
function typedIn(): string {
  return envVar("INIT_CWD") ?? Deno.cwd();
}
