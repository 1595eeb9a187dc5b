/**
 * Reports of runs: one self-contained HTML page per train run, distillation or distilled student
 * (a distillation's `jobs/<job>/`, a shipped student), composed from its files with the figure
 * builders of `lib/viz`.
 *
 * @example
 * ```ts
 * import { writeRunReport } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const error = await writeRunReport(dir).catch((e: Error) => e);
 * if (!(error instanceof Error) || !error.message.includes(dir)) throw new Error();
 * await Deno.remove(dir);
 * ```
 *
 * @module
 */
export { type RunReportOptions, writeRunReport } from "./run_report.ts";
