// Issue 30: the report of a killed run shows what its checkpoint holds (the finished epochs'
// history) and says `interrupted`, not `running`, once no process holds the run's lock.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { TINY_RUN, useBackend } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";
import { writeRunReport } from "../../lib/report/run_report.ts";
import { acquireLock } from "../../lib/util/run_lock.ts";

Deno.test("a killed run's report shows the checkpoint's history and says interrupted", async () => {
  await useBackend("wasm");
  const root = await Deno.makeTempDir();
  const out = join(root, "run");
  const killed = join(root, "killed");
  await trainRun({
    ...TINY_RUN,
    epochs: 3,
    out,
    // The folder as a kill -9 after epoch 2's checkpoint leaves it (run.lock included).
    onEpoch: async (record) => {
      if (record.epoch === 2) {
        await new Deno.Command("cp", { args: ["-a", out, killed] }).output();
      }
    },
  }).then((r) => r.model.dispose());
  const manifest = JSON.parse(await Deno.readTextFile(join(killed, "run.json")));
  assertEquals([manifest.status, manifest.history], ["running", undefined]);

  const html = await Deno.readTextFile(await writeRunReport(killed, { modelViews: false }));
  assertStringIncludes(html, "(interrupted)");
  assertStringIncludes(
    html,
    `training curves of the 2 checkpointed epoch(s) from ${killed}/model/trainer.json`,
  );
  // Before issue 30: "training curves skipped: run.json has no history yet".
  assertEquals(html.includes("no history yet"), false);

  // While a live writer holds the lock, the run is running.
  await Deno.remove(join(killed, "run.lock"));
  const lock = await acquireLock(join(killed, "run.lock"), "test");
  try {
    const live = await Deno.readTextFile(await writeRunReport(killed, { modelViews: false }));
    assertStringIncludes(live, "(running)");
  } finally {
    await lock.release();
  }
  await Deno.remove(root, { recursive: true });
});
