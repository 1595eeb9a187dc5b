/**
 * Kernel calls counted: how many times the engine dispatches a kernel while a function runs. A
 * count does not depend on the machine's load, so it is the figure to compare when a change
 * removes engine work (a timing under load moves by 2x between runs).
 *
 * @module
 */

import * as tf from "../tf.ts";

/** What {@link countKernelCalls} returns. */
export interface KernelCallCount<T> {
  /** What the function returned. */
  result: T;
  /** Kernel calls the engine dispatched while it ran (a kernel run from inside another kernel,
   * as `EdeganScoreSequence` runs its steps, is not counted again). */
  calls: number;
  /** The same calls by kernel name. */
  byKernel: Map<string, number>;
}

/**
 * Runs `f` with every kernel of the active backend wrapped by a counter, and puts the kernels
 * back afterwards (also when `f` throws).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "../tf.ts";
 * import { countKernelCalls } from "./kernel_calls.ts";
 * await tf.setBackend("cpu");
 * const a = tf.tensor1d([1, 2]);
 * const { result, calls, byKernel } = await countKernelCalls(() => tf.add(tf.mul(a, a), a));
 * assertEquals(calls, 2);
 * assertEquals(byKernel.get("Multiply"), 1);
 * assertEquals(Array.from(result.dataSync()), [2, 6]);
 * ```
 */
export async function countKernelCalls<T>(
  f: () => T | Promise<T>,
): Promise<KernelCallCount<T>> {
  const backend = tf.getBackend();
  const byKernel = new Map<string, number>();
  const wrapped: tf.KernelConfig[] = [];
  let depth = 0;
  let calls = 0;
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args: Parameters<tf.KernelFunc>[0]) => {
        if (depth === 0) {
          calls++;
          byKernel.set(k.kernelName, (byKernel.get(k.kernelName) ?? 0) + 1);
        }
        depth++;
        try {
          return inner(args);
        } finally {
          depth--;
        }
      },
    });
    wrapped.push(k);
  }
  try {
    const result = await f();
    return { result, calls, byKernel };
  } finally {
    for (const k of wrapped) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  }
}
