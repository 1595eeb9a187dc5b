/**
 * Signs that a finished run's headline number means nothing yet: a test ROC AUC below chance
 * (EDE-GAN's first epochs often rank normal images as the most anomalous, so the score is
 * inverted until training moves past that phase), or a test AUC still moving fast at the last
 * epoch. The warnings go into `run.json`'s `warnings` and on the command line; they read the
 * test set only to describe the run, never to choose anything.
 *
 * @module
 */

/** An AUC at or below this is no better than chance. */
export const CHANCE_AUC = 0.5;

/** A change of the test AUC over the last epoch larger than this means training had not settled. */
export const UNSETTLED_AUC_CHANGE = 0.1;

/**
 * The under-training warnings of a run, from its final test AUC and its per-epoch AUC curve
 * (`history[i].auc`, absent when not evaluated each epoch). Empty when nothing looks wrong.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { underTrainingWarnings } from "./under_training.ts";
 * assertEquals(underTrainingWarnings(0.9967, [{ epoch: 1, auc: 0.99 }, { epoch: 2, auc: 0.9967 }]), []);
 * const [line] = underTrainingWarnings(0.0115, [{ epoch: 1, auc: 0.0115 }]);
 * assertEquals(line.startsWith("test AUC 0.0115 after 1 epoch is below chance: train longer"), true);
 * ```
 */
export function underTrainingWarnings(
  auc: number,
  history: readonly { epoch: number; auc?: number }[],
): string[] {
  const warnings: string[] = [];
  const epochs = history.at(-1)?.epoch ?? 0;
  const after = `after ${epochs} epoch${epochs === 1 ? "" : "s"}`;
  if (auc < CHANCE_AUC) {
    warnings.push(
      `test AUC ${auc.toFixed(4)} ${after} is below chance: train longer (raise --epochs); ` +
        "a model's first epochs can invert its score (EDE-GAN's often do), so this number says " +
        "nothing about the method yet",
    );
  }
  const [before, last] = history.slice(-2).map((h) => h.auc);
  if (
    history.length >= 2 && before !== undefined && last !== undefined &&
    Math.abs(last - before) > UNSETTLED_AUC_CHANGE
  ) {
    warnings.push(
      `test AUC moved ${before.toFixed(4)} -> ${last.toFixed(4)} over the last epoch: ` +
        "training has not settled, train longer (raise --epochs) before reading the result",
    );
  }
  return warnings;
}
