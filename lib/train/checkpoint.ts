/**
 * Saving and loading models and training state.
 *
 * A model folder holds `model.json` (format, which model it is, its configuration, calibration and
 * a tfjs-style weights manifest) and `weights.bin` (float32, little-endian, in manifest order; a
 * shipped model may store float16, the manifest's `dtype` says which, read back as float32); a training checkpoint
 * adds `optimizer.json` + `optimizer.bin` (Adam moments) and `trainer.json` (epoch, history).
 * Model files are data: loading parses JSON and reads floats, nothing in them is ever executed.
 * Folders are replaced atomically (see {@link replaceFolderAtomic}).
 *
 * @module
 */

import { join } from "@std/path";
import type { AnomalyModel, NamedTensors } from "../models/anomaly_model.ts";
import { DEFAULT_MODEL, modelFromTensors } from "../models/registry.ts";
import type { Calibration } from "../score/calibrate.ts";
import type { Adam, AdamState } from "./adam.ts";
import { recoverFolder, replaceFolderAtomic } from "../util/atomic.ts";
import { readJsonIfPresent } from "../util/json.ts";
import type { EmaState } from "./ema.ts";

/** The model file format this version writes and reads. */
export const MODEL_FORMAT = "edegan-model";
/** Its version; a file of another version is refused with a clear error. */
export const MODEL_FORMAT_VERSION = 1;

/** How weights are stored in `weights.bin`: float32, or float16 (shipped models, half the bytes). */
export type WeightDtype = "float32" | "float16";

interface WeightEntry {
  name: string;
  shape: number[];
  dtype: WeightDtype;
}

interface ModelJson {
  format: string;
  formatVersion: number;
  /** The model's registered name; absent in files written before models had names (EDE-GAN). */
  model?: string;
  config: Record<string, unknown>;
  calibration?: Calibration;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

/** A loaded model with what was saved beside it. */
export interface LoadedModel<M extends AnomalyModel = AnomalyModel> {
  model: M;
  calibration?: Calibration;
  /** Present when the generator is an average (`--ema`): its decay and updates. */
  ema?: { decay: number; updates: number };
}

/** Training state saved beside a model, enough to resume exactly. */
export interface TrainerState {
  /** The last finished epoch (1-based). */
  epoch: number;
  /** Optimisation steps done. */
  step: number;
  /** Anything the trainer needs back (history, timings). */
  extra: Record<string, unknown>;
}

/**
 * Writes a model (and optionally optimiser and trainer state) to `dir`, atomically replacing what
 * was there. A model with a NaN or infinite weight is refused (an error naming the weight), so
 * that it never replaces a good checkpoint.
 *
 * @example
 * ```ts
 * import * as tf from "../tf.ts";
 * import { EdeGan } from "../models/ede_gan/mod.ts";
 * import { loadModel, saveModel } from "./checkpoint.ts";
 * await tf.setBackend("cpu");
 * const dir = await Deno.makeTempDir();
 * const model = EdeGan.create({ width: 2, latentSize: 4 }, 1);
 * await saveModel(`${dir}/model`, model);
 * const { model: again } = await loadModel(`${dir}/model`);
 * if (again.name !== "ede-gan") throw new Error("model.json records the model");
 * again.dispose();
 * model.dispose();
 * ```
 */
export async function saveModel(
  dir: string,
  model: AnomalyModel,
  opts: {
    calibration?: Calibration;
    optimisers?: Record<string, Adam>;
    trainer?: TrainerState;
    /** An average of the generator's weights (`--ema`): `ema.json` + `ema.bin`. */
    ema?: EmaState;
    /**
     * How `weights.bin` stores the weights (default float32). float16 halves the bytes and rounds
     * each weight to 11 significant bits (relative error at most 2^-11); values beyond float16's
     * range (65504) are refused, naming the weight. A function chooses per weight (by name).
     * Training state is always float32.
     */
    dtype?: WeightDtype | ((name: string) => WeightDtype);
  } = {},
): Promise<void> {
  const tensors: NamedTensors = new Map();
  for (const [key, v] of model.variables) {
    const data = (await v.data()) as Float32Array;
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      // Writing it would replace the last good checkpoint with a model that cannot score.
      throw new Error(
        `${dir}: not saved, weight '${key}' holds ${data[bad]} at element ${bad}; ` +
          `what was saved there before is kept`,
      );
    }
    tensors.set(key, { shape: v.shape, data });
  }
  const optimiserStates = new Map<string, AdamState>();
  for (const [name, adam] of Object.entries(opts.optimisers ?? {})) {
    optimiserStates.set(name, await adam.state());
  }
  await replaceFolderAtomic(dir, async (tmp) => {
    const { manifest, bytes } = packTensors(tensors, opts.dtype ?? "float32", dir);
    const json: ModelJson = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      model: model.name,
      config: { ...model.config },
      ...(opts.calibration ? { calibration: opts.calibration } : {}),
      weightsManifest: [{ paths: ["weights.bin"], weights: manifest }],
    };
    await Deno.writeTextFile(join(tmp, "model.json"), JSON.stringify(json, null, 2));
    await Deno.writeFile(join(tmp, "weights.bin"), bytes);
    if (optimiserStates.size > 0) {
      const flat: NamedTensors = new Map();
      const steps: Record<string, number> = {};
      for (const [name, state] of optimiserStates) {
        steps[name] = state.step;
        for (const [key, { m, v, shape }] of state.moments) {
          flat.set(`${name}/${key}/m`, { shape, data: m });
          flat.set(`${name}/${key}/v`, { shape, data: v });
        }
      }
      const packed = packTensors(flat);
      await Deno.writeTextFile(
        join(tmp, "optimizer.json"),
        JSON.stringify({ steps, weights: packed.manifest }),
      );
      await Deno.writeFile(join(tmp, "optimizer.bin"), packed.bytes);
    }
    if (opts.trainer) {
      await Deno.writeTextFile(join(tmp, "trainer.json"), JSON.stringify(opts.trainer));
    }
    if (opts.ema) {
      const packed = packTensors(opts.ema.tensors);
      await Deno.writeTextFile(
        join(tmp, "ema.json"),
        JSON.stringify({
          decay: opts.ema.decay,
          updates: opts.ema.updates,
          weights: packed.manifest,
        }),
      );
      await Deno.writeFile(join(tmp, "ema.bin"), packed.bytes);
    }
  });
}

