/**
 * onnxruntime-node, the tests' reference runtime for exported ONNX models, loaded at run time by a
 * specifier Deno's module graph cannot see: the package is 288 MB, and an import map entry, a
 * literal import or an entry in `deno.lock` would make every user's first `deno task` install it.
 * `deno task test` therefore runs the tests against a copy of the lock; `deno test` run by hand
 * adds the package to `deno.lock`, which is then not to be committed (`git checkout deno.lock`).
 *
 * @module
 */

/** The part of onnxruntime-node's API the tests use. */
export interface OnnxRuntime {
  InferenceSession: {
    create(model: string | Uint8Array): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
}

const SPECIFIER = ["npm:onnxruntime-node", "1.30.0"].join("@");

/** Imports onnxruntime-node 1.30.0 (downloaded from npm on first use). */
export async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  return await import(SPECIFIER) as OnnxRuntime;
}
