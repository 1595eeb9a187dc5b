/**
 * Ships the published campaign's students (issue 28, point 2) once they have been distilled again
 * by `deno task sweep --spec results/students/ship.json`: for each finished job
 * `runs/ship/runs/distill-D-C-b64-sS`, compares its `results.json` with the committed
 * `results/students/D-C-b64-sS/results.json` (the teacher's test AUC and every scratch and P-KDGAN
 * student's, matched by width and latent, within 1e-6; one-step KD students are not shipped, so
 * not compared) and, where
 * all agree, packs the headline ratio's scratch and P-KDGAN students with `deno task ship` as
 * `models/D-C-311-METHOD` (MNIST, 311.11:1) or `models/D-C-700-METHOD` (Fashion-MNIST, 700:1).
 * A model already in `models/` is left as it is. A job that disagrees is named and shipped not.
 *
 * P-KDGAN's students do not come back from today's code (results/README.md, "Which results come
 * back": the joint stage's first step), while the teacher, scratch and one-step KD do. With
 * `--rerun-pkdgan` a job whose teacher and scratch students agree ships its P-KDGAN student as
 * rerun by today's code, its own `run.json` and AUC, and prints how far that AUC is from the
 * committed one; without it such a job is refused like any other difference.
 *
 * `deno run -A results/students/ship_land.ts [--dry-run] [--rerun-pkdgan] [JOB_DIR...]` (default: every job under
 * runs/ship/runs); a job counts as finished only with the sweep's record of it
 * (`runs/ship/jobs/distill-D-C-b64-sS.json`, beside the `runs/` folder that holds it), since a
 * distillation rewrites `results.json` after each student. Exits 1 when a job disagrees, 2 on an
 * unknown flag.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { basename, dirname, fromFileUrl, join, resolve } from "@std/path";
import { readJsonIfPresent } from "../../lib/util/json.ts";
import { exists } from "../../lib/util/atomic.ts";

/** The fields of a distillation's `results.json` compared here. */
export interface StudentResults {
  dataset: string;
  normal_class: number;
  teacher: { auc: number };
  students: {
    width: number;
    latent: number;
    ratio: number;
    auc_scratch?: number | null;
    auc_pkdgan?: number | null;
  }[];
}

/** The AUCs within which a job distilled again counts as the committed one. */
export const SHIP_TOLERANCE = 1e-6;

/** One comparison of a rerun AUC with the committed one. */
export interface AucCheck {
  /** `teacher`, or a student's `w<width>-l<latent>-<method>` (its job folder's name). */
  what: string;
  rerun: number;
  committed: number;
  ok: boolean;
}

/**
 * Compares a rerun's results with the committed ones: the teacher and, for each committed
 * student (width, latent), its scratch and P-KDGAN AUCs; a student missing from the rerun fails.
 *
 * @example
 * ```ts
 * import { compareStudentResults } from "./ship_land.ts";
 * const r = { dataset: "mnist", normal_class: 1, teacher: { auc: 0.99 },
 *   students: [{ width: 3, latent: 32, ratio: 315, auc_scratch: 0.9, auc_pkdgan: 0.8 }] };
 * const checks = compareStudentResults(r, structuredClone(r));
 * if (checks.length !== 3 || !checks.every((c) => c.ok)) throw new Error();
 * ```
 */
export function compareStudentResults(
  rerun: StudentResults,
  committed: StudentResults,
): AucCheck[] {
  const check = (what: string, a: number, b: number): AucCheck => ({
    what,
    rerun: a,
    committed: b,
    ok: Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= SHIP_TOLERANCE,
  });
  const checks = [check("teacher", rerun.teacher.auc, committed.teacher.auc)];
  for (const c of committed.students) {
    const r = rerun.students.find((s) => s.width === c.width && s.latent === c.latent);
    for (const method of ["scratch", "pkdgan"] as const) {
      const key = `auc_${method}` as const;
      checks.push(check(`w${c.width}-l${c.latent}-${method}`, r?.[key] ?? NaN, c[key] ?? NaN));
    }
  }
  return checks;
}

/**
 * The student the campaign headlines for a dataset: its smallest (the largest ratio: 311.11:1 for
 * MNIST, 700:1 for Fashion-MNIST). Throws when the results hold no student.
 *
 * @example
 * ```ts
 * import { headlineStudent } from "./ship_land.ts";
 * const s = headlineStudent({ dataset: "mnist", normal_class: 1, teacher: { auc: 0.99 },
 *   students: [{ width: 12, latent: 100, ratio: 24.4 }, { width: 3, latent: 32, ratio: 315.6 }] });
 * if (s.width !== 3 || s.latent !== 32) throw new Error();
 * ```
 */
export function headlineStudent(results: StudentResults): { width: number; latent: number } {
  const s = [...results.students].sort((a, b) => b.ratio - a.ratio)[0];
  if (!s) throw new Error(`${results.dataset} ${results.normal_class}: no students`);
  return { width: s.width, latent: s.latent };
}

