/**
 * The command line of every task: one table of flags with their meanings (`FLAGS`, parsed by
 * `parseFlags`, errors naming the flag), and the flags that build a run's options (data,
 * training, backend). The run sizes the flags default to are `lib/run/presets.ts`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { FLAGS } from "./mod.ts";
 * assertEquals(FLAGS.dataset.choices?.includes("mnist"), true);
 * ```
 *
 * @module
 */
export * from "./flags.ts";
export * from "./run_flags.ts";
export * from "./train_flags.ts";
export * from "./distill_flags.ts";
