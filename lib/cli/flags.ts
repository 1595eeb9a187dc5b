/**
 * The one flag vocabulary of every `deno task` (see CLI.md): each task names the flags it takes,
 * and this module parses them, fills defaults, checks values and prints `--help`. Unknown flags and
 * bad values are errors that name the flag and what it accepts.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { markdownTable } from "markdown-table";
import { BACKENDS } from "../backend/names.ts";
import { DATASET_NAMES } from "../data/registry.ts";
import { PROTOCOLS } from "../data/types.ts";

/** How a flag's value is read. */
export type FlagKind = "string" | "integer" | "number" | "boolean";

/** One flag of the shared vocabulary. */
export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** Accepted values, for string flags with a fixed set. */
  choices?: readonly string[];
  /** Smallest accepted value, for numeric flags. */
  min?: number;
  /** Largest accepted value, for numeric flags. */
  max?: number;
  /** Environment variable that gives the default. */
  env?: string;
}

/**
 * Every flag any task takes, with its meaning (CLI.md). The choices of `--dataset`, `--protocol`
 * and `--backend` are taken from `DATASET_NAMES`, `PROTOCOLS` and `BACKENDS`, so that a new dataset
 * or backend is a flag value without an edit here. `--dataset`'s choices are the registry's own
 * array, so a dataset registered at run time (`registerDataset`) is accepted and listed too.
 */
export const FLAGS: Record<string, FlagSpec> = {
  "dataset": {
    kind: "string",
    get help() {
      return `dataset: ${DATASET_NAMES[0]} (built in), ${DATASET_NAMES.slice(1).join(", ")}`;
    },
    choices: DATASET_NAMES,
  },
  "data-dir": { kind: "string", help: "where the dataset's files are (overrides the default)" },
  "normal": {
    kind: "integer",
    help: "class index: normal (one-class) or anomalous (leave-one-out)",
    min: 0,
  },
  "protocol": {
    kind: "string",
    help: PROTOCOLS.join(" or "),
    choices: PROTOCOLS,
  },
  "epochs": { kind: "integer", help: "training epochs", min: 1 },
  "batch-size": { kind: "integer", help: "images per training step (the paper's best: 1)", min: 1 },
  "seed": { kind: "integer", help: "seed of initialisation, shuffling and splits", min: 0 },
  "width": { kind: "integer", help: "base channel width (teacher 64)", min: 1 },
  "latent": { kind: "string", help: "latent-space constraint", choices: ["tanh", "none"] },
  "limit": { kind: "integer", help: "use at most N training images", min: 1 },
  "test-limit": { kind: "integer", help: "score a stratified subset of N test images", min: 2 },
  "backend": {
    kind: "string",
    help: "tfjs backend",
    choices: ["auto", ...BACKENDS],
    env: "EDEGAN_BACKEND",
  },
  "threads": {
    kind: "integer",
    help: "CPU threads of the onednn backend (default: every core)",
    min: 1,
    env: "EDEGAN_THREADS",
  },
  "out": { kind: "string", help: "output directory of the run" },
  "resume": { kind: "boolean", help: "continue the run in --out from its last finished epoch" },
  "model": {
    kind: "string",
    help: "a saved run or model directory to load, or a shipped model (shipped:NAME)",
  },
  "split": { kind: "string", help: "which split to use", choices: ["train", "val", "test"] },
  "preset": {
    kind: "string",
    help: "size of the run",
    choices: ["quick", "paper"],
    env: "EDEGAN_PRESET",
  },
  "json": { kind: "string", help: "also write machine-readable output to this path" },
  "suite": { kind: "string", help: "benchmark suite" },
  "shard": { kind: "string", help: "run the i-th of n disjoint parts of a sweep, as i/n" },
  "run": { kind: "string", help: "a run directory" },
  "images": { kind: "string", help: "a folder of images to score" },
  "students": {
    kind: "string",
    help:
      "comma-separated students: widths (8), width x latent (3x32) or compression ratios (311:1)",
  },
  "teacher-width": { kind: "integer", help: "width of the teacher to train", min: 1 },
  "distill-epochs": {
    kind: "string",
    help: "epochs of distillation step 1 (frozen teacher) and step 2 (joint), as S1,S2",
  },
  "init": {
    kind: "string",
    help: "student initialisation",
    choices: ["random", "teacher", "both"],
  },
  "methods": { kind: "string", help: "comma-separated: scratch, one-step, joint, pkdgan" },
  "report": { kind: "boolean", help: "write report.html at the end (--no-report to skip)" },
  "check": { kind: "boolean", help: "fail on any error output" },
  "score-kind": {
    kind: "string",
    help:
      "what the score measures: latent (z vs z_hat), reconstruction (L1 x vs x_hat), features (D)",
    choices: ["latent", "reconstruction", "features"],
  },
  "bn-stats": {
    kind: "string",
    help: "BatchNorm statistics at scoring (auto: chosen on the validation normals)",
    choices: ["auto", "moving", "recomputed", "per-image", "all"],
  },
  "weights": {
    kind: "string",
    help: "which weights of a run trained with --ema: its averaged generator or its live weights",
    choices: ["averaged", "live"],
  },
  "ema": {
    kind: "string",
    help: "decay of an exponential moving average of the generator's weights, auto " +
      "(1 - 1/steps per epoch) or off",
  },
  "teacher": {
    kind: "string",
    help: "the distillation's teacher: the shipped one when it matches, else trained (shipped), " +
      "or always trained here (train)",
    choices: ["shipped", "train"],
  },
  "name": { kind: "string", help: "the name of a shipped model (models/NAME, shipped:NAME)" },
  "dtype": {
    kind: "string",
    help: "how a shipped model stores its weights: auto (float16 where its scores stay within " +
      "1e-4, else mixed), float16, mixed (scoring path float32, discriminator float16), float32",
    choices: ["auto", "float16", "mixed", "float32"],
  },
  "help": { kind: "boolean", help: "show this help" },
};

