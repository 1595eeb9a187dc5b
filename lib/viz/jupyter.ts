/**
 * Figures and progress lines in Deno Jupyter notebooks.
 *
 * A figure goes out as a MIME bundle holding both the plotly JSON (drawn by frontends with a
 * plotly renderer) and a `text/html` fallback that draws the plot by itself, offline: nbconvert's
 * HTML export keeps only `text/html`, so that fallback must carry or find plotly.js.
 *
 * @module
 */
import type { Figure } from "./figure.ts";
import { plotlySource, scriptJson } from "./plotly_source.ts";
import { markdownTable as layOut } from "markdown-table";
import { escapeHtml, formatValue, htmlTable } from "./html.ts";
import type { ProgressSink } from "../util/progress.ts";

/**
 * The key Deno's kernel looks up to display an object (`Deno.jupyter.$display`).
 *
 * @example
 * ```ts
 * import { JUPYTER_DISPLAY } from "./jupyter.ts";
 * if (JUPYTER_DISPLAY !== Symbol.for("Jupyter.display")) throw new Error();
 * ```
 */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display");

/** A Jupyter MIME bundle of one plotly figure, displayable as the last value of a cell. */
export interface PlotlyBundle {
  /** The figure as plain JSON, for frontends with a plotly renderer. */
  "application/vnd.plotly.v1+json": { data: unknown[]; layout: Record<string, unknown> };
  /** A div and a script that draw the figure without any renderer (kept by nbconvert). */
  "text/html": string;
  /** A one-line description for text-only frontends. */
  "text/plain": string;
  /** Returns the three MIME entries; not enumerable, so the bundle stays plain data. */
  [JUPYTER_DISPLAY]: () => Record<string, unknown>;
}

/** Options of `plotlyBundle`. */
export interface PlotlyBundleOptions {
  /**
   * Whether the HTML fallback carries plotly.js (4.8 MB): "once" (default) in the first bundle
   * of this kernel session (none if `plotlyLoaderBundle` was displayed), whose output then
   * serves every later plot on the page; "always" in every bundle (each output stands alone);
   * "never" relies on `window.Plotly` being there already. With "once", re-running the cell
   * that carried the copy loses it from the saved notebook: display `plotlyLoaderBundle()` in a
   * setup cell for interactive work.
   */
  embedPlotly?: "once" | "always" | "never";
}

let plotlyEmbedded = false;

/** The HTML that defines `window.Plotly` from the inlined bundle unless a page already has it. */
function plotlyLoaderHtml(): string {
  // Guarded so that a re-run cell does not replace a plotly.js other outputs already use.
  return `<script>if (!window.Plotly) {\n${plotlySource()}\n}</script>\n`;
}

/**
 * A bundle that only loads the inlined plotly.js (4.8 MB) into the notebook page, for a setup
 * cell. With it, later `plotlyBundle` calls (default "once") embed nothing, and re-running a
 * plotting cell cannot remove the only embedded copy from the saved notebook.
 *
 * @example
 * ```ts
 * import { plotlyLoaderBundle } from "./jupyter.ts";
 * const setup = plotlyLoaderBundle();
 * if (!setup["text/html"].includes("window.Plotly")) throw new Error();
 * ```
 */
export function plotlyLoaderBundle(): { "text/html": string; "text/plain": string } {
  plotlyEmbedded = true;
  return { "text/html": plotlyLoaderHtml(), "text/plain": "plotly.js loaded" };
}

/**
 * A Jupyter MIME bundle for `figure`: `application/vnd.plotly.v1+json` (plain JSON), `text/html`
 * (a div and a script that draws it, loading the inlined plotly.js once per notebook session,
 * see `embedPlotly`; a plot whose plotly.js is not there yet waits for it up to 60 s) and
 * `text/plain`. Use it as the last expression of a cell, or
 * `await Deno.jupyter.display(bundle, { raw: true })`.
 *
 * @example
 * ```ts
 * import { plotlyBundle } from "./jupyter.ts";
 * import { rocFigure } from "./figures.ts";
 * const bundle = plotlyBundle(rocFigure([{ name: "m", fpr: [0, 1], tpr: [0, 1], auc: 0.5 }]), {
 *   embedPlotly: "never",
 * });
 * if (!bundle["text/html"].includes("Plotly.newPlot")) throw new Error();
 * if (bundle["application/vnd.plotly.v1+json"].data.length !== 2) throw new Error();
 * ```
 */
