/**
 * `deno task notebooks`: executes every notebook in `notebooks/` on Deno's Jupyter kernel
 * (registering it when missing) through nbclient, with `notebooks/` as the working directory,
 * and writes the executed copies and their HTML (nbconvert) to `--out` (default
 * `notebooks/out`, git-ignored). `--check` exits non-zero, naming the notebook and cell, on any
 * error output.
 *
 * Positional arguments: notebook names or name prefixes in `notebooks/` (`01`,
 * `02-latent-space.ipynb`), or paths to other `.ipynb` files.
 *
 * @module
 */

import { basename } from "@std/path";
import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { presetFromArgs } from "../lib/run/presets.ts";
import { executeNotebooks, listNotebooks } from "../lib/notebook/mod.ts";
import { exists } from "../lib/util/atomic.ts";

await runTask(async () => {
  const presetName = presetFromArgs(Deno.args);
  const flags = parseFlags(
    "notebooks",
    Deno.args,
    {
      preset: presetName,
      out: "notebooks/out",
      check: false,
    },
    "Execute the notebooks headlessly and publish them as HTML. Arguments: notebook names or paths.",
  );
  if (flags === null) return;
  // Hidden copies (macOS `._01-ede-gan.ipynb`) are not notebooks.
  const all = (await listNotebooks("notebooks")).filter((n) => !basename(n).startsWith("."));
  const names = all.map((n) => basename(n)).join(", ");
  const picked: string[] = [];
  for (const name of flags._.length === 0 ? all : flags._) {
    if (name.endsWith(".ipynb") && await exists(name)) {
      picked.push(name);
      continue;
    }
    const exact = all.filter((n) => basename(n) === name);
    const found = exact.length > 0 ? exact : all.filter((n) => basename(n).startsWith(name));
    if (found.length === 0) throw new Error(`no notebook '${name}'; notebooks: ${names}`);
    if (found.length > 1) {
      throw new Error(
        `notebook '${name}' is ambiguous: ${found.map((n) => basename(n)).join(", ")}; ` +
          "give more of its name",
      );
    }
    picked.push(found[0]);
  }
  const preset = flags.preset as string;
  // EDEGAN_NOTEBOOK_SIZE (ci: the tests' smoke size) wins over the preset inside the notebooks.
  const size = Deno.env.get("EDEGAN_NOTEBOOK_SIZE") ?? preset;
  console.log(`executing ${picked.length} notebook(s), size ${size}, into ${flags.out}`);
  const runs = await executeNotebooks({
    notebooks: picked,
    outDir: flags.out as string,
    // The paper's size trains for hours in one cell.
    cellTimeoutSeconds: preset === "paper" ? 0 : 600,
    env: { EDEGAN_PRESET: preset },
    log: (line) => console.log(`  ${line}`),
  });
  console.log(formatTable(runs.map((r) => ({
    notebook: basename(r.notebook),
    seconds: r.seconds.toFixed(1),
    errors: r.errors.length,
    html: r.html ?? "(none)",
  }))));
  const failures = runs.flatMap((r) =>
    r.errors.map((e) =>
      `${basename(r.notebook)} cell ${e.cell ?? "?"}: ${e.ename}: ${e.evalue.split("\n")[0]}`
    )
  );
  for (const line of failures) console.error(`error output: ${line}`);
  if (flags.check && failures.length > 0) {
    throw new Error(`${failures.length} error output(s); first: ${failures[0]}`);
  }
});