/** Parsed values: strings, numbers, booleans, by flag name. */
export interface ParsedFlags {
  /** Positional arguments. */
  _: string[];
  [flag: string]: string | number | boolean | undefined | string[];
}

/**
 * Parses `args` for a task that accepts `accepted` flags (plus `--help`), with `defaults`.
 * Returns `null` after printing help when `--help` was given.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const flags = parseFlags("train", ["--epochs", "3"], { epochs: 1, seed: 0 }, "Train.");
 * if (flags?.epochs !== 3 || flags.seed !== 0) throw new Error();
 * ```
 */
export function parseFlags(
  task: string,
  args: string[],
  defaults: Record<string, string | number | boolean | undefined>,
  description: string,
  extra: string[] = [],
): ParsedFlags | null {
  const accepted = [...new Set([...Object.keys(defaults), ...extra, "help"])];
  for (const name of accepted) {
    if (!(name in FLAGS)) throw new Error(`internal: flag --${name} is not in the vocabulary`);
  }
  const booleans = accepted.filter((n) => FLAGS[n].kind === "boolean");
  const strings = accepted.filter((n) => FLAGS[n].kind !== "boolean");
  const unknown: string[] = [];
  const raw = parseArgs(joinNegativeValues(args, strings), {
    boolean: booleans,
    // "_" keeps positional arguments as typed: a notebook named `01` is not the number 1.
    string: [...strings, "_"],
    negatable: booleans,
    // parseArgs sets every boolean it knows to false when absent, so defaults go in here.
    default: Object.fromEntries(booleans.map((n) => [n, Boolean(defaults[n] ?? false)])),
    unknown: (arg: string, key?: string) => {
      if (key !== undefined) unknown.push(arg);
      return key === undefined;
    },
  }) as Record<string, unknown> & { _: (string | number)[] };
  if (unknown.length > 0) {
    throw new Error(
      `${task}: unknown flag ${unknown[0]}; accepted: ${accepted.map((n) => `--${n}`).join(", ")}`,
    );
  }
  if (raw.help) {
    console.log(helpText(task, description, accepted, defaults));
    return null;
  }
  const out: ParsedFlags = { _: raw._.map(String) };
  for (const name of accepted) {
    if (name === "help") continue;
    const spec = FLAGS[name];
    let value: unknown = raw[name];
    if (spec.kind === "boolean") {
      out[name] = Boolean(value);
      continue;
    }
    if (value === undefined && spec.env) value = Deno.env.get(spec.env) || undefined;
    if (value === undefined) {
      out[name] = defaults[name];
      continue;
    }
    out[name] = checkValue(name, spec, String(value), spec.env && raw[name] === undefined);
  }
  return out;
}