export function plotlyBundle(figure: Figure, opts: PlotlyBundleOptions = {}): PlotlyBundle {
  const embed = opts.embedPlotly ?? "once";
  const withPlotly = embed === "always" || (embed === "once" && !plotlyEmbedded);
  if (withPlotly && embed === "once") plotlyEmbedded = true;
  const json = scriptJson(figure);
  const id = `edegan-plot-${crypto.randomUUID()}`;
  const height = typeof figure.layout.height === "number" ? figure.layout.height : 460;
  const loader = withPlotly ? plotlyLoaderHtml() : "";
  const html = `<div id="${id}" class="edegan-plot" style="width:100%;height:${height}px"></div>
${loader}<script>
(function () {
  var figure = ${json};
  var started = Date.now();
  function draw() {
    var div = document.getElementById(${JSON.stringify(id)});
    if (!div) return;
    if (window.Plotly) {
      window.Plotly.newPlot(div, figure.data, figure.layout, { responsive: true, displaylogo: false });
    } else if (Date.now() - started < 60000) {
      setTimeout(draw, 100);
    } else {
      div.textContent = "plotly.js is not loaded: re-run with plotlyBundle(fig, { embedPlotly: 'always' })";
    }
  }
  draw();
})();
</script>`;
  const plain = JSON.parse(json) as PlotlyBundle["application/vnd.plotly.v1+json"];
  const titleText = (figure.layout.title as { text?: string } | undefined)?.text ?? "untitled";
  const bundle = {
    "application/vnd.plotly.v1+json": plain,
    "text/html": html,
    "text/plain": `<plotly figure: ${titleText}, ${figure.data.length} traces>`,
  } as PlotlyBundle;
  // Not enumerable: the bundle itself stays plain data for `Deno.jupyter.display(b, {raw: true})`.
  Object.defineProperty(bundle, JUPYTER_DISPLAY, {
    value: () => ({
      "application/vnd.plotly.v1+json": bundle["application/vnd.plotly.v1+json"],
      "text/html": bundle["text/html"],
      "text/plain": bundle["text/plain"],
    }),
    enumerable: false,
  });
  return bundle;
}

/**
 * How long {@link displayBundle} waits after a display of `bytes` of JSON: 100 ms plus 100 ms per
 * MB (the first plot of a page carries plotly.js, 4.8 MB). Measured with `jupyter nbconvert
 * --execute` on notebook 05 under Deno 2.9.6: no wait lost 1 to 2 of a cell's 2 plots, 20 ms
 * lost both, 100 ms kept all.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { displaySettleMs } from "./jupyter.ts";
 * assertEquals([displaySettleMs(0), displaySettleMs(5_000_000)], [100, 600]);
 * ```
 */
export function displaySettleMs(bytes: number): number {
  return Math.round(100 + 100 * bytes / 1e6);
}

/** What {@link displayBundle} sends through: `Deno.jupyter`'s `display`. */
export interface JupyterDisplayer {
  display(bundle: unknown, options: { raw: boolean }): Promise<void> | void;
}

/**
 * Displays a MIME bundle (`plotlyBundle`, `tableBundle`, `markdownBundle`, ...) in the current
 * cell and returns once it has had time to leave the kernel. Deno's kernel (2.9.6) queues a
 * display and may report the cell finished (`status: idle`) before sending it: JupyterLab,
 * VS Code and `jupyter nbconvert --execute` then drop it or show it under the next cell, even
 * when `Deno.jupyter.display` was awaited. Waiting {@link displaySettleMs} after each display
 * lets the queue drain while the cell still runs. Await every call. Outside a notebook it does
 * nothing. It resolves to nothing, so that a cell ending in it shows no value.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { displayBundle, markdownBundle } from "./jupyter.ts";
 * const shown: unknown[] = [];
 * const jupyter = { display: (b: unknown) => void shown.push(b) };
 * await displayBundle(markdownBundle("**hi**"), { jupyter });
 * await displayBundle(markdownBundle("x"), { jupyter: null });
 * assertEquals(shown.length, 1);
 * ```
 */
