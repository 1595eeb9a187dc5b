import { assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "../../lib/tf.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { loadModel, saveModel } from "../../lib/train/checkpoint.ts";

/** The model's weights by name, as float32 arrays. */
async function weightsOf(model: { variables: Map<string, tf.Variable> }) {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.variables) out.set(name, (await v.data()) as Float32Array);
  return out;
}

Deno.test("float16 storage: half the bytes, every weight within 2^-11 relative, exactly f16-rounded", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 4, latentSize: 8 }, 3);
  try {
    await saveModel(join(dir, "f32"), model);
    await saveModel(join(dir, "f16"), model, { dtype: "float16" });
    const f32Bytes = (await Deno.stat(join(dir, "f32", "weights.bin"))).size;
    const f16Bytes = (await Deno.stat(join(dir, "f16", "weights.bin"))).size;
    assertEquals(f16Bytes * 2, f32Bytes);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "f16", "model.json")));
    assertEquals(
      new Set(json.weightsManifest[0].weights.map((w: { dtype: string }) => w.dtype)),
      new Set(["float16"]),
    );
    const { model: again } = await loadModel(join(dir, "f16"));
    const before = await weightsOf(model), after = await weightsOf(again as EdeGan);
    let changed = 0;
    for (const [name, a] of before) {
      const b = after.get(name)!;
      for (let i = 0; i < a.length; i++) {
        // exactly the IEEE binary16 rounding of the float32 weight
        if (b[i] !== Math.f16round(a[i])) throw new Error(`${name}[${i}]: ${b[i]} vs ${a[i]}`);
        if (Math.abs(b[i] - a[i]) > Math.abs(a[i]) * 2 ** -11 + 2 ** -24) {
          throw new Error(`${name}[${i}]: ${b[i]} is too far from ${a[i]}`);
        }
        if (b[i] !== a[i]) changed++;
      }
    }
    // the round trip really went through float16 (most float32 weights are not representable)
    assertEquals(changed > 0.9 * [...before.values()].reduce((n, a) => n + a.length, 0), true);
    again.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mixed storage: float32 weights load back bit-identical beside float16 ones", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 5);
  try {
    await saveModel(dir, model, {
      dtype: (name) => name.startsWith("discriminator/") ? "float16" : "float32",
    });
    const { model: again } = await loadModel(dir);
    const before = await weightsOf(model), after = await weightsOf(again as EdeGan);
    for (const [name, a] of before) {
      const b = after.get(name)!;
      const expected = name.startsWith("discriminator/") ? a.map(Math.f16round) : a;
      assertEquals(Array.from(b), Array.from(expected), name);
    }
    again.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float16 storage: a weight beyond float16's range is refused, naming it", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 5);
  try {
    const [name, v] = [...model.variables][0];
    v.assign(tf.fill(v.shape, 1e5));
    await assertRejects(
      () => saveModel(join(dir, "m"), model, { dtype: "float16" }),
      Error,
      `weight '${name}' holds 100000`,
    );
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("float16 storage: a weights.bin of the wrong size is refused, naming the file", async () => {
  await tf.setBackend("cpu");
  const dir = await Deno.makeTempDir();
  const model = EdeGan.create({ width: 2, latentSize: 4 }, 5);
  try {
    await saveModel(dir, model, { dtype: "float16" });
    const bytes = await Deno.readFile(join(dir, "weights.bin"));
    await Deno.writeFile(join(dir, "weights.bin"), bytes.subarray(2));
    await assertRejects(() => loadModel(dir), Error, "weights.bin");
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
