import { IN_CI, withEnv } from "../_helpers.ts";
import { assertEquals, assertRejects, assertStringIncludes, assertThrows } from "@std/assert";
import {
  BackendUnavailableError,
  defaultBackendChoice,
  parseBackendChoice,
  selectBackend,
} from "../../lib/backend/select.ts";
import { explainNativeError, nativeInstallProblem } from "../../lib/backend/native.ts";
import * as tf from "../../lib/tf.ts";

Deno.test("parseBackendChoice accepts the vocabulary and names the flag otherwise", () => {
  assertEquals(parseBackendChoice("webgpu"), "webgpu");
  const error = assertThrows(() => parseBackendChoice("cuda"), Error);
  assertStringIncludes(error.message, "--backend");
  assertStringIncludes(error.message, "tensorflow-gpu");
});

Deno.test("EDEGAN_BACKEND sets the default", () => {
  withEnv({ EDEGAN_BACKEND: "wasm" }, () => {
    assertEquals(defaultBackendChoice(), "wasm");
    Deno.env.set("EDEGAN_BACKEND", "nope");
    assertThrows(() => defaultBackendChoice(), Error, "EDEGAN_BACKEND");
  });
});

Deno.test("native backends named explicitly fail with the cause and the fix", async () => {
  for (const name of ["tensorflow", "tensorflow-gpu"] as const) {
    const problem = nativeInstallProblem(name);
    // On these machines the install script cannot download libtensorflow.
    if (problem === null) continue;
    const error = await assertRejects(() => selectBackend(name), BackendUnavailableError);
    assertStringIncludes(error.message, "libtensorflow");
    assertStringIncludes(error.message, `--allow-scripts=npm:@tensorflow/tfjs-node`);
    if (name === "tensorflow-gpu") assertStringIncludes(error.message, "CUDA 11.2");
  }
});

Deno.test("known native failures become messages with the fix", () => {
  assertStringIncludes(
    explainNativeError("tensorflow-gpu", new Error("libcudnn.so.8: cannot open shared object")),
    "cuDNN 8.1",
  );
  assertStringIncludes(
    explainNativeError("tensorflow", new Error("libtensorflow.so.2: cannot open shared object")),
    "setup:native cpu",
  );
  assertStringIncludes(
    explainNativeError("tensorflow-gpu", new Error("CUDA_ERROR_NO_DEVICE: no CUDA-capable device")),
    "no GPU",
  );
});

Deno.test("auto picks a backend that trains and explains every skip", async () => {
  const selection = await selectBackend("auto");
  if (!["tensorflow-gpu", "tensorflow", "webgpu", "onednn", "wasm"].includes(selection.backend)) {
    throw new Error(`auto picked ${selection.backend}`);
  }
  const order = ["tensorflow-gpu", "tensorflow", "webgpu", "onednn", "wasm", "cpu"];
  const before = order.slice(0, order.indexOf(selection.backend));
  assertEquals(selection.skipped.map((line) => line.split(":")[0]), before);
  for (const line of selection.skipped) if (line.split(": ")[1].length < 10) throw new Error(line);
  assertEquals(tf.getBackend(), selection.tfjsName);
  // where libdnnl2 is installed (as CI installs it) auto runs on oneDNN
  if (IN_CI) assertEquals(selection.backend, "onednn");
  await selectBackend("cpu");
});

Deno.test("auto's skipped backends print on one line of at most 100 characters", async () => {
  const { skippedSummary } = await import("../../lib/cli/run_flags.ts");
  const { backend, skipped } = await selectBackend("auto");
  const line = `  ${skippedSummary(skipped)}`;
  // The reasons of this machine, in full several lines long, each backend named once.
  for (const entry of skipped) {
    assertStringIncludes(line, entry.split(": ")[0]);
  }
  assertEquals(line.includes("\n"), false);
  assertEquals(line.length <= 100, true, `${line.length} characters: ${line}`);
  assertEquals(skipped.some((s) => s.startsWith(`${backend}:`)), false);
  await tf.setBackend("cpu");
});
