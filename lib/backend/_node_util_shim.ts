/**
 * The `util.is*` type checks that Node deprecated in v4 and removed in v23, put back on
 * `node:util` for npm packages written against them. `@tensorflow/tfjs-node(-gpu)@4.22.0` calls
 * `util.isNullOrUndefined` for the type attribute of almost every op
 * (`dist/nodejs_kernel_backend.js`, `createTensorsTypeOpAttr`) and in `dist/kernels/TopK.js`,
 * and `util.isArray`; Deno 2.9's `node:util` has `isArray` but not `isNullOrUndefined`, so
 * without this every op of the native backends fails with `isNullOrUndefined is not a function`.
 *
 * The whole removed family is restored (not only the two that package calls), each with Node 20's
 * own definition (its source, `lib/util.js`), and only where `node:util` lacks it: a runtime that still has one keeps its own.
 * CommonJS `require("util")` in npm packages and `import util from "node:util"` are the same
 * object under Deno, so one assignment here reaches them.
 *
 * @module
 */

import util from "node:util";
import { Buffer } from "node:buffer";

/** Node 20's definitions of the `util.is*` functions that Node 23 removed (plus `isArray`). */
export const REMOVED_UTIL_FUNCTIONS: Readonly<Record<string, (value: unknown) => boolean>> = {
  isArray: (value) => Array.isArray(value),
  isBoolean: (value) => typeof value === "boolean",
  isBuffer: (value) => value instanceof Buffer,
  isDate: (value) => util.types.isDate(value),
  isError: (value) =>
    Object.prototype.toString.call(value) === "[object Error]" || value instanceof Error,
  isFunction: (value) => typeof value === "function",
  isNull: (value) => value === null,
  isNullOrUndefined: (value) => value === null || value === undefined,
  isNumber: (value) => typeof value === "number",
  isObject: (value) => value !== null && typeof value === "object",
  isPrimitive: (value) =>
    value === null || (typeof value !== "object" && typeof value !== "function"),
  isRegExp: (value) => util.types.isRegExp(value),
  isString: (value) => typeof value === "string",
  isSymbol: (value) => typeof value === "symbol",
  isUndefined: (value) => value === undefined,
};

/**
 * Adds each function of {@link REMOVED_UTIL_FUNCTIONS} that `node:util` lacks, and returns the
 * names it added (empty on a second call, or on a runtime that still has them all). Call it before
 * importing a package that uses them; calling it again is harmless.
 *
 * @example
 * ```ts
 * import util from "node:util";
 * import { installRemovedUtilFunctions } from "./_node_util_shim.ts";
 * installRemovedUtilFunctions();
 * const isNullOrUndefined = (util as unknown as Record<string, (v: unknown) => boolean>)
 *   .isNullOrUndefined;
 * if (!isNullOrUndefined(null) || isNullOrUndefined(0)) throw new Error("Node's semantics");
 * ```
 */
export function installRemovedUtilFunctions(): string[] {
  const target = util as unknown as Record<string, unknown>;
  const added: string[] = [];
  for (const [name, fn] of Object.entries(REMOVED_UTIL_FUNCTIONS)) {
    if (typeof target[name] === "function") continue;
    target[name] = fn;
    added.push(name);
  }
  return added;
}
