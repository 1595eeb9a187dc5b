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

/**
 * The test files under `dir` (recursively) that `deno test` runs by its default pattern
 * (`*_test.ts`, `*.test.ts`, `test.ts`), sorted, as paths relative to the working directory.
 */
export function testFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of Deno.readDirSync(d)) {
      const path = `${d}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.isFile && /(^|[_.])test\.(ts|tsx|mts|js|mjs|jsx)$/.test(entry.name)) {
        found.push(path);
      }
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Splits `files` into `n` shards of about equal time, longest first onto the shard with the least
 * so far (ties: the lower shard), by `seconds` (a file's measured time; unknown files count
 * {@link UNKNOWN_FILE_SECONDS}); `firstShardSeconds` is work the first shard does besides its
 * files (the JSDoc examples). Deterministic: the same files and times give the same shards. Each
 * shard's files come back sorted.
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
  return shards.map((s) => s.sort());
}

/** The pass and fail counts of `deno test`'s last summary line in `text` (colours removed), or
 * undefined when there is none (the process died before it). */
export function testSummary(text: string): { passed: number; failed: number } | undefined {
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  const m = [...plain.matchAll(/(\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/g)].at(-1);
  return m === undefined ? undefined : { passed: Number(m[1]), failed: Number(m[2]) };
}
