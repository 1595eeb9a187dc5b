/**
 * Folding an inference-mode BatchNorm into the convolution before it, so that an exported model
 * computes conv -> BatchNorm as one convolution with a bias.
 *
 * @module
 */

/** A convolution kernel in tfjs layout with its folded bias. */
export interface FoldedConvolution {
  /** `conv`: [k, k, in, out]; `convTranspose`: [k, k, out, in] (as tfjs and edegan store them). */
  kernel: Float32Array;
  /** [out]: BatchNorm's shift beta - mean * scale. */
  bias: Float32Array;
}

/**
 * Folds BatchNorm with fixed statistics (`mean`, `variance`, each [out]) into the preceding
 * convolution: y = gamma (conv(x) - mean) / sqrt(variance + epsilon) + beta
 * = conv_{W * s}(x) + (beta - mean * s) with s = gamma / sqrt(variance + epsilon), the scale
 * applied to each output channel of the kernel. The output channel is the last axis of a `conv`
 * kernel [k, k, in, out] and the third of a `convTranspose` kernel [k, k, out, in]. The result is
 * the same function up to float32 rounding (the multiplication moves before the sum).
 *
 * @throws Error when a statistic's length is not the kernel's number of output channels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { foldBatchNorm } from "./fold_batch_norm.ts";
 * // A 1x1 conv, 1 input channel, 2 outputs: weights 1 and 2; BatchNorm doubles, then shifts.
 * const folded = foldBatchNorm("conv", Float32Array.of(1, 2), [1, 1, 1, 2], {
 *   gamma: Float32Array.of(2, 2), beta: Float32Array.of(1, 0),
 *   mean: Float32Array.of(0, 1), variance: Float32Array.of(1, 1), epsilon: 0,
 * });
 * assertEquals([...folded.kernel], [2, 4]);
 * assertEquals([...folded.bias], [1, -2]);
 * ```
 */
export function foldBatchNorm(
  kind: "conv" | "convTranspose",
  kernel: Float32Array,
  shape: readonly number[],
  bn: {
    gamma: Float32Array;
    beta: Float32Array;
    mean: Float32Array;
    variance: Float32Array;
    epsilon: number;
  },
): FoldedConvolution {
  const [kh, kw, a, b] = shape;
  const outChannels = kind === "conv" ? b : a;
  for (const name of ["gamma", "beta", "mean", "variance"] as const) {
    if (bn[name].length !== outChannels) {
      throw new Error(
        `foldBatchNorm: ${name} has ${bn[name].length} channels, the kernel [${shape}] ` +
          `${outChannels} output channels`,
      );
    }
  }
  const scale = new Float32Array(outChannels);
  const bias = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    scale[c] = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.epsilon);
    bias[c] = bn.beta[c] - bn.mean[c] * scale[c];
  }
  const folded = new Float32Array(kernel.length);
  const positions = kh * kw;
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < a; i++) {
      for (let j = 0; j < b; j++) {
        const k = (p * a + i) * b + j;
        folded[k] = kernel[k] * scale[kind === "conv" ? j : i];
      }
    }
  }
  return { kernel: folded, bias };
}
