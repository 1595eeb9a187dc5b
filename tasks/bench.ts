/**
 * `deno task bench`: run benchmark suites, print their tables, optionally write JSON.
 *
 * ```
 * deno task bench [--suite kernels|model|distill|all] [--backend NAME] [--peer] [--rounds N]
 *   [--json PATH]
 * ```
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { type BackendChoice, BACKENDS, parseBackendChoice } from "../lib/backend/select.ts";
import { type ModelRow, withPeak } from "../lib/bench/model.ts";
import "../lib/bench/model.ts";
import "../lib/bench/profile.ts";
import "../lib/bench/students.ts";
import { formatTable } from "../lib/cli/flags.ts";
import { describeMachine, getSuite, listSuites, SUITE_NAMES } from "../lib/bench/suites.ts";
import { peerRows } from "../lib/bench/peer.ts";
import { medianRows, roundsSummary } from "../lib/bench/rounds.ts";
import { prepareOutFile } from "../lib/util/out_dir.ts";
import { writeJsonAtomic } from "../lib/util/atomic.ts";
import { provenance } from "../lib/run/provenance.ts";

const STRING_FLAGS = ["suite", "json", "backend", "rounds"] as const;
const BOOLEAN_FLAGS = ["peer", "help"] as const;
const SUITE_CHOICES = [...SUITE_NAMES, "all"];

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { helpText } from "./bench.ts";
 * if (!helpText().includes("--suite")) throw new Error();
 * ```
 */
export function helpText(): string {
  // Names padded to the longest and two spaces, so that every description starts in one column.
  const pad = Math.max(...SUITE_NAMES.map((name) => name.length), "all".length) + 2;
  const suites = SUITE_NAMES.map((name) => {
    const suite = getSuite(name);
    return `  ${name.padEnd(pad)}${suite ? suite.description : "(not available yet)"}`;
  }).join("\n");
  return `Usage: deno task bench [flags]

Suites:
${suites}
  ${"all".padEnd(pad)}every available suite (default)

Flags:
  --suite NAME      ${SUITE_CHOICES.join(", ")} (default all)
  --backend NAME    auto (default; env EDEGAN_BACKEND), ${BACKENDS.join(", ")};
                    kernels: auto = cpu and wasm, cpu or wasm = only that one
  --peer            model suite: also time the same teacher in PyTorch at 1 and 2 threads
                    (bench/pytorch_peer.py; needs python3-torch) and print edegan's best
                    images/s over PyTorch's best
  --rounds N        model suite: run it (and the peer) N times in turn and report each
                    figure's median over the rounds with its range, and each ratio's
                    range round by round (default 1)
  --json PATH       also write the results as JSON to PATH (atomically)
  --help            show this text
`;
}

class UsageError extends Error {}

