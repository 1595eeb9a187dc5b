/**
 * Reading the environment without requiring the permission to: a library used under
 * `deno run --allow-read` (no `--allow-env`) behaves as if the variable were unset.
 *
 * @module
 */

/**
 * An environment variable's value; undefined when unset, empty or not permitted to read.
 *
 * @example
 * ```ts
 * import { envVar } from "./env.ts";
 * if (envVar("EDEGAN_NO_SUCH_VARIABLE") !== undefined) throw new Error();
 * ```
 */
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
