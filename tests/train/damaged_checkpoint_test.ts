// Issue 30: advice that does not loop. A damaged checkpoint is named as damaged, with ways out
// that work (--restart, another --out), never "rerun with --resume"; a refused resume says what
// to do when a difference is a default of the code, which no flag sets back.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { TINY_RUN, useBackend } from "../_helpers.ts";
import { trainRun } from "../../lib/train/run.ts";

const base = TINY_RUN;

Deno.test("a truncated optimizer.bin is named as damaged, twice the same, and --restart starts over", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  await trainRun({ ...base, out }).then((r) => r.model.dispose());
  const optimizer = join(out, "model", "optimizer.bin");
  const bytes = await Deno.readFile(optimizer);
  await Deno.writeFile(optimizer, bytes.subarray(0, 1000));
  for (let attempt = 0; attempt < 2; attempt++) {
    let steps = 0;
    const error = await assertRejects(() =>
      trainRun({ ...base, epochs: 2, out, resume: true, onStep: () => void steps++ })
    );
    assertEquals(steps, 0);
    assertStringIncludes(error.message, `--resume: the checkpoint in ${out}/model is damaged`);
    assertStringIncludes(error.message, `${optimizer}: 1000 bytes, expected ${bytes.length}`);
    assertStringIncludes(error.message, "--restart");
    // Before issue 30: "Epoch 1 is checkpointed in ...; ... rerun with --resume", which loops.
    assert(!error.message.includes("rerun with --resume"), error.message);
  }
  // Without --resume the run is still there: the message names both ways on.
  const plain = await assertRejects(() => trainRun({ ...base, epochs: 2, out }));
  assertStringIncludes(plain.message, "--restart to start it over");
  await assertRejects(
    () => trainRun({ ...base, out, resume: true, restart: true }),
    Error,
    "give one",
  );
  // --restart discards the damaged checkpoint: the run is an uninterrupted one of 2 epochs.
  const restarted = await trainRun({ ...base, epochs: 2, out, restart: true });
  const fresh = await trainRun({ ...base, epochs: 2 });
  try {
    assertEquals(restarted.history.map((h) => h.lossG), fresh.history.map((h) => h.lossG));
  } finally {
    restarted.model.dispose();
    fresh.model.dispose();
  }
  assertEquals(JSON.parse(await Deno.readTextFile(join(out, "run.json"))).status, "finished");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a resume refused over a default of the code names a way out that exists", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  await trainRun({ ...base, out }).then((r) => r.model.dispose());
  const runJson = join(out, "run.json");
  const manifest = JSON.parse(await Deno.readTextFile(runJson));
  manifest.training.fpr = 0.1; // as if the code's default had been 0.1 when the run began
  await Deno.writeTextFile(runJson, JSON.stringify(manifest));
  let error = await assertRejects(() => trainRun({ ...base, epochs: 2, out, resume: true }));
  assertStringIncludes(error.message, "fpr 0.1 -> 0.05");
  assertStringIncludes(error.message, "continue with the edegan version that began the run");
  assertStringIncludes(error.message, "start the run over with --restart");
  assert(!error.message.includes("resume with the recorded values"), error.message);
  // Files added to the data: the counts differ, which is neither a flag nor a code default.
  manifest.training.fpr = 0.05;
  manifest.data.counts.train += 5;
  await Deno.writeTextFile(runJson, JSON.stringify(manifest));
  error = await assertRejects(() => trainRun({ ...base, epochs: 2, out, resume: true }));
  assertStringIncludes(error.message, "put the data's files back as they were");
  assert(!error.message.includes("code's defaults"), error.message);
  manifest.data.counts.train -= 5;
  await Deno.writeTextFile(runJson, JSON.stringify(manifest));
  error = await assertRejects(() => trainRun({ ...base, normal: 7, epochs: 2, out, resume: true }));
  assertStringIncludes(error.message, "--normal 1 -> 7");
  assertStringIncludes(error.message, "rerun with the recorded flag values (left of ->)");
  await Deno.remove(out, { recursive: true });
});
