/**
 * A scoring path as an ONNX model (opset 13), encoded with the `onnx-proto` protobuf definitions:
 * Conv / ConvTranspose with the folded bias, InstanceNormalization for per-image BatchNorm,
 * LeakyRelu, Relu, Tanh, NHWC to NCHW as a Transpose (a Reshape for one channel), and the latent
 * distance as Sub, Mul and ReduceMean: standard ONNX ops only (tests/export runs the model with
 * `onnxruntime-node`).
 *
 * @module
 */

import onnxProto from "onnx-proto";
import type { ExportLayer, ScoringPath } from "./scoring_path.ts";

const { onnx } = onnxProto;

/** The model's input (`images`, NHWC [n, size, size, channels] in [-1, 1]) and output. */
export const ONNX_INPUT = "images";
export const ONNX_OUTPUT = "score";
/** The opset the model is written for. */
export const ONNX_OPSET = 13;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/**
 * Encodes the ONNX model of a scoring path. Its input is NHWC as in edegan and TF.js (transposed
 * to ONNX's NCHW inside); `metadata` is stored as the model's `metadata_props` (each value as
 * JSON). The kernels are transposed from tfjs layout ([k, k, in, out] and [k, k, out, in]) to
 * ONNX's ([out, in, k, k] for Conv, [in, out, k, k] for ConvTranspose); "same" padding is written
 * as the explicit pads TensorFlow computes (half before, the rest after).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import onnxProto from "onnx-proto";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { scoringPath } from "./scoring_path.ts";
 * import { onnxModel } from "./onnx_model.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
 * const bytes = onnxModel(scoringPath(model, "moving"), { threshold: 0.5 });
 * const decoded = onnxProto.onnx.ModelProto.decode(bytes);
 * assertEquals(decoded.graph!.output![0].name, "score");
 * assertEquals(decoded.metadataProps![0].value, "0.5");
 * model.dispose();
 * ```
 */