function parse(args: string[]) {
  const flags = parseArgs(args, {
    string: [...STRING_FLAGS],
    boolean: [...BOOLEAN_FLAGS],
    unknown: (arg: string) => {
      const name = arg.replace(/=.*$/, "");
      throw new UsageError(
        arg.startsWith("-")
          ? `unknown flag ${name}; accepted: ${
            [...STRING_FLAGS, ...BOOLEAN_FLAGS].map((f) => `--${f}`).join(", ")
          }`
          : `unexpected argument '${arg}'; bench takes flags only`,
      );
    },
  });
  const suite = flags.suite ?? "all";
  if (!SUITE_CHOICES.includes(suite)) {
    throw new UsageError(
      `--suite: unknown suite '${suite}'; accepted: ${SUITE_CHOICES.join(", ")}`,
    );
  }
  let backend: BackendChoice;
  try {
    backend = flags.backend === undefined
      ? parseBackendChoice(Deno.env.get("EDEGAN_BACKEND") ?? "auto", "EDEGAN_BACKEND")
      : parseBackendChoice(flags.backend, "--backend");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (flags.json === "") throw new UsageError("--json: needs a file path");
  if (flags.peer && suite !== "model" && suite !== "all") {
    throw new UsageError(`--peer: only the model suite has a PyTorch peer; got --suite ${suite}`);
  }
  const rounds = flags.rounds === undefined ? 1 : Number(flags.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new UsageError(`--rounds: expected a whole number >= 1, got '${flags.rounds}'`);
  }
  if (rounds > 1 && suite !== "model") {
    throw new UsageError(`--rounds: only the model suite repeats in rounds; got --suite ${suite}`);
  }
  return { help: flags.help, suite, backend, json: flags.json, peer: flags.peer, rounds };
}

/**
 * Runs the task with `args`; returns the exit code (0 ok, 1 failure, 2 bad usage).
 *
 * @example
 * ```ts
 * import { main } from "./bench.ts";
 * if (await main(["--suite", "nope"]) !== 2) throw new Error();
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let options;
  try {
    options = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n(deno task bench --help lists the flags)`);
    return 2;
  }
  if (options.help) {
    console.log(helpText());
    return 0;
  }
  const names = options.suite === "all" ? listSuites().map((s) => s.name) : [options.suite];
  const missing = names.filter((name) => getSuite(name) === undefined);
  if (missing.length > 0) {
    console.error(`bench: suite '${missing[0]}' is not available yet`);
    return 1;
  }
  if (options.json !== undefined) {
    // Checked before minutes of benchmarking, not after.
    try {
      await prepareOutFile(options.json, "--json");
    } catch (error) {
      console.error(`bench: ${(error as Error).message}`);
      return 2;
    }
  }
  const onProgress = (msg: string) => console.error(`  ${msg}`);
  const results: {
    suite: string;
    rows: Record<string, unknown>[];
    rounds?: Record<string, unknown>[][];
  }[] = [];
  let code = 0;
  try {
    for (const name of names) {
      const suite = getSuite(name)!;
      console.error(`bench: running suite '${name}'`);
      const rounds: Record<string, unknown>[][] = [];
      for (let round = 1; round <= options.rounds; round++) {
        if (options.rounds > 1) console.error(`bench: round ${round}/${options.rounds}`);
        let rows: Record<string, unknown>[];
        try {
          rows = await suite.run({ backend: options.backend, onProgress });
        } catch (error) {
          // The rounds before it are kept: their table and JSON, with the failure's exit code.
          if (rounds.length === 0) throw error;
          console.error(
            `bench: round ${round} failed (${(error as Error).message}); ` +
              `reporting the ${rounds.length} round(s) before it`,
          );
          code = 1;
          break;
        }
        if (name === "model" && options.peer) {
          // PyTorch after edegan, in the same process tree and table; its failure keeps edegan's rows.
          console.error("bench: running the PyTorch peer (bench/pytorch_peer.py)");
          try {
            const peer = await peerRows({ onProgress });
            if (peer.message) console.log(`bench: ${peer.message}`);
            const peak = (rows as unknown as ModelRow[]).find((r) => r.peak_gflops)?.peak_gflops;
            rows.push(...(withPeak(peer.rows, peak) as unknown as Record<string, unknown>[]));
          } catch (error) {
            console.error(`bench: --peer: ${(error as Error).message}`);
            code = 1;
          }
        }
        rounds.push(rows);
      }
      const modelRounds = rounds as unknown as ModelRow[][];
      const rows = rounds.length > 1
        ? medianRows(modelRounds) as unknown as Record<string, unknown>[]
        : rounds[0];
      const columns = rounds.length > 1
        ? [...suite.columns, "images_per_s_min", "images_per_s_max", "rounds"]
        : suite.columns;
      console.log(`\n# ${name}\n\n${formatTable(rows, columns, { digits: 2, empty: "" })}\n`);
      if (rounds.length > 1) {
        console.log(`(medians of ${rounds.length} rounds; images_per_s_min/max: their range)`);
      }
      for (const line of suite.summarize?.(rows) ?? []) console.log(line);
      if (name === "model") {
        for (const line of roundsSummary(modelRounds)) console.log(line);
      }
      results.push(
        rounds.length > 1 || options.rounds > 1
          ? { suite: name, rows, rounds }
          : { suite: name, rows },
      );
    }
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    return 1;
  }
  if (options.json !== undefined) {
    const machine = describeMachine();
    // Which code made the figures (a bench file is compared across commits): the commit and
    // dirty state of edegan's checkout, and the command, as a run's manifest records them.
    const { git, command, written } = provenance();
    const stamp = { git, command, written };
    const document = results.length === 1
      ? {
        suite: results[0].suite,
        machine,
        ...stamp,
        rows: results[0].rows,
        rounds: results[0].rounds,
      }
      : { suite: "all", machine, ...stamp, suites: results };
    await writeJsonAtomic(options.json, document);
    console.error(`bench: wrote ${options.json}`);
  }
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
