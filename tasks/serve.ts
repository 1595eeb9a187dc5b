/**
 * `deno task serve`: the scoring page on 127.0.0.1, for a TF.js export or a run (exported to a
 * temporary folder first).
 *
 * @module
 */

import { join } from "@std/path";
import { parseFlags, runTask } from "../lib/cli/flags.ts";
import {
  EXPORT_METADATA_FILE,
  exportRun,
  readTfjsExport,
  type ScoringPage,
  serveScoringPage,
} from "../lib/export/mod.ts";
import { exists } from "../lib/util/atomic.ts";
import * as tf from "../lib/tf.ts";

await runTask(async () => {
  const flags = parseFlags(
    "serve",
    Deno.args,
    { model: undefined, port: 8080 },
    "Serve a page " +
      "on 127.0.0.1 that scores the images dropped on it with an exported model, in the browser.",
    [],
    { model: "required: a run folder, a shipped model (shipped:NAME) or a TF.js export folder" },
  );
  if (flags === null) return;
  if (!flags.model) throw new Error("--model: required (a run folder or a TF.js export folder)");
  let dir = flags.model as string;
  let temporary: string | undefined;
  const removeTemporary = async () => {
    if (temporary) await Deno.remove(temporary, { recursive: true }).catch(() => {});
  };
  let page: ScoringPage;
  // The temporary export goes with any failure (a folder that is no run, a port in use), as it
  // goes when the page stops: nothing of it is left in the system's temporary folder.
  try {
    if (await exists(join(dir, EXPORT_METADATA_FILE))) {
      await readTfjsExport(dir);
    } else {
      await tf.setBackend("cpu");
      temporary = await Deno.makeTempDir({ prefix: "edegan-serve-" });
      const out = join(temporary, "tfjs");
      await exportRun({ model: dir, format: "tfjs", out });
      console.log(`exported ${dir} to ${out} (TF.js graph model, removed when the page stops)`);
      dir = out;
    }
    page = await serveScoringPage(dir, { port: flags.port as number });
  } catch (error) {
    await removeTemporary();
    if (error instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `--port ${flags.port}: already in use on 127.0.0.1; expected a free port (0: any free one)`,
      );
    }
    throw error;
  }
  console.log(`scoring page: ${page.url} (Ctrl-C stops it)`);
  const stop = async () => {
    await page.shutdown();
    await removeTemporary();
    Deno.exit(0);
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(signal, stop);
    } catch {
      // Windows has no SIGTERM listener; Ctrl-C (SIGINT) still stops the page.
    }
  }
});