/**
 * The generator average saved by {@link saveModel} in `dir` (`ema.json` + `ema.bin`), or `null`
 * when there is none; damaged files are errors naming them.
 */
export async function loadEmaState(dir: string): Promise<EmaState | null> {
  const jsonPath = join(dir, "ema.json");
  try {
    await Deno.stat(jsonPath);
  } catch {
    return null;
  }
  const json = await readJson(jsonPath) as {
    decay: number;
    updates: number;
    weights: WeightEntry[];
  };
  if (typeof json.decay !== "number" || !Number.isInteger(json.updates)) {
    throw new Error(`${jsonPath}: expected a numeric 'decay' and an integer 'updates'`);
  }
  const tensors = await unpackTensors(join(dir, "ema.bin"), json.weights);
  return { decay: json.decay, updates: json.updates, tensors };
}

/**
 * Loads a model folder written by {@link saveModel}. A folder that is not one (missing files,
 * wrong format or version, wrong sizes or shapes, a weight or calibration value that is NaN or
 * infinite, a model name no model is registered under) gives an error naming the file and the
 * problem. The model is rebuilt by the name `model.json` records (see `lib/models/registry.ts`;
 * a file without one holds an EDE-GAN). A folder with a weight average (`ema.bin`, from `--ema`)
 * loads the averaged weights unless `weights: "live"`.
 */
export async function loadModel(
  dir: string,
  opts: { weights?: "averaged" | "live" } = {},
): Promise<LoadedModel> {
  await recoverFolder(dir);
  const jsonPath = join(dir, "model.json");
  const json = await readJson(jsonPath) as Partial<ModelJson>;
  if (json.format !== MODEL_FORMAT) {
    throw new Error(
      `${jsonPath}: not an edegan model (format '${json.format}', expected '${MODEL_FORMAT}')`,
    );
  }
  if (json.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new Error(
      `${jsonPath}: model format version ${json.formatVersion}, this edegan reads version ${MODEL_FORMAT_VERSION}`,
    );
  }
  if (!json.config || !Array.isArray(json.weightsManifest?.[0]?.weights)) {
    throw new Error(`${jsonPath}: missing 'config' or 'weightsManifest'`);
  }
  const calibration = json.calibration;
  if (calibration !== undefined) {
    for (const key of ["min", "max", "threshold"] as const) {
      if (typeof calibration[key] !== "number" || !Number.isFinite(calibration[key])) {
        throw new Error(
          `${jsonPath}: calibration.${key} is ${
            JSON.stringify(calibration[key])
          }, expected a finite number`,
        );
      }
    }
  }
  const tensors = await unpackTensors(join(dir, "weights.bin"), json.weightsManifest[0].weights);
  // A run trained with --ema scores with the averaged generator; resuming needs the live one.
  const ema = await loadEmaState(dir);
  if (ema && opts.weights !== "live") { for (const [key, t] of ema.tensors) tensors.set(key, t); }
  let model: AnomalyModel;
  try {
    model = modelFromTensors(json.model ?? DEFAULT_MODEL, json.config, tensors);
  } catch (error) {
    throw new Error(`${dir}: ${(error as Error).message}`);
  }
  return {
    model,
    calibration,
    ...(ema ? { ema: { decay: ema.decay, updates: ema.updates } } : {}),
  };
}

