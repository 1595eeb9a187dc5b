/**
 * The published figures the results are compared with (results/paper_figures.json: EDE-GAN,
 * P-KDGAN IJCAI 2020, arXiv 2109.07295), read once for every renderer.
 *
 * @module
 */

/** The parts of results/paper_figures.json the tables use. */
export interface PaperFigures {
  /** Published ROC AUC in %, by dataset then method (`ede-gan teacher`, `p-kdgan student`...). */
  auc_percent: Record<string, Record<string, { value: number }>>;
  /** The papers' headline compression ratio (teacher FLOPs / student FLOPs) per dataset. */
  compression_ratios: { by_dataset: Record<string, number> };
  /** P-KDGAN's published gain over the student trained alone, in points, per dataset. */
  student_gain_percent: { values: Record<string, number> };
}

/**
 * Reads a paper figures file.
 *
 * @throws {Error} naming the file when it is missing, not JSON, or lacks one of the three parts.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { loadPaperFigures } from "./paper_figures.ts";
 * const paper = await loadPaperFigures(new URL("../../results/paper_figures.json", import.meta.url));
 * assertEquals(paper.compression_ratios.by_dataset.mnist, 311.11);
 * ```
 */
export async function loadPaperFigures(path: string | URL): Promise<PaperFigures> {
  let value: PaperFigures;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`${path}: cannot read the paper figures (${(error as Error).message})`);
  }
  for (const key of ["auc_percent", "compression_ratios", "student_gain_percent"] as const) {
    if (typeof value?.[key] !== "object" || value[key] === null) {
      throw new Error(`${path}: expected an object "${key}"`);
    }
  }
  return value;
}