/**
 * `--epochs -1` -> `--epochs=-1`: parseArgs reads a value that starts with `-` as a short flag
 * ("unknown flag -1"), whereas a negative number after a valued flag is that flag's (bad) value.
 */
function joinNegativeValues(args: string[], valued: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (
      name !== undefined && valued.includes(name) && next !== undefined &&
      /^-(\d|\.\d|Infinity)/.test(next)
    ) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

function checkValue(name: string, spec: FlagSpec, text: string, fromEnv: unknown): string | number {
  const where = fromEnv ? `${spec.env} (default of --${name})` : `--${name}`;
  if (spec.kind === "string") {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new Error(`${where}: '${text}' is not one of ${spec.choices.join(", ")}`);
    }
    if (text === "") throw new Error(`${where}: expected a value`);
    return text;
  }
  const value = Number(text);
  if (
    text.trim() === "" || !Number.isFinite(value) ||
    (spec.kind === "integer" && !Number.isInteger(value))
  ) {
    throw new Error(
      `${where}: expected ${spec.kind === "integer" ? "an integer" : "a number"}, got '${text}'`,
    );
  }
  if (spec.min !== undefined && value < spec.min) {
    throw new Error(`${where}: expected at least ${spec.min}, got ${value}`);
  }
  if (spec.max !== undefined && value > spec.max) {
    throw new Error(`${where}: expected at most ${spec.max}, got ${value}`);
  }
  return value;
}

/**
 * The `--help` text of a task.
 *
 * @example
 * ```ts
 * import { helpText } from "./flags.ts";
 * if (!helpText("eval", "Metrics.", ["model"], {}).includes("--model")) throw new Error();
 * ```
 */
export function helpText(
  task: string,
  description: string,
  accepted: string[],
  defaults: Record<string, unknown>,
): string {
  const lines = [`deno task ${task} [flags]`, "", description, "", "Flags:"];
  for (const name of accepted) {
    const spec = FLAGS[name];
    const choices = spec.choices ? ` (${spec.choices.join(" | ")})` : "";
    const def = defaults[name] !== undefined ? ` [default: ${defaults[name]}]` : "";
    const env = spec.env ? ` [env: ${spec.env}]` : "";
    lines.push(`  --${name.padEnd(12)} ${spec.help}${choices}${def}${env}`);
  }
  return lines.join("\n");
}

/**
 * Runs a task's main function, printing an error's message (not its stack) and exiting 2 on
 * failure, as a command-line tool should.
 *
 * @example
 * ```ts
 * import { runTask } from "./flags.ts";
 * let ran = false;
 * await runTask(async () => { ran = true; });
 * if (!ran) throw new Error("runTask did not run main");
 * ```
 */
export async function runTask(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (Deno.env.get("EDEGAN_DEBUG")) console.error(error);
    Deno.exit(2);
  }
}

/**
 * Formats rows as an aligned Markdown table (npm `markdown-table`, so that a table printed by a
 * task pastes into notes and READMEs as it is): numbers right-aligned with `digits` decimals
 * (default 4, integers as they are), missing values shown as `empty` (default "-").
 *
 * @example
 * ```ts
 * import { formatTable } from "./flags.ts";
 * const text = formatTable([{ name: "a", auc: 0.5 }], undefined, { digits: 2 });
 * if (text !== "| name |  auc |\n| :--- | ---: |\n| a    | 0.50 |") throw new Error(text);
 * ```
 */
export function formatTable(
  rows: Record<string, unknown>[],
  columns?: string[],
  opts: { digits?: number; empty?: string } = {},
): string {
  if (rows.length === 0) return "(no rows)";
  const { digits = 4, empty = "-" } = opts;
  const cols = columns ?? Object.keys(rows[0]);
  const cell = (v: unknown) =>
    typeof v === "number"
      ? (Number.isInteger(v) ? String(v) : v.toFixed(digits))
      : v === undefined || v === null
      ? empty
      : String(v);
  const cells = rows.map((r) => cols.map((c) => cell(r[c])));
  // Numbers are right-aligned so that their digits line up.
  const numeric = cols.map((_, i) => cells.every((r) => /^-?[\d.]+$/.test(r[i]) || r[i] === empty));
  return markdownTable([cols, ...cells], { align: numeric.map((n) => (n ? "r" : "l")) });
}
