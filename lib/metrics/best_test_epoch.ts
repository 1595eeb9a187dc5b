/**
 * The reference code's protocol: the papers build on GANomaly's code, which evaluates the test
 * set after every epoch and reports the best epoch's AUC. This toolkit's headline is the last
 * epoch's (nothing is chosen on the test set); the best test epoch is shown beside it, labelled,
 * for comparison with published figures only, and never used to choose anything.
 *
 * @module
 */

/** The label every table gives the best-epoch figure. */
export const BEST_TEST_EPOCH_LABEL = "best test epoch (reference code's protocol, comparison only)";

/**
 * The epoch with the highest test AUC in a per-epoch history (the first on ties), or `null` when
 * no epoch recorded an AUC. Records without a finite `auc` are passed over. Where the records name
 * their training stage (a distillation's history restarts its epochs at each stage), the result
 * names it too.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bestTestEpoch } from "./best_test_epoch.ts";
 * const history = [{ epoch: 1, auc: 0.9 }, { epoch: 2, auc: 0.95 }, { epoch: 3, auc: 0.93 }];
 * assertEquals(bestTestEpoch(history), { epoch: 2, auc: 0.95 });
 * assertEquals(bestTestEpoch([{ epoch: 1 }]), null);
 * // a distillation's stages restart the epochs: the stage says which
 * assertEquals(bestTestEpoch([{ epoch: 3, auc: 0.96, stage: 1 }, { epoch: 3, auc: 0.95, stage: 2 }]),
 *   { epoch: 3, auc: 0.96, stage: 1 });
 * ```
 */
export function bestTestEpoch(
  history: readonly { epoch: number; auc?: number | null; stage?: number }[],
): { epoch: number; auc: number; stage?: number } | null {
  let best: { epoch: number; auc: number; stage?: number } | null = null;
  for (const record of history) {
    const auc = record.auc;
    if (typeof auc !== "number" || !Number.isFinite(auc)) continue;
    if (!best || auc > best.auc) {
      best = {
        epoch: record.epoch,
        auc,
        ...(record.stage !== undefined ? { stage: record.stage } : {}),
      };
    }
  }
  return best;
}
