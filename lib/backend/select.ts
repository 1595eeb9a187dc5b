/**
 * Choosing and starting a TensorFlow.js backend by name.
 *
 * Order of preference for `auto`: `tensorflow-gpu`, `tensorflow`, `webgpu`, `onednn`, `wasm`, `cpu`;
 * the first that starts wins and every skipped one is reported with its reason. `onednn` is the wasm
 * backend with its convolutions on oneDNN (`libdnnl.so.2`, every core), so `auto` picks it wherever
 * Debian's `libdnnl2` is installed and falls back to the zero-install wasm path elsewhere. `auto` passes over a WebGPU
 * adapter that is a CPU emulation (Mesa's llvmpipe/lavapipe, SwiftShader): it is correct but slower
 * than wasm; ask for `webgpu` by name to use it anyway.
 *
 * @module
 */

import * as tf from "../tf.ts";
import { explainNativeError, importNativePackage, nativeInstallProblem } from "./native.ts";
import type { NativeBackendName } from "./native.ts";
import { type BackendChoice, type BackendName, BACKENDS } from "./names.ts";

export { type BackendChoice, type BackendName, BACKENDS };

/** Options of {@link selectBackend}. */
export interface BackendOptions {
  /** CPU threads for `onednn` (default: `EDEGAN_THREADS`, else `OMP_NUM_THREADS`, else every core). */
  threads?: number;
}

/** What {@link selectBackend} picked, and why it passed over the others. */
export interface BackendSelection {
  /** The backend now active in tfjs. */
  backend: BackendName;
  /** tfjs's own name of it (`tensorflow` for both native builds). */
  tfjsName: string;
  /** One line per backend tried and skipped: `name: reason`. */
  skipped: string[];
  /** A short description of the device (adapter name for WebGPU, thread count for wasm). */
  device: string;
}

/** The error thrown when a backend asked for by name cannot start. */
export class BackendUnavailableError extends Error {
  constructor(readonly backend: BackendName, reason: string) {
    super(`backend '${backend}' cannot start: ${reason}`);
    this.name = "BackendUnavailableError";
  }
}

/**
 * Checks a `--backend` value (or `EDEGAN_BACKEND`) and returns it typed.
 *
 * @example
 * ```ts
 * import { parseBackendChoice } from "./select.ts";
 * if (parseBackendChoice("wasm") !== "wasm") throw new Error();
 * ```
 */
export function parseBackendChoice(value: string, flag = "--backend"): BackendChoice {
  if (value === "auto" || (BACKENDS as readonly string[]).includes(value)) {
    return value as BackendChoice;
  }
  throw new Error(
    `${flag}: unknown backend '${value}'; expected one of auto, ${BACKENDS.join(", ")}`,
  );
}

/**
 * The default choice: the environment variable `EDEGAN_BACKEND`, else `auto`.
 *
 * @example
 * ```ts
 * import { defaultBackendChoice } from "./select.ts";
 * console.log(defaultBackendChoice());
 * ```
 */
export function defaultBackendChoice(): BackendChoice {
  const env = Deno.env.get("EDEGAN_BACKEND");
  return env ? parseBackendChoice(env, "EDEGAN_BACKEND") : "auto";
}

/**
 * Selects and initialises a backend. A backend named explicitly that cannot start throws a
 * {@link BackendUnavailableError} naming the cause and the fix; `auto` tries each in turn.
 *
 * @example
 * ```ts
 * import { selectBackend } from "./select.ts";
 * const { backend, skipped } = await selectBackend("cpu");
 * console.log(backend, skipped);
 * ```
 */
export async function selectBackend(
  choice: BackendChoice = defaultBackendChoice(),
  options: BackendOptions = {},
): Promise<BackendSelection> {
  if (choice !== "auto") {
    const device = await start(choice, false, options);
    return { backend: choice, tfjsName: tf.getBackend(), skipped: [], device };
  }
  const skipped: string[] = [];
  for (const name of BACKENDS) {
    try {
      const device = await start(name, true, options);
      return { backend: name, tfjsName: tf.getBackend(), skipped, device };
    } catch (error) {
      const reason = error instanceof BackendUnavailableError
        ? error.message.replace(/^backend '[^']+' cannot start: /, "")
        : String(error);
      skipped.push(`${name}: ${reason}`);
    }
  }
  throw new Error(`no backend could start:\n${skipped.join("\n")}`);
}

