/**
 * Benchmarks, each a registered suite (`deno task bench --suite NAME`): the training kernels
 * against the stock ones, a model's training and scoring speed, a peer implementation, a
 * profile of one step's kernels and the students' scoring speed. Importing this module
 * registers every suite; each result records the machine and versions it was measured on.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { getSuite } from "./mod.ts";
 * assertEquals(getSuite("kernels")?.name, "kernels");
 * ```
 *
 * @module
 */
export * from "./suites.ts";
export * from "./kernels.ts";
export * from "./model.ts";
export * from "./peer.ts";
export * from "./profile.ts";
export * from "./students.ts";
export * from "./kernel_calls.ts";
