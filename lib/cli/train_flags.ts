/**
 * `deno task train`'s command line, before any backend starts: its flags and defaults (the
 * preset's sizes; EDE-GAN's preset width and latent constraint only for EDE-GAN), the model kind
 * checked through the registry, `--bn-stats` checked against that model, and the run's options.
 * The task and the campaign runner (`deno task sweep --spec`, which checks every job's flags
 * before any job starts) read a command line the same way, here.
 *
 * @module
 */

import { type ParsedFlags, parseFlags } from "./flags.ts";
import { trainOptionsFromFlags } from "./run_flags.ts";
import { preset, presetFromArgs } from "../run/presets.ts";
import { checkTrainOptions, type TrainRunOptions } from "../train/run.ts";
import {
  checkFinalScoring,
  checkModelKind,
  createModel,
  DEFAULT_MODEL,
  defaultFinalScoring,
} from "../models/registry.ts";

/** What a `deno task train` command line asks for, checked. */
export interface TrainCommand {
  /** The parsed flags (preset defaults filled in). */
  flags: ParsedFlags;
  /** The registered model (`--model-kind`). */
  modelKind: string;
  /** The run folder (`--out`, or a default from the model, dataset, class and seed). */
  out: string;
  /** The run's options, all but the backend and progress. */
  options: TrainRunOptions;
}

const DESCRIPTION =
  "Train a model on one class (one-class protocol: that class is normal): --model-kind\n" +
  "ede-gan (default) or another registered model; --width and --preset sizes are EDE-GAN's.\n" +
  "--bn-stats: how the final metrics normalise (default auto at --batch-size 1, moving above);\n" +
  "`deno task score` scores the run with the same statistics unless given --bn-stats.";

/**
 * Reads `deno task train`'s arguments: unknown flags, bad values, an unknown `--model-kind` and a
 * `--bn-stats` the model cannot score with are errors naming the flag (and the model). Returns
 * `null` after printing the help for `--help`. Touches no file and starts no backend.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseTrainCommand } from "./train_flags.ts";
 * const command = parseTrainCommand(["--model-kind", "deep-svdd", "--normal", "3"])!;
 * assertEquals([command.modelKind, command.options.bnStats, command.out],
 *   ["deep-svdd", "moving", "runs/train-deep-svdd-mnist-3-s0"]);
 * assertThrows(() => parseTrainCommand(["--model-kind", "deep-svdd", "--bn-stats", "per-image"]),
 *   Error, "--bn-stats per-image: a 'deep-svdd' model is scored");
 * ```
 */
export function parseTrainCommand(args: string[]): TrainCommand | null {
  const presetName = presetFromArgs(args);
  const p = preset(presetName);
  const flags = parseFlags(
    "train",
    args,
    {
      dataset: "mnist",
      "data-dir": undefined,
      normal: 1,
      protocol: "one-class",
      epochs: p.epochs,
      "batch-size": p.batchSize,
      seed: 0,
      "model-kind": DEFAULT_MODEL,
      width: undefined,
      latent: undefined,
      limit: p.limit,
      "test-limit": p.testLimit,
      backend: "auto",
      threads: undefined,
      out: undefined,
      resume: false,
      restart: false,
      preset: presetName,
      report: true,
      ema: p.ema ?? "off",
      "bn-stats": undefined,
    },
    DESCRIPTION,
  );
  if (flags === null) return null;
  const modelKind = checkModelKind(flags["model-kind"] as string);
  // The presets' widths and latent constraint are EDE-GAN's; another model takes only the flags.
  if (modelKind === DEFAULT_MODEL) {
    flags.width ??= p.width;
    flags.latent ??= "tanh";
  }
  const out = (flags.out as string | undefined) ??
    (modelKind === DEFAULT_MODEL
      ? `runs/train-${flags.dataset}-${flags.normal}-w${flags.width}-s${flags.seed}`
      : `runs/train-${modelKind}-${flags.dataset}-${flags.normal}-s${flags.seed}`);
  const asked = flags["bn-stats"] as string | undefined;
  if (asked !== undefined) checkFinalScoring(modelKind, asked);
  // The model's own default (a model without BatchNorm modes of its own: moving statistics).
  const bnStats = asked ?? defaultFinalScoring(modelKind, flags["batch-size"] as number);
  return {
    flags,
    modelKind,
    out,
    options: {
      ...trainOptionsFromFlags(flags),
      modelKind,
      bnStats,
      out,
      resume: flags.resume as boolean,
      restart: flags.restart as boolean,
    },
  };
}

/**
 * Checks a `deno task train` command line as far as it can be without its data: everything
 * {@link parseTrainCommand} checks, the training options (`--epochs`, `--batch-size`, `--ema`),
 * and the model's own settings (`--width`, `--latent`, ...) by making the model once, for 32x32
 * grey images, on the current tfjs backend, and disposing of it. Throws the error the task would
 * throw, naming the flag (Deep SVDD's refusals also name the model kind).
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { checkTrainCommand } from "./train_flags.ts";
 * checkTrainCommand(["--model-kind", "deep-svdd", "--epochs", "1"]);
 * assertThrows(() => checkTrainCommand(["--model-kind", "deep-svdd", "--latent", "tanh"]), Error,
 *   "--latent tanh: a deep-svdd model has no latent constraint");
 * ```
 */
export function checkTrainCommand(args: string[]): void {
  const command = parseTrainCommand(args.filter((a) => a !== "--help"));
  if (command === null) return;
  const { options } = command;
  checkTrainOptions(options);
  if (options.resume && options.restart) {
    throw new Error("--restart and --resume: give one (start the run over, or continue it)");
  }
  createModel(command.modelKind, options.model ?? {}, { imageSize: 32, channels: 1 }, options.seed)
    .dispose();
}
