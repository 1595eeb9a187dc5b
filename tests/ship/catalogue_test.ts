import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import {
  readShippedIndex,
  type ShippedModel,
  shippedModelsBlock,
  updateReadmeBesideModels,
  updateShippedModelsReadme,
} from "../../lib/ship/mod.ts";

const README = new URL("../../README.md", import.meta.url).pathname;
const MODELS = new URL("../../models", import.meta.url).pathname;

Deno.test("README's table of shipped models is what models/index.json gives", async () => {
  const changed = await updateShippedModelsReadme(README, await readShippedIndex(MODELS), true);
  assertEquals(changed, false, "README.md is stale: run deno task ship, or rebuild the block");
});

function model(over: Partial<ShippedModel>): ShippedModel {
  return {
    name: "x",
    role: "student",
    dataset: "mnist",
    normalClass: 2,
    protocol: "one-class",
    imageSize: 32,
    channels: 1,
    width: 3,
    latentSize: 32,
    latent: "tanh",
    params: 1,
    dtype: "mixed",
    bytes: 400_000,
    auc: 0.9,
    threshold: 0.01,
    scoresMaxAbsDiff: 0,
    training: {},
    source: "runs/x",
    ...over,
  };
}

Deno.test("shippedModelsBlock: rows by dataset, class, teacher first, ratio and method; labels and bytes", () => {
  const student = (name: string, method: string, ratio: number, teacher: string, normal = 2) =>
    model({
      name,
      normalClass: normal,
      training: { method, ratio, epochs: { step1: 10, step2: 5 }, batchSize: 64, teacher },
    });
  const index = {
    format: "edegan-shipped-models" as const,
    models: [
      student("mnist-2-311-pkdgan", "pkdgan", 315.56, "shipped:mnist-2"),
      model({
        name: "fashion-mnist-0",
        role: "teacher",
        dataset: "fashion-mnist",
        normalClass: 0,
        width: 64,
        latentSize: 100,
        bytes: 14_600_000,
        auc: 0.92125,
        training: { epochs: 15, batchSize: 64, ema: 0.99 },
      }),
      student("mnist-2-311-scratch", "scratch", 315.56, "shipped:mnist-2"),
      student("mnist-0-311-one-step", "one-step", 315.56, "runs/t14/runs/mnist-0-b64-s0-ema", 0),
      model({
        name: "mnist-2",
        role: "teacher",
        width: 64,
        latentSize: 100,
        bytes: 14_500_000,
        training: { epochs: 15, batchSize: 64, ema: null },
      }),
      student("mnist-2-24-scratch", "scratch", 24.38, "shipped:mnist-2"),
    ],
  };
  const block = shippedModelsBlock(index);
  const names = [...block.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]);
  assertEquals(names, [
    "mnist-0-311-one-step",
    "mnist-2",
    "mnist-2-24-scratch",
    "mnist-2-311-scratch",
    "mnist-2-311-pkdgan",
    "fashion-mnist-0",
  ]);
  const row = (name: string) =>
    block.split("\n").find((l) => l.startsWith(`| \`${name}\``))!.split("|").map((c) => c.trim());
  assertEquals(
    row("mnist-0-311-one-step")[5],
    "315.6:1 from teacher run `mnist-0-b64-s0-ema`, one-step KD 15 epochs, batch 64",
  );
  assertEquals(
    row("mnist-2-311-pkdgan")[5],
    "315.6:1 from `mnist-2`, P-KDGAN 10 + 5 epochs, batch 64",
  );
  assertEquals(
    row("mnist-2-24-scratch")[5],
    "24.4:1 from `mnist-2`, trained alone, 15 epochs, batch 64",
  );
  assertEquals(row("mnist-2")[5], "15 epochs, batch 64");
  assertEquals(row("fashion-mnist-0").slice(3, 9), [
    "Fashion-MNIST 0 (T-shirt/top)",
    "64 x 100",
    "15 epochs, batch 64, `--ema 0.99`",
    "0.9213",
    "mixed",
    "14,600,000",
  ]);
  assertStringIncludes(block, "Bytes added: the 2 teachers 29.1 MB, the 4 students 1.6 MB (");
});

Deno.test("updateShippedModelsReadme: rewrites only the block, formatted; check writes nothing; no markers is an error naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const readme = join(dir, "README.md");
    const index = { format: "edegan-shipped-models" as const, models: [model({ name: "a-1" })] };
    await Deno.writeTextFile(
      readme,
      "# T\n\nbefore\n\n<!-- shipped-models:start -->\nold\n<!-- shipped-models:end -->\n\nafter\n",
    );
    assertEquals(await updateShippedModelsReadme(readme, index, true), true);
    assertStringIncludes(await Deno.readTextFile(readme), "\nold\n", "check wrote nothing");
    assertEquals(await updateShippedModelsReadme(readme, index), true);
    const text = await Deno.readTextFile(readme);
    assertStringIncludes(text, "before\n\n<!-- shipped-models:start (made by");
    assertEquals(
      // a student without a training record: only what is known
      /\| `a-1` +\| student \| MNIST digit 2 +\| +3 x 32 \| distilled +\|/.test(
        text,
      ),
      true,
      text,
    );
    assertStringIncludes(text, "<!-- shipped-models:end -->\n\nafter\n");
    assertEquals(await updateShippedModelsReadme(readme, index), false, "idempotent");
    // only the repository's own models folder updates the README beside it
    await Deno.mkdir(join(dir, "models"));
    await Deno.writeTextFile(join(dir, "models", "index.json"), JSON.stringify(index));
    const own = join(dir, "models");
    assertEquals(await updateReadmeBesideModels(own, own), { readme, changed: false });
    assertEquals(await updateReadmeBesideModels(own), undefined, "not this checkout's models/");
    assertEquals(await updateReadmeBesideModels(join(own, "nested"), own), undefined);
    // an empty index says so
    assertStringIncludes(
      shippedModelsBlock({ format: "edegan-shipped-models", models: [] }),
      "No model is shipped yet.",
    );
    await Deno.writeTextFile(readme, "# no markers\n");
    await assertRejects(
      () => updateShippedModelsReadme(readme, index),
      Error,
      `${readme}: expected the markers <!-- shipped-models:start`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("shippedModelsBlock: a student scored with per-image BatchNorm says so; moving ones do not", () => {
  const training = {
    method: "pkdgan",
    ratio: 255.28,
    epochs: { step1: 10, step2: 5 },
    batchSize: 1,
    teacher: "runs/t14/runs/mnist-6-b64-s0-ema",
  };
  const block = shippedModelsBlock({
    format: "edegan-shipped-models",
    models: [
      model({ name: "mnist-6-chosen-pkdgan", normalClass: 6, training, bnStats: "per-image" }),
      model({ name: "mnist-6-moving", normalClass: 6, training, bnStats: "moving" }),
    ],
  });
  const row = (name: string) =>
    block.split("\n").find((l) => l.startsWith(`| \`${name}\``))!.split("|").map((c) => c.trim());
  assertEquals(
    row("mnist-6-chosen-pkdgan")[5],
    "255.3:1 from teacher run `mnist-6-b64-s0-ema`, P-KDGAN 10 + 5 epochs, batch 1, scored with " +
      "per-image BatchNorm",
  );
  assertEquals(
    row("mnist-6-moving")[5],
    "255.3:1 from teacher run `mnist-6-b64-s0-ema`, P-KDGAN 10 + 5 epochs, batch 1",
  );
});
