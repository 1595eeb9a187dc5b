/**
 * `deno task export`: writes a trained run's scoring path (encoder1 -> decoder -> encoder2, the
 * latent distance and the calibrated threshold) as a TF.js graph model or an ONNX model.
 *
 * @module
 */

import { parseFlags, runTask } from "../lib/cli/flags.ts";
import { type ExportFormat, exportRun } from "../lib/export/mod.ts";
import * as tf from "../lib/tf.ts";

await runTask(async () => {
  const flags = parseFlags(
    "export",
    Deno.args,
    {
      model: undefined,
      format: "onnx",
      out: undefined,
    },
    "Export a trained run's scoring path as a TF.js graph model or an ONNX model.",
    [],
    {
      model: "required: a run folder (train, or a distill job's student), a shipped model " +
        "(shipped:NAME)",
      out: "required: the folder to write the exported model to: a new or empty one, or an " +
        "earlier export (replaced)",
    },
  );
  if (flags === null) return;
  if (!flags.model) throw new Error("--model: required (a run or model directory)");
  if (!flags.out) throw new Error("--out: required (the folder to write the exported model to)");
  await tf.setBackend("cpu");
  const result = await exportRun({
    model: flags.model as string,
    format: flags.format as ExportFormat,
    out: flags.out as string,
  });
  const { metadata } = result;
  console.log(
    `exported ${flags.model} as ${metadata.modelFormat} to ${result.out}: ` +
      `${result.files.join(", ")} (${(result.bytes / 1024).toFixed(1)} KiB)`,
  );
  console.log(
    `BatchNorm: ${metadata.batchNorm}; threshold ${metadata.calibration.threshold} ` +
      `(${metadata.calibration.fpr} false-positive rate on validation normals)`,
  );
});
