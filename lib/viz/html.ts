/**
 * Self-contained HTML reports: plotly.js inlined once, each figure in its own div, so a page
 * opens offline and years later.
 *
 * @module
 */
import { dirname } from "@std/path";
import type { Figure } from "./figure.ts";
import { plotlySource, scriptJson } from "./plotly_source.ts";

/**
 * Escapes `&`, `<`, `>`, `"` and `'` for use in HTML text and attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * if (escapeHtml(`<a href="x">&</a>`) !== "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;") {
 *   throw new Error();
 * }
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

/**
 * A table cell's text, with one precision per kind of column so that a column never mixes
 * precisions: integers as they are; AUC, AP, precision, recall, F1 and correlations to 4
 * decimals (differences `delta*` signed); seconds and rates (`*_per_s`, `images_per_second`) to
 * 1 decimal; ratios to 2; anything else to 4 significant digits without trailing zeros.
 * `null`/`undefined` give "" (write your own dash where one is wanted).
 *
 * @example
 * ```ts
 * import { formatValue } from "./html.ts";
 * const cells = [formatValue(0.998, "auc"), formatValue(-0.0007227, "delta_vs_scratch"),
 *   formatValue(18.3, "seconds"), formatValue(84.6, "mflops"), formatValue(10.9, "ratio")];
 * if (cells.join() !== "0.9980,-0.0007,18.3,84.6,10.90") throw new Error(cells.join());
 * ```
 */
export function formatValue(value: unknown, column = ""): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
    const c = column.toLowerCase();
    if (/^delta|_delta|gain/.test(c)) return (value > 0 ? "+" : "") + value.toFixed(4);
    if (/auc|average_precision|^ap$|precision|recall|f1|pearson|spearman|correlation/.test(c)) {
      return value.toFixed(4);
    }
    if (/second|per_s|_s$|\/s$|img_s|time/.test(c)) return value.toFixed(1);
    if (/ratio/.test(c)) return value.toFixed(2);
    return String(Number(value.toPrecision(4)));
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * An HTML table of `rows`, columns in the order given (default: every key, in order of first
 * appearance). Every cell is escaped; numbers are written by {@link formatValue} (one precision
 * per column) and aligned right.
 *
 * @example
 * ```ts
 * import { htmlTable } from "./html.ts";
 * const html = htmlTable([{ model: "EDE-GAN <b>", auc: 0.912345 }]);
 * if (!html.includes("EDE-GAN &lt;b&gt;") || !html.includes(">0.9123<")) throw new Error(html);
 * ```
 */
export function htmlTable(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("");
  const body = rows.map((r) =>
    "<tr>" + cols.map((c) => {
      const v = r[c];
      const cls = typeof v === "number" ? ' class="num"' : "";
      return `<td${cls}>${escapeHtml(formatValue(v, c))}</td>`;
    }).join("") + "</tr>"
  ).join("\n");
  return `<table class="edegan-table">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n` +
    `</tbody>\n</table>`;
}

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; }
.edegan-figure { margin: 16px 0; }
.edegan-table { border-collapse: collapse; margin: 12px 0; font-size: 0.9em; }
.edegan-table th, .edegan-table td { border: 1px solid #ccc; padding: 4px 8px; }
.edegan-table th { background: #f3f3f3; }
.edegan-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
`;

/**
 * A self-contained HTML page: `title`, then `extraHtml` (e.g. tables from `htmlTable`, inserted
 * as is), then each figure in its own div (`id="figure-<i>"`, class `edegan-figure`).
 * plotly.js is inlined exactly once from the installed `plotly.js-dist-min`, so the page needs
 * no network. A figure that fails to draw logs to the console and shows its error in its div.
 *
 * @example
 * ```ts
 * import { toHtml } from "./html.ts";
 * import { rocFigure } from "./figures.ts";
 * const html = toHtml([rocFigure([{ name: "m", fpr: [0, 1], tpr: [0, 1], auc: 0.5 }])], "ROC");
 * if (!html.includes('id="figure-0"') || html.split("plotly.js v").length !== 2) throw new Error();
 * ```
 */
export function toHtml(figures: Figure[], title: string, extraHtml = ""): string {
  const divs = figures.map((f, i) => {
    const height = typeof f.layout.height === "number" ? `${f.layout.height}px` : "460px";
    return `<div class="edegan-figure" id="figure-${i}" style="height:${height}"></div>`;
  }).join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
<script>${plotlySource()}</script>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${extraHtml}
${divs}
<script>
(function () {
  var figures = ${scriptJson(figures)};
  figures.forEach(function (figure, i) {
    var div = document.getElementById("figure-" + i);
    try {
      Plotly.newPlot(div, figure.data, figure.layout, { responsive: true, displaylogo: false })
        .catch(function (e) { fail(div, i, e); });
    } catch (e) { fail(div, i, e); }
  });
  function fail(div, i, e) {
    console.error("figure " + i + " failed to draw:", e);
    div.textContent = "figure " + i + " failed to draw: " + e;
  }
})();
</script>
</body>
</html>
`;
}

/**
 * Writes `html` to `path` atomically: to a temporary file beside it, then renamed, so a reader
 * never sees half a page. Creates the parent directory.
 *
 * @example
 * ```ts
 * import { writeHtml } from "./html.ts";
 * const dir = await Deno.makeTempDir();
 * await writeHtml(`${dir}/report/index.html`, "<p>ok</p>");
 * if (await Deno.readTextFile(`${dir}/report/index.html`) !== "<p>ok</p>") throw new Error();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeHtml(path: string, html: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeTextFile(tmp, html);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
