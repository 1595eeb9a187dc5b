/**
 * The notebooks: committed clean, type-correct against the public module, and executed once in
 * quick mode on Deno's Jupyter kernel with every expected output present.
 *
 * @module
 */

import { assert, assertEquals, assertGreater, assertStringIncludes } from "@std/assert";
import { basename, fromFileUrl, join, toFileUrl } from "@std/path";
import { skipUnless } from "../_helpers.ts";
import { type Chromium, chromiumExists, launchChromium } from "../../lib/viz/_chromium.ts";
import {
  displayedData,
  dropLocalScripts,
  executeNotebooks,
  finalTableAucs,
  findPython,
  joinLines,
  listNotebooks,
  plotlyOutputs,
  readNotebook,
  savedOutputProblems,
  SHARED_PLOTLY,
  sharePlotly,
} from "../../lib/notebook/mod.ts";
import { plotlyBundle } from "../../lib/viz/jupyter.ts";
import { rocFigure } from "../../lib/viz/figures.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const NOTEBOOK_DIR = join(ROOT, "notebooks");
const EXPECTED = [
  "01-ede-gan.ipynb",
  "02-latent-space.ipynb",
  "03-distillation.ipynb",
  "04-batch-size.ipynb",
  "05-results.ipynb",
  "06-deep-svdd.ipynb",
];
/**
 * Notebooks that train nothing: they read the committed results (EDEGAN_RESULTS, default
 * ../results) instead of taking a size, and their figures are checked against the files.
 */
const READS_RESULTS = new Set(["05-results.ipynb"]);
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
    // One parameter cell sets the size, from EDEGAN_PRESET (or the results read, EDEGAN_RESULTS).
    const parameter = READS_RESULTS.has(basename(path)) ? "EDEGAN_RESULTS" : "EDEGAN_PRESET";
    const parameterCells = (await codeOf(path)).filter((c) => c.includes(parameter));
    assertEquals(parameterCells.length, 1, `${basename(path)}: one parameter cell`);
    // The smoke-test size is the library's `ci` preset, not sizes of the notebook's own.
    const ci = parameterCells[0].split("\n").filter((l) => /^\s*ci:/.test(l));
    if (!READS_RESULTS.has(basename(path))) {
      assertEquals(ci.length, 1, `${basename(path)}: one ci size`);
      assertStringIncludes(ci[0], 'preset("ci")', `${basename(path)}: the ci preset`);
      assert(!/\b(width|epochs|limit|testLimit|batchSize):/.test(ci[0]), ci[0]);
    }
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

