/**
 * Figures and progress lines in Deno Jupyter notebooks.
 *
 * A figure goes out as a MIME bundle holding both the plotly JSON (drawn by frontends with a
 * plotly renderer) and a `text/html` fallback that draws the plot by itself, offline: nbconvert's
 * HTML export keeps only `text/html`, so that fallback must carry or find plotly.js.
 *
 * @module
 */
import type { Figure } from "./figures.ts";
import { plotlySource, scriptJson } from "./_plotly_source.ts";
import { escapeHtml } from "./html.ts";

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
  /** Writes the final line, whatever the interval. */
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
  let lastDone = 0, lastTotal: number | undefined;
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
      const now = performance.now();
      if (now - lastSent < minInterval) return;
      lastSent = now;
      await send(progressLine(label, done, total, note), false);
    },
    async finish(note) {
      await send(progressLine(label, lastDone, lastTotal, note), true);
    },
  };
}
