// Distillation is typed on DistillableModel alone (issue 31): a second model written here, a dense
// encoder -> decoder -> encoder on 8x8 images with no GAN and no BatchNorm, goes through P-KDGAN's
// stage 1 (K alone, the teacher frozen) and stage 2 (joint, the teacher's copy fine-tuned), the
// whole method with a latent projection and teacher initialisation, and the student width search,
// with real values: K falls, the teacher is unchanged after stage 1 and its copy changed after
// stage 2, the width found gives the ratio asked.

import { assert, assertEquals, assertNotEquals } from "@std/assert";
import * as tf from "../../lib/tf.ts";
import type {
  DistillableCost,
  DistillableModel,
  DistilledOutputs,
  DistillStepOptions,
  NamedTensors,
  NarrowerShape,
  ScoreBatch,
  ScoreRequest,
} from "../../lib/models/mod.ts";
import { Adam, keyedGradients } from "../../lib/train/adam.ts";
import { createRng, normal } from "../../lib/util/rng.ts";
import type { ImageSet } from "../../lib/data/types.ts";
import { distillStage, distillStudent } from "../../lib/distill/pkdgan.ts";
import {
  initialiseFromTeacher,
  studentForRatio,
  studentSizes,
} from "../../lib/distill/students.ts";
import { resolveStudentChoice } from "../../lib/distill/student_choice.ts";

await tf.setBackend("cpu");

const SIDE = 8;
const PIXELS = SIDE * SIDE;

interface DenseConfig {
  imageSize: number;
  channels: number;
  width: number;
  latentSize: number;
  learningRate: number;
}

type DenseOptimisers = { model: Adam };
type DenseLosses = { loss: number; contextual: number; latent: number; distillation?: number };

/** The layers of each part, `[key, rows, columns]`: dense kernels without biases. */
function layers(c: DenseConfig): [string, number, number][] {
  return [
    ["encoder1/hidden/kernel", PIXELS, c.width],
    ["encoder1/out/kernel", c.width, c.latentSize],
    ["decoder/hidden/kernel", c.latentSize, c.width],
    ["decoder/out/kernel", c.width, PIXELS],
    ["encoder2/hidden/kernel", PIXELS, c.width],
    ["encoder2/out/kernel", c.width, c.latentSize],
  ];
}

/** A dense EDE (E1 -> Dec -> E2) scored by ||z - z_hat||^2: the second DistillableModel. */
class DenseEde implements DistillableModel<DenseOptimisers, DenseLosses> {
  readonly name = "dense-ede-test";
  readonly scoringKeys: readonly string[];
  readonly curveLosses = { loss: "L" };
  readonly scoreKinds: readonly string[] = ["latent"];

  private constructor(readonly config: DenseConfig, readonly variables: Map<string, tf.Variable>) {
    this.scoringKeys = [...variables.keys()];
  }

  static create(settings: Partial<DenseConfig>, seed: number): DenseEde {
    const config = { imageSize: SIDE, channels: 1, width: 16, latentSize: 8, learningRate: 0.01 };
    Object.assign(config, settings);
    if (config.width < 1 || config.latentSize < 1) throw new Error("width and latent size >= 1");
    const rng = createRng(seed);
    const variables = new Map<string, tf.Variable>();
    for (const [key, rows, columns] of layers(config)) {
      const values = Float32Array.from(
        { length: rows * columns },
        () => normal(rng) / Math.sqrt(rows),
      );
      variables.set(key, tf.tidy(() => tf.variable(tf.tensor2d(values, [rows, columns]))));
    }
    return new DenseEde(config, variables);
  }

