/**
 * Image grids: images as heat maps or RGB images, one subplot each, titled and row-labelled,
 * and the most normal and most anomalous test images beside their reconstructions. Pure plotly
 * specs.
 *
 * @module
 */
// @ts-types="@types/plotly.js"
import type * as Plotly from "plotly.js-dist-min";
import type { Figure } from "./figure.ts";
import { figureTitle } from "./_layout.ts";

// ---------------------------------------------------------------------------------------------
// Image grids

/** One image of a grid; pixels row-major height x width x channels (tfjs NHWC order). */
export interface GridImage {
  /** height x width x channels values. */
  pixels: Float32Array | Uint8Array;
  /** Rows of pixels. */
  height: number;
  /** Columns of pixels. */
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Shown above the image. */
  title?: string;
  /** Pixel values mapped to black and white; inferred when absent (see `imageGrid`). */
  range?: [number, number];
  /** Draw as a heat map with this colour scale (e.g. "Hot" for |x - x_hat|); channels averaged. */
  colorscale?: string;
  /** Show this heat map's colour bar, with this title, right of the grid beside its row. */
  colorbar?: string;
}

/** Options of `imageGrid`. */
export interface ImageGridOptions {
  /** Images per row (default: all in one row, at most 8). */
  columns?: number;
  /** Title of the figure. */
  title?: string;
  /** Side of one cell in pixels (default 110). */
  cellPx?: number;
  /** Labels written vertically left of each row. */
  rowLabels?: string[];
}

/** Room above an untitled grid for plotly's toolbar, which would cover the first row's titles. */
export const MODEBAR_CLEARANCE = 36;

/**
 * A grid of images, one subplot each: 3-channel images as plotly `image` traces, 1-channel
 * images and any image with a `colorscale` as heat maps (grey unless a colour scale is given).
 * Value ranges, when not given, are inferred: Uint8Array [0, 255]; floats within [0, 1] as
 * [0, 1], within [-1, 1] (tanh outputs) as [-1, 1], otherwise their own min and max.
 *
 * @throws {RangeError} when an image's pixel count differs from height x width x channels.
 *
 * @example
 * ```ts
 * import { imageGrid } from "./image_grids.ts";
 * const fig = imageGrid([
 *   { pixels: new Float32Array([0, 1, 1, 0]), height: 2, width: 2, channels: 1, title: "x" },
 *   { pixels: new Uint8Array(12).fill(200), height: 2, width: 2, channels: 3 },
 * ]);
 * if (fig.data[0].type !== "heatmap" || fig.data[1].type !== "image") throw new Error();
 * ```
 */
