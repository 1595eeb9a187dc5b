/**
 * Starting `@tensorflow/tfjs-backend-webgpu` on a device of our own, so that what breaks under
 * Deno breaks with a message instead of a stack trace:
 *
 * - the device asks only for the limits and features the adapter offers (tfjs's own factory
 *   assumes `timestamp-query` and every limit it reads exist);
 * - a lost device (`device.lost`: driver reset, adapter gone) is remembered, and reads after it
 *   name the loss;
 * - synchronous reads (`dataSync`) need an `OffscreenCanvas` 2D context in
 *   tfjs-backend-webgpu 4.22; Deno has none, and no other way to wait for a GPU buffer
 *   synchronously, so a read that would need the GPU throws {@link WebGpuSyncReadError} naming
 *   the fix (read with `await tensor.data()`, as the library's `trainStep`, `fit` and
 *   `scoreImages` do).
 *
 * @module
 */

import * as tf from "../tf.ts";

/** Limits tfjs-backend-webgpu 4.22 reads from the adapter and asks of the device. */
export const WEBGPU_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/** Optional features tfjs-backend-webgpu uses when the adapter has them. */
export const WEBGPU_OPTIONAL_FEATURES = ["timestamp-query", "bgra8unorm-storage"] as const;

/** Thrown by a synchronous read of a GPU tensor where this runtime cannot read synchronously. */
export class WebGpuSyncReadError extends Error {
  constructor() {
    super(
      "webgpu: a synchronous read (dataSync/arraySync) of a GPU tensor needs an OffscreenCanvas " +
        "2D context, which this runtime (Deno) lacks; read with `await tensor.data()` instead, " +
        "or use another backend",
    );
    this.name = "WebGpuSyncReadError";
  }
}

/**
 * Gives the Vulkan loader a runtime directory when the environment has none (containers, CI,
 * `ssh` without a login session): Mesa's window-system probe otherwise prints "XDG_RUNTIME_DIR is
 * invalid or not set" on every adapter request. The directory is a private temporary one (0700);
 * an existing `XDG_RUNTIME_DIR` is left alone.
 *
 * @example
 * ```ts
 * import { quietVulkanLoader } from "./webgpu.ts";
 * quietVulkanLoader();
 * if (!Deno.env.get("XDG_RUNTIME_DIR")) throw new Error();
 * ```
 */
export function quietVulkanLoader(): void {
  if (Deno.env.get("XDG_RUNTIME_DIR")) return;
  const dir = Deno.makeTempDirSync({ prefix: "edegan-xdg-" });
  Deno.chmodSync(dir, 0o700);
  Deno.env.set("XDG_RUNTIME_DIR", dir);
}

/** The GPU device tfjs runs on, and what is known of it. */
export interface WebGpuDevice {
  /** The device handed to tfjs. */
  device: GPUDevice;
  /** The adapter's description, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  description: string;
  /** Whether the adapter is a CPU emulation (Mesa llvmpipe/lavapipe, SwiftShader). */
  software: boolean;
  /** Why the device was lost, once it has been; `null` while it works. */
  lostReason: string | null;
}

/** Adapter descriptions that mean a CPU emulation of a GPU. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software|softpipe/i;

/** The device of the active webgpu backend, once {@link startWebGpuDevice} has made one. */
let current: WebGpuDevice | null = null;

/**
 * The device tfjs's webgpu backend runs on, or `null` before {@link startWebGpuDevice}.
 *
 * @example
 * ```ts
 * import { currentWebGpuDevice } from "./webgpu.ts";
 * console.log(currentWebGpuDevice()?.lostReason ?? "no device lost");
 * ```
 */
export function currentWebGpuDevice(): WebGpuDevice | null {
  return current;
}

/**
 * Whether this runtime can read a GPU tensor synchronously (an `OffscreenCanvas` with a 2D
 * context): true in browsers, false under Deno.
 *
 * @example
 * ```ts
 * import { canReadSync } from "./webgpu.ts";
 * console.log(canReadSync());
 * ```
 */
export function canReadSync(): boolean {
  try {
    return typeof OffscreenCanvas !== "undefined" &&
      new OffscreenCanvas(1, 1).getContext("2d") !== null;
  } catch {
    return false;
  }
}

/**
 * A device descriptor that asks for no more than the adapter offers: each limit tfjs uses at the
 * adapter's value where the adapter reports one, and only the optional features it has.
 *
 * @example
 * ```ts
 * import { deviceDescriptor } from "./webgpu.ts";
 * const adapter = { features: new Set(["shader-f16"]), limits: { maxBufferSize: 256 } };
 * const d = deviceDescriptor(adapter as unknown as GPUAdapter);
 * if ([...d.requiredFeatures!].length !== 0) throw new Error("timestamp-query is absent");
 * ```
 */
