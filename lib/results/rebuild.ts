/**
 * `deno task results`: every generated file of a results folder rebuilt from the runs in it —
 * `teachers/tables.md`, `students/tables.md`, `design/tables.md` (once the design study has a
 * folder) and the four generated blocks of `README.md` (`headline`, `classes`, `students`, and
 * `quick`: the quick sweeps' averages) through the pure renderers of this folder and `deno fmt`,
 * and each sweep folder's `tables.md` and `tables.json` (`reproduce-*`: a folder with `jobs/` and
 * `tables.md`) through `deno task merge`'s tables. With `check`, nothing is written: the files
 * whose committed text differs from what the runs give are returned as stale.
 *
 * @module
 */

import { join } from "@std/path";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { type LockHolder, withLockWaiting } from "../util/run_lock.ts";
import { type MergedTables, mergeResults, readJobResults, tablesMarkdown } from "../sweep/merge.ts";
import { designTables, loadDesignCells } from "./design_tables.ts";
import { loadDistillations } from "./distillations.ts";
import { applyHeadline, headlineBlocks } from "./headline.ts";
import { formatMarkdown, replaceBlock } from "./markdown.ts";
import { loadPaperFigures } from "./paper_figures.ts";
import { quickBlock } from "./quick_tables.ts";
import { studentTables } from "./student_tables.ts";
import { teacherTables } from "./teacher_tables.ts";
import { loadTeacherRuns } from "./teacher_runs.ts";

/** One generated file: where it goes and the text the runs give (formatted). */
export interface ResultsFile {
  path: string;
  text: string;
}

/** What a rebuild found or did. */
export interface RebuildSummary {
  /** Files whose text changed (written, or with `check` only reported). */
  stale: string[];
  /** Files already what the runs give. */
  upToDate: string[];
}

/** The quick-preset sweeps whose averages the README's `quick` block shows, in its order. */
const QUICK_SWEEPS = ["reproduce-mnist-quick", "reproduce-fashion-mnist-quick"];

const readOrEmpty = (path: string) => Deno.readTextFile(path).catch(() => "");

/**
 * Every generated file of results folder `dir` as the runs in it give it (nothing written). The
 * folder holds `paper_figures.json`, `README.md` (with the `headline`, `classes`, `students` and
 * `quick` markers; the last only when a `reproduce-*-quick/` sweep is there), `teachers/`,
 * `students/`, and maybe the quick sweeps, `design/` and `constraint/` (runs without the latent
 * constraint, beside their teachers).
 *
 * @throws {Error} naming the file when a run, the paper figures or the README's markers are
 * missing or unreadable.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderResults } from "./rebuild.ts";
 * const files = await renderResults(new URL("../../results/", import.meta.url).pathname);
 * assertEquals(files.map((f) => f.path.split("results/")[1]).slice(0, 2),
 *   ["teachers/tables.md", "students/tables.md"]);
 * ```
 */
export async function renderResults(dir: string): Promise<ResultsFile[]> {
  const paper = await loadPaperFigures(join(dir, "paper_figures.json"));
  const teachers = await loadTeacherRuns(join(dir, "teachers"));
  const students = await loadDistillations(join(dir, "students"));
  // The runs without the latent constraint (issue 26, item 6), beside their teachers; the folder
  // holds only the campaign spec until its first run lands.
  const constraintDir = join(dir, "constraint");
  const unconstrained = await exists(constraintDir) ? await loadTeacherRuns(constraintDir) : [];
  const files: ResultsFile[] = [
    { path: join(dir, "teachers", "tables.md"), text: teacherTables(teachers) },
    { path: join(dir, "students", "tables.md"), text: studentTables(students, paper) },
  ];
  const designDir = join(dir, "design");
  // Only a missing design/ means no study yet: a study folder that cannot be read is an error
  // named by the reader, never a headline silently without the study.
  const cells = await exists(designDir) ? await loadDesignCells(designDir) : [];
  if (cells.length > 0) {
    files.push({ path: join(designDir, "tables.md"), text: designTables(cells, paper) });
  }
  const readme = join(dir, "README.md");
  const headline = applyHeadline(
    await Deno.readTextFile(readme),
    headlineBlocks(teachers, students, paper, unconstrained, cells),
    readme,
  );
  const sweeps = await sweepFolders(dir);
  const quick = QUICK_SWEEPS.flatMap((name) => sweeps.get(name) ?? []);
  files.push({
    path: readme,
    text: quick.length > 0 ? replaceBlock(headline, "quick", quickBlock(quick), readme) : headline,
  });
  // The Markdown is kept formatted (the README whole, its text around the blocks too); the sweep
  // tables as `deno task merge` writes them.
  const formatted = await Promise.all(
    files.map(async (f) => ({ ...f, text: await formatMarkdown(f.text) })),
  );
  return [...formatted, ...sweepFiles(dir, sweeps)];
}

