/**
 * The scoring page's script (bundled for the browser by `serveScoringPage`): loads the exported
 * TF.js graph model and its `edegan-export.json`, and scores the images dropped on the page or
 * chosen in its file input. Images are prepared as `deno task score --images` prepares them: the
 * same `prepareRgbImage` (PIL bilinear resize, BT.601 luma) from `lib/data/preprocess.ts`, the
 * same compositing of transparent pixels onto white, the same scaling p / 127.5 - 1.
 *
 * Plain JavaScript, not TypeScript: its browser globals (`document`, `OffscreenCanvas`, `tf` from
 * `tf.min.js`) would need the DOM type library, which `deno check` would apply to the whole
 * project. tests/export/page_test.ts runs it in Chromium.
 *
 * @module
 */

import { prepareRgbImage } from "../../data/preprocess.ts";
import { csvText } from "../../util/csv.ts";

/** `tf.min.js`, loaded by a script tag before this module. */
const tf = globalThis.tf;

/**
 * One scored image, as the page shows it (and tests read it).
 * @typedef {{ name: string, score?: number, error?: string, pixels?: Uint8Array }} Row
 */

const $ = (id) => document.getElementById(id);
const status = (text) => $("status").textContent = text;

async function main() {
  // The cpu backend runs the same kernels as edegan's own cpu scoring, so that the page's scores
  // are edegan's to float32 rounding; a student is small enough for it.
  await tf.setBackend("cpu");
  const metadata = await (await fetch("model/edegan-export.json")).json();
  const model = await tf.loadGraphModel("model/model.json");
  const [, size, , channels] = metadata.input.shape;
  const { threshold, fpr } = metadata.calibration;
  const config = metadata.config;
  $("model").textContent = `${metadata.source}: ${size}x${size}x${channels} input, width ` +
    `${config.width}, latent ${config.latentSize}; BatchNorm ${metadata.bnStats}; threshold ` +
    `${formatScore(threshold)} (false-positive rate ${fpr} on validation normals)` +
    (metadata.data
      ? `; trained on ${metadata.data.dataset}, class ${metadata.data.normalClass} ` +
        `(${metadata.data.protocol})`
      : "");
  document.body.dataset.threshold = String(threshold);
  document.body.dataset.ready = "true";
  /** Every image scored so far, for the CSV download. @type {Row[]} */
  const scored = [];
  $("download").addEventListener("click", () => {
    const blob = new Blob([scoresCsv(scored, threshold)], { type: "text/csv" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "scores.csv";
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 0);
  });

  const score = async (files) => {
    status(`scoring ${files.length} image(s)…`);
    /** @type {Row[]} */
    const rows = [];
    for (const file of files) {
      try {
        rows.push({ name: file.name, pixels: prepareRgbImage(await decode(file), size, channels) });
      } catch (error) {
        rows.push({ name: file.name, error: error.message });
      }
    }
    const good = rows.filter((r) => r.pixels);
    if (good.length > 0) {
      const per = size * size * channels;
      const values = new Float32Array(good.length * per);
      good.forEach((r, i) => {
        for (let k = 0; k < per; k++) values[i * per + k] = r.pixels[k] / 127.5 - 1;
      });
      const x = tf.tensor4d(values, [good.length, size, size, channels]);
      const out = model.predict(x);
      const scores = await out.data();
      tf.dispose([x, out]);
      good.forEach((r, i) => {
        // A score that is not a number decides nothing: a row with the reason, as `deno task
        // score` refuses to write one.
        if (Number.isFinite(scores[i])) r.score = scores[i];
        else r.error = `score is ${scores[i]}; no decision can be made from it`;
      });
    }
    show(rows, threshold, size, channels);
    scored.push(...rows.filter((r) => r.score !== undefined));
    $("download").hidden = scored.length === 0;
    $("download").textContent = `Download scores (CSV, ${scored.length} image(s))`;
    status(
      `${good.length} image(s) scored` +
        (good.length < rows.length ? `, ${rows.length - good.length} unreadable` : ""),
    );
    document.body.dataset.scored = String(Number(document.body.dataset.scored ?? 0) + rows.length);
  };

  const input = $("files");
  input.addEventListener("change", () => score([...input.files ?? []]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    score([...e.dataTransfer?.files ?? []]);
  });
  status("ready: drop images or choose files");
}

/**
 * RGB pixels of an image file. Opaque pixels are the file's own values; transparent ones are
 * composited onto white as `decodeImage` does (the browser's canvas keeps alpha premultiplied, so
 * a partly transparent pixel may differ by one level from edegan's PNG decoder).
 */
async function decode(file) {
  const bitmap = await createImageBitmap(file, {
    premultiplyAlpha: "none",
    colorSpaceConversion: "none",
  }).catch(() => {
    throw new Error("unreadable image, expected a PNG or JPEG file");
  });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const rgba = context.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const alpha = rgba[p * 4 + 3];
    for (let c = 0; c < 3; c++) {
      const v = rgba[p * 4 + c];
      rgb[p * 3 + c] = alpha === 255 ? v : Math.round((v * alpha + 255 * (255 - alpha)) / 255);
    }
  }
  return { width, height, rgb };
}

