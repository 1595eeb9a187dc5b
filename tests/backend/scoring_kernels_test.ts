import { assert, assertEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import * as wasm from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "../../lib/backend/wasm_kernels/register.ts";
import {
  scoreActivation,
  scoreBatchNormActivation,
  scoreConv2d,
  scoreConv2dTranspose,
  scoringKernelsActive,
} from "../../lib/ops/scoring.ts";
import {
  SCORE_ACTIVATION,
  SCORE_BATCH_NORM_ACTIVATION,
  SCORE_CONV2D,
  SCORE_CONV2D_TRANSPOSE,
  SCORE_SEQUENCE,
} from "../../lib/ops/kernel_names.ts";
import { backpropInputMethod } from "../../lib/backend/wasm_kernels/conv2d_backprop_input.ts";
import { convGeometry } from "../../lib/backend/wasm_kernels/_geometry.ts";
import {
  EdeGan,
  latentDistance,
  narrowerCosts,
  resolveConfig,
  studentConfig,
} from "../../lib/models/ede_gan/mod.ts";
import { batchTensor } from "../../lib/data/batches.ts";
import { studentForRatio } from "../../lib/distill/students.ts";
import { scoreImages } from "../../lib/score/score.ts";
import { input, relativeError, values } from "./_conv.ts";
import { address, simdKernels } from "../../lib/backend/wasm_kernels/_simd.ts";

void wasm; // registers the 'wasm' backend

async function useWasm(): Promise<void> {
  assert(await tf.setBackend("wasm"), "wasm backend did not start");
  registerWasmTrainingKernels();
}

const read = (t: tf.Tensor) => t.dataSync() as Float32Array;

Deno.test("scoring kernels serve wasm only, and leave training's kernels and methods as they are", async () => {
  await useWasm();
  const before = ["Tanh", "LeakyRelu", "Relu", "FusedBatchNorm", "Conv2DBackpropInput", "Conv2D"]
    .map((k) => tf.getKernel(k, "wasm")!.kernelFunc);
  assert(scoringKernelsActive());
  for (
    const name of [
      SCORE_ACTIVATION,
      SCORE_BATCH_NORM_ACTIVATION,
      SCORE_CONV2D_TRANSPOSE,
      SCORE_CONV2D,
      SCORE_SEQUENCE,
    ]
  ) {
    assert(tf.getKernel(name, "wasm") !== undefined, name);
  }
  const after = ["Tanh", "LeakyRelu", "Relu", "FusedBatchNorm", "Conv2DBackpropInput", "Conv2D"]
    .map((k) => tf.getKernel(k, "wasm")!.kernelFunc);
  assertEquals(after, before);
  // Training's transposed convolution to one channel from 3 channels keeps its gemm + col2im.
  const g = convGeometry([256, 32, 32, 1], [4, 4, 1, 3], { strides: 2, pad: "same" });
  assertEquals(backpropInputMethod(g), "gemm");
  await tf.setBackend("cpu");
  assert(!scoringKernelsActive());
});

Deno.test("scoring tanh is within 6 float32 ulps and 4e-7 of tanh; LeakyReLU and ReLU equal the stock ops", async () => {
  await useWasm();
  for (const size of [1, 7, 4099]) {
    const xs = Float32Array.from(
      { length: size },
      (_, i) => -10 + (20 * i) / Math.max(1, size - 1),
    );
    const ys = tf.tidy(() => read(scoreActivation(tf.tensor1d(xs), "tanh")));
    for (let i = 0; i < size; i++) {
      const exact = Math.tanh(xs[i]);
      const ulp = 2 ** (Math.floor(Math.log2(Math.max(Math.abs(exact), 2 ** -126))) - 23);
      const error = Math.abs(ys[i] - exact);
      assert(error <= 6 * ulp && error <= 4e-7, `tanh(${xs[i]}) = ${ys[i]}, expected ${exact}`);
    }
    tf.tidy(() => {
      const x = tf.tensor1d(Float32Array.from({ length: size }, (_, i) => Math.sin(i * 7.3) * 3));
      assertEquals(read(scoreActivation(x, "leakyRelu", 0.2)), read(tf.leakyRelu(x, 0.2)));
      assertEquals(read(scoreActivation(x, "relu")), read(tf.relu(x)));
    });
  }
  const special = tf.tidy(() =>
    read(scoreActivation(tf.tensor1d([Infinity, -Infinity, NaN, 0]), "tanh"))
  );
  assertEquals(Array.from(special.slice(0, 2)), [1, -1]);
  assert(Number.isNaN(special[2]));
  assertEquals(special[3], 0);
});

Deno.test("scoring BatchNorm + activation equals batchNorm4d then the activation within 1e-6 (channels 1 to 13)", async () => {
  for (const shape of [[2, 3, 3, 1], [4, 5, 5, 3], [3, 4, 4, 8], [2, 3, 3, 13]]) {
    for (const activation of ["leakyRelu", "relu", "tanh", "none"] as const) {
      const c = shape[3];
      const run = (fused: boolean) =>
        tf.tidy(() => {
          const x = input(shape, c + 3);
          const stats = {
            mean: input([c], c + 4) as unknown as tf.Tensor1D,
            variance: tf.add(tf.abs(input([c], c + 5)), 0.1) as tf.Tensor1D,
            offset: input([c], c + 6) as unknown as tf.Tensor1D,
            scale: input([c], c + 7) as unknown as tf.Tensor1D,
          };
          if (fused) return read(scoreBatchNormActivation(x, stats, 1e-5, activation, 0.2));
          const y = tf.batchNorm4d(x, stats.mean, stats.variance, stats.offset, stats.scale, 1e-5);
          const act = { leakyRelu: () => tf.leakyRelu(y, 0.2), relu: () => tf.relu(y) };
          return read(
            activation === "tanh" ? tf.tanh(y) : activation === "none" ? y : act[activation](),
          );
        });
      await tf.setBackend("cpu");
      const expected = run(false);
      await useWasm();
      const actual = run(true);
      const error = relativeError(actual, expected);
      assert(error <= 1e-6, `${shape} ${activation}: relative error ${error}`);
    }
  }
});

Deno.test("scoring BatchNorm at 1 to 6 channels equals x·a + b in float32 bit for bit, on vectors of lcm(C, 4) values or not", async () => {
  await useWasm();
  // [4, 4, 4, C] has a multiple of lcm(C, 4) values (the vector rows); [1, 3, 3, C] mostly not.
  for (
    const shape of [[4, 4, 4, 1], [4, 4, 4, 2], [4, 4, 4, 3], [4, 4, 4, 6], [1, 3, 3, 3], [
      1,
      3,
      3,
      5,
    ]]
  ) {
    const c = shape[3];
    const [x, m, v, o, sc] = [shape, [c], [c], [c], [c]].map((sh, k) =>
      values(sh.reduce((p, q) => p * q, 1), 30 + k)
    );
    const actual = tf.tidy(() =>
      read(scoreBatchNormActivation(
        tf.tensor4d(x, shape as [number, number, number, number]),
        {
          mean: tf.tensor1d(m),
          variance: tf.tensor1d(v.map((e) => Math.abs(e) + 0.1)),
          offset: tf.tensor1d(o),
          scale: tf.tensor1d(sc),
        },
        1e-5,
        "none",
      ))
    );
    const f = Math.fround;
    const a = Array.from(
      { length: c },
      (_, k) => f(sc[k] / Math.sqrt(f(Math.abs(v[k]) + 0.1) + 1e-5)),
    );
    const b = Array.from({ length: c }, (_, k) => f(o[k] - m[k] * a[k]));
    const expected = x.map((e, i) => f(f(e * a[i % c]) + b[i % c]));
    assertEquals(actual, expected, `shape ${shape}`);
  }
});

Deno.test("scoring transposed convolution to one channel from 1 to 7 channels equals cpu within 1e-5", async () => {
  const cases = [
    [16, 2, "same", 2, 4],
    [3, 3, "same", 2, 4],
    [2, 5, "same", 2, 4],
    [1, 3, "valid", 2, 4],
    [2, 1, "same", 2, 4],
    [2, 7, "valid", 2, 3],
    [2, 3, "same", 1, 5],
  ] as const;
  for (const [n, co, pad, stride, kh] of cases) {
    const [outH, outW] = pad === "same"
      ? [16 * stride, 16 * stride]
      : [15 * stride + kh, 15 * stride + 4];
    const run = () =>
      tf.tidy(() => {
        const dy = input([n, 16, 16, co], co + 11);
        const filter = input([kh, 4, 1, co], co + 12);
        return read(scoreConv2dTranspose(dy, filter, [n, outH, outW, 1], stride, pad));
      });
    await tf.setBackend("cpu");
    const expected = run();
    await useWasm();
    const actual = run();
    const error = relativeError(actual, expected);
    assert(error <= 1e-5, `n ${n}, Co ${co}, ${pad}, stride ${stride}: relative error ${error}`);
  }
});

Deno.test("the oneChannelNarrow SIMD loop equals a direct sum at every pixel, edges included (Co 1 to 6, strides 1 to 3)", async () => {
  await useWasm();
  const backend = tf.backend() as wasm.BackendWasm;
  const simd = simdKernels(backend)!;
  // [batch, Ho, Wo, H, W, kh, sh, sw, padTop, padLeft, Co]
  const cases = [
    [2, 4, 5, 8, 10, 4, 2, 2, 1, 1, 2],
    [1, 3, 3, 9, 8, 4, 2, 2, 0, 0, 3],
    [3, 5, 4, 5, 7, 3, 1, 1, 1, 2, 1],
    [1, 2, 6, 7, 17, 5, 3, 3, 2, 1, 6],
    [1, 4, 4, 8, 8, 4, 2, 2, 1, 1, 4],
  ];
  for (const [n, ho, wo, h, w, kh, sh, sw, pt, pl, co] of cases) {
    const dyValues = values(n * ho * wo * co, co + 1);
    const fValues = values(kh * 4 * co, co + 2);
    const expected = new Float32Array(n * h * w);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          for (let a = 0; a < kh; a++) {
            for (let t = 0; t < 4; t++) {
              const y = i * sh + a - pt, x = j * sw + t - pl;
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              for (let c = 0; c < co; c++) {
                expected[(b * h + y) * w + x] += dyValues[((b * ho + i) * wo + j) * co + c] *
                  fValues[(a * co + c) * 4 + t];
              }
            }
          }
        }
      }
    }
    const actual = tf.tidy(() => {
      const dy = tf.tensor1d(dyValues), fT = tf.tensor1d(fValues);
      // dx filled with garbage first: the loop must write every element
      const dx = tf.fill([n * h * w], 7);
      const at = (t: tf.Tensor) => address(backend, t);
      simd.oneChannelNarrow(at(dy), at(fT), at(dx), n, ho, wo, h, w, kh, sh, sw, pt, pl, co);
      return read(dx);
    });
    const error = relativeError(actual, expected);
    assert(error <= 1e-6, `case ${[n, ho, wo, h, w, kh, sh, sw, pt, pl, co]}: error ${error}`);
  }
});

