/**
 * Campaigns through the sweep runner (`deno task sweep --spec`): the committed specs describe the
 * committed campaign folder for folder, and a tiny real campaign (4 epochs on 64 images) runs,
 * lands its files, skips a finished job, and resumes a job whose process was killed mid-training
 * from its checkpoint (epoch 1 not retrained).
 */

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "@std/path";
import {
  type CampaignJob,
  campaignJobs,
  flagArgs,
  parseCampaignSpec,
} from "../../lib/sweep/campaign.ts";
import { checkCampaignFlags } from "../../tasks/_sweep_shard.ts";
import { finish, killAtFirstCheckpoint, sweep } from "./_campaign.ts";

const root = new URL("../../", import.meta.url).pathname;

const specJobs = async (file: string) =>
  campaignJobs(parseCampaignSpec(await Deno.readTextFile(join(root, file)), file), file);

const folders = async (dir: string) =>
  (await Array.fromAsync(Deno.readDir(join(root, dir)))).filter((e) => e.isDirectory)
    .map((e) => `${dir}/${e.name}`).sort();

Deno.test("the committed campaign specs land exactly the committed teachers and students", async () => {
  const teachers = await specJobs("results/teachers/campaign.json");
  // Every committed teacher is a job of the spec; the jobs not landed yet are only the second
  // batch-1 seeds (issue 26, item 6), queued in the spec before they run.
  const committed = await folders("results/teachers");
  const lands = teachers.flatMap((j) => j.land ? [j.land] : []).sort();
  assertEquals(committed.filter((f) => !lands.includes(f)), []);
  const pending = ["mnist-2-b1-s1", "mnist-5-b1-s1", "mnist-8-b1-s1"].map((f) =>
    `results/teachers/${f}`
  );
  assertEquals(lands.filter((l) => !committed.includes(l) && !pending.includes(l)), []);
  const students = await specJobs("results/students/campaign.json");
  assertEquals(students.map((j) => j.land).sort(), await folders("results/students"));
  // The training flags of the queues they replace (results/README.md), job by job.
  const b1 = teachers.find((j) => j.id === "mnist-5-b1-s0-e2-ema")!;
  assertEquals(
    flagArgs(b1.flags).join(" "),
    "--preset paper --backend onednn --threads 1 --no-report --batch-size 1 --ema 0.9998 " +
      "--epochs 2 --dataset mnist --normal 5 --seed 0",
  );
  assertEquals(b1.after.map((s) => s.creates), ["study-score.json", "study-score-live.json"]);
  const fm = students.find((j) => j.id === "distill-fashion-mnist-3-b64-s0")!;
  assertEquals(fm.flags.students, "24.45:1,700:1");
  assertEquals(fm.flags.model, "runs/t14/runs/fashion-mnist-3-b64-s0-ema");
  // Every student's teacher is a job of the teachers' campaign.
  const teacherRuns = new Set(teachers.map((j) => `runs/t14/runs/${j.id}`));
  for (const s of students) assert(teacherRuns.has(String(s.flags.model)), s.id);
  // The batch-1 distillations (the study's papers and batch1 variants, the chosen design) also
  // run as two parts, P-KDGAN and the rest, which their job gathers.
  const splitInParts = (jobs: CampaignJob[]) => {
    const wholes = jobs.filter((j) => !j.partOf);
    for (const part of jobs.filter((j) => j.partOf)) {
      const whole = wholes.find((j) => j.id === part.partOf)!;
      assertEquals(whole.flags.methods, "scratch,one-step,pkdgan", whole.id);
      assertEquals({ ...part.flags, methods: whole.flags.methods }, whole.flags, part.id);
      assert(whole.parts!.includes(part.id) && part.land === undefined, part.id);
    }
    return wholes;
  };
  const designJobs = await specJobs("results/design/campaign.json");
  const design = splitInParts(designJobs);
  assertEquals(design.length, 60);
  assertEquals(design.filter((j) => j.parts).map((j) => j.id.replace(/^.*-s0-/, "")).sort(), [
    ...Array(10).fill("batch1"),
    ...Array(10).fill("papers"),
  ]);
  assertEquals(designJobs.length, 100);
  assertEquals(design.find((j) => j.id.endsWith("-papers"))!.flags["kd-weights"], "1,50,1");
  // The latent constraint's runs: the first teacher group's flags with --latent none.
  const constraint = await specJobs("results/constraint/campaign.json");
  const twin = teachers.find((j) => j.id === "mnist-5-b64-s1-ema")!;
  const none = constraint.find((j) => j.id === "mnist-5-b64-s1-none-ema")!;
  assertEquals(none.flags, { ...twin.flags, latent: "none" });
  assertEquals(none.land, "results/constraint/mnist-5-b64-s1-none");
  assertEquals(constraint.length, 6);
  // The design study's missing teachers: the first teacher group's flags, landed outside results/.
  const needed = await specJobs("results/design/teachers.json");
  for (const job of needed) {
    assertEquals(job.flags, teachers.find((t) => t.id === job.id)!.flags, job.id);
    assert(job.land?.startsWith("runs/t14-landed/"), job.id);
  }
  // The chosen design (issue 26, point 5): every class of both datasets, the papers' described
  // choices with K's weights as the rule settled them; the teachers it needs beyond the study's
  // are retrained by design/teachers.json, and design/teachers.json retrains nothing else but
  // the students campaign's teachers (its last group: MNIST 5 and 8 at seed 1, for shipping).
  const chosenJobs = await specJobs("results/design/chosen.json");
  const chosen = splitInParts(chosenJobs);
  assertEquals(chosen.length, 20);
  assertEquals(chosenJobs.length, 60);
  for (const job of chosen) {
    assertEquals(
      [
        job.flags["batch-size"],
        job.flags["student-latent"],
        job.flags.stage1,
        job.flags["kd-weights"],
      ],
      [1, "keep", "kd", "1,1,1"],
      job.id,
    );
    assertEquals(job.land, `results/design/${job.id}`);
  }
  const studyTeachers = new Set(design.map((j) => String(j.flags.model)));
  const chosenTeachers = new Set(chosen.map((j) => String(j.flags.model)));
  const neededModels = needed.map((j) => `runs/t14/runs/${j.id}`);
  const studentTeachers = new Set(students.map((j) => String(j.flags.model)));
  assertEquals(
    neededModels.filter((m) =>
      !studyTeachers.has(m) && !chosenTeachers.has(m) && !studentTeachers.has(m)
    ),
    [],
  );
  // Every teacher the study, the chosen design and the students campaign distil from can be
  // retrained without landing in results/teachers.
  assertEquals(
    [...studyTeachers, ...chosenTeachers, ...studentTeachers].filter((m) =>
      !neededModels.includes(m)
    ),
    [],
  );
  assertEquals(
    [...chosenTeachers].filter((m) => !studyTeachers.has(m) && !neededModels.includes(m)),
    [],
  );
});