/** @param {Row[]} rows */
function show(rows, threshold, size, channels) {
  const table = $("results");
  table.hidden = false;
  const body = table.tBodies[0];
  for (const row of rows) {
    const tr = body.insertRow();
    tr.className = "result";
    tr.dataset.name = row.name;
    tr.insertCell().textContent = row.name;
    const thumb = tr.insertCell();
    if (row.pixels) thumb.append(thumbnail(row.pixels, size, channels));
    if (row.score === undefined) {
      const cell = tr.insertCell();
      cell.colSpan = 3;
      cell.className = "error";
      cell.textContent = row.error ?? "not scored";
      tr.dataset.error = row.error ?? "not scored";
      continue;
    }
    const anomalous = row.score >= threshold;
    tr.dataset.score = String(row.score);
    tr.dataset.decision = anomalous ? "anomalous" : "normal";
    const cell = tr.insertCell();
    cell.className = "num";
    cell.textContent = formatScore(row.score);
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.title = `score / threshold; the mark is the threshold ${formatScore(threshold)}`;
    const fill = document.createElement("span");
    fill.style.width = `${Math.min(100, 50 * row.score / threshold)}%`;
    fill.style.background = anomalous ? "#e4948e" : "#8fcf9f";
    const mark = document.createElement("i");
    mark.style.left = "50%";
    bar.append(fill, mark);
    const ratio = document.createElement("small");
    ratio.textContent = `${(row.score / threshold).toFixed(3)}x`;
    const barCell = tr.insertCell();
    barCell.append(bar, ratio);
    barCell.style.whiteSpace = "nowrap";
    const decision = tr.insertCell();
    decision.className = anomalous ? "anomalous" : "normal";
    const relation = anomalous ? "≥" : "<";
    decision.textContent = `${tr.dataset.decision} (${relation} ${formatScore(threshold)})`;
  }
}

/**
 * The scored rows as `deno task score` writes its CSV (`item,score,class,label,decision`, read by
 * `readScoresCsv`): each score in full (float32 as a JavaScript number), class and label empty,
 * decision 1 (anomalous, score >= threshold) or 0.
 * @param {Row[]} rows
 */
function scoresCsv(rows, threshold) {
  const records = rows.map((r) => ({
    item: r.name,
    score: r.score,
    class: undefined,
    label: undefined,
    decision: r.score >= threshold ? 1 : 0,
  }));
  return csvText(records, ["item", "score", "class", "label", "decision"]);
}

/** A score for reading: 5 significant digits, in exponent form when small. */
function formatScore(score) {
  return Math.abs(score) < 1e-3 && score !== 0 ? score.toExponential(4) : score.toPrecision(5);
}

/** The prepared image, as the model sees it. */
function thumbnail(pixels, size, channels) {
  const canvas = document.createElement("canvas");
  canvas.className = "thumb";
  canvas.width = size;
  canvas.height = size;
  const context = canvas.getContext("2d");
  const image = context.createImageData(size, size);
  for (let p = 0; p < size * size; p++) {
    for (let c = 0; c < 3; c++) {
      image.data[p * 4 + c] = pixels[p * channels + (channels === 1 ? 0 : c)];
    }
    image.data[p * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
  return canvas;
}

main().catch((error) => {
  status(`error: ${error.message}`);
  document.body.dataset.error = error.message;
});