/**
 * Each sweep folder of `dir` (a folder with `jobs/` and `tables.md`) by name, with its job results
 * merged as `deno task merge` merges them; read once, for its own tables and the README's.
 */
async function sweepFolders(dir: string): Promise<Map<string, MergedTables>> {
  const sweeps = new Map<string, MergedTables>();
  const entries = (await Array.fromAsync(Deno.readDir(dir)))
    .filter((e) => e.isDirectory && !e.name.startsWith(".")).map((e) => e.name).sort();
  for (const name of entries) {
    const folder = join(dir, name);
    const isSweep = await Deno.stat(join(folder, "jobs")).then((s) => s.isDirectory, () => false) &&
      await Deno.stat(join(folder, "tables.md")).then(() => true, () => false);
    if (isSweep) sweeps.set(name, mergeResults(await readJobResults(folder)));
  }
  return sweeps;
}

/** The `tables.md` and `tables.json` of each sweep folder of `dir`, as `deno task merge` makes. */
function sweepFiles(dir: string, sweeps: Map<string, MergedTables>): ResultsFile[] {
  return [...sweeps].flatMap(([name, tables]) => [
    { path: join(dir, name, "tables.md"), text: tablesMarkdown(tables) },
    { path: join(dir, name, "tables.json"), text: JSON.stringify(tables, null, 2) + "\n" },
  ]);
}

/**
 * Rebuilds the generated files of results folder `dir`: each whose text differs from what the
 * runs give is written whole (atomically), or, with `check`, only reported. Rebuilds and checks
 * take turns (`dir/.rebuild.lock`, waited for; `onWait` is told the holder once; after
 * {@linkcode REBUILD_WAIT_MS} an error names the lock): two campaign workers landing at once each
 * read the folders after the other's rebuild has written, so the last tables written include both,
 * and a check never reads tables half rewritten.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rebuildResults } from "./rebuild.ts";
 * const summary = await rebuildResults(new URL("../../results/", import.meta.url).pathname,
 *   { check: true });
 * assertEquals(summary.stale, []);
 * ```
 */
export async function rebuildResults(
  dir: string,
  opts: { check?: boolean; onWait?: (holder: LockHolder) => void } = {},
): Promise<RebuildSummary> {
  const rebuild = async () => {
    const summary: RebuildSummary = { stale: [], upToDate: [] };
    for (const file of await renderResults(dir)) {
      if (await readOrEmpty(file.path) === file.text) {
        summary.upToDate.push(file.path);
        continue;
      }
      summary.stale.push(file.path);
      if (!opts.check) await writeFileAtomic(file.path, file.text);
    }
    return summary;
  };
  // A check takes its turn too, so that it never reads tables half rewritten by a rebuild. A
  // rebuild takes seconds: a lock held for minutes is one left behind (a pid reused since).
  return await withLockWaiting(join(dir, REBUILD_LOCK), `deno task results (${dir})`, rebuild, {
    pollMs: 500,
    onWait: opts.onWait,
    timeoutMs: REBUILD_WAIT_MS,
  });
}

/** The lock file, in the results folder, that rebuilds take turns by. */
export const REBUILD_LOCK = ".rebuild.lock";

/** How long a rebuild waits for another's lock before it names the lock as left behind. */
export const REBUILD_WAIT_MS = 5 * 60 * 1000;