Deno.test("campaign specs: a bad spec is named with its field", () => {
  const bad = (spec: unknown, message: string) =>
    assertThrows(() => parseCampaignSpec(JSON.stringify(spec), "c.json"), Error, message);
  const group = { id: "{dataset}-{normal}", grid: { dataset: ["mnist"], normal: [0], seed: [0] } };
  bad({ task: "score", groups: [group] }, 'c.json: expected "task": "train" or "distill"');
  bad(
    { task: "train", groups: [{ ...group, grid: { ...group.grid, dataset: ["mnst"] } }] },
    "grid.dataset: one of",
  );
  bad({ task: "train", flags: { epochs: [1] }, groups: [group] }, '"flags"."epochs"');
  assertThrows(
    () =>
      campaignJobs({ task: "train", groups: [{ ...group, id: "{dataset}-{width}" }] }, "c.json"),
    Error,
    "c.json: {width}",
  );
  assertThrows(
    () => campaignJobs({ task: "train", groups: [group, group] }, "c.json"),
    Error,
    "two jobs have the id mnist-0",
  );
});

Deno.test("sweep --spec: a class outside its dataset or a bad distill flag is refused before the first job, naming the spec and the job", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out");
    const file = join(dir, "campaign.json");
    const spec = (grid: { normal: number[] }, flags: Record<string, unknown> = {}) =>
      JSON.stringify({
        task: "distill",
        flags: { preset: "ci", students: "2", methods: "scratch", backend: "cpu", ...flags },
        groups: [{ id: "{dataset}-{normal}", grid: { dataset: ["mnist"], seed: [0], ...grid } }],
      });
    await Deno.writeTextFile(file, spec({ normal: [1, 12] }));
    const classes = await finish(sweep(file, out));
    assertEquals(classes.code, 2, classes.all);
    assertStringIncludes(
      classes.all,
      `error: ${file}: job mnist-12: --normal: class index 12 out of range, expected an integer ` +
        "0..9 (mnist: 0, 1, 2, 3, 4, 5, 6, 7, 8, 9); no job was run",
    );
    // mnist-1 did not run: no job record, no run folder.
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);
    await Deno.writeTextFile(file, spec({ normal: [1] }, { methods: "scratch,kd" }));
    const methods = await finish(sweep(file, out));
    assertEquals(methods.code, 2, methods.all);
    assertStringIncludes(
      methods.all,
      `error: ${file}: job mnist-1: --methods: 'kd' is not one of scratch, one-step, joint, pkdgan`,
    );
    assertEquals(await Deno.stat(out).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every committed distillation campaign passes the checks that run before its jobs", async () => {
  for (
    const file of [
      "results/students/campaign.json",
      "results/students/ship.json",
      "results/design/campaign.json",
      "results/design/chosen.json",
    ]
  ) {
    checkCampaignFlags(await specJobs(file), file);
  }
});

