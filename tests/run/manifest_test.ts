// The one schema of run.json: every committed run.json (results/, models/) reads through it, a
// damaged one is refused naming the file and the field, and what the writer writes reads back.

import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join, relative } from "@std/path";
import { readRunManifest, writeRunManifest } from "../../lib/run/manifest.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

async function* runJsonFiles(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* runJsonFiles(path);
    else if (entry.name === "run.json") yield path;
  }
}

Deno.test("every committed run.json (results/, models/) reads through the one schema", async () => {
  const kinds = new Map<string, number>();
  const failures: string[] = [];
  for (const top of ["results", "models"]) {
    for await (const path of runJsonFiles(join(ROOT, top))) {
      try {
        const run = await readRunManifest(path);
        if (!run) throw new Error("absent");
        kinds.set(run.kind, (kinds.get(run.kind) ?? 0) + 1);
        if (run.kind === "train" && run.status === "finished") {
          assert((run.history?.length ?? 0) > 0, `${path}: a finished run has a history`);
          assertEquals(run.history!.at(-1)!.epoch, run.training.epochs, path);
        }
      } catch (error) {
        failures.push(`${relative(ROOT, path)}: ${(error as Error).message}`);
      }
    }
  }
  assertEquals(failures, []);
  // 96 teachers and quick runs, 66 distillations when this test was written: all of them read.
  assert((kinds.get("train") ?? 0) >= 90, JSON.stringify([...kinds]));
  assert((kinds.get("distill") ?? 0) >= 60, JSON.stringify([...kinds]));
});

Deno.test("a damaged run.json is refused naming the file and the field", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-manifest-" });
  try {
    const path = join(dir, "run.json");
    const write = (value: unknown) => Deno.writeTextFile(path, JSON.stringify(value));
    const base = {
      kind: "train",
      status: "finished",
      training: { epochs: 2, batchSize: 16, seed: 0 },
      history: [{ epoch: 1, auc: 0.5 }, { epoch: 2, auc: 0.6 }],
    };
    await write({ ...base, history: [{ epoch: 1 }, { auc: 0.6 }] });
    await assertRejects(() => readRunManifest(path), Error, `${path}: history[1].epoch: `);
    await write({ ...base, training: { ...base.training, batchSize: "16" } });
    const error = await assertRejects(() => readRunManifest(path), Error);
    assertStringIncludes(error.message, `${path}: training.batchSize: `);
    assertStringIncludes(error.message, '(got "16")');
    await write({ ...base, kind: "bench" });
    await assertRejects(() => readRunManifest(path), Error, `${path}: kind is "bench"`);
    await Deno.writeTextFile(path, "{ not json");
    await assertRejects(() => readRunManifest(path), Error, `${path}: not valid JSON`);
    await write([base]);
    await assertRejects(() => readRunManifest(path), Error, `${path}: expected a JSON object`);
    assertEquals(await readRunManifest(join(dir, "absent.json")), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeRunManifest: what it writes reads back, stamped; a NaN loss is kept as null", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-manifest-" });
  try {
    const path = join(dir, "run.json");
    // Another model's settings and losses, handed over as a model hands them (not as literals).
    const config = { width: 8, margin: 0.5 };
    const history = [{ epoch: 1, lossG: NaN, auc: 0.75, radius: 2 }];
    await writeRunManifest(path, {
      kind: "train",
      status: "finished",
      training: { epochs: 1, batchSize: 16, seed: 3, limit: null },
      model: "future-model",
      config,
      history,
    });
    const run = await readRunManifest(path);
    if (run?.kind !== "train") throw new Error(`kind ${run?.kind}`);
    assertEquals(run.training.seed, 3);
    const [epoch] = run.history ?? [];
    assertEquals(epoch.lossG, null);
    // Inside the config and the history, fields the schema does not know are kept (another model's).
    assertEquals((run.config as Record<string, unknown>).margin, 0.5);
    assertEquals((epoch as unknown as Record<string, unknown>).radius, 2);
    assertEquals(typeof run.versions?.edegan, "string");
    await assertRejects(
      () =>
        writeRunManifest(join(dir, "bad.json"), {
          kind: "train",
          status: "finished",
          training: { epochs: 0, batchSize: 16, seed: 0 },
        }),
      Error,
      "training.epochs",
    );
    await assertRejects(() => Deno.stat(join(dir, "bad.json")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