Deno.test("published pages share one plotly.min.js and load nothing from this machine", async () => {
  const dir = await Deno.makeTempDir({ prefix: "edegan-publish-" });
  try {
    const loader = plotlyBundle(rocFigure([{ name: "m", fpr: [0, 1], tpr: [0, 1], auc: 0.5 }]), {
      embedPlotly: "always",
    })["text/html"];
    const page = (n: number) =>
      `<html><head><script src="file:///usr/share/javascript/requirejs/require.min.js"></script>` +
      `</head><body><div>${loader}</div><p>page ${n}</p>\n` +
      `<script src="file:///usr/share/javascript/mathjax/MathJax.js?config=x"> </script></body></html>`;
    for (const n of [1, 2]) {
      const path = join(dir, `${n}.html`);
      await Deno.writeTextFile(path, page(n));
      assertEquals(await dropLocalScripts(path), 2);
      assertEquals(await sharePlotly(path), 1);
      const html = await Deno.readTextFile(path);
      assert(html.length < 100_000, `${html.length} bytes`);
      assert(!html.includes("file://"));
      // the shared file is loaded just before the (now empty) guarded loader
      assert(html.includes('<script src="plotly.min.js"></script><script>if (!window.Plotly) {'));
      assert(html.includes(`<p>page ${n}</p>`));
    }
    const shared = await Deno.readTextFile(join(dir, SHARED_PLOTLY));
    assert(shared.startsWith("/**\n* plotly.js v"), shared.slice(0, 40));
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).length, 3, "two pages, one plotly");
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
  name: "notebooks execute at the CI size with plots, a result paragraph, HTML and a final table",
  // About 2 minutes on 2 busy cores: all four notebooks run once at their smoke-test size
  // (EDEGAN_NOTEBOOK_SIZE=ci), then each is checked, and its published page opened in Chromium.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (
      skipUnless(python !== null, "python3 with nbclient and nbconvert (apt: python3-nbclient)")
    ) {
      return;
    }
    const outDir = await Deno.makeTempDir({ prefix: "edegan-notebooks-" });
    // One browser for the four published pages.
    let browser: Chromium | undefined;
    try {
      const runs = await executeNotebooks({
        notebooks,
        outDir,
        cellTimeoutSeconds: 300,
        env: { EDEGAN_NOTEBOOK_SIZE: "ci", EDEGAN_BACKEND: "wasm" },
      });
      // plotly.js once for the whole folder, not once per page
      assertEquals(
        await Deno.readTextFile(join(outDir, "plotly.min.js")),
        Deno.readTextFileSync(new URL(import.meta.resolve("plotly.js-dist-min"))),
      );
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
          // The size is said first, and a result paragraph computed from the run's numbers
          const markdown = displayedData(nb).filter((d) => "text/markdown" in d.data)
            .map((d) => joinLines(d.data["text/markdown"]));
          const readsResults = READS_RESULTS.has(basename(run.notebook));
          assert(
            markdown[0]?.startsWith(readsResults ? "**Committed results**" : "**Size: ci**"),
            `size note: ${markdown[0]}`,
          );
          assert(
            markdown.some((m) =>
              m.startsWith(
                readsResults
                  ? "**The committed runs.**"
                  : "**This run (size ci: a smoke test, not a result).**",
              )
            ),
            "result paragraph",
          );
          assert(
            nb.cells.some((c) =>
              c.cell_type === "markdown" && joinLines(c.source).startsWith("## Result")
            ),
            "a Result section",
          );
          const final = finalTableAucs(nb);
          if (!final) throw new Error("no final table (markdown in text/plain of the last output)");
          assertGreater(final.aucs.length, 0, `AUC columns in ${final.table.columns}`);
          for (const auc of final.aucs) assert(auc >= 0 && auc <= 1, `AUC ${auc} in [0, 1]`);
          if (readsResults) {
            // The results notebook's teacher means are the committed runs' (recomputed here).
            const mnist = final.table.rows.find((r) => r[0] === "MNIST");
            if (!mnist) throw new Error(`no MNIST row in ${JSON.stringify(final.table.rows)}`);
            const col = final.table.columns.indexOf("teacher AUC, live");
            assertEquals(mnist[col], (await committedMnistLiveMean()).toFixed(4));
          }
          // The published page draws every plot by itself: plotly.js inlined, one newPlot each.
          if (!run.html) throw new Error("no HTML published");
          const html = await Deno.readTextFile(run.html);
          assertEquals(html.split("window.Plotly.newPlot(").length - 1, plots.length);
          assertEquals(html.split('<script src="plotly.min.js"></script>').length - 1, 1);
          assert(html.length < 3_000_000, `${html.length} bytes: plotly.js inlined again?`);
          assert(!html.includes('src="file://'), "no script from this machine's /usr/share");
          if (chromiumExists()) {
            browser ??= await launchChromium();
            const drawn = await drawnPlots(browser, run.html);
            assertEquals(drawn.errors, [], "console errors");
            assertEquals(drawn.plots.length, plots.length, "every plot drawn");
            for (const [i, p] of drawn.plots.entries()) {
              const what = `plot ${i} (${p.title})`;
              assertEquals(p.svgs, 3, `${what}: plotly's three SVG layers`);
              assertGreater(p.marks, 0, `${what}: an empty panel`);
              assert(!p.nan, `${what}: NaN drawn`);
            }
          } else skipUnless(false, "Chromium (apt: chromium), for the published pages");
        });
      }
    } finally {
      await browser?.close();
      await Deno.remove(outDir, { recursive: true });
    }
  },
});

/**
 * The MNIST teachers' live last-epoch AUC, mean over classes of the mean over seeds, from the
 * committed run.json files read directly (not through lib/results).
 */
async function committedMnistLiveMean(): Promise<number> {
  const dir = join(ROOT, "results/teachers");
  const byClass = new Map<number, number[]>();
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory || !e.name.startsWith("mnist-")) continue;
    const run = JSON.parse(await Deno.readTextFile(join(dir, e.name, "run.json")));
    if (run.status !== "finished" || run.training.batchSize !== 64 || run.training.epochs !== 15) {
      continue;
    }
    const last = run.history.at(-1);
    const live = run.training.ema ? last.liveAuc : last.auc;
    byClass.set(run.data.normalClass, [...(byClass.get(run.data.normalClass) ?? []), live]);
  }
  const means = [...byClass.values()].map((xs) => xs.reduce((a, b) => a + b, 0) / xs.length);
  return means.reduce((a, b) => a + b, 0) / means.length;
}

// The page's globals are untyped here; the callbacks of page.evaluate run in the browser.
// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * Opens a published page in headless Chromium, waits for its plots, and reads back per plot:
 * plotly's SVG layers, the marks drawn in it (points, paths of traces, heat-map images, bars,
 * boxes), whether "NaN" is written anywhere in it, and every console error of the page.
 */
async function drawnPlots(browser: Chromium, path: string) {
  const page = await browser.context.newPage();
  try {
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(toFileUrl(path).href, { waitUntil: "load" });
    await page.waitForFunction(
      () => {
        const d = (globalThis as Any).document;
        const divs = [...d.querySelectorAll(".edegan-plot")];
        return divs.length > 0 && divs.every((div: Any) => div.querySelector(".main-svg"));
      },
      undefined,
      { timeout: 60_000 },
    );
    const plots = await page.evaluate(() =>
      [...(globalThis as Any).document.querySelectorAll(".edegan-plot")].map((div: Any) => ({
        title: div._fullLayout?.title?.text ?? "",
        svgs: div.querySelectorAll(".main-svg").length,
        marks: div.querySelectorAll(
          ".scatterlayer .trace path.js-line, .scatterlayer .point, .barlayer .point, " +
            ".heatmaplayer image, .boxlayer path.box, .violinlayer path.violin",
        ).length,
        nan: /NaN/.test(div.textContent ?? ""),
      }))
    );
    return { plots, errors };
  } finally {
    await page.close();
  }
}
