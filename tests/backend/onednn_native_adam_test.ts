import { assertEquals, assertNotEquals, assertStringIncludes, assertThrows } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import { selectBackend } from "../../lib/backend/select.ts";
import {
  buildNativeAdam,
  nativeAdam,
  nativeAdamStatus,
  nativeAdamSwitch,
} from "../../lib/backend/onednn/native_adam.ts";
import { adamUpdateFlat } from "../../lib/ops/adam_update.ts";
import { EdeGan } from "../../lib/models/ede_gan/mod.ts";
import { dnnlAvailable, skipUnless, withEnv } from "../_helpers.ts";

const skip = () => skipUnless(dnnlAvailable(), "oneDNN (apt-get install libdnnl2)");

/** In CI the native Adam must be built (gcc is one of .ci/run's packages); elsewhere it may not. */
function nativeOrSkip(): boolean {
  const status = nativeAdamStatus();
  return skipUnless(
    status.state === "native",
    `the native Adam (${status.state === "wasm" ? status.reason : ""})`,
  );
}

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));

/** One flat Adam step of `sizes` segments (gaps between them) from fixed random data. */
function flatStep(sizes: number[], native: boolean, steps = 3) {
  nativeAdamSwitch.enabled = native;
  try {
    let offset = 5;
    const segments = sizes.map((n, i) => {
      const s = {
        param: tf.randomNormal([n], 0, 1, "float32", 10 + i),
        grad: tf.randomNormal([n], 0, 1e-3, "float32", 50 + i),
        offset,
      };
      offset += n + 3;
      return s;
    });
    // Subnormal, zero and tiny gradients: a library that flushed subnormals to zero (FTZ/DAZ)
    // would differ on them.
    const special = Float32Array.of(1e-40, -3e-42, 0, -0, 1e-30, 1.4e-45, -1e-38, 2e-39);
    segments[4].grad = tf.tidy(() =>
      tf.concat([tf.tensor1d(special), tf.slice(segments[4].grad, special.length)])
    );
    // Their moments start at 0, so m' and v' are subnormal there.
    const zeroed = (t: tf.Tensor1D) =>
      tf.tidy(() => {
        const at = segments[4].offset, n = special.length;
        return tf.concat([tf.slice(t, 0, at), tf.zeros([n]), tf.slice(t, at + n)]) as tf.Tensor1D;
      });
    let m = zeroed(tf.randomNormal([offset + 2], 0, 1e-4, "float32", 7) as tf.Tensor1D);
    let v = zeroed(tf.randomUniform([offset + 2], 0, 1e-6, "float32", 8) as tf.Tensor1D);
    let params = segments.map((s) => s.param);
    for (let step = 1; step <= steps; step++) {
      const out = adamUpdateFlat(
        segments.map((s, i) => ({ ...s, param: params[i] })),
        m,
        v,
        {
          beta1: 0.5,
          beta2: 0.999,
          epsilon: 1e-8,
          correction2: 1 - 0.999 ** step,
          stepSize: 2e-4 / (1 - 0.5 ** step),
        },
      );
      params = out.params;
      m = out.m;
      v = out.v;
    }
    return [...params.map(bits), bits(m), bits(v)];
  } finally {
    nativeAdamSwitch.enabled = true;
  }
}

Deno.test("the native Adam gives the wasm kernel's bits: odd sizes, an empty tensor, gaps, one and two threads", async () => {
  if (skip()) return;
  for (const threads of [1, 2]) {
    await selectBackend("onednn", { threads });
    if (nativeOrSkip()) return;
    const sizes = [1, 3, 17, 0, 1000, 70_001, 5]; // over 64 K elements: split between threads
    const adam = nativeAdam()!;
    const before = adam.calls;
    const native = flatStep(sizes, true);
    // The native library ran (three steps), and not for the wasm run.
    assertEquals(adam.calls, before + 3);
    const wasm = flatStep(sizes, false);
    assertEquals(adam.calls, before + 3);
    assertEquals(native.length, sizes.length + 2);
    assertEquals(native, wasm);
    // The steps moved the weights (segment 4 started as seed 14's draw).
    assertNotEquals(native[4], bits(tf.randomNormal([1000], 0, 1, "float32", 14)));
    // m' of the subnormal gradient 1e-40 after three steps from 0 (β1 = 0.5), exact: 71362 ulps
    // of 2^-149 halved, summed, rounded to even each step = 62441 (numpy's float32 agrees). A
    // flush to zero (FTZ/DAZ, even one set for the whole process) gives 0.
    const offset4 = 5 + [1, 3, 17, 0].reduce((a, n) => a + n + 3, 0);
    assertEquals(native[sizes.length][offset4], 62441);
  }
});

Deno.test("teacher training steps with the native Adam give the wasm Adam's weights and moments, bit for bit", async () => {
  if (skip()) return;
  await selectBackend("onednn", { threads: 2 });
  if (nativeOrSkip()) return;
  const run = async (native: boolean) => {
    nativeAdamSwitch.enabled = native;
    try {
      const model = EdeGan.create({ width: 8 }, 1);
      const optimisers = model.createOptimisers();
      const losses: number[] = [];
      for (let step = 1; step <= 3; step++) {
        const x = tf.tidy(() =>
          tf.tanh(tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", step))
        ) as tf.Tensor4D;
        losses.push((await model.trainStep(x, optimisers, { seed: 1, step })).lossG);
        x.dispose();
      }
      const weights = [...model.variables].map(([name, v]) => [name, bits(v)] as const);
      model.dispose();
      return { losses, weights };
    } finally {
      nativeAdamSwitch.enabled = true;
    }
  };
  const native = await run(true);
  const wasm = await run(false);
  assertEquals(native.losses, wasm.losses);
  assertEquals(native.weights, wasm.weights);
});

Deno.test("the onednn backend names the Adam it runs", async () => {
  if (skip()) return;
  const { device: description } = await selectBackend("onednn", { threads: 1 });
  const status = nativeAdamStatus();
  assertStringIncludes(
    description,
    status.state === "native" ? "Adam native" : `Adam in wasm (${status.reason})`,
  );
});

Deno.test("the native Adam's build: a missing compiler is named with the fix; a built library is reused, nothing partial left", () => {
  if (skip()) return;
  const dir = Deno.makeTempDirSync();
  try {
    withEnv({ EDEGAN_CACHE_DIR: dir, EDEGAN_CC: "edegan-no-such-compiler" }, () => {
      const error = assertThrows(() => buildNativeAdam(), Error);
      assertStringIncludes(error.message, "edegan-no-such-compiler");
      assertStringIncludes(error.message, "apt-get install gcc");
      // A compiler that fails: its command, and the fix.
      Deno.env.set("EDEGAN_CC", "false");
      const failed = assertThrows(() => buildNativeAdam(), Error);
      assertStringIncludes(failed.message, "false -O3");
      assertStringIncludes(failed.message, "EDEGAN_NATIVE_ADAM=0");
      Deno.env.set("EDEGAN_CC", "cc");
      if (nativeOrSkip()) return;
      const first = buildNativeAdam();
      const second = buildNativeAdam();
      assertEquals([first.built, second.built, second.path], [true, false, first.path]);
      assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [first.path.split("/").at(-1)]);
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
