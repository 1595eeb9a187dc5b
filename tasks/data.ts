/**
 * `deno task data`: list datasets, or download CIFAR-10.
 *
 * ```
 * deno task data list [--dataset NAME --data-dir DIR] [--json PATH]
 * deno task data cifar10 [--data-dir DIR] [--url URL] [--md5 HEX] [--keep-archive]
 * ```
 *
 * @module
 */

import { loadPlugins } from "../lib/util/plugins.ts";
import { parseArgs } from "@std/cli";
import { formatTable, nearestFlag, nearestName } from "../lib/cli/flags.ts";
import {
  CIFAR10_MD5,
  CIFAR10_URL,
  DATASET_NAMES,
  type DatasetName,
  defaultCifar10Dir,
  downloadCifar10,
  listDatasets,
} from "../lib/data/mod.ts";

const COMMANDS = ["list", "cifar10"] as const;
const STRING_FLAGS = ["data-dir", "dataset", "url", "md5", "json"] as const;
const BOOLEAN_FLAGS = ["help", "keep-archive"] as const;

/**
 * The `--help` text.
 *
 * @example
 * ```ts
 * import { helpText } from "./data.ts";
 * if (!helpText().includes("--data-dir")) throw new Error();
 * ```
 */
export function helpText(): string {
  return `Usage: deno task data <command> [flags]

Commands:
  list       show each dataset, where it is looked for, and whether it is present
  cifar10    download CIFAR-10 (binary version, ~170 MB), verify its MD5, unpack it;
             an interrupted download resumes on the next run

Flags:
  --data-dir DIR    where the dataset's files are (cifar10 default: ${defaultCifar10Dir()};
                    list: the location of --dataset, or of the folder dataset)
  --dataset NAME    list: which dataset --data-dir belongs to (${DATASET_NAMES.join(", ")})
  --url URL         cifar10: archive URL (default ${CIFAR10_URL})
  --md5 HEX         cifar10: archive MD5 (default ${CIFAR10_MD5})
  --keep-archive    cifar10: keep the .tar.gz after unpacking (default false)
  --json PATH       list: also write the table as JSON to PATH
  --help            show this text

Environment: EDEGAN_CACHE_DIR (default ~/.cache/edegan) holds downloaded datasets;
EDEGAN_NO_PROGRESS=1 turns the progress bar into plain lines.
`;
}

class UsageError extends Error {}

/**
 * Runs the task with `args`; returns the exit code (0 ok, 1 failure, 2 bad usage).
 *
 * @example
 * ```ts ignore
 * import { main } from "./data.ts";
 * Deno.exit(await main(["list"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    // Datasets registered outside the checkout (EDEGAN_PLUGINS) are listed as built-in ones.
    await loadPlugins();
    const flags = parseArgs(args, {
      string: [...STRING_FLAGS],
      boolean: [...BOOLEAN_FLAGS],
      unknown: (arg: string) => {
        if (arg.startsWith("-")) {
          const name = arg.replace(/=.*$/, "");
          const accepted = [...STRING_FLAGS, ...BOOLEAN_FLAGS];
          const near = nearestFlag(name, accepted);
          throw new UsageError(
            `unknown flag ${name}` + (near ? ` (did you mean --${near}?)` : "") +
              `; accepted: ${accepted.map((f) => `--${f}`).join(", ")}`,
          );
        }
        return true;
      },
    });
    if (flags.help) {
      console.log(helpText());
      return 0;
    }
    const positional = flags._.map(String);
    const command = positional[0];
    if (!command) throw new UsageError(`missing command; accepted: ${COMMANDS.join(", ")}`);
    if (!(COMMANDS as readonly string[]).includes(command)) {
      const near = nearestName(command, COMMANDS);
      throw new UsageError(
        `unknown command "${command}"` + (near ? ` (did you mean ${near}?)` : "") +
          `; accepted: ${COMMANDS.join(", ")}`,
      );
    }
    if (positional.length > 1) {
      throw new UsageError(`unexpected argument "${positional[1]}" after ${command}`);
    }
    for (const f of STRING_FLAGS) {
      if (flags[f] === "") throw new UsageError(`--${f} needs a value`);
    }
    const onlyFor = (names: readonly string[], cmd: string) => {
      for (const f of names) {
        if (
          flags[f as keyof typeof flags] !== undefined && flags[f as keyof typeof flags] !== false
        ) {
          if (command !== cmd) throw new UsageError(`--${f} applies only to \`data ${cmd}\``);
        }
      }
    };
    onlyFor(["url", "md5", "keep-archive"], "cifar10");
    onlyFor(["dataset", "json"], "list");

    if (command === "list") {
      const dataset = flags.dataset as string | undefined;
      if (dataset !== undefined && !(DATASET_NAMES as readonly string[]).includes(dataset)) {
        const near = nearestName(dataset, DATASET_NAMES);
        throw new UsageError(
          `--dataset: '${dataset}' is not one of ${DATASET_NAMES.join(", ")}` +
            (near ? ` (did you mean ${near}?)` : ""),
        );
      }
      const dirs: Partial<Record<DatasetName, string>> = {};
      if (flags["data-dir"] !== undefined) {
        dirs[(dataset ?? "folder") as DatasetName] = flags["data-dir"];
      }
      const rows = await listDatasets(dirs);
      console.log(formatTable(rows.map((r) => ({
        dataset: r.dataset,
        present: r.present ? "yes" : "no",
        location: r.location ?? "(--data-dir)",
        note: r.note,
      }))));
      if (flags.json) await Deno.writeTextFile(flags.json, JSON.stringify(rows, null, 2) + "\n");
      return 0;
    }

    const md5 = flags.md5 as string | undefined;
    if (md5 !== undefined && !/^[0-9a-fA-F]{32}$/.test(md5)) {
      throw new UsageError(`--md5: "${md5}" invalid, expected 32 hexadecimal digits`);
    }
    const url = flags.url as string | undefined;
    if (url !== undefined && !/^https?:\/\//.test(url)) {
      throw new UsageError(`--url: "${url}" invalid, expected an http:// or https:// URL`);
    }
    const dir = await downloadCifar10({
      dataDir: flags["data-dir"],
      url,
      md5,
      keepArchive: flags["keep-archive"],
    });
    console.log(`cifar10: ready in ${dir}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: data: ${err.message}\nRun \`deno task data --help\` for usage.`);
      return 2;
    }
    console.error(`error: data: ${(err as Error).message}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