/**
 * Restores optimiser and trainer state saved by {@link saveModel} into existing optimisers; returns
 * the trainer state, or `null` when the folder holds no training state.
 */
export async function loadTrainingState(
  dir: string,
  optimisers: Record<string, Adam>,
): Promise<TrainerState | null> {
  const trainerPath = join(dir, "trainer.json");
  try {
    await Deno.stat(trainerPath);
  } catch {
    return null;
  }
  const trainer = await readJson(trainerPath) as TrainerState;
  const optJson = await readJson(join(dir, "optimizer.json")) as {
    steps: Record<string, number>;
    weights: WeightEntry[];
  };
  const flat = await unpackTensors(join(dir, "optimizer.bin"), optJson.weights);
  for (const [name, adam] of Object.entries(optimisers)) {
    const moments = new Map<string, { m: Float32Array; v: Float32Array; shape: number[] }>();
    for (const key of adam.variables.keys()) {
      const m = flat.get(`${name}/${key}/m`);
      const v = flat.get(`${name}/${key}/v`);
      if (!m || !v) throw new Error(`${dir}/optimizer.bin: no state for '${name}/${key}'`);
      moments.set(key, { m: m.data, v: v.data, shape: m.shape });
    }
    adam.restore({ step: optJson.steps[name] ?? 0, moments });
  }
  return trainer;
}

function packTensors(
  tensors: NamedTensors,
  dtype: WeightDtype | ((name: string) => WeightDtype) = "float32",
  where = "",
): { manifest: WeightEntry[]; bytes: Uint8Array } {
  const dtypeOf = typeof dtype === "function" ? dtype : () => dtype;
  const values = [...tensors.values()];
  const manifest: WeightEntry[] = [...tensors].map(([name, { shape }]) => ({
    name,
    shape,
    dtype: dtypeOf(name),
  }));
  const total = manifest.reduce((n, e, i) => n + values[i].data.length * BYTES[e.dtype], 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  manifest.forEach((entry, i) => {
    const { data } = values[i];
    // Float16Array rounds to nearest even on assignment (IEEE 754 binary16), as numpy's astype.
    const view = entry.dtype === "float16"
      ? new Float16Array(bytes.buffer, offset, data.length)
      : new Float32Array(data.length);
    view.set(data);
    if (entry.dtype === "float16") {
      const bad = view.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) {
        throw new Error(
          `${where}: not saved as float16, weight '${entry.name}' holds ${data[bad]} at element ` +
            `${bad}, beyond float16's range (65504); save it as float32`,
        );
      }
    } else bytes.set(new Uint8Array(view.buffer), offset);
    offset += data.length * BYTES[entry.dtype];
  });
  return { manifest, bytes };
}

async function unpackTensors(
  path: string,
  entries: WeightEntry[],
): Promise<NamedTensors> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(`${path}: cannot read (${(error as Error).message})`);
  }
  const sizes = entries.map((e) => {
    if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new Error(`${path}: bad shape for '${e.name}' in its manifest`);
    }
    if (e.dtype !== "float32" && e.dtype !== "float16") {
      throw new Error(`${path}: '${e.name}' is ${e.dtype}, expected float32 or float16`);
    }
    return e.shape.reduce((a, b) => a * b, 1);
  });
  const expected = sizes.reduce((a, b, i) => a + b * BYTES[entries[i].dtype], 0);
  if (bytes.byteLength !== expected) {
    throw new Error(`${path}: ${bytes.byteLength} bytes, expected ${expected} from the manifest`);
  }
  // Copied to an aligned buffer first: a float16 tensor may start at any even byte offset.
  const buffer = bytes.slice().buffer;
  const out: NamedTensors = new Map();
  let offset = 0;
  entries.forEach((e, i) => {
    const data = e.dtype === "float16"
      ? Float32Array.from(new Float16Array(buffer, offset, sizes[i]))
      : new Float32Array(buffer.slice(offset, offset + sizes[i] * 4));
    // A NaN weight makes every score NaN, which would read as "normal": refuse it here.
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(
        `${path}: '${e.name}' holds ${data[bad]} at element ${bad}; expected finite floats ` +
          `(the file is damaged, or was written by a run that diverged)`,
      );
    }
    out.set(e.name, { shape: e.shape, data });
    offset += sizes[i] * BYTES[e.dtype];
  });
  return out;
}

const BYTES: Record<WeightDtype, number> = { float32: 4, float16: 2 };

/** A checkpoint's JSON file; a missing one asks whether this is a model folder at all. */
async function readJson(path: string): Promise<unknown> {
  const value = await readJsonIfPresent(path);
  if (value === undefined) {
    throw new Error(`${path}: not found; is this a model folder written by edegan?`);
  }
  return value;
}
