/**
 * `deno task bench` with stand-ins, for the tests of its wiring: a model suite that returns canned
 * rows and a Python that answers the torch probe and prints canned peer rows, without torch and
 * without minutes of benchmarking.
 */

import { getSuite, registerSuite } from "../../lib/bench/suites.ts";
import { main } from "../../tasks/bench.ts";
import { withEnv } from "../_helpers.ts";

/**
 * Writes `DIR/python3`: answers the torch probe (`-c`), records its arguments in `DIR/args`,
 * prints a progress line on stderr and then `rows` as JSON lines (each with the peer's own fields
 * added). Returns its path.
 */
export async function standInPython(dir: string, rows: object[]): Promise<string> {
  const python = `${dir}/python3`;
  const text = rows.map((r) =>
    JSON.stringify({ peak_rss_mb: 400, device: "torch 9.9.9", generator_params: 3200384, ...r })
  ).join("\n");
  await Deno.writeTextFile(
    python,
    `#!/bin/sh\nif [ "$1" = "-c" ]; then echo 9.9.9; exit 0; fi\n` +
      `echo "$@" > "${dir}/args"\necho "  pytorch-1t train batch 64" >&2\n` +
      `cat <<'ROWS'\n${text}\nROWS\n`,
  );
  await Deno.chmod(python, 0o755);
  return python;
}

/**
 * Runs the bench task with `args`, the model suite's run replaced by `run` and, given `python`,
 * the peer's Python by it (`EDEGAN_PYTHON`); returns the exit code and what it printed on stdout
 * and stderr. Everything it replaced is restored, also when it throws.
 */
export async function benchWithStandIns(
  args: string[],
  run: () => Promise<Record<string, unknown>[]>,
  python?: string,
): Promise<{ code: number; printed: string; messages: string }> {
  const original = getSuite("model")!;
  registerSuite({ ...original, run });
  const printed: string[] = [];
  const messages: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (...a: unknown[]) => printed.push(a.join(" "));
  console.error = (...a: unknown[]) => messages.push(a.join(" "));
  try {
    const code = await withEnv(
      python === undefined ? {} : { EDEGAN_PYTHON: python },
      () => main(args),
    );
    return { code, printed: printed.join("\n"), messages: messages.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
    registerSuite(original);
  }
}
