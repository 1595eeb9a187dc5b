/**
 * `deno task reproduce`: the paper's protocol on one dataset, every class (0-9), through the
 * sweep (resumable, shardable with `--shard`), then the per-class AUC table and the averages next
 * to the published figures of `results/paper_figures.json`, with their sources.
 *
 *     deno task reproduce --dataset mnist seeds=0,1 --preset paper
 *
 * `--preset` defaults to `paper` here. With `--shard i/n` a machine runs its part; the table then
 * covers whatever jobs under `--out` are finished so far.
 *
 * @module
 */

import { fromFileUrl, join } from "@std/path";
import { formatTable, parseFlags, runTask } from "../lib/cli/flags.ts";
import { preset, type PresetName } from "../lib/run/presets.ts";
import type { BackendChoice } from "../lib/backend/select.ts";
import {
  parseIntList,
  parseKeyValues,
  parseMethods,
  parseWidths,
  sweepJobs,
} from "../lib/sweep/grid.ts";
import { parseShard } from "../lib/sweep/shard.ts";
import { formatAuc, mergeResults, readJobResults, tablesMarkdown } from "../lib/sweep/merge.ts";
import { runShard, seedList } from "./_sweep_shard.ts";
import { writeFileAtomic, writeJsonAtomic } from "../lib/util/atomic.ts";
import type { DatasetName } from "../lib/data/types.ts";
import { prepareOutDir, prepareOutFile } from "../lib/util/out_dir.ts";

interface PaperFigures {
  sources: Record<string, string>;
  auc_percent: Record<string, Record<string, { value: number; source: string }>>;
  compression_ratios: {
    values: number[];
    by_dataset?: Record<string, number>;
    sources: string[];
    note: string;
  };
  student_gain_percent?: { values: Record<string, number>; sources: string[]; note: string };
}

