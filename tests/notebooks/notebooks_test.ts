/**
 * The notebooks: committed clean, type-correct against the public module, and executed once in
 * quick mode on Deno's Jupyter kernel with every expected output present.
 *
 * @module
 */

import { assert, assertEquals, assertGreater } from "@std/assert";
import { basename, fromFileUrl, join, toFileUrl } from "@std/path";
import { skipUnless } from "../_helpers.ts";
import {
  executeNotebooks,
  finalTableAucs,
  findPython,
  joinLines,
  listNotebooks,
  plotlyOutputs,
  readNotebook,
  savedOutputProblems,
} from "../../lib/notebook/mod.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const NOTEBOOK_DIR = join(ROOT, "notebooks");
const EXPECTED = [
  "01-ede-gan.ipynb",
  "02-latent-space.ipynb",
  "03-distillation.ipynb",
  "04-batch-size.ipynb",
];
const notebooks = await listNotebooks(NOTEBOOK_DIR);
const codeOf = async (path: string) =>
  (await readNotebook(path)).cells.filter((c) => c.cell_type === "code").map((c) =>
    joinLines(c.source)
  );

Deno.test("notebooks are committed without outputs, on the deno kernel, using mod.ts only", async () => {
  assertEquals(notebooks.map((n) => basename(n)), EXPECTED);
  for (const path of notebooks) {
    const nb = await readNotebook(path);
    assertEquals(savedOutputProblems(nb), [], `${basename(path)} holds outputs`);
    assertEquals(nb.metadata.kernelspec?.name, "deno", basename(path));
    const code = (await codeOf(path)).join("\n");
    const specifiers = [...code.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
    assertGreater(specifiers.length, 0);
    assertEquals([...new Set(specifiers)], ["../mod.ts"], `${basename(path)} imports`);
    // One parameter cell sets the size, from EDEGAN_PRESET.
    const parameterCells = (await codeOf(path)).filter((c) => c.includes("EDEGAN_PRESET"));
    assertEquals(parameterCells.length, 1, `${basename(path)}: one parameter cell`);
  }
});

Deno.test("notebook code type-checks against the public module", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-notebook-check-" });
  try {
    const files: string[] = [];
    for (const path of notebooks) {
      const mod = toFileUrl(join(ROOT, "mod.ts")).href;
      // The cells of a notebook share one scope, like one module.
      const code = (await codeOf(path)).join("\n\n").replaceAll('"../mod.ts"', `"${mod}"`);
      const file = join(dir, basename(path).replace(/\.ipynb$/, ".ts"));
      await Deno.writeTextFile(file, `${code}\nexport {};\n`);
      files.push(file);
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", join(ROOT, "deno.json"), ...files],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const python = await findPython();

Deno.test("--check names the notebook and cell of an error output", async () => {
  if (skipUnless(python !== null, "python3 with nbclient and nbconvert (apt: python3-nbclient)")) {
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "edegan-notebook-fail-" });
  try {
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
      cells: [
        { cell_type: "markdown", id: "a", metadata: {}, source: "# fails" },
        {
          cell_type: "code",
          id: "b",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: "1",
        },
        {
          cell_type: "code",
          id: "c",
          metadata: {},
          outputs: [],
          execution_count: null,
          source: 'throw new Error("boom");',
        },
      ],
    };
    const path = join(dir, "bad.ipynb");
    await Deno.writeTextFile(path, JSON.stringify(nb));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "tasks/notebooks.ts", "--check", "--out", join(dir, "out"), path],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert(out.code !== 0, "--check must fail");
    assert(stderr.includes("bad.ipynb cell 2: Error: boom"), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "notebooks execute in quick mode with plots, HTML and a final table of AUCs",
  // Up to ~5 minutes on 2 busy cores: all four notebooks run once, then each is checked.
  async fn(t) {
    if (
      skipUnless(python !== null, "python3 with nbclient and nbconvert (apt: python3-nbclient)")
    ) {
      return;
    }
    const outDir = await Deno.makeTempDir({ prefix: "edegan-notebooks-" });
    try {
      const runs = await executeNotebooks({
        notebooks,
        outDir,
        cellTimeoutSeconds: 300,
        env: { EDEGAN_PRESET: "quick", EDEGAN_BACKEND: "wasm" },
      });
      for (const run of runs) {
        await t.step(basename(run.notebook), async () => {
          const where = (e: { cell: number | null; ename: string; evalue: string }) =>
            `cell ${e.cell}: ${e.ename}: ${e.evalue}`;
          assertEquals(run.errors.map(where), [], "error outputs");
          const nb = await readNotebook(run.executed);
          const plots = plotlyOutputs(nb);
          assertGreater(plots.length, 0, "a plotly bundle");
          for (const plot of plots) {
            assert(plot.htmlFallback, `cell ${plot.cell}: text/html fallback`);
          }
          const final = finalTableAucs(nb);
          if (!final) throw new Error("no final table (markdown in text/plain of the last output)");
          assertGreater(final.aucs.length, 0, `AUC columns in ${final.table.columns}`);
          for (const auc of final.aucs) assert(auc >= 0 && auc <= 1, `AUC ${auc} in [0, 1]`);
          // The published page draws every plot by itself: plotly.js inlined, one newPlot each.
          if (!run.html) throw new Error("no HTML published");
          const html = await Deno.readTextFile(run.html);
          assertEquals(html.split("window.Plotly.newPlot(").length - 1, plots.length);
          assert(html.includes("if (!window.Plotly)"), "plotly.js inlined");
        });
      }
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
