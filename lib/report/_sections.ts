/**
 * Pieces of report HTML around `htmlTable`: headed sections, key/value tables, notes, the data a
 * run was trained and tested on, and the raw manifest.
 *
 * @module
 */

import { escapeHtml, htmlTable } from "../viz/html.ts";
import type { DataSummary } from "./_files.ts";

/** A `<h2>` section holding `body` (already HTML). */
export function section(heading: string, body: string): string {
  return `<section>\n<h2>${escapeHtml(heading)}</h2>\n${body}\n</section>`;
}

/** A two-column table of the defined entries of `entries`. */
export function keyValueTable(entries: Record<string, unknown>): string {
  const rows = Object.entries(entries)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([field, value]) => ({ field, value }));
  return htmlTable(rows, ["field", "value"]);
}

/** A list of notes (what was skipped and why), or nothing when there are none. */
export function notesList(notes: string[]): string {
  if (notes.length === 0) return "";
  const items = notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("\n");
  return `<ul class="edegan-notes">\n${items}\n</ul>`;
}

/** The manifest as indented JSON inside a collapsed `<details>`, minus the fields in `omit`. */
export function manifestDetails(manifest: Record<string, unknown>, omit: string[] = []): string {
  const shown = Object.fromEntries(Object.entries(manifest).filter(([k]) => !omit.includes(k)));
  return `<details><summary>run.json${omit.length ? ` (without ${omit.join(", ")})` : ""}` +
    `</summary>\n<pre>${escapeHtml(JSON.stringify(shown, null, 2))}</pre>\n</details>`;
}

/** The data a run was trained and tested on, as one table row (dataset, split, counts, limits). */
export function dataTable(data: DataSummary): string {
  const counts = data.counts ?? {};
  return htmlTable([{
    dataset: data.dataset,
    source: data.source,
    protocol: data.protocol,
    class: className(data),
    "split seed": data.splitSeed,
    train: counts.train,
    val: counts.val,
    test: counts.test,
    "test anomalous": counts.testAnomalous,
    limit: data.limit,
    "test limit": data.testLimit,
  }]);
}

/** The run's class: its index, with its name where the data names it (`2 (Pullover)`). */
export function className(data: DataSummary | undefined): string {
  const c = data?.normalClass;
  const name = c !== undefined ? data?.classNames?.[c] : undefined;
  return name !== undefined && name !== String(c) ? `${c} (${name})` : String(c ?? "?");
}
