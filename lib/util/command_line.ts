/**
 * The command a process runs: its main module and arguments, as manifests (`command`) and run
 * locks (the holder's `command`) record them.
 *
 * @module
 */

/**
 * The command that wrote a manifest: the process's main module and its arguments, so that a run
 * can be started again as it was. `main` is relative to edegan's checkout (`tasks/train.ts`) when
 * the module lies inside it, else its URL (a notebook kernel, a script of the user's own; a
 * `data:` URL cut at 200 characters).
 */
export interface CommandLine {
  main: string;
  args: string[];
}

/**
 * This process's {@link CommandLine}: `Deno.mainModule` (relative to `root`, edegan's checkout by
 * default) and `Deno.args`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { commandLine } from "./command_line.ts";
 * const here = commandLine("file:///elsewhere/");
 * assertEquals(here.main, Deno.mainModule);
 * assertEquals(here.args, Deno.args);
 * ```
 */
export function commandLine(root: string = new URL("../../", import.meta.url).href): CommandLine {
  const module = Deno.mainModule;
  const main = module.startsWith(root)
    ? decodeURIComponent(module.slice(root.length))
    : module.startsWith("file:") || module.length <= MAIN_CHARS
    ? module
    // A `data:` module would carry its whole source: its start says what it was.
    : `${module.slice(0, MAIN_CHARS)}…`;
  return { main, args: [...Deno.args] };
}

/** The most characters of a main module that is neither in the checkout nor a file. */
const MAIN_CHARS = 200;
