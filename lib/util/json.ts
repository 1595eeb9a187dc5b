/**
 * Reading a JSON file with errors that name it: the one `readJson` of the library (run
 * manifests, checkpoints, a distillation's files, the published results).
 *
 * @module
 */

/**
 * Parses the JSON file at `path`.
 *
 * @throws {Error} naming the file when it is missing or unreadable (`cannot read`), or not valid
 * JSON (`not valid JSON`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readJson } from "./json.ts";
 * const path = await Deno.makeTempFile({ suffix: ".json" });
 * await Deno.writeTextFile(path, '{"kind": "train"}');
 * assertEquals(await readJson(path), { kind: "train" });
 * await Deno.writeTextFile(path, "{");
 * assertEquals(await readJson(path).catch((e) => e.message.startsWith(path)), true);
 * ```
 */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Parses the JSON file at `path`, or `undefined` when there is no such file; a file that exists
 * but cannot be read or parsed is an error naming it (never taken for a missing one).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readJsonIfPresent } from "./json.ts";
 * const dir = await Deno.makeTempDir();
 * assertEquals(await readJsonIfPresent(`${dir}/absent.json`), undefined);
 * await Deno.writeTextFile(`${dir}/a.json`, "[1, 2]");
 * assertEquals(await readJsonIfPresent(`${dir}/a.json`), [1, 2]);
 * ```
 */
export async function readJsonIfPresent(path: string): Promise<unknown | undefined> {
  try {
    return await readJson(path);
  } catch (error) {
    if ((error as Error).cause instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * `value` as a JSON object, or an error naming `path` (an array, `null` or a scalar).
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { jsonObject } from "./json.ts";
 * assertEquals(jsonObject({ epoch: 3 }, "trainer.json").epoch, 3);
 * assertThrows(() => jsonObject([3], "trainer.json"), Error, "trainer.json: expected a JSON object");
 * ```
 */
export function jsonObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(
      `${path}: expected a JSON object, got ${
        Array.isArray(value) ? "an array" : JSON.stringify(value)
      }`,
    );
  }
  return value as Record<string, unknown>;
}
