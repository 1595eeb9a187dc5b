import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { rocFigure, scoreHistogram } from "../../lib/viz/figures.ts";
import { escapeHtml, htmlTable, toHtml, writeHtml } from "../../lib/viz/html.ts";
import {
  formatSeconds,
  notebookProgress,
  plotlyBundle,
  plotlyLoaderBundle,
  progressDisplay,
} from "../../lib/viz/jupyter.ts";
import { figureToPng } from "../../lib/viz/png.ts";

const PLOTLY = Deno.readTextFileSync(new URL(import.meta.resolve("plotly.js-dist-min")));
const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;
const roc = () => rocFigure([{ name: "m", fpr: [0, 0.5, 1], tpr: [0, 0.9, 1], auc: 0.7 }]);

Deno.test("toHtml: plotly inlined exactly once, one div per figure, data embedded", () => {
  const figs = [roc(), scoreHistogram([1, 2, 3], [0, 0, 1], 2), roc()];
  const html = toHtml(figs, "Report <1>", "<p id='extra'>tables</p>");
  assertEquals(count(html, PLOTLY), 1);
  assertEquals(count(html, "plotly.js v4.1.2"), 1);
  assertEquals(count(html, 'class="edegan-figure"'), 3);
  assertEquals(count(html, "<script"), 2);
  for (const i of [0, 1, 2]) assertStringIncludes(html, `id="figure-${i}"`);
  assertStringIncludes(html, "<title>Report &lt;1&gt;</title>");
  assertStringIncludes(html, "<p id='extra'>tables</p>");
  assertStringIncludes(html, '"name":"m (AUC 0.700)"');
  assertStringIncludes(html, "height:520px"); // the ROC layout's own height
});

Deno.test("toHtml: strings in figures cannot close the script element", () => {
  const fig = rocFigure([{ name: "</script><b>x", fpr: [0, 1], tpr: [0, 1], auc: 0.5 }]);
  const html = toHtml([fig], "t");
  const dataScript = html.slice(html.lastIndexOf("<script>"));
  assertEquals(count(dataScript, "</script>"), 1);
  assertStringIncludes(dataScript, "\\u003c/script>\\u003cb>x");
});

Deno.test("htmlTable: escaped cells, column order, number formatting", () => {
  const html = htmlTable(
    [{ model: "a&b", auc: 0.912345, n: 1000, extra: null }, { model: "<c>", auc: 1 }],
    ["model", "auc", "n"],
  );
  assertStringIncludes(html, "<thead><tr><th>model</th><th>auc</th><th>n</th></tr></thead>");
  assertStringIncludes(html, "<td>a&amp;b</td>");
  assertStringIncludes(html, '<td class="num">0.9123</td>');
  assertStringIncludes(html, '<td class="num">1000</td>');
  assertStringIncludes(html, '<td>&lt;c&gt;</td><td class="num">1</td><td></td>');
  assert(!html.includes("extra"));
  assertEquals(count(htmlTable([{ a: 1 }, { b: 2 }]), "<th>"), 2);
  assertEquals(escapeHtml(`'"`), "&#39;&quot;");
});

