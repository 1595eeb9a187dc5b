/**
 * A scoring path as a TF.js graph model: the `model.json` + weights format of
 * `@tensorflow/tfjs-converter` (a TensorFlow GraphDef in JSON, loaded by `tf.loadGraphModel`),
 * built from TensorFlow ops that the converter's executor runs (Conv2D, Conv2DBackpropInput,
 * AddV2, LeakyRelu, Relu, Tanh, Mean, SquaredDifference, Rsqrt, ...).
 *
 * @module
 */

import type { ExportLayer, ScoringPath } from "./scoring_path.ts";

/** The graph's input (`images`, [n, size, size, channels] in [-1, 1]) and output (`score`, [n]). */
export const TFJS_INPUT = "images";
export const TFJS_OUTPUT = "score";
/** The name of the weights file beside `model.json`. */
export const TFJS_WEIGHTS_FILE = "weights.bin";

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
}

/** The artifacts of a TF.js graph model: `model.json`'s content and the weights file's bytes. */
export interface TfjsGraphArtifacts {
  modelJson: {
    format: "graph-model";
    generatedBy: string;
    convertedBy: string;
    modelTopology: { node: GraphNode[]; library: Record<string, never>; versions: unknown };
    weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
    signature: unknown;
    userDefinedMetadata?: Record<string, unknown>;
  };
  weights: Uint8Array;
}

const FLOAT = { type: "DT_FLOAT" };
const INT = { type: "DT_INT32" };

/** A string attribute as the GraphDef JSON holds it: base64 of its bytes. */
function str(value: string): { s: string } {
  return { s: btoa(value) };
}

function ints(values: number[]): { list: { i: string[] } } {
  return { list: { i: values.map(String) } };
}

/**
 * Builds the TF.js graph model of a scoring path. `metadata` is stored as the model's
 * `userDefinedMetadata` (read back by `GraphModel.metadata`). The graph computes, for images
 * [n, size, size, channels] in [-1, 1], the score [n] (`model.predict(images)` or
 * `model.execute({ images }, "score")`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { scoringPath } from "./scoring_path.ts";
 * import { tfjsGraphModel } from "./tfjs_graph.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
 * const { modelJson, weights } = tfjsGraphModel(scoringPath(model, "moving"));
 * assertEquals(modelJson.format, "graph-model");
 * assertEquals(weights.byteLength > 0, true);
 * model.dispose();
 * ```
 */