Deno.test("a tiny campaign: runs and lands, skips what finished, resumes a killed training", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "out");
    const spec = join(dir, "campaign.json");
    await Deno.writeTextFile(
      spec,
      JSON.stringify({
        task: "train",
        flags: {
          preset: "quick",
          width: 4,
          limit: 64,
          "test-limit": 40,
          "batch-size": 8,
          backend: "wasm",
          report: false,
        },
        files: ["run.json", "scores.csv", "study-score.json?"],
        groups: [{
          id: "{dataset}-{normal}-e{epochs}",
          grid: { dataset: ["mnist"], normal: [1], seed: [0] },
          flags: { epochs: 4 },
          land: join(dir, "landed", "{dataset}-{normal}"),
        }],
      }),
    );
    const run = join(out, "runs", "mnist-1-e4");

    // 1. Killed after its first epoch's checkpoint: the campaign process and its training.
    await killAtFirstCheckpoint(spec, out, run);
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(run, "run.json"))).status,
      "running",
      "killed before its last epoch",
    );
    // The log had the training's output as it came, not only at its end (the process was killed).
    assertStringIncludes(await Deno.readTextFile(`${run}.log`), "backend: wasm");
    const checkpoint = JSON.parse(await Deno.readTextFile(join(run, "model", "trainer.json")));
    const killedStamp = JSON.parse(await Deno.readTextFile(join(run, "run.json")));
    assert(checkpoint.epoch < 4, `killed after epoch ${checkpoint.epoch}`);
    const epochOne = checkpoint.extra.history[0];
    await Deno.stat(join(out, "jobs", "mnist-1-e4.running"));
    assert(!await Deno.stat(join(out, "jobs", "mnist-1-e4.json")).then(() => true, () => false));

    // 2. Rerun: the job is found killed, its training resumed (epoch 1 kept), its files landed.
    const second = await finish(sweep(spec, out));
    assertEquals(second.code, 0, `${second.all}\n${await Deno.readTextFile(`${run}.log`)}`);
    assertStringIncludes(second.all, "left unfinished by an earlier run, running it again");
    assertStringIncludes(second.all, "1 rerun after a kill");
    assertStringIncludes(await Deno.readTextFile(`${run}.log`), "--resume");
    // The log holds the task's own output (stdout and stderr), not only the command lines.
    assertStringIncludes(await Deno.readTextFile(`${run}.log`), "backend: wasm");
    const done = JSON.parse(await Deno.readTextFile(join(run, "run.json")));
    assertEquals(done.status, "finished");
    assertEquals(done.history.length, 4);
    assertEquals(done.history[0], epochOne, "epoch 1 is the killed run's, not retrained");
    // Who trained the epochs before the resume: the stamp the killed process left.
    assertEquals(done.resumes.length, 1);
    assertEquals(done.resumes[0].afterEpoch, checkpoint.epoch);
    assertEquals(done.resumes[0].written, killedStamp.written);
    assertEquals(done.resumes[0].git, killedStamp.git);
    // The command of each process: the killed one without --resume, the one that finished with it.
    assertEquals(done.resumes[0].command, killedStamp.command);
    assertEquals(killedStamp.command.main, "tasks/train.ts");
    assert(!killedStamp.command.args.includes("--resume"), killedStamp.command.args.join(" "));
    assertEquals(done.command.main, "tasks/train.ts");
    assert(done.command.args.includes("--resume"), done.command.args.join(" "));
    assertEquals(done.command.args[done.command.args.indexOf("--normal") + 1], "1");
    const result = JSON.parse(await Deno.readTextFile(join(out, "jobs", "mnist-1-e4.json")));
    assertEquals(result.teacher.auc, done.history[3].auc);
    // The job file's stamp names the sweep that wrote it.
    assertEquals(result.command.main, "tasks/sweep.ts");
    for (const f of ["run.json", "scores.csv"]) {
      assertEquals(
        await Deno.readFile(join(dir, "landed", "mnist-1", f)),
        await Deno.readFile(join(run, f)),
        `${f} landed`,
      );
    }

    // 3. Rerun again: finished, skipped, nothing run.
    const third = await finish(sweep(spec, out));
    assertEquals(third.code, 0, third.all);
    assertStringIncludes(third.all, "done: 0 ran, 1 finished before");

    // 4. The spec's flags changed: the finished job is refused, naming the change, not skipped.
    const changed = JSON.parse(await Deno.readTextFile(spec));
    changed.flags.limit = 32;
    await Deno.writeTextFile(spec, JSON.stringify(changed));
    const fourth = await finish(sweep(spec, out));
    assert(fourth.code !== 0, fourth.all);
    assertStringIncludes(fourth.all, "finished with other settings (--limit 64 -> 32)");

    // 5. A fresh machine (no run folders, no records; the landed files committed): nothing runs,
    // nothing lands again (lib/sweep/campaign.ts's hasLanded: every required file must be there).
    await Deno.remove(out, { recursive: true });
    const landed = join(dir, "landed", "mnist-1", "run.json");
    const before = await Deno.readTextFile(landed);
    const fifth = await finish(sweep(spec, out));
    assertEquals(fifth.code, 0, fifth.all);
    assertStringIncludes(fifth.all, "1 landed before (remove a landed folder to run it again)");
    assertStringIncludes(fifth.all, "done: 0 ran, 0 finished before");
    assertEquals(await Deno.readTextFile(landed), before);
    assert(!await Deno.stat(join(out, "runs")).then(() => true, () => false), "nothing trained");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
