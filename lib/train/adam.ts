/**
 * Adam, written out so that its state is plain named tensors: a checkpoint saves it, a resumed run
 * restores it exactly, and two optimisers never share hidden global names.
 *
 * The update is PyTorch's: p -= lr * m_hat / (sqrt(v_hat) + eps). Where the backend has edegan's
 * fused kernel (wasm), each weight is updated in one pass with the same float32 operations in the
 * same order, so the results equal the ops' exactly; elsewhere it runs as tf ops.
 *
 * @module
 */

import * as tf from "../tf.ts";
import {
  ADAM_UPDATE,
  type AdamUpdateAttrs,
  hasFusedAdam,
} from "../backend/wasm_kernels/adam_update.ts";

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
 *
 * import { Adam } from "./adam.ts";
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.scalar(1));
 * const adam = new Adam(new Map([["w", w]]), { learningRate: 0.1, beta1: 0.9, beta2: 0.999 });
 * adam.apply(new Map([["w", tf.scalar(2)]]));
 * if (Math.abs(w.dataSync()[0] - 0.9) > 1e-6) throw new Error("first step moves by lr");
 * ```
 */
export class Adam {
  step = 0;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();

  constructor(
    readonly variables: Map<string, tf.Variable>,
    readonly settings: AdamSettings,
  ) {
    for (const [key, variable] of variables) {
      this.#m.set(key, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      this.#v.set(key, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
    }
  }

  /** Applies one update from gradients keyed like the variables; disposes nothing it was given. */
  apply(gradients: Map<string, tf.Tensor>): void {
    this.step += 1;
    const { learningRate, beta1, beta2, epsilon = 1e-8 } = this.settings;
    const stepSize = learningRate / (1 - beta1 ** this.step);
    const correction2 = 1 - beta2 ** this.step;
    const fused = hasFusedAdam();
    tf.tidy(() => {
      for (const [key, grad] of gradients) {
        const variable = this.variables.get(key);
        if (variable === undefined) throw new Error(`Adam: no variable '${key}'`);
        const m = this.#m.get(key)!;
        const v = this.#v.get(key)!;
        if (fused) {
          const attrs: AdamUpdateAttrs = { beta1, beta2, epsilon, correction2, stepSize };
          const [p1, m1, v1] = tf.engine().runKernel(
            ADAM_UPDATE,
            { variable, grad, m, v },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
          m.assign(m1);
          v.assign(v1);
          variable.assign(p1);
          continue;
        }
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
        const denominator = tf.add(tf.sqrt(tf.div(v, correction2)), epsilon);
        variable.assign(tf.sub(variable, tf.mul(tf.div(m, denominator), stepSize)));
      }
    });
  }

  /** Resets the moments and step count (used when a collapsed discriminator is re-initialised). */
  reset(): void {
    this.step = 0;
    tf.tidy(() => {
      for (const t of [...this.#m.values(), ...this.#v.values()]) t.assign(tf.zerosLike(t));
    });
  }

  /** The state, read back to the host. */
  async state(): Promise<AdamState> {
    const moments = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();
    for (const key of this.variables.keys()) {
      const m = this.#m.get(key)!;
      const v = this.#v.get(key)!;
      moments.set(key, {
        m: (await m.data()) as Float32Array,
        v: (await v.data()) as Float32Array,
        shape: m.shape,
      });
    }
    return { step: this.step, moments };
  }

  /** Restores a saved state; errors name the variable that does not fit. */
  restore(state: AdamState): void {
    for (const key of this.variables.keys()) {
      const saved = state.moments.get(key);
      const m = this.#m.get(key)!;
      if (saved === undefined) throw new Error(`optimiser state lacks '${key}'`);
      if (saved.shape.join() !== m.shape.join()) {
        throw new Error(
          `optimiser state of '${key}' has shape [${saved.shape}], expected [${m.shape}]`,
        );
      }
      tf.tidy(() => {
        m.assign(tf.tensor(saved.m, saved.shape));
        this.#v.get(key)!.assign(tf.tensor(saved.v, saved.shape));
      });
    }
    this.step = state.step;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
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
