// README's "Scoring an export outside edegan": the block as written, run as a user runs it (its own
// process, onnxruntime-node from npm), gives edegan's scores and decisions on the same files.

import { assert, assertEquals } from "@std/assert";
import { join, toFileUrl } from "@std/path";
import { PNG } from "pngjs";
import * as tf from "../../lib/tf.ts";
import { exportRun, ONNXRUNTIME_VERSION } from "../../lib/export/mod.ts";
import { loadOneClass } from "../../lib/data/protocol.ts";
import { edeganFolderScores, tempDir, trainedRun } from "./_runs.ts";

const ROOT = new URL("../../", import.meta.url);
const MARKER = "<!-- example: score_export.ts -->";

/** The README's example block after {@link MARKER}, importing edegan from this checkout. */
async function readmeExample(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const at = readme.indexOf(MARKER);
  assert(at >= 0, `README.md: no '${MARKER}'`);
  const block = readme.slice(at).match(/```ts\n([\s\S]*?)```/);
  if (!block) throw new Error("README.md: no ts block after the marker");
  assert(block[1].includes('from "./mod.ts"'), "the example imports ./mod.ts");
  // The runtime the example pins is the one edegan itself loads.
  assert(block[1].includes(`"npm:onnxruntime-node@${ONNXRUNTIME_VERSION}"`), "onnxruntime version");
  return block[1].replace('from "./mod.ts"', `from "${new URL("mod.ts", ROOT).href}"`);
}

Deno.test("README: an ONNX export scored outside edegan by onnxruntime-node gives edegan's scores", async () => {
  const run = await trainedRun("student");
  // 30 MNIST test digits at their own 28x28, as a user's files (the example resizes them).
  const images = await tempDir("edegan-readme-images-");
  const { test } = await loadOneClass({
    dataset: "mnist",
    normal: 2,
    testLimit: 30,
    imageSize: 28,
  });
  for (let i = 0; i < test.count; i++) {
    const png = new PNG({ width: 28, height: 28 });
    for (let p = 0; p < 784; p++) {
      png.data.fill(test.pixels[i * 784 + p], p * 4, p * 4 + 3);
      png.data[p * 4 + 3] = 255;
    }
    await Deno.writeFile(join(images, `${String(i).padStart(2, "0")}.png`), PNG.sync.write(png));
  }
  const { set, want, threshold } = await edeganFolderScores(run, images);

  const exported = join(await tempDir(), "onnx");
  await tf.setBackend("cpu");
  await exportRun({ model: run, format: "onnx", out: exported });
  const script = join(await tempDir(), "score_export.ts");
  await Deno.writeTextFile(script, await readmeExample());
  // The checkout's import map; no lock, so that onnxruntime-node is not written into deno.lock.
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-lock",
      "--config",
      new URL("deno.json", ROOT).pathname,
      toFileUrl(script).href,
      exported,
      images,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  const rows = text.trim().split("\n").map((line) => line.split("\t"));
  assertEquals(rows.map((r) => r[0]), set.names);
  rows.forEach(([name, score, decision], i) => {
    const got = Number(score);
    assert(
      Math.abs(got - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])),
      `${name}: ${got} outside, ${want[i]} edegan`,
    );
    assertEquals(decision, want[i] >= threshold ? "anomalous" : "normal", name);
  });
  // The example is not trivially right: the scores differ between images.
  assert(new Set(rows.map((r) => r[1])).size > 20);
});