async function start(
  name: BackendName,
  auto: boolean,
  options: BackendOptions,
): Promise<string> {
  switch (name) {
    case "cpu":
      await activate("cpu", name);
      return "JavaScript on the main thread";
    case "wasm":
      return await startWasm();
    case "onednn":
      return await startOnednn(options.threads);
    case "webgpu":
      return await startWebGpu(auto);
    case "tensorflow":
    case "tensorflow-gpu":
      return await startNative(name);
  }
}

async function activate(tfjsName: string, name: BackendName): Promise<void> {
  let ok = false;
  try {
    ok = await tf.setBackend(tfjsName);
    await tf.ready();
  } catch (error) {
    throw new BackendUnavailableError(name, String(error));
  }
  if (!ok) throw new BackendUnavailableError(name, `tfjs could not initialise '${tfjsName}'`);
}

async function startWasm(onednn = false): Promise<string> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const { registerKernels } = await import("./kernels.ts");
  await activate("wasm", onednn ? "onednn" : "wasm");
  registerKernels(onednn ? "onednn" : "wasm");
  return `XNNPACK, ${wasm.getThreadsCount()} thread(s)`;
}

async function startOnednn(threads: number | undefined): Promise<string> {
  const { loadDnnl } = await import("./onednn/_ffi.ts");
  const { setDnnlThreads, threadChoice } = await import("./onednn/threads.ts");
  const { nativeAdamStatus } = await import("./onednn/native_adam.ts");
  const { dnnlContext } = await import("./onednn/_context.ts");
  const choice = threadChoice(threads);
  const wanted = choice.count;
  let running: number;
  let lib;
  try {
    lib = loadDnnl();
    running = setDnnlThreads(lib, wanted);
    dnnlContext();
  } catch (error) {
    throw new BackendUnavailableError("onednn", (error as Error).message);
  }
  const wasm = await startWasm(true);
  for (const line of choice.warnings) console.warn(`warning: ${line}`);
  const adam = nativeAdamStatus();
  return `oneDNN ${lib.version} convolutions (${lib.runtime}, ${running} thread(s) from ` +
    `${choice.source}, ${lib.isa} kernels${lib.cap ? ` under ${lib.cap}` : ""}), Adam ${
      adam.state === "native" ? `native on ${wanted} thread(s)` : `in wasm (${adam.reason})`
    }, wasm ${wasm} for the rest`;
}

async function startWebGpu(auto: boolean): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu === undefined) {
    throw new BackendUnavailableError(
      "webgpu",
      "this Deno has no navigator.gpu (WebGPU); use Deno 2 or later",
    );
  }
  const webgpu = await import("./webgpu.ts");
  webgpu.quietVulkanLoader();
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (error) {
    throw new BackendUnavailableError("webgpu", `requestAdapter failed: ${error}`);
  }
  if (adapter === null) {
    throw new BackendUnavailableError(
      "webgpu",
      "no WebGPU adapter: no Vulkan driver was found. On Debian/Ubuntu install a GPU driver, or " +
        "`apt-get install mesa-vulkan-drivers` for the software one",
    );
  }
  const description = webgpu.adapterDescription(adapter);
  if (auto && webgpu.isSoftwareAdapter(adapter)) {
    throw new BackendUnavailableError(
      "webgpu",
      `the only adapter is a CPU emulation (${description}), slower than wasm; ` +
        "pass --backend webgpu to use it anyway",
    );
  }
  try {
    await webgpu.startWebGpuDevice(adapter);
  } catch (error) {
    throw new BackendUnavailableError("webgpu", `${description}: ${(error as Error).message}`);
  }
  await activate("webgpu", "webgpu");
  return description;
}

async function startNative(name: NativeBackendName): Promise<string> {
  const problem = nativeInstallProblem(name);
  if (problem !== null) throw new BackendUnavailableError(name, problem);
  try {
    await importNativePackage(name);
  } catch (error) {
    throw new BackendUnavailableError(name, explainNativeError(name, error));
  }
  await activate("tensorflow", name);
  return name === "tensorflow-gpu" ? "libtensorflow (CUDA)" : "libtensorflow (CPU)";
}