Deno.test("the oneChannelConv SIMD loop equals a direct sum at every output, edges included (4x4 kernel, Co 1 to 4, strides 1 to 3)", async () => {
  await useWasm();
  const backend = tf.backend() as wasm.BackendWasm;
  const simd = simdKernels(backend)!;
  // [batch, H, W, Ho, Wo, sh, sw, padTop, padLeft, Co]: the students' layer first
  const cases = [
    [3, 32, 32, 16, 16, 2, 2, 1, 1, 2],
    [2, 32, 32, 16, 16, 2, 2, 1, 1, 3],
    [1, 9, 8, 3, 3, 2, 2, 0, 0, 1],
    [2, 7, 11, 7, 11, 1, 1, 1, 2, 4],
    [1, 10, 17, 4, 6, 3, 3, 2, 1, 3],
    [1, 5, 3, 5, 3, 1, 1, 2, 2, 2],
    [1, 3, 2, 4, 3, 1, 1, 3, 2, 3],
  ];
  const kh = 4;
  for (const [n, h, w, ho, wo, sh, sw, pt, pl, co] of cases) {
    const xValues = values(n * h * w, co + 3);
    const fValues = values(kh * 4 * co, co + 4);
    const expected = new Float32Array(n * ho * wo * co);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ho; i++) {
        for (let j = 0; j < wo; j++) {
          for (let c = 0; c < co; c++) {
            let sum = 0;
            for (let a = 0; a < kh; a++) {
              for (let t = 0; t < 4; t++) {
                const y = i * sh + a - pt, x = j * sw + t - pl;
                if (y < 0 || y >= h || x < 0 || x >= w) continue;
                sum += xValues[(b * h + y) * w + x] * fValues[(a * 4 + t) * co + c];
              }
            }
            expected[((b * ho + i) * wo + j) * co + c] = sum;
          }
        }
      }
    }
    const fT = new Float32Array(5 * 16); // the last row zero
    for (let t = 0; t < kh * 4; t++) {
      for (let c = 0; c < co; c++) fT[t * 4 + c] = fValues[t * co + c];
    }
    const [actual, guard] = tf.tidy(() => {
      const x = tf.tensor1d(xValues), f = tf.tensor1d(fT);
      // y filled with garbage first, and 3 floats past it that the loop must leave alone
      const y = tf.fill([n * ho * wo * co + 3], 7);
      const at = (t: tf.Tensor) => address(backend, t);
      simd.oneChannelConv(at(x), at(f), at(y), n, h, w, ho, wo, sh, sw, pt, pl, co);
      const all = read(y);
      return [all.slice(0, n * ho * wo * co), Array.from(all.slice(n * ho * wo * co))];
    });
    const error = relativeError(actual as Float32Array, expected);
    assert(error <= 1e-6, `case ${[n, h, w, ho, wo, sh, sw, pt, pl, co]}: error ${error}`);
    assertEquals(guard, [7, 7, 7]);
  }
});

