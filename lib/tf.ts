/**
 * The one tfjs-core instance of the toolkit, with every op's gradient registered and the cpu
 * backend available. Library code imports tfjs from here.
 *
 * tfjs-core alone registers no gradients, and its `register_all_gradients` module is ESM with
 * extensionless imports that Deno does not resolve; the `@tensorflow/tfjs` bundle (same version,
 * same tfjs-core instance) registers them all, so it is loaded for that side effect.
 *
 * @module
 */

import "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";

// The cpu backend greets Node.js users once with advice to install tfjs-node; the toolkit's own
// backend selection already says what is available, so the greeting is switched off.
const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
if (cpu) cpu.firstUse = false;

export * from "@tensorflow/tfjs-core";