export function imageGrid(images: GridImage[], opts: ImageGridOptions = {}): Figure {
  const columns = Math.max(1, opts.columns ?? Math.min(images.length, 8));
  const rows = Math.max(1, Math.ceil(images.length / columns));
  const cell = opts.cellPx ?? 110;
  // Room above each cell for its title: 22 px for one line, 14 px more per extra line (<br>).
  const lines = Math.max(1, ...images.map((img) => (img.title ?? "").split("<br>").length));
  const titleGap = 8 + 14 * lines;
  const bars = images.some((img) => img.colorbar !== undefined);
  const margin = {
    l: opts.rowLabels ? 34 : 10,
    r: bars ? 90 : 10,
    // Plotly's toolbar (28 px, top right, on hover) must clear the first row's titles.
    t: opts.title ? 50 : MODEBAR_CLEARANCE,
    b: 10,
  };
  const width = columns * cell + margin.l + margin.r;
  const plotHeight = rows * (cell + titleGap);
  const height = plotHeight + margin.t + margin.b;
  const gap = 0.04 / columns;
  const layout: Partial<Plotly.Layout> = {
    title: opts.title ? figureTitle(opts.title) : undefined,
    width,
    height,
    margin,
    showlegend: false,
    annotations: [],
  };
  const data: Plotly.Data[] = [];
  const axes = layout as Record<string, unknown>;
  images.forEach((img, i) => {
    const expected = img.height * img.width * img.channels;
    if (img.pixels.length !== expected) {
      throw new RangeError(
        `imageGrid: image ${i} has ${img.pixels.length} values, ` +
          `expected ${img.height}x${img.width}x${img.channels} = ${expected}`,
      );
    }
    const row = Math.floor(i / columns), col = i % columns;
    const x0 = col / columns + gap, x1 = (col + 1) / columns - gap;
    const top = 1 - (row * (cell + titleGap) + titleGap) / plotHeight;
    const bottom = 1 - (row + 1) * (cell + titleGap) / plotHeight;
    const suffix = i === 0 ? "" : String(i + 1);
    const hidden = { showticklabels: false, showgrid: false, zeroline: false, ticks: "" };
    axes[`xaxis${suffix}`] = { ...hidden, domain: [x0, x1], anchor: `y${suffix}` };
    axes[`yaxis${suffix}`] = {
      ...hidden,
      domain: [bottom, top],
      anchor: `x${suffix}`,
      autorange: "reversed",
      scaleanchor: `x${suffix}`,
    };
    const trace = { ...imageTrace(img), xaxis: `x${suffix}`, yaxis: `y${suffix}` };
    if (img.colorbar !== undefined && trace.type === "heatmap") {
      Object.assign(trace, {
        showscale: true,
        colorbar: {
          title: { text: img.colorbar, side: "right" },
          x: 1.01,
          xanchor: "left",
          y: (top + bottom) / 2,
          yanchor: "middle",
          len: top - bottom,
          thickness: 10,
          tickfont: { size: 9 },
        },
      });
    }
    data.push(trace);
    if (img.title) {
      layout.annotations!.push({
        text: img.title,
        xref: "paper",
        yref: "paper",
        x: (x0 + x1) / 2,
        y: top,
        xanchor: "center",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 11 },
      });
    }
  });
  opts.rowLabels?.slice(0, rows).forEach((text, row) => {
    layout.annotations!.push({
      text,
      xref: "paper",
      yref: "paper",
      x: 0,
      y: 1 - (row * (cell + titleGap) + titleGap + cell / 2) / plotHeight,
      xanchor: "right",
      yanchor: "middle",
      textangle: "-90",
      showarrow: false,
      font: { size: 11 },
    });
  });
  return { data, layout };
}

function inferRange(img: GridImage): [number, number] {
  if (img.range) return img.range;
  if (img.pixels instanceof Uint8Array) return [0, 255];
  let min = Infinity, max = -Infinity;
  for (const v of img.pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min >= 0 && max <= 1) return [0, 1];
  if (min >= -1 && max <= 1) return [-1, 1];
  return max > min ? [min, max] : [min, min + 1];
}

function imageTrace(img: GridImage): Plotly.Data {
  const [lo, hi] = inferRange(img);
  const { height: h, width: w, channels: c, pixels } = img;
  if (c === 3 && !img.colorscale) {
    const scale = 255 / (hi - lo);
    const z = Array.from({ length: h }, (_, y) =>
      Array.from({ length: w }, (_, x) => {
        const at = (y * w + x) * 3;
        return [0, 1, 2].map((k) => {
          const v = Math.round((pixels[at + k] - lo) * scale);
          return v < 0 ? 0 : v > 255 ? 255 : v;
        });
      }));
    return { type: "image", z, hovertemplate: "(%{x}, %{y}) %{z}<extra></extra>" };
  }
  const z = Array.from({ length: h }, (_, y) =>
    Array.from({ length: w }, (_, x) => {
      let sum = 0;
      for (let k = 0; k < c; k++) sum += pixels[(y * w + x) * c + k];
      return sum / c;
    }));
  return {
    type: "heatmap",
    z,
    zmin: lo,
    zmax: hi,
    colorscale: img.colorscale ?? [[0, "#000000"], [1, "#ffffff"]],
    showscale: false,
    hovertemplate: "(%{x}, %{y}) %{z:.3f}<extra></extra>",
  };
}