Deno.test("scoring convolution from one channel to 1 to 5 channels equals cpu within 1e-5", async () => {
  const cases: [number, number, "same" | "valid", number, number][] = [
    [2, 2, "same", 2, 4],
    [3, 3, "same", 2, 4],
    [1, 1, "valid", 1, 4],
    [4, 2, "same", 2, 4],
    [5, 2, "same", 2, 4], // five channels: the stock kernel
    [2, 3, "same", 2, 3], // a 3x3 kernel: the stock kernel
    [2, 3, "valid", 1, 5], // a 5x5 kernel: the stock kernel
  ];
  for (const [co, n, pad, stride, k] of cases) {
    const run = () =>
      tf.tidy(() =>
        read(
          scoreConv2d(input([n, 32, 32, 1], co + 10), input([k, k, 1, co], co + 20), stride, pad),
        )
      );
    await tf.setBackend("cpu");
    const expected = run();
    await useWasm();
    const actual = run();
    const error = relativeError(actual, expected);
    assert(error <= 1e-5, `Co ${co}, n ${n}, ${pad}, stride ${stride}, k ${k}: error ${error}`);
  }
});

Deno.test("scoring (score mode) gives the scores of inference mode within 1e-5 relative: teacher-shaped and 700:1 models", async () => {
  await useWasm();
  const teacher = resolveConfig({ width: 16 });
  for (
    const config of [teacher, studentConfig(teacher, studentForRatio(narrowerCosts(teacher), 700))]
  ) {
    const model = EdeGan.create(config, 5);
    const count = 40;
    const set = {
      pixels: new Uint8Array(count * 32 * 32).map((_, i) => (i * 37 + (i >> 7)) % 256),
      labels: new Int32Array(count),
      count,
      height: 32,
      width: 32,
      channels: 1,
    };
    const { scores } = await scoreImages(model, set, { batchSize: 16 });
    const inferred = tf.tidy(() => {
      const x = batchTensor(set, Int32Array.from({ length: count }, (_, i) => i));
      const { z, zHat } = model.generate(x, "infer");
      return read(latentDistance(z, zHat, model.config.scoreDistance));
    });
    for (let i = 0; i < count; i++) {
      const rel = Math.abs(scores[i] - inferred[i]) / Math.abs(inferred[i]);
      assert(rel <= 1e-5, `width ${config.width}, image ${i}: ${scores[i]} vs ${inferred[i]}`);
    }
    // and not by accident: the two modes differ by rounding somewhere
    assert(scores.some((s, i) => s !== inferred[i]) || config.width > 2);
    model.dispose();
  }
});

