/**
 * Shipped models: trained teachers and students committed with the project under `models/`, one
 * folder per model laid out like a run (`run.json`, `model/`, `scores.csv`) and listed in
 * `models/index.json`. Every loader that takes a run or model folder takes `shipped:NAME` too
 * (`--model shipped:mnist-2`), through `resolveModelDir`.
 *
 * @module
 */

import { fromFileUrl, join } from "@std/path";
import { readJsonIfPresent } from "../util/json.ts";

/** The prefix of a shipped model's name wherever a run or model folder is expected. */
export const SHIPPED_PREFIX = "shipped:";

/** The format tag of `models/index.json`. */
export const SHIPPED_INDEX_FORMAT = "edegan-shipped-models";

/** One shipped model, as `models/index.json` lists it. */
export interface ShippedModel {
  /** Its name: `shipped:<name>` loads it, `models/<name>/` holds it. */
  name: string;
  /** A teacher (a `deno task train` run) or a student (a `deno task distill` job). */
  role: "teacher" | "student";
  dataset: string;
  normalClass: number;
  protocol: string;
  imageSize: number;
  channels: number;
  width: number;
  latentSize: number;
  /** `tanh` or `none`. */
  latent: string;
  /** Parameters of the generator (the scoring path E1 -> Dec -> E2). */
  params: number;
  /**
   * How `weights.bin` stores the weights: `float16`, `mixed` (scoring path float32, discriminator
   * float16) or `float32`.
   */
  dtype: "float16" | "mixed" | "float32";
  /** Bytes the model's folder adds to the repository. */
  bytes: number;
  /** Test ROC AUC of the committed `scores.csv`. */
  auc: number;
  /** The calibrated threshold (latent score, in the `bnStats` mode) stored with the model. */
  threshold: number;
  /**
   * The BatchNorm statistics its scores, AUC and threshold were computed with, as its `run.json`
   * records them (`scoring.bnStats`): the moving averages, or each image's own (`per-image`);
   * absent in entries written before it was recorded, which are all `moving`.
   */
  bnStats?: "moving" | "per-image";
  /** Largest |score - committed score| over the test set when it was packed. */
  scoresMaxAbsDiff: number;
  /** How it was trained: the run manifest's training settings, or the student's method. */
  training: Record<string, unknown>;
  /** The folder it was packed from. */
  source: string;
}

/** `models/index.json`. */
export interface ShippedIndex {
  format: typeof SHIPPED_INDEX_FORMAT;
  models: ShippedModel[];
}

/**
 * The folder of shipped models: `$EDEGAN_MODELS`, else `models/` of this checkout.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shippedModelsDir } from "./shipped.ts";
 * assertEquals(shippedModelsDir().endsWith("models"), true);
 * ```
 */
export function shippedModelsDir(): string {
  return Deno.env.get("EDEGAN_MODELS") || repositoryModelsDir();
}

/**
 * This checkout's own `models/` folder (the one the repository's README lists), whatever
 * `EDEGAN_MODELS` says; `models` relative to the working directory where the code was not loaded
 * from files.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { repositoryModelsDir } from "./shipped.ts";
 * assertEquals(repositoryModelsDir().endsWith("models"), true);
 * ```
 */
export function repositoryModelsDir(): string {
  const url = new URL("../../models", import.meta.url);
  return url.protocol === "file:" ? fromFileUrl(url) : "models";
}

/**
 * Where a task writes what it derives from a model (`--model`, resolved to `modelDir`): beside
 * the run, or for a shipped model (committed under `models/`, which stays as committed)
 * `runs/<task>-<name>`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { derivedOutputDir } from "./shipped.ts";
 * assertEquals(derivedOutputDir("shipped:mnist-2", "models/mnist-2/model", "score"), "runs/score-mnist-2");
 * assertEquals(derivedOutputDir("runs/t", "runs/t/model", "score"), "runs/t");
 * ```
 */
export function derivedOutputDir(model: string, modelDir: string, task: string): string {
  return model.startsWith(SHIPPED_PREFIX)
    ? join("runs", `${task}-${model.slice(SHIPPED_PREFIX.length)}`)
    : join(modelDir, "..");
}

