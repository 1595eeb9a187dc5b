/**
 * `deno task setup:native [gpu|cpu]`: installs the native TensorFlow backend on a machine with
 * internet access, allowing the npm install script that downloads libtensorflow (the GPU build
 * needs Linux x64, an NVIDIA driver, CUDA 11.2 and cuDNN 8.1). Then `--backend tensorflow-gpu`
 * (or `tensorflow`) works.
 *
 * @module
 */

import { runTask } from "../lib/cli/flags.ts";
import { NATIVE_PACKAGES, nativeInstallProblem } from "../lib/backend/native.ts";

await runTask(async () => {
  const which = Deno.args[0] ?? "gpu";
  if (which === "--help") {
    console.log(
      "deno task setup:native [gpu|cpu]\n\nInstalls @tensorflow/tfjs-node-gpu (gpu) or " +
        "@tensorflow/tfjs-node (cpu) with its install script allowed (it downloads libtensorflow).",
    );
    return;
  }
  if (which !== "gpu" && which !== "cpu") {
    throw new Error(`setup:native: expected 'gpu' or 'cpu', got '${which}'`);
  }
  const name = which === "gpu" ? "tensorflow-gpu" : "tensorflow";
  const pkg = `npm:${NATIVE_PACKAGES[name]}@4.22.0`;
  if (which === "gpu" && Deno.build.os !== "linux") {
    throw new Error("setup:native gpu: @tensorflow/tfjs-node-gpu has builds for Linux x64 only");
  }
  console.log(`deno install --allow-scripts=${pkg}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["install", `--allow-scripts=${pkg}`],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const problem = nativeInstallProblem(name);
  if (code !== 0 || problem !== null) {
    throw new Error(
      `the install did not complete${problem ? `: ${problem}` : ""}. Its script downloads ` +
        "libtensorflow from storage.googleapis.com; check internet access (or set " +
        "TFJS_NODE_CDN_STORAGE / a proxy) and run again.",
    );
  }
  console.log(`installed: use --backend ${name}`);
});
