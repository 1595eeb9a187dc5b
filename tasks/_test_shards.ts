// Shared by `deno task test`: the test files split into shards that run as separate `deno test`
// processes side by side. Separate processes, not `deno test --parallel`: that runs files in one
// process, where a test that sets an environment variable (EDEGAN_MODELS, EDEGAN_BACKEND, ...)
// or measures the process's CPU time sees the files running beside it.

/** Seconds assumed for a test file that `tests/durations.json` does not list (a new one). */
export const UNKNOWN_FILE_SECONDS = 5;

/** Seconds counted for the JSDoc examples of `mod.ts` and `lib/` (520 small modules, about 30 s
 * of tests), which the first shard runs besides its files: measured as what made the two shards
 * of a clean-clone CI end together (their loading, which the files' times leave out, included). */
export const DOC_EXAMPLES_SECONDS = 200;

/** `deno test` flags whose value may follow as the next argument (not a path to test). */
const VALUE_FLAGS = new Set([
  "--filter",
  "--reporter",
  "--junit-path",
  "--seed",
  "--location",
  "-c",
  "--config",
  "--import-map",
  "--cert",
  "--ext",
]);

/** `deno test`'s default pattern: `test.ts`, `*_test.ts`, `*.test.ts` (and the other script
 * extensions), and any such script under a `__tests__` folder. */
const TEST_FILE = /(^|[_.])test\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const SCRIPT = /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;

/**
 * The test files under `dir` (recursively) that `deno test` runs by its default pattern, sorted,
 * as paths relative to the working directory.
 */
export function testFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string, inTests: boolean) => {
    for (const entry of Deno.readDirSync(d)) {
      const path = `${d}/${entry.name}`;
      if (entry.isDirectory) walk(path, inTests || entry.name === "__tests__");
      else if (
        entry.isFile && (TEST_FILE.test(entry.name) || (inTests && SCRIPT.test(entry.name)))
      ) {
        found.push(path);
      }
    }
  };
  walk(dir, false);
  return found.sort();
}

/**
 * Whether `args` (for `deno test`) name a path to test: an argument that is neither a flag nor the
 * value of one of the flags that take the next argument (`--filter wasm`), and that exists.
 */
export function namesPaths(args: readonly string[], exists: (path: string) => boolean): boolean {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("-")) {
      if (VALUE_FLAGS.has(a)) i++;
      continue;
    }
    if (exists(a)) return true;
  }
  return false;
}

/**
 * Splits `files` into `n` shards of about equal time, longest first onto the shard with the least
 * so far (ties: the lower shard), by `seconds` (a file's measured time; unknown files count
 * {@link UNKNOWN_FILE_SECONDS}); `firstShardSeconds` is work the first shard does besides its
 * files (the JSDoc examples). Deterministic: the same files and times give the same shards. Each
 * shard's files come back sorted; shards after the first that would get no file are left out
 * (a `deno test` with no path would run the whole configured suite).
 * Throws when `n` is not a whole number >= 1.
 */
export function testShards(
  files: string[],
  seconds: Record<string, number>,
  n: number,
  firstShardSeconds = 0,
): string[][] {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`test shards: expected a whole number >= 1, got ${n}`);
  }
  const cost = (f: string) => seconds[f] ?? UNKNOWN_FILE_SECONDS;
  const order = [...files].sort((a, b) => cost(b) - cost(a) || (a < b ? -1 : a > b ? 1 : 0));
  const shards: string[][] = Array.from({ length: n }, () => []);
  const load = Array.from({ length: n }, (_, i) => (i === 0 ? firstShardSeconds : 0));
  for (const file of order) {
    let k = 0;
    for (let i = 1; i < n; i++) if (load[i] < load[k]) k = i;
    shards[k].push(file);
    load[k] += cost(file);
  }
  return shards.filter((s, i) => i === 0 || s.length > 0).map((s) => s.sort());
}

/**
 * The `deno test` argument lists of a run: with `args` naming paths, or one shard, one process
 * (`base` and `args` only when they name paths; else the JSDoc examples of `mod.ts` and `lib/` and
 * `tests/`); else one per shard of {@link testShards}, the first with the JSDoc examples, each
 * with `args` (flags such as `--filter` reach every shard).
 */
export function shardCommands(
  base: string[],
  args: string[],
  files: string[],
  seconds: Record<string, number>,
  n: number,
  exists: (path: string) => boolean,
): string[][] {
  if (namesPaths(args, exists)) return [[...base, ...args]];
  if (n === 1) return [[...base, "--doc", "mod.ts", "lib/", "tests/", ...args]];
  return testShards(files, seconds, n, DOC_EXAMPLES_SECONDS).map((shard, i) => [
    ...base,
    ...(i === 0 ? ["--doc", "mod.ts", "lib/"] : []),
    ...shard,
    ...args,
  ]);
}

/** The shard count asked by `EDEGAN_TEST_SHARDS` (`raw`; default `cores` capped at 2), or an
 * error naming the variable and the value given. */
export function shardCount(raw: string | undefined, cores: number): number {
  if (raw === undefined) return Math.max(1, Math.min(2, cores));
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 1) {
    throw new Error(`EDEGAN_TEST_SHARDS: expected a whole number >= 1, got '${raw}'`);
  }
  return n;
}

/**
 * Splits decoded text into whole lines, each given `prefix`: returns the prefixed lines and the
 * unfinished rest to carry into the next call (a line is printed only once it is whole, so that
 * shards writing side by side never mix within a line).
 */
export function prefixLines(
  pending: string,
  piece: string,
  prefix: string,
): { out: string; pending: string } {
  const lines = (pending + piece).split("\n");
  const rest = lines.pop()!;
  return { out: lines.map((l) => `${prefix}${l}\n`).join(""), pending: rest };
}

/** The pass and fail counts of `deno test`'s last summary line in `text` (colours removed), or
 * undefined when there is none (the process died before it). */
export function testSummary(text: string): { passed: number; failed: number } | undefined {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
  return m === undefined ? undefined : { passed: Number(m[1]), failed: Number(m[2]) };
}

/** A shard's failures as the last line counts them: its summary's, and at least one when it
 * exited non-zero (a crash, or a failure outside a test). */
export function failuresOf(summary: { failed: number } | undefined, code: number): number {
  return Math.max(summary?.failed ?? 0, code !== 0 ? 1 : 0);
}
