/**
 * Notebook 05 through plain `jupyter nbconvert --execute` (no workaround of our own executor):
 * every display arrives in the cell that made it, because the library's `displayBundle` waits for
 * Deno's kernel to send it before the cell ends (issue 27, item 4).
 *
 * @module
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { fromFileUrl, join } from "@std/path";
import { skipUnless } from "../_helpers.ts";
import { ensureDenoKernel, findPython, joinLines, readNotebook } from "../../lib/notebook/mod.ts";
import { defaultDecision, loadDesignCells } from "../../lib/results/design_tables.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));
const PLOTLY = "application/vnd.plotly.v1+json";

/**
 * What each code cell of notebook 05 displays on the committed results (both datasets): the
 * titles of its plots (a substring each), and how many other outputs (tables, markdown).
 */
const EXPECTED: Record<string, { plots: string[]; others: number }> = {
  "05-01": { plots: [], others: 1 },
  "05-02": { plots: [], others: 0 },
  "05-04": {
    plots: ["MNIST: teacher test AUC per normal class", "Fashion-MNIST: teacher test AUC"],
    others: 0,
  },
  "05-06": { plots: ["test AUC after each epoch", "test AUC after each epoch"], others: 1 },
  "05-08": { plots: ["latent distance against reconstruction error"], others: 0 },
  "05-10": { plots: [], others: 1 },
  "05-12": {
    plots: ["the latent constraint, run for run (live weights): tanh higher on"],
    others: 0,
  },
  "05-14": {
    plots: ["MNIST: students against compression", "Fashion-MNIST: students against compression"],
    others: 1,
  },
  "05-16": { plots: ["per design variant"], others: 1 },
  "05-18": { plots: [], others: 1 },
  "05-20": { plots: [], others: 2 },
};

Deno.test({
  name: "jupyter nbconvert --execute on notebook 05: every figure and table in its own cell",
  sanitizeResources: false,
  async fn() {
    const python = await findPython();
    if (
      skipUnless(python !== null, "python3 with nbclient and nbconvert (apt: jupyter-nbconvert)")
    ) {
      return;
    }
    await ensureDenoKernel(python!);
    const out = await Deno.makeTempDir({ prefix: "edegan-nbconvert-" });
    try {
      const run = await new Deno.Command(python!, {
        args: [
          ...["-m", "nbconvert", "--to", "notebook", "--execute", "--output-dir", out],
          ...["--ExecutePreprocessor.kernel_name=deno", "--ExecutePreprocessor.timeout=300"],
          join(ROOT, "notebooks", "05-results.ipynb"),
        ],
        cwd: join(ROOT, "notebooks"),
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(run.code, 0, new TextDecoder().decode(run.stderr));
      const nb = await readNotebook(join(out, "05-results.ipynb"));
      const seen: Record<string, { plots: string[]; others: number }> = {};
      for (const cell of nb.cells) {
        if (cell.cell_type !== "code") continue;
        const outputs = cell.outputs ?? [];
        const id = String((cell as { id?: string }).id);
        const types = outputs.map((o) => o.output_type);
        assertEquals(types.filter((t) => t !== "display_data"), [], `cell ${id}: ${types}`);
        seen[id] = {
          plots: outputs.filter((o) => PLOTLY in (o.data ?? {})).map((o) =>
            joinLines(o.data!["text/plain"])
          ),
          others: outputs.filter((o) => !(PLOTLY in (o.data ?? {}))).length,
        };
      }
      assertEquals(Object.keys(seen), Object.keys(EXPECTED));
      for (const [id, expected] of Object.entries(EXPECTED)) {
        assertEquals(seen[id].others, expected.others, `cell ${id}: tables and text`);
        assertEquals(seen[id].plots.length, expected.plots.length, `cell ${id}: ${seen[id].plots}`);
        expected.plots.forEach((title, i) => assertStringIncludes(seen[id].plots[i], title));
      }
      // The design study's chart draws every committed class's gain, in points, and the published
      // gain: checked against results/design read here directly (not through lib/results).
      const design = nb.cells.find((c) => (c as { id?: string }).id === "05-16")!.outputs!
        .find((o) => PLOTLY in (o.data ?? {}))!.data![PLOTLY] as {
          data: { name: string; y: number[] }[];
        };
      const trace = (name: string) => design.data.find((t) => t.name.startsWith(name))!;
      const round = (xs: number[]) => xs.map((x) => x.toFixed(6)).sort();
      assertEquals(round(trace("one class").y), round(await committedDesignGainPoints()));
      assertEquals(trace("published gain, MNIST").y, [1.77, 1.77]);
      assertEquals(trace("0:").y, [0, 0]);
      // The summary says where the default's rule stands: the library's decision, settled as soon
      // as one dataset's 10 classes are not above zero; until then, how many of each dataset's
      // classes the chosen design has (its folders counted here directly).
      const summary = nb.cells.find((c) => (c as { id?: string }).id === "05-20")!.outputs!
        .map((o) => joinLines(o.data?.["text/markdown"] ?? "")).join("");
      assertStringIncludes(summary, "The default by the rule");
      const chosen = (await Array.fromAsync(Deno.readDir(join(ROOT, "results/design"))))
        .map((e) => e.name);
      const landed = (d: string) =>
        chosen.filter((n) => new RegExp(`^${d}-\\d-s0-chosen$`).test(n)).length;
      const byRule = defaultDecision(await loadDesignCells(join(ROOT, "results/design")));
      for (const d of byRule.datasets) assertEquals(d.landed.length, landed(d.dataset));
      assertStringIncludes(
        summary,
        byRule.verdict === "chosen"
          ? "the chosen design becomes the default"
          : byRule.verdict === "today"
          ? "today's defaults stay"
          : `not decided yet (MNIST ${landed("mnist")} of 10 classes, Fashion-MNIST ${
            landed("fashion-mnist")
          } of 10 classes)`,
      );
      // The constraint's chart has one point per committed run without it (each has its twin).
      const pairs = (await Array.fromAsync(Deno.readDir(join(ROOT, "results/constraint"))))
        .filter((e) => e.isDirectory).length;
      assertStringIncludes(seen["05-12"].plots[0], ` of ${pairs}`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

/** P-KDGAN - scratch in points of every committed design study folder, read directly. */
async function committedDesignGainPoints(): Promise<number[]> {
  const dir = join(ROOT, "results/design");
  const gains: number[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isDirectory) continue;
    const results = JSON.parse(await Deno.readTextFile(join(dir, e.name, "results.json")));
    const s = results.students[0];
    gains.push(100 * (s.auc_pkdgan - s.auc_scratch));
  }
  return gains;
}