export async function displayBundle(
  bundle: object,
  opts: { jupyter?: JupyterDisplayer | null } = {},
): Promise<void> {
  const jupyter = opts.jupyter === undefined ? currentDisplayer() : opts.jupyter;
  if (!jupyter) return;
  await jupyter.display(bundle, { raw: true });
  const bytes = JSON.stringify(bundle).length;
  await new Promise((resolve) => setTimeout(resolve, displaySettleMs(bytes)));
}

function currentDisplayer(): JupyterDisplayer | null {
  try {
    const j = (Deno as unknown as { jupyter?: JupyterDisplayer }).jupyter;
    return j && typeof j.display === "function" ? j : null;
  } catch {
    return null;
  }
}

/** The part of `Deno.jupyter` that `progressDisplay` uses. */
export interface JupyterBroadcaster {
  /** Sends one message on the IOPub channel, as `Deno.jupyter.broadcast`. */
  broadcast(msgType: string, content: Record<string, unknown>): Promise<void>;
}

/** A single updating progress line. */
export interface ProgressDisplay {
  /** The `transient.display_id` of the line in the notebook. */
  readonly displayId: string;
  /** Sets the line to `label: [bar] done/total (pct) note`; calls closer than the interval skip. */
  update(done: number, total?: number, note?: string): Promise<void>;
  /**
   * Writes the final line, whatever the interval: the last count, `note` (default: the last
   * update's note, e.g. the losses) and the seconds since the first update.
   */
  finish(note?: string): Promise<void>;
}

/** Options of `progressDisplay`. */
export interface ProgressDisplayOptions {
  /** Where to send messages; default `Deno.jupyter` when running in `deno jupyter`. */
  jupyter?: JupyterBroadcaster | null;
  /** Least time between two updates sent, in milliseconds (default 200). */
  minIntervalMs?: number;
}

function currentJupyter(): JupyterBroadcaster | null {
  try {
    // The getter throws outside the `deno jupyter` kernel.
    const j = (Deno as unknown as { jupyter?: JupyterBroadcaster }).jupyter;
    return j && typeof j.broadcast === "function" ? j : null;
  } catch {
    return null;
  }
}

function progressLine(label: string, done: number, total?: number, note?: string): string {
  let line = `${label}: `;
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, Math.max(0, done / total));
    const filled = Math.round(fraction * 20);
    line += `[${"#".repeat(filled)}${".".repeat(20 - filled)}] ${done}/${total} ` +
      `(${(fraction * 100).toFixed(0)}%)`;
  } else {
    line += String(done);
  }
  return note ? `${line} ${note}` : line;
}

/**
 * A progress line for notebooks: the first update sends a `display_data` message and later ones
 * `update_display_data` with the same `transient.display_id`, so one output line changes in
 * place. Outside Jupyter it rewrites a line on stderr when that is a terminal and otherwise
 * prints only the final line.
 *
 * @example
 * ```ts
 * import { progressDisplay } from "./jupyter.ts";
 * const sent: string[] = [];
 * const progress = progressDisplay("epoch", {
 *   jupyter: { broadcast: (type) => (sent.push(type), Promise.resolve()) },
 *   minIntervalMs: 0,
 * });
 * await progress.update(1, 10);
 * await progress.update(2, 10);
 * await progress.finish("done");
 * if (sent.join() !== "display_data,update_display_data,update_display_data") throw new Error();
 * ```
 */