export function onnxModel(path: ScoringPath, metadata: Record<string, unknown> = {}): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const floats = (name: string, dims: number[], data: Float32Array) => {
    initializers.push({
      name,
      dims,
      dataType: FLOAT,
      rawData: new Uint8Array(
        data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      ),
    });
    return name;
  };
  const int64s = (name: string, values: number[]) => {
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    initializers.push({
      name,
      dims: [values.length],
      dataType: INT64,
      rawData: new Uint8Array(data.buffer),
    });
    return name;
  };
  const node = (
    opType: string,
    name: string,
    input: string[],
    attribute: onnxProto.onnx.IAttributeProto[] = [],
  ) => {
    nodes.push({ opType, name, input, output: [name], attribute });
    return name;
  };
  const intsAttr = (name: string, ints: number[]) => ({
    name,
    type: onnx.AttributeProto.AttributeType.INTS,
    ints,
  });
  const floatAttr = (name: string, f: number) => ({
    name,
    type: onnx.AttributeProto.AttributeType.FLOAT,
    f,
  });
  const intAttr = (name: string, i: number) => ({
    name,
    type: onnx.AttributeProto.AttributeType.INT,
    i,
  });

  const layer = (x: string, l: ExportLayer): string => {
    const [kh, kw, a, b] = l.kernelShape;
    // tfjs [h, w, a, b] -> ONNX [b, a, h, w]: Conv's [out, in, h, w], ConvTranspose's [in, out, h, w].
    const weight = new Float32Array(l.kernel.length);
    for (let h = 0; h < kh; h++) {
      for (let w = 0; w < kw; w++) {
        for (let i = 0; i < a; i++) {
          for (let j = 0; j < b; j++) {
            weight[((j * a + i) * kh + h) * kw + w] = l.kernel[((h * kw + w) * a + i) * b + j];
          }
        }
      }
    }
    // TensorFlow's padding of the convolution (for a transposed one, of the convolution it inverts).
    const [from, to] = l.kind === "conv" ? [l.inSize, l.outSize] : [l.outSize, l.inSize];
    const total = l.padding === "same" ? Math.max((to - 1) * l.stride + kh - from, 0) : 0;
    const before = Math.floor(total / 2);
    const pads = [before, before, total - before, total - before];
    const inputs = [x, floats(`${l.name}/W`, [b, a, kh, kw], weight)];
    if (l.bias) inputs.push(floats(`${l.name}/B`, [l.bias.length], l.bias));
    let y = node(l.kind === "conv" ? "Conv" : "ConvTranspose", `${l.name}/conv`, inputs, [
      intsAttr("kernel_shape", [kh, kw]),
      intsAttr("strides", [l.stride, l.stride]),
      intsAttr("pads", pads),
      intsAttr("dilations", [1, 1]),
    ]);
    if (l.instanceNorm) {
      const { gamma, beta, epsilon } = l.instanceNorm;
      y = node("InstanceNormalization", `${l.name}/instance_norm`, [
        y,
        floats(`${l.name}/gamma`, [gamma.length], gamma),
        floats(`${l.name}/beta`, [beta.length], beta),
      ], [floatAttr("epsilon", epsilon)]);
    }
    switch (l.activation) {
      case "leakyRelu":
        return node("LeakyRelu", `${l.name}/leaky_relu`, [y], [
          floatAttr("alpha", path.leakySlope),
        ]);
      case "relu":
        return node("Relu", `${l.name}/relu`, [y]);
      case "tanh":
        return node("Tanh", `${l.name}/tanh`, [y]);
      case "none":
        return y;
    }
  };
  const encode = (x: string, layers: ExportLayer[], name: string): string => {
    const out = layers.reduce(layer, x);
    return path.latent === "tanh" ? node("Tanh", name, [out]) : out;
  };
  // NHWC to NCHW. With one channel both lay the values out in the same order: a Reshape (no copy
  // in onnxruntime) in place of the Transpose (a pass over the batch, about 2 % of a student's call).
  const nchw = path.channels === 1
    ? node("Reshape", "images_nchw", [
      ONNX_INPUT,
      int64s("images_nchw/shape", [-1, 1, path.imageSize, path.imageSize]),
    ])
    : node("Transpose", "images_nchw", [ONNX_INPUT], [intsAttr("perm", [0, 3, 1, 2])]);
  // z and z_hat stay [n, latent, 1, 1]: the decoder takes z in that shape.
  const z = encode(nchw, path.encoder1, "z");
  const xHat = path.decoder.reduce(layer, z);
  const zHat = encode(xHat, path.encoder2, "z_hat");
  const diff = node("Sub", "score/diff", [z, zHat]);
  const axes = [intsAttr("axes", [1, 2, 3]), intAttr("keepdims", 0)];
  switch (path.scoreDistance) {
    case "mse":
      node("ReduceMean", ONNX_OUTPUT, [node("Mul", "score/sq", [diff, diff])], axes);
      break;
    case "l1":
      node("ReduceMean", ONNX_OUTPUT, [node("Abs", "score/abs", [diff])], axes);
      break;
    case "l2":
      node("Sqrt", ONNX_OUTPUT, [node("ReduceSumSquare", "score/sum", [diff], axes)]);
      break;
  }
  const dims = (shape: (number | string)[]) => ({
    dim: shape.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }),
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: ONNX_OPSET }],
    producerName: "edegan",
    producerVersion: "lib/export",
    docString: "EDE-GAN scoring path: score = latent distance of E1(x) and E2(Dec(E1(x)))",
    metadataProps: Object.entries(metadata).map(([key, value]) => ({
      key,
      value: JSON.stringify(value),
    })),
    graph: {
      name: "edegan_scoring_path",
      node: nodes,
      initializer: initializers,
      input: [{
        name: ONNX_INPUT,
        type: {
          tensorType: {
            elemType: FLOAT,
            shape: dims(["n", path.imageSize, path.imageSize, path.channels]),
          },
        },
      }],
      output: [{
        name: ONNX_OUTPUT,
        type: { tensorType: { elemType: FLOAT, shape: dims(["n"]) } },
      }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