/**
 * The shipped models listed in `dir/index.json` (default {@link shippedModelsDir}); none when there
 * is no index. A damaged index is an error naming it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readShippedIndex } from "./shipped.ts";
 * assertEquals((await readShippedIndex(await Deno.makeTempDir())).models, []);
 * ```
 */
export async function readShippedIndex(dir: string = shippedModelsDir()): Promise<ShippedIndex> {
  const path = join(dir, "index.json");
  const index = await readJsonIfPresent(path) as ShippedIndex | undefined;
  if (index === undefined) return { format: SHIPPED_INDEX_FORMAT, models: [] };
  if (index?.format !== SHIPPED_INDEX_FORMAT || !Array.isArray(index.models)) {
    throw new Error(`${path}: expected {"format": "${SHIPPED_INDEX_FORMAT}", "models": [...]}`);
  }
  return index;
}

/**
 * The run folder of a shipped model named `shipped:NAME` (or `NAME`); an error naming `flag` and
 * the models that are shipped when there is no such model.
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { shippedRunDir } from "./shipped.ts";
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => shippedRunDir("shipped:no-such", dir), Error, "none is shipped there");
 * ```
 */
export async function shippedRunDir(
  ref: string,
  dir: string = shippedModelsDir(),
  flag = "--model",
): Promise<string> {
  const name = ref.startsWith(SHIPPED_PREFIX) ? ref.slice(SHIPPED_PREFIX.length) : ref;
  const index = await readShippedIndex(dir);
  if (!index.models.some((m) => m.name === name)) {
    const names = index.models.map((m) => m.name);
    throw new Error(
      `${flag} ${SHIPPED_PREFIX}${name}: no shipped model of that name in ${dir}/index.json; ` +
        (names.length > 0 ? `shipped: ${names.join(", ")}` : "none is shipped there"),
    );
  }
  return join(dir, name);
}

/** What a shipped teacher must match to stand in for one trained now. */
export interface TeacherQuery {
  dataset: string;
  normalClass: number;
  protocol: string;
  latent: string;
  /** Settings given explicitly (flags): each must equal the shipped teacher's. */
  width?: number;
  epochs?: number;
  batchSize?: number;
  ema?: number | string;
}

/**
 * The shipped teacher that matches `query`, or the reason none does (for a log line).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { findShippedTeacher } from "./shipped.ts";
 * const found = await findShippedTeacher(
 *   { dataset: "mnist", normalClass: 7, protocol: "one-class", latent: "tanh" },
 *   await Deno.makeTempDir(),
 * );
 * assertEquals("reason" in found, true);
 * ```
 */
export async function findShippedTeacher(
  query: TeacherQuery,
  dir: string = shippedModelsDir(),
): Promise<{ model: ShippedModel; runDir: string } | { reason: string }> {
  const index = await readShippedIndex(dir);
  const what =
    `${query.dataset} class ${query.normalClass} (${query.protocol}, latent ${query.latent})`;
  const candidates = index.models.filter((m) =>
    m.role === "teacher" && m.dataset === query.dataset &&
    m.normalClass === query.normalClass && m.protocol === query.protocol &&
    m.latent === query.latent
  );
  if (candidates.length === 0) return { reason: `no shipped teacher for ${what}` };
  const differences: string[] = [];
  for (const m of candidates) {
    const theirs: Record<string, unknown> = {
      width: m.width,
      epochs: m.training.epochs,
      batchSize: m.training.batchSize,
      ema: m.training.ema ?? "off",
    };
    const off = (["width", "epochs", "batchSize", "ema"] as const)
      .filter((k) => query[k] !== undefined && String(query[k]) !== String(theirs[k]))
      .map((k) => `${k} ${theirs[k]} (asked ${query[k]})`);
    if (off.length === 0) return { model: m, runDir: join(dir, m.name) };
    differences.push(`${m.name}: ${off.join(", ")}`);
  }
  return { reason: `the shipped teacher of ${what} differs: ${differences.join("; ")}` };
}