Deno.test("writeHtml: atomic replace, no temporary left behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a/b/report.html`;
    await writeHtml(path, "one");
    await writeHtml(path, "two");
    assertEquals(await Deno.readTextFile(path), "two");
    assertEquals([...Deno.readDirSync(`${dir}/a/b`)].map((e) => e.name), ["report.html"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("plotlyBundle: MIME keys, plain JSON figure, plotly embedded once per session", () => {
  const first = plotlyBundle(roc());
  const second = plotlyBundle(roc());
  const always = plotlyBundle(roc(), { embedPlotly: "always" });
  const never = plotlyBundle(roc(), { embedPlotly: "never" });
  assertEquals(Object.keys(first).sort(), [
    "application/vnd.plotly.v1+json",
    "text/html",
    "text/plain",
  ]);
  assertEquals(count(first["text/html"], PLOTLY), 1);
  assertEquals(count(second["text/html"], PLOTLY), 0);
  assertEquals(count(always["text/html"], PLOTLY), 1);
  assertEquals(count(never["text/html"], PLOTLY), 0);
  // an explicit loader carries the one copy
  const loader = plotlyLoaderBundle();
  assertEquals(count(loader["text/html"], PLOTLY), 1);
  assertEquals(count(plotlyBundle(roc())["text/html"], PLOTLY), 0);
  const json = first["application/vnd.plotly.v1+json"];
  assertEquals(JSON.parse(JSON.stringify(json)), json);
  assertEquals((json.data[0] as { name: string }).name, "m (AUC 0.700)");
  assertEquals(first["text/plain"], "<plotly figure: ROC, 2 traces>");
  // each output draws into its own div
  const id = (b: typeof first) => /id="(edegan-plot-[^"]+)"/.exec(b["text/html"])![1];
  assert(id(first) !== id(second));
  assertStringIncludes(second["text/html"], `document.getElementById("${id(second)}")`);
});

Deno.test("plotlyBundle: Jupyter.display protocol returns the bundle without the method", () => {
  const bundle = plotlyBundle(roc(), { embedPlotly: "never" });
  const display = (bundle as unknown as Record<symbol, () => Record<string, unknown>>)[
    Symbol.for("Jupyter.display")
  ];
  assertEquals(typeof display, "function");
  const shown = display();
  assertEquals(shown["text/html"], bundle["text/html"]);
  assertEquals(shown["application/vnd.plotly.v1+json"], bundle["application/vnd.plotly.v1+json"]);
  // typed arrays in a figure become plain arrays in the JSON
  const typed = plotlyBundle(
    { data: [{ type: "scatter", x: new Float32Array([1, 2]) as unknown as number[] }], layout: {} },
    { embedPlotly: "never" },
  );
  assertEquals(
    (typed["application/vnd.plotly.v1+json"].data[0] as { x: number[] }).x,
    [1, 2],
  );
});

Deno.test("progressDisplay: display_data once, then updates of the same display_id", async () => {
  const sent: { type: string; content: Record<string, unknown> }[] = [];
  const progress = progressDisplay("train", {
    jupyter: { broadcast: (type, content) => (sent.push({ type, content }), Promise.resolve()) },
    minIntervalMs: 0,
  });
  await progress.update(5, 20, "loss 1.2");
  await progress.update(20, 20);
  await progress.finish("done");
  assertEquals(sent.map((m) => m.type), [
    "display_data",
    "update_display_data",
    "update_display_data",
  ]);
  for (const m of sent) {
    assertEquals(m.content.transient, { display_id: progress.displayId });
  }
  const text = (i: number) => (sent[i].content.data as Record<string, string>)["text/plain"];
  assertEquals(text(0), "train: [#####...............] 5/20 (25%) loss 1.2");
  assertMatch(text(2), /^train: \[####################\] 20\/20 \(100%\) done \(\d+\.\d s\)$/);
});

Deno.test("progressDisplay: the final line keeps the last losses and the elapsed time", async () => {
  const sent: string[] = [];
  const progress = progressDisplay("teacher", {
    jupyter: {
      broadcast: (
        _,
        c,
      ) => (sent.push((c.data as Record<string, string>)["text/plain"]), Promise.resolve()),
    },
    minIntervalMs: 0,
  });
  await progress.update(64, 128, "epoch 1/2 G 30.1 D 0.4");
  await progress.update(128, 128, "epoch 2/2 G 23.9 D 0.3 410 img/s");
  await progress.finish();
  assertMatch(
    sent.at(-1)!,
    /^teacher: \[#+\] 128\/128 \(100%\) epoch 2\/2 G 23\.9 D 0\.3 410 img\/s \(\d+\.\d s\)$/,
  );
  assertEquals(formatSeconds(125.4), "2 min 05 s");
  assertEquals(formatSeconds(3725), "1 h 02 min");
});

Deno.test("notebookProgress: one line over several jobs, ending with the job count", async () => {
  const sent: string[] = [];
  const progress = notebookProgress("distillation", {
    jobs: 3,
    minIntervalMs: 0,
    jupyter: {
      broadcast: (
        _,
        c,
      ) => (sent.push((c.data as Record<string, string>)["text/plain"]), Promise.resolve()),
    },
  });
  await progress.ready;
  progress.job("teacher").update(10, 10, "G 2");
  progress.sink.finish();
  progress.job("w4 scratch").update(5, 10, "G 3");
  progress.job("w4 P-KDGAN").update(10, 10, "G 4");
  await progress.done("last AUC 0.9");
  assertEquals(sent.slice(1, 4).map((l) => l.split(") ")[1]), [
    "job 1/3 teacher: G 2",
    "job 2/3 w4 scratch: G 3",
    "job 3/3 w4 P-KDGAN: G 4",
  ]);
  assertMatch(sent.at(-1)!, /^distillation: 3\/3 jobs last AUC 0\.9 \(\d+\.\d s\)$/);
  // a broadcast that returns nothing (as Deno's may) is still a notebook: nothing on stderr
  const errors: unknown[] = [];
  const error = console.error;
  console.error = (...args: unknown[]) => void errors.push(args);
  try {
    const quiet = notebookProgress("q", {
      jobs: 1,
      jupyter: { broadcast: () => undefined as unknown as Promise<void> },
    });
    quiet.job("a").update(1, 1);
    await quiet.done();
  } finally {
    console.error = error;
  }
  assertEquals(errors, []);
  // a job's own finish does not end the line
  assertEquals(sent.length, 5);
});

Deno.test("progressDisplay: throttled updates, and no Jupyter outside the kernel", async () => {
  const sent: string[] = [];
  const progress = progressDisplay("x", {
    jupyter: { broadcast: (type) => (sent.push(type), Promise.resolve()) },
    minIntervalMs: 60_000,
  });
  for (let i = 0; i < 100; i++) await progress.update(i, 100);
  await progress.finish();
  assertEquals(sent, ["display_data", "update_display_data"]);
  // Outside `deno jupyter`, Deno.jupyter throws on access; the default must not.
  const plain = progressDisplay("plain");
  await plain.update(1, 2);
});

Deno.test("figureToPng: names the missing browser binary", async () => {
  await assertRejects(
    () => figureToPng(roc(), "/tmp/never.png", { chromiumPath: "/nonexistent/chromium" }),
    Error,
    "headless Chromium not found at /nonexistent/chromium",
  );
});