export function tfjsGraphModel(
  path: ScoringPath,
  metadata?: Record<string, unknown>,
): TfjsGraphArtifacts {
  const nodes: GraphNode[] = [];
  const specs: WeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  const constant = (name: string, shape: number[], data: Float32Array | Int32Array): string => {
    const dtype = data instanceof Float32Array ? "float32" : "int32";
    nodes.push({
      name,
      op: "Const",
      attr: {
        dtype: dtype === "float32" ? FLOAT : INT,
        value: {
          tensor: {
            dtype: dtype === "float32" ? "DT_FLOAT" : "DT_INT32",
            tensorShape: { dim: shape.map((size) => ({ size: String(size) })) },
          },
        },
      },
    });
    specs.push({ name, shape, dtype });
    chunks.push(
      new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)),
    );
    return name;
  };
  const op = (name: string, type: string, input: string[], attr: Record<string, unknown> = {}) => {
    nodes.push({ name, op: type, input, attr: { T: FLOAT, ...attr } });
    return name;
  };
  const { imageSize, channels } = path;
  nodes.push({
    name: TFJS_INPUT,
    op: "Placeholder",
    attr: {
      dtype: FLOAT,
      shape: {
        shape: {
          dim: [-1, imageSize, imageSize, channels].map((size) => ({ size: String(size) })),
        },
      },
    },
  });
  // The batch size, for the output shapes of the transposed convolutions.
  const shape = op("batch/shape", "Shape", [TFJS_INPUT], { out_type: INT });
  const batch = op("batch/size", "StridedSlice", [
    shape,
    constant("batch/begin", [1], Int32Array.of(0)),
    constant("batch/end", [1], Int32Array.of(1)),
    constant("batch/strides", [1], Int32Array.of(1)),
  ], {
    Index: INT,
    T: INT,
    begin_mask: { i: "0" },
    end_mask: { i: "0" },
    ellipsis_mask: { i: "0" },
    new_axis_mask: { i: "0" },
    shrink_axis_mask: { i: "0" },
  });
  const concatAxis = constant("batch/axis", [], Int32Array.of(0));
  const spatial = [1, 2];
  const spatialAxes = constant("norm/axes", [2], Int32Array.from(spatial));

  const layer = (x: string, l: ExportLayer): string => {
    const kernel = constant(`${l.name}/kernel`, l.kernelShape, l.kernel);
    const conv = {
      strides: ints([1, l.stride, l.stride, 1]),
      padding: str(l.padding.toUpperCase()),
      data_format: str("NHWC"),
      dilations: ints([1, 1, 1, 1]),
    };
    let y: string;
    if (l.kind === "conv") {
      y = op(`${l.name}/conv`, "Conv2D", [x, kernel], conv);
    } else {
      const tail = constant(
        `${l.name}/output_shape_tail`,
        [3],
        Int32Array.of(l.outSize, l.outSize, l.outChannels),
      );
      const outputShape = op(`${l.name}/output_shape`, "ConcatV2", [batch, tail, concatAxis], {
        N: { i: "2" },
        T: INT,
        Tidx: INT,
      });
      y = op(`${l.name}/conv_transpose`, "Conv2DBackpropInput", [outputShape, kernel, x], conv);
    }
    if (l.bias) {
      y = op(`${l.name}/bias`, "AddV2", [y, constant(`${l.name}/b`, [l.bias.length], l.bias)]);
    }
    if (l.instanceNorm) {
      // As edegan's per-image mode: (x - mean) * rsqrt(variance + eps) * gamma + beta, with the
      // mean and biased variance of each image and channel over height and width.
      const { gamma, beta, epsilon } = l.instanceNorm;
      const keep = { Tidx: INT, keep_dims: { b: true } };
      const mean = op(`${l.name}/norm/mean`, "Mean", [y, spatialAxes], keep);
      const deviation = op(`${l.name}/norm/sq`, "SquaredDifference", [y, mean]);
      const variance = op(`${l.name}/norm/variance`, "Mean", [deviation, spatialAxes], keep);
      const eps = constant(`${l.name}/norm/epsilon`, [], Float32Array.of(epsilon));
      const inv = op(`${l.name}/norm/rsqrt`, "Rsqrt", [
        op(`${l.name}/norm/var_eps`, "AddV2", [variance, eps]),
      ]);
      const normalised = op(`${l.name}/norm/normalised`, "Mul", [
        op(`${l.name}/norm/centred`, "Sub", [y, mean]),
        inv,
      ]);
      const scaled = op(`${l.name}/norm/scaled`, "Mul", [
        normalised,
        constant(`${l.name}/gamma`, [gamma.length], gamma),
      ]);
      y = op(`${l.name}/norm/shifted`, "AddV2", [
        scaled,
        constant(`${l.name}/beta`, [beta.length], beta),
      ]);
    }
    switch (l.activation) {
      case "leakyRelu":
        return op(`${l.name}/leaky_relu`, "LeakyRelu", [y], { alpha: { f: path.leakySlope } });
      case "relu":
        return op(`${l.name}/relu`, "Relu", [y]);
      case "tanh":
        return op(`${l.name}/tanh`, "Tanh", [y]);
      case "none":
        return y;
    }
  };
  const encode = (x: string, layers: ExportLayer[], name: string): string => {
    const out = layers.reduce(layer, x);
    return path.latent === "tanh" ? op(name, "Tanh", [out]) : out;
  };
  // z and z_hat stay [n, 1, 1, latent]: the decoder takes z in that shape.
  const z = encode(TFJS_INPUT, path.encoder1, "z");
  const xHat = path.decoder.reduce(layer, z);
  const zHat = encode(xHat, path.encoder2, "z_hat");
  const latentAxes = constant("score/axes", [3], Int32Array.of(1, 2, 3));
  const reduce = { Tidx: INT, keep_dims: { b: false } };
  switch (path.scoreDistance) {
    case "mse":
      op(TFJS_OUTPUT, "Mean", [op("score/sq", "SquaredDifference", [z, zHat]), latentAxes], reduce);
      break;
    case "l1":
      op(TFJS_OUTPUT, "Mean", [
        op("score/abs", "Abs", [op("score/diff", "Sub", [z, zHat])]),
        latentAxes,
      ], reduce);
      break;
    case "l2":
      op(TFJS_OUTPUT, "Sqrt", [
        op(
          "score/sum",
          "Sum",
          [op("score/sq", "SquaredDifference", [z, zHat]), latentAxes],
          reduce,
        ),
      ]);
      break;
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  chunks.reduce((offset, c) => (bytes.set(c, offset), offset + c.byteLength), 0);
  const tensorInfo = (name: string, dims: number[]) => ({
    name: `${name}:0`,
    dtype: "DT_FLOAT",
    tensorShape: { dim: dims.map((size) => ({ size: String(size) })) },
  });
  return {
    modelJson: {
      format: "graph-model",
      generatedBy: "edegan",
      convertedBy: "edegan lib/export",
      modelTopology: { node: nodes, library: {}, versions: { producer: 1, minConsumer: 0 } },
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs }],
      signature: {
        inputs: { [TFJS_INPUT]: tensorInfo(TFJS_INPUT, [-1, imageSize, imageSize, channels]) },
        outputs: { [TFJS_OUTPUT]: tensorInfo(TFJS_OUTPUT, [-1]) },
      },
      ...(metadata ? { userDefinedMetadata: metadata } : {}),
    },
    weights: bytes,
  };
}