/** The ratio each dataset's shipped students are named by (the campaign's headline ratio). */
const SHIPPED_RATIO: Record<string, number> = { "mnist": 311, "fashion-mnist": 700 };

/**
 * The name asked for a shipped student: `D-C-311-METHOD` (MNIST) or `D-C-700-METHOD`
 * (Fashion-MNIST), as `models/index.json` names the campaign's. Throws for another dataset.
 *
 * @example
 * ```ts
 * import { shippedStudentName } from "./ship_land.ts";
 * if (shippedStudentName("fashion-mnist", 3, "pkdgan") !== "fashion-mnist-3-700-pkdgan") {
 *   throw new Error();
 * }
 * ```
 */
export function shippedStudentName(dataset: string, normal: number, method: string): string {
  const ratio = SHIPPED_RATIO[dataset];
  if (ratio === undefined) {
    throw new Error(`${dataset}: the campaign ships students of mnist and fashion-mnist only`);
  }
  return `${dataset}-${normal}-${ratio}-${method}`;
}

if (import.meta.main) {
  const args = parseArgs(Deno.args, {
    boolean: ["dry-run", "rerun-pkdgan"],
    unknown: (arg: string) => {
      if (!arg.startsWith("-")) return true;
      console.error(
        `ship_land.ts: unknown flag ${arg}; expected --dry-run, --rerun-pkdgan and job folders`,
      );
      Deno.exit(2);
    },
  });
  const root = fromFileUrl(new URL("../..", import.meta.url));
  let dirs = args._.map((d: string | number) => resolve(String(d)));
  if (dirs.length === 0) {
    const base = join(root, "runs/ship/runs");
    if (await exists(base)) {
      for await (const e of Deno.readDir(base)) {
        if (e.isDirectory && e.name.startsWith("distill-")) dirs.push(join(base, e.name));
      }
    }
    dirs = dirs.sort();
  }
  let bad = 0;
  for (const dir of dirs) {
    // The sweep's record of the job, written when every student has finished: OUT/jobs/<job>.json
    // beside OUT/runs/<job>.
    const record = join(dirname(dirname(dir)), "jobs", `${basename(dir)}.json`);
    const rerun = await readJsonIfPresent(join(dir, "results.json")) as StudentResults | undefined;
    if (!rerun || !(await exists(record))) {
      console.log(`${dir}: not finished (no ${record}), skipped`);
      continue;
    }
    const id = basename(dir).replace(/^distill-/, "");
    const committedPath = join(root, "results/students", id, "results.json");
    const committed = await readJsonIfPresent(committedPath) as StudentResults | undefined;
    if (!committed) throw new Error(`${dir}: no committed ${committedPath} to compare with`);
    const checks = compareStudentResults(rerun, committed);
    // P-KDGAN's differences, accepted with --rerun-pkdgan (the module documentation).
    const rerunOnly = (c: AucCheck) => args["rerun-pkdgan"] && c.what.endsWith("-pkdgan");
    const failed = checks.filter((c) => !c.ok && !rerunOnly(c));
    if (failed.length > 0) {
      bad++;
      console.log(`${id}: DIFFERS from ${committedPath}; not shipped:`);
      for (const c of failed) console.log(`  ${c.what}: ${c.rerun} against ${c.committed}`);
      continue;
    }
    const reruns = checks.filter((c) => !c.ok);
    const agree = checks.filter((c) => c.ok);
    const within = Math.max(...agree.map((c) => Math.abs(c.rerun - c.committed)));
    console.log(
      reruns.length === 0
        ? `${id}: ${checks.length} AUCs equal the committed ones (largest difference ${
          within.toExponential(1)
        })`
        : `${id}: teacher and scratch equal the committed ones (${agree.length} AUCs, largest ` +
          `difference ${within.toExponential(1)}); P-KDGAN rerun by today's code: ` +
          reruns.map((c) =>
            `${c.what} ${c.rerun.toFixed(6)} against ${c.committed.toFixed(6)} (${
              (c.rerun - c.committed) >= 0 ? "+" : ""
            }${(c.rerun - c.committed).toExponential(1)})`
          ).join(", "),
    );
    const { width, latent } = headlineStudent(committed);
    for (const method of ["scratch", "pkdgan"]) {
      const name = shippedStudentName(committed.dataset, committed.normal_class, method);
      const run = join(dir, "jobs", `w${width}-l${latent}-${method}`);
      if (await exists(join(root, "models", name))) {
        console.log(`  models/${name}: already shipped, left as it is`);
        continue;
      }
      const cmd = ["task", "-q", "ship", "--run", run, "--name", name, "--backend", "onednn"];
      console.log(`  deno ${cmd.join(" ")}`);
      if (args["dry-run"]) continue;
      const { code } = await new Deno.Command(Deno.execPath(), { args: cmd, cwd: root }).spawn()
        .status;
      if (code !== 0) throw new Error(`deno task ship --name ${name} exited with ${code}`);
    }
  }
  if (bad > 0) Deno.exit(1);
}
