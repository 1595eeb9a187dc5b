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
import { loadPlugins } from "../util/plugins.ts";

/** How a flag's value is read. */
export type FlagKind = "string" | "integer" | "number" | "boolean";

/** One flag of the shared vocabulary. */
export interface FlagSpec {
  kind: FlagKind;
  help: string;
  /** Accepted values, for string flags with a fixed set (the union over the tasks). */
  choices?: readonly string[];
  /**
   * The values a task accepts, by task name, where it takes fewer than `choices`: those are what
   * its `--help` lists and what it checks.
   */
  taskChoices?: Readonly<Record<string, readonly string[]>>;
  /** What a value means, shown in the help of the tasks that take it. */
  choiceHelp?: Readonly<Record<string, string>>;
  /** Where to turn instead, by value, when a task does not take a value of `choices`. */
  choiceNotes?: Readonly<Record<string, string>>;
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
    help: "class index: normal (one-class) or anomalous (leave-one-out); 0 with --dataset folder",
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
  "model-kind": {
    kind: "string",
    help: "the model to train, by its name in lib/models/registry.ts: ede-gan (default) or " +
      "deep-svdd, and any added there",
  },
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
    help: "CPU threads of the onednn backend; wins over OMP_NUM_THREADS (default: " +
      "OMP_NUM_THREADS if set, else every core)",
    min: 1,
    env: "EDEGAN_THREADS",
  },
  "workers": {
    kind: "integer",
    help: "scorers at once, each a worker with the model on one thread, each scoring a slice of " +
      "the images (ScorerPool; for small students on several cores; default 1: one scorer)",
    min: 1,
  },
  "out": {
    kind: "string",
    help: "where the task writes: a run folder (train, distill, ...), a scores CSV or a folder " +
      "for it (score), the export folder (export)",
  },
  "resume": {
    kind: "boolean",
    help: "continue the run in --out from its last finished epoch (no checkpoint there: train " +
      "from the start, saying so)",
  },
  "restart": {
    kind: "boolean",
    help: "start the run in --out over, discarding its checkpoint (damaged, or of other settings)",
  },
  "model": {
    kind: "string",
    help: "a saved run or model directory to load, or a shipped model (shipped:NAME)",
  },
  "split": { kind: "string", help: "which split to use", choices: ["train", "val", "test"] },
  "preset": {
    kind: "string",
    help: "size of the run",
    choices: ["quick", "paper", "ci"],
    env: "EDEGAN_PRESET",
  },
  "json": { kind: "string", help: "also write machine-readable output to this path" },
  "suite": { kind: "string", help: "benchmark suite" },
  "shard": { kind: "string", help: "run the i-th of n disjoint parts of a sweep, as i/n" },
  "only": {
    kind: "string",
    help: "run just the campaign jobs whose ids match, as ids or globs, comma-separated",
  },
  "status": {
    kind: "boolean",
    help: "say where each campaign job stands (landed, finished, running, left unfinished, to " +
      "run), reading its files; runs nothing",
  },
  "spec": {
    kind: "string",
    help:
      "a campaign spec file (JSON): jobs, their flags, where they land (results/*/campaign.json)",
  },
  "run": {
    kind: "string",
    help: "a run directory; eval and report: or a shipped model (shipped:NAME); eval: or a " +
      "scores CSV, or the folder deno task score wrote",
  },
  "images": { kind: "string", help: "a folder of images to score" },
  "students": {
    kind: "string",
    help: "comma-separated students, each smaller than its teacher: widths (8), width x latent " +
      "(3x32) or ratios (311:1: the nearest student; warned over 10 % off, refused beyond a factor " +
      "of 2)",
  },
  "teacher-width": { kind: "integer", help: "width of the teacher to train", min: 1 },
  "distill-epochs": {
    kind: "string",
    help: "epochs of distillation step 1 (frozen teacher) and step 2 (joint), as S1,S2",
  },
  "student-latent": {
    kind: "string",
    help: "latent size of a student named by a ratio: shrink (below the teacher's where that " +
      "fits the ratio better) or keep (the teacher's; the width alone is found for the ratio)",
    choices: ["shrink", "keep"],
  },
  "kd-weights": {
    kind: "string",
    help: "weights of the distillation loss K's terms z1,x,z2 (latent, image, reconstructed " +
      "latent), e.g. 1,50,1 for the image term on the contextual loss's scale",
  },
  "stage1": {
    kind: "string",
    help: "P-KDGAN's stage 1: kd (K alone, teacher frozen) or kd-gan (K plus the student's GAN " +
      "losses)",
    choices: ["kd-gan", "kd"],
  },
  "init": {
    kind: "string",
    help: "student initialisation",
    choices: ["random", "teacher", "both"],
  },
  "methods": { kind: "string", help: "comma-separated: scratch, one-step, joint, pkdgan" },
  "report": { kind: "boolean", help: "write report.html at the end (--no-report to skip)" },
  "check": {
    kind: "boolean",
    help: "check, writing nothing: fail on any error output (notebooks), on a stale file (results)",
  },
  "score-kind": {
    kind: "string",
    help: "what the score measures, one of the model's (default: its own; EDE-GAN: latent, z vs " +
      "z_hat; reconstruction, L1 x vs x_hat; features, D's)",
  },
  "bn-stats": {
    kind: "string",
    help: "BatchNorm statistics at scoring",
    choices: ["auto", "moving", "recomputed", "per-image", "all", "run"],
    // train and distill score the final model with one mode, score one run with one mode (its
    // own by default), study score compares them all.
    taskChoices: {
      train: ["auto", "moving", "recomputed", "per-image"],
      distill: ["auto", "moving", "recomputed", "per-image"],
      score: ["auto", "moving", "recomputed", "per-image", "run"],
      "study score": ["auto", "moving", "recomputed", "per-image", "all"],
    },
    choiceHelp: {
      auto: "chosen on the validation normals",
      run: "the run's own, as its run.json",
      all: "each mode, side by side",
    },
    choiceNotes: {
      all: "all compares the modes: `deno task study score --model RUN`",
      run: "run scores a trained run with its own statistics: `deno task score --model RUN`",
    },
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
  "format": {
    kind: "string",
    help: "export format: tfjs (TF.js graph model) or onnx",
    choices: ["tfjs", "onnx"],
  },
  "port": {
    kind: "integer",
    help: "port to serve on, on 127.0.0.1 (0: any free port)",
    min: 0,
    max: 65535,
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
  "list": {
    kind: "boolean",
    help: "list the shipped models (models/index.json: name, role, class, size, test AUC) and " +
      "pack nothing",
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
 * Returns `null` after printing help when `--help` was given. `help` gives a flag this task's own
 * help line where the vocabulary's would mislead (distill's `--epochs` are its teacher's).
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
  help: Record<string, string> = {},
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
    const near = nearestFlag(unknown[0], accepted);
    throw new Error(
      `${task}: unknown flag ${unknown[0]}` + (near ? ` (did you mean --${near}?)` : "") +
        `; accepted: ${accepted.map((n) => `--${n}`).join(", ")}`,
    );
  }
  if (raw.help) {
    console.log(helpText(task, description, accepted, defaults, help));
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
    out[name] = checkValue(task, name, spec, String(value), spec.env && raw[name] === undefined);
  }
  // A folder's only class is 0 (normal), so `--dataset folder` needs no `--normal`.
  if (accepted.includes("normal") && out.dataset === "folder" && raw.normal === undefined) {
    out.normal = 0;
  }
  return out;
}

/**
 * The accepted flag an unknown one was probably meant to be: one that starts with it or it with
 * one (`--epoch` for `--epochs`), or within two edits of it (`--bacth-size`); `undefined` when none
 * is that close.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nearestFlag } from "./flags.ts";
 * assertEquals(nearestFlag("--epoch=1", ["epochs", "seed"]), "epochs");
 * assertEquals(nearestFlag("--bacth-size", ["batch-size", "seed"]), "batch-size");
 * assertEquals(nearestFlag("--colour", ["epochs", "seed"]), undefined);
 * ```
 */
export function nearestFlag(arg: string, accepted: readonly string[]): string | undefined {
  return nearestName(
    arg.replace(/^-+(no-)?/, "").split("=")[0],
    accepted.filter((n) => n !== "help"),
  );
}

/**
 * The one of `names` that `given` was probably meant to be: one that starts with it or it with
 * one (within two more characters), or within two edits of it; `undefined` when none is. For the
 * "did you mean" of a mistyped value or command.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { nearestName } from "./flags.ts";
 * assertEquals(nearestName("mnsit", ["mnist", "cifar10"]), "mnist");
 * assertEquals(nearestName("svhn", ["mnist", "cifar10"]), undefined);
 * ```
 */
export function nearestName(given: string, names: readonly string[]): string | undefined {
  if (given === "") return undefined;
  const distance = (a: string, b: string) => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) {
        next[j] = Math.min(
          row[j] + 1,
          next[j - 1] + 1,
          row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
      }
      row = next;
    }
    return row[b.length];
  };
  const scored = names
    .map((name) => ({
      name,
      d: name.startsWith(given) || (given.startsWith(name) && given.length <= name.length + 2)
        ? 0.5
        : distance(given, name),
    }))
    .filter(({ d }) => d <= 2)
    .sort((a, b) => a.d - b.d);
  return scored[0]?.name;
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

