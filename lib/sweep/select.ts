/**
 * `--only PATTERN[,PATTERN...]`: the jobs of a campaign whose ids match any of the patterns, so
 * that a time-boxed session runs one class's teacher and its distillation, or a single job, out of
 * a campaign spec (the rest keep their place: a later run without `--only` takes them).
 *
 * @module
 */

import { globToRegExp } from "@std/path";

/**
 * Parses the patterns of `--only`: comma-separated job ids, each may hold shell globs (`*`, `?`,
 * `[...]`, `{a,b}` is not supported: list the ids instead).
 *
 * @throws {Error} naming `--only` when the text holds no pattern.
 *
 * @example
 * ```ts
 * import { parseOnly } from "./select.ts";
 * if (parseOnly("mnist-1-*, fashion-mnist-3-*").length !== 2) throw new Error();
 * ```
 */
export function parseOnly(text: string): string[] {
  const patterns = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (patterns.length === 0) {
    throw new Error(`--only: expected job ids or globs, comma-separated, got '${text}'`);
  }
  return patterns;
}

/**
 * The jobs (in their order) whose `id` matches at least one pattern (`*` matches any run of
 * characters but `/`, so it spans `-`; a pattern matches the whole id).
 *
 * @throws {Error} naming `--only` and the pattern when a pattern matches no job, with the number of
 * jobs and the first 12 ids, so that a typo stops the run before anything starts.
 *
 * @example
 * ```ts
 * import { selectJobs } from "./select.ts";
 * const jobs = [{ id: "mnist-1-s0" }, { id: "mnist-3-s0" }, { id: "fashion-mnist-1-s0" }];
 * const picked = selectJobs(jobs, ["mnist-1-*", "fashion-mnist-1-s0"]);
 * if (picked.map((j) => j.id).join() !== "mnist-1-s0,fashion-mnist-1-s0") throw new Error();
 * ```
 */
export function selectJobs<T extends { id: string }>(
  jobs: readonly T[],
  patterns: readonly string[],
): T[] {
  const matchers = patterns.map((p) => ({ pattern: p, re: globToRegExp(p, { extended: false }) }));
  for (const { pattern, re } of matchers) {
    if (!jobs.some((j) => re.test(j.id))) {
      const ids = jobs.map((j) => j.id);
      const shown = ids.length > 12 ? `${ids.slice(0, 12).join(", ")}, ...` : ids.join(", ");
      throw new Error(
        `--only: '${pattern}' matches no job; the ${ids.length} jobs are ${shown || "(none)"}`,
      );
    }
  }
  return jobs.filter((j) => matchers.some(({ re }) => re.test(j.id)));
}
