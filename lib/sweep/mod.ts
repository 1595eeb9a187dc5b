/**
 * Sweeps: a grid of datasets x classes x seeds x student widths x methods, split into disjoint
 * shards for many machines, run resumably one result file per job, and merged into paper-style
 * tables; and campaigns (a `campaign.json` per results folder: train or distill jobs with exact flags, steps
 * and landing) through the same runner.
 *
 * @example
 * ```ts
 * import { parseShard, shardJobs, sweepJobs } from "./mod.ts";
 * const jobs = sweepJobs({ datasets: ["mnist"], classes: [0, 1, 2], seeds: [0], widths: [4],
 *   methods: ["pkdgan"] });
 * if (shardJobs(jobs, parseShard("1/2")).length !== 2) throw new Error();
 * ```
 *
 * @module
 */

export {
  expandGrid,
  type GridCell,
  jobId,
  parseDatasets,
  parseIntList,
  parseKeyValues,
  parseMethods,
  parseWidths,
  type SweepGrid,
  type SweepJob,
  sweepJobs,
  takeDatasets,
} from "./grid.ts";
export { parseShard, type Shard, shardJobs } from "./shard.ts";
export { parseOnly, selectJobs } from "./select.ts";
export {
  type CampaignGroup,
  type CampaignJob,
  campaignJobFunction,
  campaignJobs,
  type CampaignSpec,
  type CampaignStep,
  fillTemplate,
  flagArgs,
  type FlagValue,
  hasLanded,
  parseCampaignSpec,
  runTaskProcess,
  type TaskRunner,
} from "./campaign.ts";
export { campaignStatus, type JobState, type JobStatus, stateCounts } from "./campaign_status.ts";
export {
  distillJob,
  type DistillJobSettings,
  type JobFunction,
  type JobOutcome,
  jobOutcome,
  readJobResult,
  runSweep,
  type SweepJobResult,
  type SweepOptions,
  type SweepStudentResult,
  type SweepSummary,
} from "./runner.ts";
export {
  type AucTable,
  aucTable,
  type ClassAuc,
  type DatasetTables,
  formatAuc,
  type MergedTables,
  mergeResults,
  readJobResults,
  tablesMarkdown,
} from "./merge.ts";
