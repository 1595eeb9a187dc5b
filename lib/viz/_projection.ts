/**
 * Two-dimensional projections of latent vectors for scatter plots.
 *
 * @module
 */
import { PCA } from "ml-pca";
import { UMAP } from "umap-js";
import { createRng } from "../util/rng.ts";

/** A 2-D embedding and the names of its axes. */
export interface Projection {
  coords: number[][];
  axisTitles: [string, string];
}

/**
 * Projects `points` (n x d) to 2-D by PCA (deterministic) or UMAP (seeded). Points with fewer
 * than two dimensions are padded with zeros so that the plot still has two axes.
 */
export function project2d(points: number[][], method: "pca" | "umap", seed = 0): Projection {
  const n = points.length;
  if (n === 0) return { coords: [], axisTitles: ["", ""] };
  const d = points[0].length;
  for (let i = 0; i < n; i++) {
    if (points[i].length !== d) {
      throw new RangeError(`latentScatter: point ${i} has ${points[i].length} dims, point 0 ${d}`);
    }
    for (const v of points[i]) {
      if (!Number.isFinite(v)) throw new RangeError(`latentScatter: point ${i} holds ${v}`);
    }
  }
  const padded = d >= 2 ? points : points.map((p) => [...p, ...new Array(2 - d).fill(0)]);
  if (method === "pca") return pca2d(padded);
  if (method === "umap") return umap2d(padded, seed);
  throw new RangeError(`latentScatter: unknown method ${method}; use "pca" or "umap"`);
}

function pca2d(points: number[][]): Projection {
  if (points.length < 2) {
    return { coords: points.map(() => [0, 0]), axisTitles: ["PC1", "PC2"] };
  }
  // Centred, not scaled: latent dimensions share units, so their variances should count.
  const pca = new PCA(points, { center: true, scale: false });
  const coords = pca.predict(points, { nComponents: 2 }).to2DArray();
  const explained = pca.getExplainedVariance();
  const pct = (i: number) =>
    Number.isFinite(explained[i]) ? ` (${(explained[i] * 100).toFixed(1)}%)` : "";
  return { coords, axisTitles: [`PC1${pct(0)}`, `PC2${pct(1)}`] };
}

function umap2d(points: number[][], seed: number): Projection {
  const n = points.length;
  // UMAP needs more points than neighbours; below a handful there is no manifold to learn.
  if (n < 4) return { ...pca2d(points), axisTitles: ["UMAP 1", "UMAP 2"] };
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(15, n - 1)),
    minDist: 0.1,
    random: createRng(seed),
  });
  return { coords: umap.fit(points), axisTitles: ["UMAP 1", "UMAP 2"] };
}
