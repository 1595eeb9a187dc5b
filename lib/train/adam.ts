/**
 * Adam, written out so that its state is plain named tensors: a checkpoint saves it, a resumed run
 * restores it exactly, and two optimisers never share hidden global names.
 *
 * The update is PyTorch's: p -= lr * m_hat / (sqrt(v_hat) + eps). The two moments of all the
 * variables lie in two flat buffers, and one step is one op (`lib/ops/adam_update.ts`): one kernel
 * call over every weight where the backend has it (wasm, onednn), tf ops elsewhere, with the same
 * float32 operations in the same order either way.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { type AdamSegment, adamUpdateFlat } from "../ops/adam_update.ts";

/** Adam's settings. */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon?: number;
}

/** Saved optimiser state: the step count and the two moments of each variable, by key. */
export interface AdamState {
  step: number;
  moments: Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>;
}

/**
 * Adam over a fixed list of keyed variables.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { assertAlmostEquals } from "@std/assert";
 * import { Adam } from "./adam.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(1));
 * const adam = new Adam(new Map([["w", w]]), { learningRate: 0.1, beta1: 0.9, beta2: 0.999 });
 * adam.apply(new Map([["w", tf.scalar(2)]]));
 * assertAlmostEquals(w.dataSync()[0], 0.9, 1e-6); // the first step moves by lr
 * ```
 */
export class Adam {
  step = 0;
  /** Where each variable's moments start in the flat buffers. */
  readonly #offsets = new Map<string, number>();
  readonly #total: number;
  /** The first and second moments of every variable, [total]; owned here alone (the fused
   * kernel writes them in place). */
  #m: tf.Tensor1D;
  #v: tf.Tensor1D;

  constructor(
    readonly variables: Map<string, tf.Variable>,
    readonly settings: AdamSettings,
  ) {
    let total = 0;
    for (const [key, variable] of variables) {
      this.#offsets.set(key, total);
      total += variable.size;
    }
    this.#total = total;
    this.#m = tf.keep(tf.zeros([total]));
    this.#v = tf.keep(tf.zeros([total]));
  }

  /** Applies one update from gradients keyed like the variables; disposes nothing it was given. */
  apply(gradients: Map<string, tf.Tensor>): void {
    for (const key of gradients.keys()) {
      if (!this.variables.has(key)) throw new Error(`Adam: no variable '${key}'`);
    }
    this.step += 1;
    const { learningRate, beta1, beta2, epsilon = 1e-8 } = this.settings;
    const stepSize = learningRate / (1 - beta1 ** this.step);
    const correction2 = 1 - beta2 ** this.step;
    const segments: AdamSegment[] = [];
    for (const [key, variable] of this.variables) {
      const grad = gradients.get(key);
      if (grad !== undefined) {
        segments.push({ param: variable, grad, offset: this.#offsets.get(key)! });
      }
    }
    tf.tidy(() => {
      const out = adamUpdateFlat(segments, this.#m, this.#v, {
        beta1,
        beta2,
        epsilon,
        correction2,
        stepSize,
      });
      segments.forEach(({ param }, i) => (param as tf.Variable).assign(out.params[i]));
      this.#m = this.#replace(this.#m, out.m);
      this.#v = this.#replace(this.#v, out.v);
    });
  }

  /** Resets the moments and step count (used when a collapsed discriminator is re-initialised). */
  reset(): void {
    this.step = 0;
    this.#m = this.#replace(this.#m, tf.zeros([this.#total]));
    this.#v = this.#replace(this.#v, tf.zeros([this.#total]));
  }

  /** The state, read back to the host. */
  async state(): Promise<AdamState> {
    const [m, v] = (await Promise.all([this.#m.data(), this.#v.data()])) as Float32Array[];
    const moments = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();
    for (const [key, variable] of this.variables) {
      const start = this.#offsets.get(key)!;
      const end = start + variable.size;
      moments.set(key, { m: m.slice(start, end), v: v.slice(start, end), shape: variable.shape });
    }
    return { step: this.step, moments };
  }

  /** Restores a saved state; errors name the variable that does not fit. */
  restore(state: AdamState): void {
    const m = new Float32Array(this.#total);
    const v = new Float32Array(this.#total);
    for (const [key, variable] of this.variables) {
      const saved = state.moments.get(key);
      if (saved === undefined) throw new Error(`optimiser state lacks '${key}'`);
      if (saved.shape.join() !== variable.shape.join()) {
        throw new Error(
          `optimiser state of '${key}' has shape [${saved.shape}], expected [${variable.shape}]`,
        );
      }
      m.set(saved.m, this.#offsets.get(key)!);
      v.set(saved.v, this.#offsets.get(key)!);
    }
    this.#m = this.#replace(this.#m, tf.tensor1d(m));
    this.#v = this.#replace(this.#v, tf.tensor1d(v));
    this.step = state.step;
  }

  /** Frees the moments. */
  dispose(): void {
    tf.dispose([this.#m, this.#v]);
  }

  /** `next` kept in place of `current` (disposed unless it is `next`). */
  #replace(current: tf.Tensor1D, next: tf.Tensor1D): tf.Tensor1D {
    if (next === current) return current;
    current.dispose();
    return tf.keep(next);
  }
}

/**
 * Gradients of `loss` with respect to an Adam's variables, keyed like them. The returned
 * gradients and the value must be disposed by the caller.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { Adam, keyedGradients } from "./adam.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(3));
 * const adam = new Adam(new Map([["w", w]]), { learningRate: 0.1, beta1: 0.9, beta2: 0.999 });
 * const { value, grads } = keyedGradients(adam, () => tf.square(w) as tf.Scalar);
 * if (grads.get("w")!.dataSync()[0] !== 6) throw new Error("d(w^2)/dw = 2w");
 * tf.dispose([value, ...grads.values()]);
 * adam.dispose();
 * w.dispose();
 * ```
 */
export function keyedGradients(
  adam: Adam,
  loss: () => tf.Scalar,
): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(loss, [...adam.variables.values()]);
  const byKey = new Map<string, tf.Tensor>();
  for (const [key, variable] of adam.variables) {
    const g = grads[variable.name];
    if (g !== undefined) byKey.set(key, g);
  }
  return { value, grads: byKey };
}
