/**
 * `deno task merge`: gather a sweep's job result files (`OUT/jobs/*.json`, from every shard) into
 * paper-style tables: the teacher's AUC per class and on average, the students' AUC per width
 * (ratio) and method, as mean ± std over seeds. Writes `OUT/tables.md` and `OUT/tables.json`
 * (and `--json PATH`), and prints the Markdown.
 *
 * @module
 */

import { join } from "@std/path";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { mergeResults, readJobResults, tablesMarkdown } from "../lib/sweep/merge.ts";
import { writeFileAtomic, writeJsonAtomic } from "../lib/util/atomic.ts";

await runTask(async () => {
  const flags = parseFlags(
    "merge",
    Deno.args,
    { out: "results/sweep", json: undefined },
    "Merge a sweep's job results (OUT/jobs/*.json) into Markdown and JSON tables.",
  );
  if (flags === null) return;
  const out = String(flags.out);
  const results = await readJobResults(out);
  if (results.length === 0) throw new Error(`--out: no finished job results in ${out}/jobs`);
  const tables = mergeResults(results);
  const markdown = tablesMarkdown(tables);
  await writeFileAtomic(join(out, "tables.md"), markdown);
  await writeJsonAtomic(join(out, "tables.json"), tables);
  if (flags.json) await writeJsonAtomic(String(flags.json), tables);
  console.log(markdown);
  console.log(`written: ${join(out, "tables.md")}, ${join(out, "tables.json")}`);
});
