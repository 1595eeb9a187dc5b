/**
 * `deno task results`: rebuilds every generated file of results/ from the committed runs — the
 * teachers', students' and design study's `tables.md`, the headline blocks of results/README.md,
 * and each sweep folder's `tables.md`/`tables.json` — through the pure renderers of lib/results
 * (`rebuildResults`).
 *
 *     deno task results            # write what changed
 *     deno task results --check    # exit 1 naming each stale file, writing nothing (CI)
 *     deno task results --out DIR  # another results folder (tests: a copy with fewer runs)
 *
 * @module
 */

import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { rebuildResults } from "../lib/results/rebuild.ts";

await runTask(async () => {
  const flags = parseFlags(
    "results",
    Deno.args,
    { check: false, out: "results" },
    "Rebuild results/ tables and the README headline from the committed runs.\n" +
      "--out: the results folder (default results). --check: write nothing; exit 1 naming each\n" +
      "file that is stale.",
  );
  if (flags === null) return;
  const dir = String(flags.out);
  const { stale, upToDate } = await rebuildResults(dir, {
    check: Boolean(flags.check),
    onWait: (h) =>
      console.log(
        `waiting for ${
          h.pid > 0 ? `the rebuild of pid ${h.pid} on ${h.host}` : "a rebuild"
        } to end`,
      ),
  });
  for (const path of upToDate) console.log(`${path}: up to date`);
  if (flags.check && stale.length > 0) {
    for (const path of stale) {
      console.error(`${path}: stale; rebuild it with \`deno task results\``);
    }
    Deno.exit(1);
  }
  for (const path of stale) console.log(`${path}: rebuilt`);
});