await runTask(async () => {
  const flags = parseFlags(
    "reproduce",
    Deno.args,
    {
      dataset: "mnist",
      seed: undefined,
      students: undefined,
      methods: "scratch,one-step,pkdgan",
      shard: "1/1",
      out: undefined,
      preset: "paper",
      backend: "auto",
      threads: undefined,
      "data-dir": undefined,
      json: undefined,
    },
    "Run the paper's protocol (every class) on one dataset and compare with the published " +
      "figures.\nPositional: seeds=0,1 (default: --seed, else 0). --preset defaults to paper.",
  );
  if (flags === null) return;
  const dataset = flags.dataset as DatasetName;
  if (dataset === "folder") {
    throw new Error("--dataset: reproduce takes mnist, fashion-mnist or cifar10");
  }
  const chosen = flags.preset as PresetName;
  const kv = parseKeyValues(flags._, ["seeds"]);
  const seeds = seedList(flags.seed as number | undefined, kv.seeds);
  const grid = {
    datasets: [dataset],
    classes: parseIntList("0-9", "classes"),
    seeds,
    widths: parseWidths(String(flags.students ?? preset(chosen).students.join(","))),
    methods: parseMethods(String(flags.methods)),
  };
  const out = String(flags.out ?? `results/reproduce-${dataset}-${chosen}`);
  const all = sweepJobs(grid);
  await prepareOutDir(out, "--out");
  if (flags.json) await prepareOutFile(String(flags.json), "--json");
  const shard = parseShard(String(flags.shard));
  const summary = await runShard({
    jobs: all,
    shard,
    out,
    preset: chosen,
    // The preset's generator average (paper: --ema auto), as `train` and `distill` use it.
    ema: preset(chosen).ema,
    backend: flags.backend as BackendChoice,
    threads: flags.threads as number | undefined,
    dataDir: flags["data-dir"] as string | undefined,
  });

  const wanted = new Set(all.map((j) => j.id));
  const results = (await readJobResults(out)).filter((r) => wanted.has(r.id));
  if (results.length === 0) throw new Error(`no finished jobs in ${out}/jobs`);
  const tables = mergeResults(results);
  await writeFileAtomic(join(out, "tables.md"), tablesMarkdown(tables));
  await writeJsonAtomic(join(out, "tables.json"), tables);
  const d = tables.datasets[0];
  if (results.length < all.length) {
    console.log(`\nnote: ${results.length} of ${all.length} jobs finished; the table is partial`);
  }

  // Per class: the teacher and every (width, method), AUC % as mean ± std over seeds.
  const columns = d.students.flatMap((s) =>
    Object.entries(s.methods).map(([m, t]) => ({ name: `w${s.width} ${m}`, table: t! }))
  );
  const perClass: Record<string, unknown>[] = d.teacher.per_class.map((c) => ({
    class: c.normal_class,
    teacher: formatAuc(c),
    ...Object.fromEntries(columns.map((col) => {
      const cell = col.table.per_class.find((x) => x.normal_class === c.normal_class);
      return [col.name, cell ? formatAuc(cell) : "-"];
    })),
  }));
  perClass.push({
    class: "avg",
    teacher: formatAuc(d.teacher.average),
    ...Object.fromEntries(columns.map((col) => [col.name, formatAuc(col.table.average)])),
  });
  console.log(`\n${dataset}, preset ${chosen}, seeds ${d.seeds.join(", ")}: ROC AUC (%)`);
  console.log(formatTable(perClass, ["class", "teacher", ...columns.map((c) => c.name)]));

  // The averages beside the published figures.
  const figuresPath = fromFileUrl(new URL("../results/paper_figures.json", import.meta.url));
  const figures: PaperFigures = JSON.parse(await Deno.readTextFile(figuresPath));
  const published = figures.auc_percent[dataset] ?? {};
  const sourcesOf = (keys: string[]) => keys.map((k) => figures.sources[k]).join("; ");
  const pk = d.students.filter((s) => s.methods.pkdgan);
  const rows: Record<string, unknown>[] = [{
    figure: "EDE-GAN teacher",
    published: published["ede-gan teacher"]?.value.toFixed(2) ?? "-",
    measured: `${formatAuc(d.teacher.average)} (width ${d.teacher.width})`,
    source: figures.sources[published["ede-gan teacher"]?.source] ?? "-",
  }, {
    figure: "P-KDGAN student",
    published: published["p-kdgan student"]?.value.toFixed(2) ?? "-",
    measured: pk.map((s) =>
      `w${s.width} (${s.ratio.toFixed(2)}:1) ${formatAuc(s.methods.pkdgan!.average)}`
    ).join("; ") || "-",
    source: figures.sources[published["p-kdgan student"]?.source] ?? "-",
  }];
  if (published["ocgan"]) {
    rows.push({
      figure: "OCGAN",
      published: published["ocgan"].value.toFixed(2),
      measured: "(not run here)",
      source: figures.sources[published["ocgan"].source],
    });
  }
  // P-KDGAN's gain over the same student trained alone, in AUC points.
  const gain = figures.student_gain_percent?.values[dataset];
  const ratio = figures.compression_ratios.by_dataset?.[dataset];
  const measuredGains = pk.filter((s) => s.methods.scratch).map((s) => {
    const p = s.methods.pkdgan!.average.mean, b = s.methods.scratch!.average.mean;
    const points = p === null || b === null ? null : (p - b) * 100;
    const d = points === null ? "-" : `${points >= 0 ? "+" : ""}${points.toFixed(2)}`;
    return `w${s.width} (${s.ratio.toFixed(2)}:1) ${d}`;
  });
  rows.push({
    figure: "P-KDGAN gain over scratch",
    published: gain === undefined ? "-" : `+${gain.toFixed(2)} at ${ratio}:1`,
    measured: measuredGains.join("; ") || "-",
    source: gain === undefined ? "-" : sourcesOf(figures.student_gain_percent!.sources),
  });
  console.log(`\n${dataset}: average AUC (%) beside the published figures`);
  console.log(formatTable(rows));
  console.log(
    `published compression ratios: ${
      figures.compression_ratios.values.map((r) => `${r}:1`).join(", ")
    } (${sourcesOf(figures.compression_ratios.sources)}); ` +
      `measured: ${d.students.map((s) => `w${s.width} ${s.ratio.toFixed(2)}:1`).join(", ")}`,
  );
  if (flags.json) {
    await writeJsonAtomic(String(flags.json), { tables, published, figures_file: figuresPath });
  }
  console.log(`\ntables written to ${out}/tables.md and ${out}/tables.json`);
  if (summary.failed.length > 0) {
    throw new Error(`${summary.failed.length} job(s) failed; rerun the same command to retry them`);
  }
});