  #part(part: string, x: tf.Tensor2D): tf.Tensor2D {
    const hidden = tf.relu(tf.matMul(x, this.variables.get(`${part}/hidden/kernel`)!));
    return tf.tanh(tf.matMul(hidden, this.variables.get(`${part}/out/kernel`)!));
  }

  distilledOutputs(images: tf.Tensor4D): DistilledOutputs {
    const n = images.shape[0];
    const z = this.#part("encoder1", tf.reshape(images, [n, PIXELS]));
    const flat = this.#part("decoder", z);
    const zHat = this.#part("encoder2", flat);
    return { z, xHat: tf.reshape(flat, [n, SIDE, SIDE, 1]), zHat };
  }

  discardBatchStats(): void {} // no BatchNorm: nothing is collected

  createOptimisers(extra: Map<string, tf.Variable> = new Map()): DenseOptimisers {
    const all = new Map([...this.variables, ...extra]);
    return {
      model: new Adam(all, { learningRate: this.config.learningRate, beta1: 0.5, beta2: 0.999 }),
    };
  }

  async distillStep(
    images: tf.Tensor4D,
    optimisers: DenseOptimisers,
    opts: DistillStepOptions,
  ): Promise<{ losses: DenseLosses; outputs?: DistilledOutputs }> {
    const own = opts.ownLosses ?? true;
    let terms: tf.Scalar[] = [];
    let outputs: DistilledOutputs | undefined;
    tf.tidy(() => {
      const { value, grads } = keyedGradients(optimisers.model, () => {
        const out = this.distilledOutputs(images);
        if (opts.keepOutputs) {
          outputs = { z: tf.keep(out.z), xHat: tf.keep(out.xHat), zHat: tf.keep(out.zHat) };
        }
        const contextual = tf.mean(tf.abs(tf.sub(images, out.xHat))) as tf.Scalar;
        const latent = tf.mean(tf.square(tf.sub(out.z, out.zHat))) as tf.Scalar;
        const distillation = opts.distillationLoss(out);
        terms = [contextual, latent, distillation].map((t) => tf.keep(t));
        const ownLoss = own ? tf.add(contextual, latent) : tf.scalar(0);
        return tf.add(ownLoss, distillation) as tf.Scalar;
      });
      optimisers.model.apply(grads);
      terms.unshift(tf.keep(value));
    });
    const [total, contextual, latent, distillation] =
      (await Promise.all(terms.map((t) => t.data())))
        .map((v) => v[0]);
    tf.dispose(terms);
    const losses = { loss: total - distillation, contextual, latent, distillation };
    return outputs ? { losses, outputs } : { losses };
  }

  trainStep(images: tf.Tensor4D, optimisers: DenseOptimisers): Promise<DenseLosses> {
    const zero = () => tf.scalar(0);
    return this.distillStep(images, optimisers, { distillationLoss: zero }).then(({ losses }) => {
      const { distillation: _none, ...own } = losses;
      return own;
    });
  }

  scoreBatch(images: tf.Tensor4D, _request: ScoreRequest): ScoreBatch {
    const { z, zHat } = this.distilledOutputs(images);
    return { scores: { latent: tf.mean(tf.square(tf.sub(z, zHat)), 1) as tf.Tensor1D } };
  }

  withValues(tensors: NamedTensors): this {
    const copy = DenseEde.create(this.config, 0);
    tf.tidy(() => {
      for (const [key, v] of copy.variables) v.assign(tf.tensor(tensors.get(key)!.data, v.shape));
    });
    return copy as this;
  }

  clone(): this {
    const copy = DenseEde.create(this.config, 0);
    for (const [key, v] of copy.variables) v.assign(this.variables.get(key)!);
    return copy as this;
  }

  narrower(shape: NarrowerShape, seed: number): this {
    const latentSize = shape.latentSize ?? this.config.latentSize;
    return DenseEde.create({ ...this.config, width: shape.width, latentSize }, seed) as this;
  }

  get baseShape(): { width: number; latentSize: number } {
    return { width: this.config.width, latentSize: this.config.latentSize };
  }

  cost(): DistillableCost {
    return this.costOf(this.baseShape);
  }

  costOf(shape: NarrowerShape): DistillableCost {
    const config = {
      ...this.config,
      width: shape.width,
      latentSize: shape.latentSize ?? this.config.latentSize,
    };
    const macs = layers(config).reduce((sum, [, rows, columns]) => sum + rows * columns, 0);
    return { params: macs, mflops: 2 * macs / 1e6, macs };
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

/** 64 patterned 8x8 images (stripes of several phases and slopes). */
function images(count = 64): ImageSet {
  const pixels = new Uint8Array(count * PIXELS);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < PIXELS; p++) {
      const [y, x] = [Math.floor(p / SIDE), p % SIDE];
      pixels[i * PIXELS + p] = ((x + (i % 4) * y + i) % 4) < 2 ? 230 : 20;
    }
  }
  return { pixels, labels: new Int32Array(count), count, height: SIDE, width: SIDE, channels: 1 };
}

function values(model: DistillableModel): Map<string, Float32Array> {
  return new Map([...model.variables].map(([key, v]) => [key, v.dataSync() as Float32Array]));
}

function same(a: Map<string, Float32Array>, b: Map<string, Float32Array>): boolean {
  return [...a].every(([key, v]) => v.every((x, i) => x === b.get(key)![i]));
}

const distillations = (history: Record<string, unknown>[]) =>
  history.map((r) => r.distillation as number);

