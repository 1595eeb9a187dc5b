// `deno task export` and `deno task serve` as a user runs them.

import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { saveModel } from "../../lib/train/checkpoint.ts";
import { tempDir } from "./_runs.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function command(name: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `tasks/${name}.ts`, ...args],
    cwd: ROOT,
    env: { EDEGAN_NO_PROGRESS: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

async function task(name: string, args: string[]) {
  const { code, stdout, stderr } = await command(name, args).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}

/** A model folder (no run.json) holding an untrained student with a calibration. */
async function modelFolder(): Promise<string> {
  await tf.setBackend("cpu");
  const dir = await tempDir();
  const model = EdeGan.create({ width: 2, latentSize: 16 }, 0);
  await saveModel(join(dir, "model"), model, {
    calibration: { min: 0, max: 1, threshold: 0.5, fpr: 0.05, count: 10 },
  });
  model.dispose();
  return dir;
}

Deno.test("export: writes an ONNX model with its threshold; a bad --format is named", async () => {
  const run = await modelFolder();
  const out = join(run, "onnx");
  const ok = await task("export", ["--model", run, "--format", "onnx", "--out", out]);
  assertEquals(ok.code, 0, ok.stderr);
  assertStringIncludes(ok.stdout, `as onnx to ${out}: edegan-export.json, model.onnx`);
  assertStringIncludes(ok.stdout, "threshold 0.5");
  const metadata = JSON.parse(await Deno.readTextFile(join(out, "edegan-export.json")));
  assertEquals(metadata.calibration.threshold, 0.5);
  assertEquals(metadata.bnStats, "moving");

  const bad = await task("export", ["--model", run, "--format", "keras", "--out", out]);
  assertEquals(bad.code, 2);
  assertStringIncludes(bad.stderr, "--format");
  assertStringIncludes(bad.stderr, "keras");
  const missing = await task("export", ["--model", join(run, "nothing"), "--out", out]);
  assertEquals(missing.code, 2);
  assertStringIncludes(missing.stderr, `error: --model ${join(run, "nothing")}: neither`);
});

Deno.test({
  name: "serve: a run's page and model are served on 127.0.0.1 only",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const run = await modelFolder();
    const child = command("serve", ["--model", run, "--port", "0"]).spawn();
    try {
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      while (!text.includes("scoring page: ")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const url = text.match(/scoring page: (http:\/\/127\.0\.0\.1:\d+\/)/)?.[1];
      if (!url) throw new Error(`no URL in the output: ${text}`);
      const page = await (await fetch(url)).text();
      assertStringIncludes(page, "EDE-GAN scoring page");
      const metadata = await (await fetch(`${url}model/edegan-export.json`)).json();
      assertEquals(metadata.modelFormat, "tfjs-graph-model");
      assertEquals(metadata.calibration.threshold, 0.5);
      const script = await fetch(`${url}page.js`);
      assertStringIncludes(await script.text(), "bilinearTaps");
      assertEquals((await fetch(`${url}../deno.json`)).status, 404);
      // Not on other interfaces: the port answers on 127.0.0.1 only.
      const port = Number(new URL(url).port);
      const addresses = Deno.networkInterfaces().filter((i) =>
        i.family === "IPv4" && i.address !== "127.0.0.1"
      );
      for (const { address } of addresses) {
        let connected = true;
        try {
          (await Deno.connect({ hostname: address, port })).close();
        } catch {
          connected = false;
        }
        assertEquals(connected, false, `the page answers on ${address}`);
      }
      reader.releaseLock();
    } finally {
      child.kill();
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
    }
  },
});

Deno.test("serve: a failure leaves no temporary export behind; --port is checked first", async () => {
  const temporary = await Deno.makeTempDir({ prefix: "edegan-serve-test-" });
  const serve = async (args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/serve.ts", ...args],
      cwd: ROOT,
      env: { EDEGAN_NO_PROGRESS: "1", TMPDIR: temporary },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return { code, stdout: decode(stdout), stderr: decode(stderr) };
  };
  const left = async () => (await Array.fromAsync(Deno.readDir(temporary))).map((e) => e.name);
  try {
    const missing = await serve(["--model", join(temporary, "nope")]);
    assertEquals(missing.code, 2, missing.stderr);
    assertStringIncludes(missing.stderr, `error: --model ${join(temporary, "nope")}: neither`);
    assertEquals(await left(), []);

    const run = await modelFolder();
    const port = await serve(["--model", run, "--port", "99999"]);
    assertEquals(port.code, 2);
    assertStringIncludes(port.stderr, "error: --port: expected at most 65535, got 99999");
    assertEquals(port.stdout.includes("exported"), false, port.stdout);
    assertEquals(await left(), []);

    // A port in use fails after the export: the export goes with it.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const busy = listener.addr.port;
      const taken = await serve(["--model", run, "--port", String(busy)]);
      assertEquals(taken.code, 2);
      assertStringIncludes(taken.stdout, "exported");
      assertStringIncludes(taken.stderr, `error: --port ${busy}: already in use on 127.0.0.1`);
      assertEquals(await left(), []);
    } finally {
      listener.close();
    }
  } finally {
    await Deno.remove(temporary, { recursive: true });
  }
});

Deno.test("score and study score: an export folder is named as an export, not a run", async () => {
  const run = await modelFolder();
  const exported = join(run, "tfjs");
  const made = await task("export", ["--model", run, "--format", "tfjs", "--out", exported]);
  assertEquals(made.code, 0, made.stderr);
  for (const args of [["study", "score"], ["score"]]) {
    const [name, ...rest] = args;
    const refused = await task(name, [...rest, "--model", exported, "--backend", "cpu"]);
    assertEquals(refused.code, 2, refused.stderr);
    assertStringIncludes(
      refused.stderr,
      `error: --model ${exported}: is an export (it holds edegan-export.json), not a run ` +
        "(model.json: format 'graph-model', expected 'edegan-model')",
    );
    assertEquals(refused.stderr.includes("run.json"), false, refused.stderr);
    // Refused before the backend starts.
    assertEquals(refused.stdout.includes("backend:"), false, refused.stdout);
  }
  await Deno.remove(run, { recursive: true });
});
