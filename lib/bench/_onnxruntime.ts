/**
 * onnxruntime-node for the `students` suite's ONNX rows: the loader and types of
 * `lib/export/onnx_runtime.ts` (loaded at run time, never in `deno.lock`; see there).
 *
 * @module
 */
export * from "../export/onnx_runtime.ts";