Deno.test("a second DistillableModel: P-KDGAN's stage 1 (kd) lowers K epoch after epoch and leaves the teacher unchanged; stage 2 (joint) changes the teacher's copy", async () => {
  const before = tf.memory().numTensors;
  const train = images();
  const teacher = DenseEde.create({ width: 16, latentSize: 8 }, 1);
  const student = teacher.narrower({ width: 4 }, 2);
  const teacherValues = values(teacher);
  const studentOptimisers = student.createOptimisers();
  const common = { batchSize: 8, seed: 3, studentOptimisers, projection: null };
  try {
    // Stage 1, structure kd: the student learns from K alone, against the frozen teacher.
    const stage1 = await distillStage(teacher, student, train, "kd", { ...common, epochs: 6 });
    const k1 = distillations(stage1);
    assertEquals(k1.length, 6);
    k1.slice(1).forEach((k, i) => assert(k < k1[i], `K rose from epoch ${i + 1}: ${k1}`));
    assert(k1[5] < 0.5 * k1[0], `K fell by less than half: ${k1}`);
    assert(same(values(teacher), teacherValues), "stage 1 changed the teacher");

    // Stage 2, structure joint: the teacher's copy trains on its own losses plus K.
    const copy = teacher.clone();
    assert(same(values(copy), teacherValues), "a clone holds the teacher's values");
    const teacherOptimisers = copy.createOptimisers();
    try {
      const stage2 = await distillStage(copy, student, train, "joint", {
        ...common,
        epochs: 2,
        teacherOptimisers,
      });
      const k2 = distillations(stage2);
      assert(k2.every(Number.isFinite) && k2[1] < k1[0], `stage 2's K: ${k2}`);
      assert(!same(values(copy), teacherValues), "stage 2 left the teacher's copy unchanged");
      assert(same(values(teacher), teacherValues), "stage 2 changed the teacher itself");
    } finally {
      teacherOptimisers.model.dispose();
      copy.dispose();
    }
  } finally {
    studentOptimisers.model.dispose();
    teacher.dispose();
    student.dispose();
  }
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("a second DistillableModel: the whole P-KDGAN method, with a latent projection and a student sliced from the teacher", async () => {
  const before = tf.memory().numTensors;
  const teacher = DenseEde.create({ width: 16, latentSize: 8 }, 1);
  const student = teacher.narrower({ width: 4, latentSize: 4 }, 2);
  try {
    initialiseFromTeacher(student, teacher);
    assertEquals(
      student.variables.get("encoder1/out/kernel")!.arraySync(),
      tf.tidy(() =>
        tf.slice(teacher.variables.get("encoder1/out/kernel")!, [0, 0], [4, 4]).arraySync()
      ),
    );
    const teacherValues = values(teacher);
    const result = await distillStudent(teacher, student, images(), "pkdgan", {
      epochs: { step1: 3, step2: 2 },
      batchSize: 8,
      seed: 5,
      stage1: "kd",
    });
    assertEquals(
      result.history.map((r) => [r.stage, r.structure]),
      [[1, "kd"], [1, "kd"], [1, "kd"], [2, "joint"], [2, "joint"]],
    );
    const k = distillations(result.history);
    assert(k[2] < k[0], `K over stage 1 (through the learned projection): ${k}`);
    assertEquals(result.teacherChanged, true);
    assert(same(values(teacher), teacherValues), "the teacher passed in is never changed");
  } finally {
    teacher.dispose();
    student.dispose();
  }
  assertEquals(tf.memory().numTensors, before, "the projection, copy and optimisers are freed");
});

Deno.test("a second DistillableModel: the width search finds the width of the ratio asked, on the model's own costs", () => {
  const teacher = DenseEde.create({ width: 16, latentSize: 8 }, 1);
  try {
    // This model's MACs are linear in the width at a fixed latent size: 16 / 4 is exactly 4:1.
    const kept = studentForRatio(teacher, 4, "keep");
    assertEquals([kept.width, kept.latentSize, kept.ratio], [4, 8, 4]);
    const chosen = resolveStudentChoice(teacher, { ratio: 8 });
    assertEquals(chosen, { width: 2, latentSize: 8 });
    const student = teacher.narrower(chosen, 0);
    try {
      assertEquals(teacher.cost().macs / student.cost().macs, 8);
      const [size] = studentSizes(teacher, [chosen.width], chosen.latentSize);
      assertEquals([size.ratio, size.params], [8, student.cost().params]);
    } finally {
      student.dispose();
    }
    // A latent size below the teacher's changes the cost the ratio is taken on.
    const [shrunk] = studentSizes(teacher, [2], 4);
    assertNotEquals(shrunk.ratio, 8);
    assertEquals(
      shrunk.ratio,
      teacher.cost().macs / teacher.costOf({ width: 2, latentSize: 4 }).macs,
    );
  } finally {
    teacher.dispose();
  }
});
