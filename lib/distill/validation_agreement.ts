/**
 * A criterion for choosing a distillation design without the test set (results/README.md,
 * "Choosing the distillation design"): how closely a student ranks the held-out validation
 * normals as its teacher does. Both score the same images; Spearman's rank correlation (jStat's
 * `spearmancoeff`: Pearson's correlation of ranks, ties at their mean rank) ignores the score
 * scales, which differ between a teacher and a small student.
 *
 * @module
 */

import jStatModule from "jstat";

// jstat ships no types; the function used here, typed.
const jStat = jStatModule as unknown as {
  spearmancoeff(a: number[], b: number[]): number;
};

/** The criterion in words, as job files record it. */
export const VALIDATION_AGREEMENT_CRITERION =
  "Spearman rank correlation between the student's and the teacher's scores on the validation " +
  "normals (higher: the student ranks unseen normals as its teacher does); no test image used";

/**
 * Spearman's rank correlation of the teacher's and the student's scores on the same validation
 * images, in [-1, 1].
 *
 * @throws {RangeError} when the lengths differ, fewer than 2 images are given, a score is not
 *   finite, or either model scores every image alike (no ranking to compare).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { validationAgreement } from "./validation_agreement.ts";
 * // the same ranking whatever the scales; the reverse ranking
 * assertAlmostEquals(validationAgreement([0.1, 0.2, 0.3, 0.4], [1, 5, 6, 900]), 1, 1e-12);
 * assertAlmostEquals(validationAgreement([0.1, 0.2, 0.3], [3, 2, 1]), -1, 1e-12);
 * ```
 */
export function validationAgreement(
  teacherScores: ArrayLike<number>,
  studentScores: ArrayLike<number>,
): number {
  if (teacherScores.length !== studentScores.length) {
    throw new RangeError(
      `validationAgreement: ${teacherScores.length} teacher scores but ${studentScores.length} ` +
        "student scores; both must score the same validation images",
    );
  }
  if (teacherScores.length < 2) {
    throw new RangeError("validationAgreement: needs at least 2 validation images");
  }
  const t = Array.from(teacherScores), s = Array.from(studentScores);
  if ([...t, ...s].some((x) => !Number.isFinite(x))) {
    throw new RangeError("validationAgreement: a score is not finite");
  }
  const rho = jStat.spearmancoeff(t, s);
  if (!Number.isFinite(rho)) {
    throw new RangeError("validationAgreement: a model scores every validation image alike");
  }
  return rho;
}