export function progressDisplay(
  label: string,
  opts: ProgressDisplayOptions = {},
): ProgressDisplay {
  const jupyter = opts.jupyter === undefined ? currentJupyter() : opts.jupyter;
  const minInterval = opts.minIntervalMs ?? 200;
  const displayId = `edegan-progress-${crypto.randomUUID()}`;
  let shown = false, lastSent = -Infinity;
  let lastDone = 0, lastTotal: number | undefined, lastNote: string | undefined;
  let startedAt: number | undefined;
  const encoder = new TextEncoder();
  const terminal = (() => {
    try {
      return Deno.stderr.isTerminal();
    } catch {
      return false;
    }
  })();

  async function send(line: string, final: boolean): Promise<void> {
    if (jupyter) {
      const content = {
        data: { "text/plain": line, "text/html": `<pre>${escapeHtml(line)}</pre>` },
        metadata: {},
        transient: { display_id: displayId },
      };
      await jupyter.broadcast(shown ? "update_display_data" : "display_data", content);
      shown = true;
    } else if (terminal) {
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}${final ? "\n" : ""}`));
    } else if (final) {
      console.error(line);
    }
  }

  return {
    displayId,
    async update(done, total, note) {
      lastDone = done;
      lastTotal = total;
      if (note) lastNote = note;
      const now = performance.now();
      startedAt ??= now;
      if (now - lastSent < minInterval) return;
      lastSent = now;
      await send(progressLine(label, done, total, note), false);
    },
    async finish(note) {
      const seconds = startedAt === undefined ? 0 : (performance.now() - startedAt) / 1000;
      const text = [note ?? lastNote, `(${formatSeconds(seconds)})`].filter(Boolean).join(" ");
      await send(progressLine(label, lastDone, lastTotal, text), true);
    },
  };
}

/** Seconds as "8.3 s", "2 min 05 s" or "1 h 02 min". */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** What `notebookProgress` gives: sinks for training loops and a way to wait for the line. */
export interface NotebookProgress {
  /** Resolves when the line is on the page (await it before starting the work). */
  ready: Promise<void>;
  /** A progress sink (`trainRun`'s `progress`) drawing on the line. */
  sink: ProgressSink;
  /**
   * The sink for the next job of several: the line then reads `job i/n name: [bar] ...`, and a
   * job's own `finish` leaves the line to the next job instead of ending it.
   */
  job(name: string): ProgressSink;
  /** Ends the line (jobs: "n/n jobs", the note, the total time) and waits for every message. */
  done(note?: string): Promise<void>;
}

/**
 * One progress line in a notebook for a training run or for a sequence of `jobs` (teacher, then
 * each student and method): the line shows the current job's number, name, bar and losses, and
 * its final state keeps the count of jobs, the last losses and the elapsed time.
 *
 * @example
 * ```ts
 * import { notebookProgress } from "./jupyter.ts";
 * const lines: string[] = [];
 * const progress = notebookProgress("distill", {
 *   jobs: 2,
 *   minIntervalMs: 0,
 *   jupyter: {
 *     broadcast: (_, c) => (lines.push((c.data as Record<string, string>)["text/plain"]), Promise.resolve()),
 *   },
 * });
 * await progress.ready;
 * progress.job("teacher").update(8, 8, "G 1.2");
 * progress.job("student").update(2, 4, "G 3.4");
 * await progress.done("AUC 0.91");
 * if (lines[2] !== "distill: [##########..........] 2/4 (50%) job 2/2 student: G 3.4") {
 *   throw new Error(lines[2]);
 * }
 * if (!lines[3].startsWith("distill: 2/2 jobs AUC 0.91 (")) throw new Error(lines[3]);
 * ```
 */
export function notebookProgress(
  label: string,
  opts: ProgressDisplayOptions & { jobs?: number } = {},
): NotebookProgress {
  const line = progressDisplay(label, opts);
  const sent: Promise<void>[] = [];
  const started = performance.now();
  let index = 0, name = "";
  const prefix = () => (opts.jobs ? `job ${index}/${opts.jobs} ${name}: ` : "");
  const sink: ProgressSink = {
    update: (done, total, status) =>
      void sent.push(line.update(done, total, `${prefix()}${status ?? ""}`.trim())),
    finish: (status) => {
      if (!opts.jobs) sent.push(line.finish(status));
    },
  };
  return {
    ready: line.update(0, undefined, "starting"),
    sink,
    job(jobName) {
      index += 1;
      name = jobName;
      return sink;
    },
    async done(note) {
      if (opts.jobs) {
        const seconds = (performance.now() - started) / 1000;
        const text = [`${index}/${opts.jobs} jobs`, note, `(${formatSeconds(seconds)})`]
          .filter(Boolean).join(" ");
        sent.push(send(text));
      }
      await Promise.all(sent);
      // The final line must leave the kernel before the cell ends (see displayBundle).
      if (opts.jupyter === undefined ? currentJupyter() : opts.jupyter) {
        await new Promise((resolve) => setTimeout(resolve, displaySettleMs(0)));
      }
    },
  };

  async function send(text: string): Promise<void> {
    // The final line of a sequence of jobs: the count replaces the bar. (Deno's own broadcast
    // may return nothing, so its result says nothing about whether there is a notebook.)
    const jupyter = opts.jupyter === undefined ? currentJupyter() : opts.jupyter;
    if (!jupyter) {
      console.error(`${label}: ${text}`);
      return;
    }
    await jupyter.broadcast("update_display_data", {
      data: {
        "text/plain": `${label}: ${text}`,
        "text/html": `<pre>${escapeHtml(`${label}: ${text}`)}</pre>`,
      },
      metadata: {},
      transient: { display_id: line.displayId },
    });
  }
}

/**
 * A table as a Markdown table (npm `markdown-table`), cells written by `formatValue` (one precision per column), a
 * missing value as "-". Columns: `columns`, or every key in order of first appearance.
 *
 * @example
 * ```ts
 * import { markdownTable } from "./jupyter.ts";
 * const md = markdownTable([{ model: "teacher", auc: 0.9, seconds: 18.3 }, { model: "w4" }]);
 * const expected = [
 *   "| model   |    auc | seconds |",
 *   "| :------ | -----: | ------: |",
 *   "| teacher | 0.9000 |    18.3 |",
 *   "| w4      |      - |       - |",
 * ].join("\n");
 * if (md !== expected) throw new Error(md);
 * ```
 */
export function markdownTable(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const numeric = (c: string) => rows.some((r) => typeof r[c] === "number");
  const cell = (v: unknown, c: string) => (v === null || v === undefined ? "-" : formatValue(v, c));
  return layOut(
    [cols, ...rows.map((r) => cols.map((c) => cell(r[c], c).replaceAll("|", "\\|")))],
    { align: cols.map((c) => (numeric(c) ? "r" : "l")) },
  );
}

/**
 * A table for a notebook output: `text/html` (`htmlTable`) and `text/plain` (`markdownTable`),
 * both with the same per-column precision. Display it with
 * `await Deno.jupyter.display(tableBundle(rows), { raw: true })`.
 *
 * @example
 * ```ts
 * import { tableBundle } from "./jupyter.ts";
 * const b = tableBundle([{ batch_size: 1, auc: 0.93, train_seconds: 10.9 }]);
 * const row = /\|\s+1 \|\s+0\.9300 \|\s+10\.9 \|/;
 * if (!row.test(b["text/plain"]) || !b["text/html"].includes("10.9<")) {
 *   throw new Error(b["text/plain"]);
 * }
 * ```
 */
export function tableBundle(
  rows: Record<string, unknown>[],
  columns?: string[],
): { "text/html": string; "text/plain": string } {
  return { "text/html": htmlTable(rows, columns), "text/plain": markdownTable(rows, columns) };
}

/**
 * Markdown text as a notebook output (`text/markdown`, with the text itself as `text/plain`), for
 * result paragraphs computed from the numbers of the run.
 *
 * @example
 * ```ts
 * import { markdownBundle } from "./jupyter.ts";
 * if (markdownBundle("**AUC** 0.9")["text/markdown"] !== "**AUC** 0.9") throw new Error();
 * ```
 */
export function markdownBundle(text: string): { "text/markdown": string; "text/plain": string } {
  return { "text/markdown": text, "text/plain": text };
}
