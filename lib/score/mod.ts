/**
 * Scoring, model-agnostic: a model's anomaly scores over an image set (`scoreImages`), the
 * threshold calibrated on validation normals, a folder of images to score, the scores CSV, and a
 * run loaded back for scoring with its own data split (`loadScoringRun`), and data-parallel scoring
 * by a pool of single-threaded scorers in Deno Workers (`ScorerPool`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { calibrate } from "./mod.ts";
 * assertEquals(calibrate([0.1, 0.2, 0.3, 0.4], 0.25).count, 4);
 * ```
 *
 * @module
 */
export * from "./score.ts";
export * from "./calibrate.ts";
export * from "./images.ts";
export * from "./csv.ts";
export * from "./model_dir.ts";
export * from "./scores_output.ts";
export * from "./scoring_run.ts";
export * from "./scorer_pool.ts";
