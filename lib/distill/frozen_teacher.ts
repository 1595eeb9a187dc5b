/**
 * The frozen teacher of P-KDGAN's step 1 and one-step KD (structures `kd`, `kd-gan`): its passes,
 * and at batch size 1 its outputs kept per training image.
 *
 * Its passes run as scoring's do, every convolution filter taken as reused (`withFixedFilters`):
 * wasm's Conv2D moves a filter from its SIMD product to XNNPACK after the filter's 4th call, two
 * summation orders, and the frozen teacher's filters are the same tensors all along, so without
 * the scope a stage's first teacher passes depended on what had run before it in the process (which
 * students and methods came first, whether the teacher had been scored). Runs made before this
 * (results/README.md, "Which results come back") computed one-step KD's first 4 teacher batches by
 * either kernel.
 *
 * The teacher runs in inference mode (BatchNorm by its moving averages) and never changes, so at
 * batch size 1 its outputs for an image are the same computation every epoch: same input, same
 * weights, same shapes. Keeping them (z, x_hat, z_hat: about 4 KB per 32x32 image, 25 MB for a
 * class of MNIST) replaces every epoch's teacher pass but the first two with a copy, and the
 * teacher's passes were most of a batch-1 student's time (the teacher is 24-700x the student's
 * FLOPs). Only at batch size 1: at larger sizes the batches change every epoch, and a backend may
 * compute an image's row differently in another batch (another kernel for another shape). And a
 * row is used only once two passes gave the same bits, in case a backend settles its kernels for
 * fixed weights only after some calls. `tests/distill/frozen_teacher_test.ts` checks, on each
 * backend, that a stage with the outputs kept gives every loss and weight of the stage without,
 * and that a stage gives the same bits whether or not the teacher ran before it.
 *
 * @module
 */

import * as tf from "../tf.ts";
import type { DistillableModel, DistilledOutputs } from "../models/mod.ts";
import { withFixedFilters } from "../backend/wasm_kernels/conv2d.ts";
import { keptOutputs } from "./_kept_outputs.ts";

/**
 * A frozen teacher: its passes by the kernels for fixed weights, and with `keep` its outputs at
 * batch size 1 kept per training image once two passes gave the same bits (see the module
 * documentation). Memory: 4 x (2 latent + image) bytes per image seen.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { FrozenTeacher } from "./frozen_teacher.ts";
 * const teacher = EdeGan.create({ imageSize: 16, width: 2, latentSize: 4 }, 0);
 * const frozen = new FrozenTeacher(teacher, 10, { keep: true });
 * const image = tf.fill([1, 16, 16, 1], 0.5) as tf.Tensor4D;
 * const passes = [1, 2, 3].map(() => frozen.outputs(image, new Int32Array([3])));
 * // two passes gave the same bits: the third is a copy of the kept row
 * assertEquals(frozen.kept, 1);
 * assertEquals(passes[2].z.dataSync(), passes[0].z.dataSync());
 * tf.dispose(passes.flatMap((p) => [p.z, p.xHat, p.zHat]));
 * teacher.dispose();
 * ```
 */
export class FrozenTeacher {
  readonly #teacher: DistillableModel;
  readonly #rows: (KeptRow | undefined)[];
  readonly #keep: boolean;
  #kept = 0;

  /**
   * @param teacher the frozen teacher (never trained while this is used)
   * @param count how many images the training set holds (indices run 0 .. count - 1)
   * @param opts.keep keep outputs at batch size 1 (false: every pass computed)
   */
  constructor(teacher: DistillableModel, count: number, opts: { keep: boolean }) {
    this.#teacher = teacher;
    this.#rows = new Array(count);
    this.#keep = opts.keep;
  }

  /** How many images' outputs are kept (two passes gave the same bits). */
  get kept(): number {
    return this.#kept;
  }

  /**
   * The teacher's outputs in inference mode for `images` [n, size, size, channels]: copies of
   * the kept ones when `n` is 1 and `indices` names a kept image, else computed (and, with `keep`
   * when `n` is 1 with its index, remembered, and kept once a second pass gives the same bits).
   * The caller disposes them.
   * @throws when `indices` is given with a length other than the batch's, or out of range
   */
  outputs(images: tf.Tensor4D, indices?: Int32Array): DistilledOutputs {
    if (indices && indices.length !== images.shape[0]) {
      throw new Error(
        `FrozenTeacher: ${indices.length} indices for a batch of ${images.shape[0]} images`,
      );
    }
    const index = this.#keep && images.shape[0] === 1 && indices ? indices[0] : undefined;
    if (index !== undefined && !(index >= 0 && index < this.#rows.length)) {
      throw new Error(`FrozenTeacher: image index ${index} outside 0..${this.#rows.length - 1}`);
    }
    const row = index === undefined ? undefined : this.#rows[index];
    if (row?.confirmed) {
      const [, h, w, c] = images.shape;
      return {
        // Copies: a backend may keep the array it is given as the tensor's own storage.
        z: tf.tensor2d(row.z.slice(), [1, row.z.length]),
        xHat: tf.tensor4d(row.xHat.slice(), [1, h, w, c]),
        zHat: tf.tensor2d(row.zHat.slice(), [1, row.zHat.length]),
      };
    }
    const out = withFixedFilters(() => keptOutputs(this.#teacher, images, "infer"));
    if (index !== undefined) {
      // Copies: `dataSync` may return the tensor's own storage.
      const now = {
        z: Float32Array.from(out.z.dataSync()),
        xHat: Float32Array.from(out.xHat.dataSync()),
        zHat: Float32Array.from(out.zHat.dataSync()),
        confirmed: false,
      };
      if (row && sameBits(row, now)) {
        row.confirmed = true;
        this.#kept += 1;
      } else {
        this.#rows[index] = now;
      }
    }
    return out;
  }
}

/** One image's outputs, and whether a second pass gave the same bits. */
interface KeptRow {
  z: Float32Array;
  xHat: Float32Array;
  zHat: Float32Array;
  confirmed: boolean;
}

function sameBits(a: KeptRow, b: KeptRow): boolean {
  const same = (x: Float32Array, y: Float32Array) => {
    const p = new Uint32Array(x.buffer, x.byteOffset, x.length);
    const q = new Uint32Array(y.buffer, y.byteOffset, y.length);
    return p.length === q.length && p.every((v, i) => v === q[i]);
  };
  return same(a.z, b.z) && same(a.xHat, b.xHat) && same(a.zHat, b.zHat);
}