/** The values `task` accepts for a flag: its own where the flag names them, else all. */
function choicesOf(task: string, spec: FlagSpec): readonly string[] | undefined {
  return spec.taskChoices?.[task] ?? spec.choices;
}

function checkValue(
  task: string,
  name: string,
  spec: FlagSpec,
  text: string,
  fromEnv: unknown,
): string | number {
  const where = fromEnv ? `${spec.env} (default of --${name})` : `--${name}`;
  const choices = choicesOf(task, spec);
  if (spec.kind === "string") {
    if (choices && !choices.includes(text)) {
      // A value of the vocabulary that this task does not take says where it is taken; a typo
      // gets the nearest accepted value.
      const other = spec.choices?.includes(text);
      const near = other ? undefined : nearestName(text, choices);
      const note = other ? spec.choiceNotes?.[text] : undefined;
      throw new Error(
        `${where}: '${text}' is not one of ${choices.join(", ")}` + (other ? ` for ${task}` : "") +
          (note ? ` (${note})` : "") + (near ? ` (did you mean ${near}?)` : ""),
      );
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
 * The `--help` text of a task: each flag's help line (`help`'s for this task where given, else the
 * vocabulary's), choices, default and environment variable.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { helpText } from "./flags.ts";
 * assertStringIncludes(helpText("eval", "Metrics.", ["model"], {}), "--model");
 * assertStringIncludes(helpText("distill", "", ["epochs"], { epochs: 2 },
 *   { epochs: "the teacher's epochs" }), "the teacher's epochs [default: 2]");
 * ```
 */
export function helpText(
  task: string,
  description: string,
  accepted: string[],
  defaults: Record<string, unknown>,
  help: Record<string, string> = {},
): string {
  const lines = [`deno task ${task} [flags]`, "", description, "", "Flags:"];
  for (const name of accepted) {
    const spec = FLAGS[name];
    const accepted = choicesOf(task, spec);
    const meanings = (accepted ?? []).filter((c) => spec.choiceHelp?.[c])
      .map((c) => `${c}: ${spec.choiceHelp![c]}`);
    const choices = accepted
      ? ` (${accepted.join(" | ")}${meanings.length > 0 ? `; ${meanings.join("; ")}` : ""})`
      : "";
    const def = defaults[name] !== undefined ? ` [default: ${defaults[name]}]` : "";
    const env = spec.env ? ` [env: ${spec.env}]` : "";
    lines.push(`  --${name.padEnd(12)} ${help[name] ?? spec.help}${choices}${def}${env}`);
  }
  return lines.join("\n");
}

/**
 * Runs a task's main function, printing an error's message (not its stack) and exiting 2 on
 * failure, as a command-line tool should. The modules of `EDEGAN_PLUGINS` are imported first
 * (`../util/plugins.ts`: models and datasets registered outside the checkout).
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
    await loadPlugins();
    await main();
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    if (Deno.env.get("EDEGAN_DEBUG")) console.error(error);
    Deno.exit(2);
  }
}

/**
 * Formats rows as an aligned Markdown table (npm `markdown-table`, so that a table printed by a
 * task pastes into notes and READMEs as it is): numbers right-aligned, each column with as many
 * decimals as its values need, at most `digits` (default 4), so that 635.2 images per second print
 * as `635.2`, not `635.2000`, while AUCs keep 4; integers as they are; missing values shown as
 * `empty` (default "-").
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatTable } from "./flags.ts";
 * const text = formatTable([{ auc: 0.5, "img/s": 635.2 }, { auc: 0.25, "img/s": 10.6 }], undefined,
 *   { digits: 2 });
 * assertEquals(text.split("\n"), [
 *   "|  auc | img/s |",
 *   "| ---: | ----: |",
 *   "| 0.50 | 635.2 |",
 *   "| 0.25 |  10.6 |",
 * ]);
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
  // The fewest decimals (up to `digits`) that print a number exactly, per column the most of them.
  const decimalsOf = (v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || Number.isInteger(v)) return 0;
    for (let d = 1; d < digits; d++) if (Number(v.toFixed(d)) === v) return d;
    return digits;
  };
  const decimals = cols.map((c) => Math.max(0, ...rows.map((r) => decimalsOf(r[c]))));
  // A value too small for the column's decimals (a threshold of 2.657e-7) keeps 4 significant
  // digits instead of printing as 0.0000.
  const tiny = (v: number, i: number) => v !== 0 && Math.abs(v) < 0.5 * 10 ** -decimals[i];
  const cell = (v: unknown, i: number) =>
    typeof v === "number"
      ? (Number.isInteger(v) ? String(v) : tiny(v, i) ? v.toPrecision(4) : v.toFixed(decimals[i]))
      : v === undefined || v === null
      ? empty
      : String(v);
  const cells = rows.map((r) => cols.map((c, i) => cell(r[c], i)));
  // Numbers are right-aligned so that their digits line up.
  const numeric = cols.map((_, i) =>
    cells.every((r) => /^-?[\d.]+(e[-+]?\d+)?$/.test(r[i]) || r[i] === empty)
  );
  return markdownTable([cols, ...cells], { align: numeric.map((n) => (n ? "r" : "l")) });
}