Deno.test("the scoring pass as one kernel call (EdeganScoreSequence) equals the scoring ops one by one, bit for bit, and frees every intermediate", async () => {
  await useWasm();
  const teacher = resolveConfig({ width: 8 });
  for (
    const config of [
      teacher,
      studentConfig(teacher, studentForRatio(narrowerCosts(teacher), 311.11)),
    ]
  ) {
    const model = EdeGan.create(config, 3);
    const x = tf.tidy(() => tf.tanh(tf.randomNormal([5, 32, 32, 1], 0, 1, "float32", 2)));
    const oneByOne = tf.tidy(() => {
      const z = model.encode("encoder1", x as tf.Tensor4D, "score");
      const xHat = model.decode(z, "score");
      return [z, xHat, model.encode("encoder2", xHat, "score")].map((t) => Array.from(read(t)));
    });
    const backend = tf.backend();
    const [tensors, data] = [tf.memory().numTensors, backend.numDataIds()];
    const sequence = tf.tidy(() => {
      const { z, xHat, zHat } = model.generate(x as tf.Tensor4D, "score");
      return [z, xHat, zHat].map((t) => Array.from(read(t)));
    });
    assertEquals([tf.memory().numTensors, backend.numDataIds()], [tensors, data]);
    assertEquals(sequence, oneByOne);
    x.dispose();
    model.dispose();
  }
});
