import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { findShippedTeacher, SHIPPED_INDEX_FORMAT } from "../../lib/ship/shipped.ts";

/** A models folder whose index lists a teacher of MNIST digit 2 and a student of it. */
async function modelsDir(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const common = {
    dataset: "mnist",
    normalClass: 2,
    protocol: "one-class",
    imageSize: 32,
    channels: 1,
    latent: "tanh",
    dtype: "float16",
    bytes: 1,
    auc: 0.9,
    threshold: 0.1,
    scoresMaxAbsDiff: 0,
    source: "runs/x",
  };
  await Deno.writeTextFile(
    join(dir, "index.json"),
    JSON.stringify({
      format: SHIPPED_INDEX_FORMAT,
      models: [
        {
          ...common,
          name: "mnist-2",
          role: "teacher",
          width: 64,
          latentSize: 100,
          params: 3200384,
          training: { epochs: 15, batchSize: 64, ema: 0.99 },
        },
        {
          ...common,
          name: "mnist-2-w2",
          role: "student",
          width: 2,
          latentSize: 16,
          params: 5000,
          training: { method: "pkdgan" },
        },
      ],
    }),
  );
  return dir;
}

Deno.test("findShippedTeacher: the teacher of the class when the flags given match it", async () => {
  const dir = await modelsDir();
  const query = { dataset: "mnist", normalClass: 2, protocol: "one-class", latent: "tanh" };
  const found = await findShippedTeacher(query, dir);
  assertEquals("model" in found ? [found.model.name, found.runDir] : found, [
    "mnist-2",
    join(dir, "mnist-2"),
  ]);
  const same = await findShippedTeacher({ ...query, width: 64, epochs: 15, ema: "0.99" }, dir);
  assertEquals("model" in same, true);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("findShippedTeacher: says why when no teacher matches (class, width, epochs, students)", async () => {
  const dir = await modelsDir();
  const query = { dataset: "mnist", normalClass: 2, protocol: "one-class", latent: "tanh" };
  const reason = async (q: Parameters<typeof findShippedTeacher>[0]) => {
    const found = await findShippedTeacher(q, dir);
    return "reason" in found ? found.reason : "found";
  };
  assertStringIncludes(
    await reason({ ...query, normalClass: 7 }),
    "no shipped teacher for mnist class 7",
  );
  assertStringIncludes(await reason({ ...query, latent: "none" }), "no shipped teacher");
  assertStringIncludes(await reason({ ...query, width: 32 }), "mnist-2: width 64 (asked 32)");
  assertStringIncludes(
    await reason({ ...query, epochs: 2, batchSize: 1 }),
    "epochs 15 (asked 2), batchSize 64 (asked 1)",
  );
  assertStringIncludes(await reason({ ...query, ema: "auto" }), "ema 0.99 (asked auto)");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task ship: --run and --name are required, named in the error", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const run = async (args: string[]) => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/ship.ts", ...args],
      cwd: root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code, stderr: new TextDecoder().decode(stderr) };
  };
  const noRun = await run(["--name", "x"]);
  assertEquals(noRun.code, 2);
  assertStringIncludes(noRun.stderr, "--run: required");
  const badDtype = await run(["--run", "r", "--name", "x", "--dtype", "int8"]);
  assertStringIncludes(
    badDtype.stderr,
    "--dtype: 'int8' is not one of auto, float16, mixed, float32",
  );
});

Deno.test("deno task ship --list prints the README's table of shipped models, from models/index.json", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "tasks/ship.ts", "--list"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { EDEGAN_MODELS: "" },
  }).output();
  assertEquals(code, 0);
  const text = new TextDecoder().decode(stdout);
  const table = text.split("\n").filter((l) => l.startsWith("|")).join("\n");
  const index = JSON.parse(await Deno.readTextFile(join(root, "models", "index.json")));
  // One row per shipped model, and the same table as the README's block (which CI keeps fresh).
  assertEquals(table.split("\n").length, index.models.length + 2);
  assertStringIncludes(await Deno.readTextFile(join(root, "README.md")), table);
  assertStringIncludes(
    text,
    `Bytes added: the ${
      index.models.filter((m: { role: string }) => m.role === "teacher").length
    } teachers`,
  );
  assertStringIncludes(text, "--model shipped:NAME");
});