export function deviceDescriptor(adapter: GPUAdapter): GPUDeviceDescriptor {
  const requiredFeatures = WEBGPU_OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const limits = adapter.limits as unknown as Record<string, unknown>;
  const requiredLimits: Record<string, number> = {};
  for (const name of WEBGPU_LIMITS) {
    const value = limits[name];
    if (typeof value === "number" && Number.isFinite(value)) requiredLimits[name] = value;
  }
  return { requiredFeatures, requiredLimits };
}

/**
 * The adapter's description: its name, else its device and vendor ids.
 *
 * @example
 * ```ts
 * import { adapterDescription } from "./webgpu.ts";
 * const adapter = { info: { description: "llvmpipe", device: "0", vendor: "65541" } };
 * if (adapterDescription(adapter as unknown as GPUAdapter) !== "llvmpipe 65541") throw new Error();
 * ```
 */
export function adapterDescription(adapter: GPUAdapter): string {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const parts = [info?.description, info?.device, info?.vendor].filter((s) => s && s !== "0");
  return parts.length > 0 ? parts.join(" ") : "unknown adapter";
}

/**
 * Whether an adapter is a CPU emulation of a GPU (`isFallbackAdapter`, or a software name).
 *
 * @example
 * ```ts
 * import { isSoftwareAdapter } from "./webgpu.ts";
 * const adapter = { info: { description: "llvmpipe (LLVM 15.0.6, 256 bits)" } };
 * if (!isSoftwareAdapter(adapter as unknown as GPUAdapter)) throw new Error();
 * ```
 */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } })
    .info;
  return info?.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(adapterDescription(adapter));
}

/**
 * Requests a device from `adapter` (see {@link deviceDescriptor}), watches it for loss, and
 * registers tfjs's `webgpu` backend on it in place of tfjs's own factory (which requests its own
 * adapter and device). The caller then activates `webgpu` with `tf.setBackend`. Throws a plain
 * `Error` with the cause when the device cannot be made.
 *
 * @example
 * ```ts ignore
 * // not run as a test: it needs a WebGPU adapter (a GPU, or Mesa's Vulkan driver)
 * import { startWebGpuDevice } from "./webgpu.ts";
 * const adapter = await navigator.gpu.requestAdapter();
 * const { description } = await startWebGpuDevice(adapter!);
 * console.log(description);
 * ```
 */
export async function startWebGpuDevice(adapter: GPUAdapter): Promise<WebGpuDevice> {
  const descriptor = deviceDescriptor(adapter);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice(descriptor);
  } catch (error) {
    throw new Error(
      `requestDevice failed (features [${[...descriptor.requiredFeatures ?? []]}]): ${error}`,
    );
  }
  const started: WebGpuDevice = {
    device,
    description: adapterDescription(adapter),
    software: isSoftwareAdapter(adapter),
    lostReason: null,
  };
  device.lost.then((info) => {
    started.lostReason = `${info.reason ?? "unknown"}: ${info.message || "no message"}`;
    // A device destroyed on purpose (tfjs's dispose) is not news.
    if (info.reason !== "destroyed") {
      console.warn(`webgpu: the device was lost (${started.lostReason}); select another backend`);
    }
  });
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  if (tf.findBackend("webgpu") !== null || tf.engine().registryFactory["webgpu"]) {
    tf.removeBackend("webgpu");
  }
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  tf.registerBackend("webgpu", () => guardReads(new WebGPUBackend(device, info), started), 3);
  current = started;
  return started;
}

/** What of tfjs's WebGPUBackend {@link guardReads} touches. */
interface ReadingBackend {
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  tensorMap: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * Makes a backend's reads fail with a message: after a device loss, and on synchronous reads of
 * GPU data where the runtime cannot read synchronously. Values already on the CPU still read.
 */
function guardReads<B extends object>(backend: B, started: WebGpuDevice): B {
  const reading = backend as unknown as ReadingBackend;
  const readSync = reading.readSync.bind(reading);
  const read = reading.read.bind(reading);
  const syncOk = canReadSync();
  const lost = () => {
    if (started.lostReason !== null) {
      throw new Error(
        `webgpu: the device was lost (${started.lostReason}); select another backend`,
      );
    }
  };
  reading.readSync = (dataId) => {
    if (reading.tensorMap.get(dataId)?.values != null) return readSync(dataId);
    lost();
    if (!syncOk) throw new WebGpuSyncReadError();
    return readSync(dataId);
  };
  reading.read = (dataId) => {
    lost();
    return read(dataId);
  };
  return backend;
}
