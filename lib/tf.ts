/**
 * The one tfjs-core instance of the toolkit, with every op's gradient registered and the cpu
 * backend available. Library code imports tfjs from here.
 *
 * tfjs-core alone registers no gradients, and its `register_all_gradients` module is ESM with
 * extensionless imports that Deno does not resolve. `@tensorflow/tfjs-layers`' CommonJS bundle
 * (same version, depending on tfjs-core alone) carries tfjs-core's gradient definitions and
 * registers every one of them in tfjs-core's global registry when it loads, so it is loaded for that
 * side effect. It replaces the `@tensorflow/tfjs` meta package, which did the same but also
 * installs core-js (an npm install script), tfjs-data and the WebGL backend; see
 * tests/install_test.ts. The meta package also gave tensors their op methods (`x.reshape(s)`,
 * tfjs's "chained ops"); tfjs-core alone does not, in its types nor at run time, so the toolkit
 * calls the functions (`tf.reshape(x, s)`).
 *
 * @module
 */

import "@tensorflow/tfjs-layers";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";

// The cpu backend greets Node.js users once ("install our node backend to speed things up") on
// the first tensor each instance writes; the toolkit's own backend selection already says what is
// available, so the greeting is switched off for every instance: tfjs makes a new one whenever it
// initialises the backend (its first op, or after `removeBackend`), so a flag set on one
// instance is lost. The constructor's `this.firstUse = true` goes through this setter.
Object.defineProperty(MathBackendCPU.prototype, "firstUse", {
  get: () => false,
  set: () => {},
  configurable: true,
});

export * from "@tensorflow/tfjs-core";
