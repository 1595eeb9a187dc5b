/**
 * Exporting a trained EDE-GAN's scoring path (encoder1 -> decoder -> encoder2, the latent
 * distance, the calibrated threshold) to the ecosystem's formats, a TF.js graph model and an ONNX
 * model, and a scoring page that runs the TF.js export in a browser.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { scoringPath } from "./mod.ts";
 * await tf.setBackend("cpu");
 * const model = EdeGan.create({ width: 2, latentSize: 16 }, 1);
 * assertEquals(scoringPath(model, "per-image").encoder1[1].instanceNorm?.epsilon, 1e-5);
 * model.dispose();
 * ```
 *
 * @module
 */
export { foldBatchNorm, type FoldedConvolution } from "./fold_batch_norm.ts";
export { type ExportLayer, type ScoringPath, scoringPath } from "./scoring_path.ts";
export {
  TFJS_INPUT,
  TFJS_OUTPUT,
  TFJS_WEIGHTS_FILE,
  type TfjsGraphArtifacts,
  tfjsGraphModel,
} from "./tfjs_graph.ts";
export { ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT, onnxModel } from "./onnx_model.ts";
export { type OnnxScorer, onnxScorer, onnxSessionOptions, openOnnxScorer } from "./onnx_scorer.ts";
export {
  loadOnnxRuntime,
  type OnnxRuntime,
  ONNXRUNTIME_VERSION,
  type OnnxSession,
  type OnnxSessionOptions,
} from "./onnx_runtime.ts";
export {
  EXPORT_FORMAT,
  EXPORT_FORMAT_VERSION,
  EXPORT_FORMATS,
  EXPORT_METADATA_FILE,
  type ExportFormat,
  type ExportMetadata,
  exportMetadata,
} from "./metadata.ts";
export { type ExportOptions, type ExportResult, exportRun } from "./export_run.ts";
export { readTfjsExport, type ScoringPage, serveScoringPage } from "./serve.ts";