/** Inputs of `reconstructionGrid`: a batch of test images, their reconstructions and scores. */
export interface ReconstructionGridInput {
  /** n x height x width x channels, flat (e.g. `tensor.dataSync()`). */
  images: Float32Array | Uint8Array;
  /** G(x), same layout as `images`. */
  reconstructions: Float32Array | Uint8Array;
  /** Anomaly score of each item (higher = more anomalous). */
  scores: ArrayLike<number>;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel (1 or 3). */
  channels: number;
  /** How many of each extreme to show (default 6). */
  k?: number;
  /** Title of the figure. */
  title?: string;
  /** The test-set index of each item, shown in its title (default: its position here). */
  items?: ArrayLike<number>;
  /** The true class of each item, shown in its title. */
  classes?: ArrayLike<number>;
}

/**
 * The `k` most normal and `k` most anomalous test items by score, as six labelled rows: image
 * (titled with its test index from `items`, its class when `classes` is given, and its score),
 * reconstruction and |x - x_hat| heat map (with a colour bar) of the most normal (most normal
 * first), then the same of the most anomalous (most anomalous first).
 *
 * @throws {RangeError} when the arrays disagree in size.
 *
 * @example
 * ```ts
 * import { reconstructionGrid } from "./image_grids.ts";
 * const x = new Float32Array(3 * 4), xHat = x.map((_, i) => (i % 4) / 4);
 * const fig = reconstructionGrid({
 *   images: x, reconstructions: xHat, scores: [0.1, 0.9, 0.5],
 *   height: 2, width: 2, channels: 1, k: 1,
 * });
 * if (fig.data.length !== 6) throw new Error("2 extremes x 3 rows");
 * ```
 */
export function reconstructionGrid(input: ReconstructionGridInput): Figure {
  const { images, reconstructions, scores, height, width, channels } = input;
  const size = height * width * channels;
  const n = scores.length;
  if (input.items && input.items.length !== n) {
    throw new RangeError(`reconstructionGrid: ${n} scores but ${input.items.length} items`);
  }
  if (images.length !== n * size || reconstructions.length !== n * size) {
    throw new RangeError(
      `reconstructionGrid: ${n} scores need ${n * size} values each; ` +
        `got ${images.length} images, ${reconstructions.length} reconstructions`,
    );
  }
  const k = Math.min(input.k ?? 6, Math.floor(n / 2) || n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  const mostNormal = order.slice(0, k), mostAnomalous = order.slice(n - k).reverse();
  const cells: GridImage[] = [];
  const range = inferRange({ pixels: images, height: 1, width: 1, channels: images.length });
  for (const indices of [mostNormal, mostAnomalous]) {
    const slices = indices.map((i) => ({
      i,
      x: images.subarray(i * size, (i + 1) * size),
      xHat: reconstructions.subarray(i * size, (i + 1) * size),
    }));
    for (const { i, x } of slices) {
      cells.push({
        pixels: x,
        height,
        width,
        channels,
        range,
        title: `${input.classes ? `class ${input.classes[i]} · ` : ""}#${input.items?.[i] ?? i}` +
          `<br>s=${Number(Number(scores[i]).toPrecision(3))}`,
      });
    }
    for (const { xHat } of slices) {
      cells.push({ pixels: xHat, height, width, channels, range });
    }
    for (const [j, { x, xHat }] of slices.entries()) {
      const diff = new Float32Array(size);
      for (let j = 0; j < size; j++) diff[j] = Math.abs(x[j] - xHat[j]);
      cells.push({
        pixels: diff,
        height,
        width,
        channels,
        range: [0, range[1] - range[0]],
        colorscale: "Hot",
        ...(j === 0 ? { colorbar: "|x - x_hat|" } : {}),
      });
    }
  }
  const rowLabels = ["normal: x", "x_hat", "|x - x_hat|", "anomalous: x", "x_hat", "|x - x_hat|"];
  return imageGrid(cells, {
    columns: k,
    rowLabels,
    title: input.title ?? "Most normal and most anomalous test images",
  });
}
