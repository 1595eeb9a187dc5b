/**
 * A distillation job split into parts (lib/sweep/campaign.ts, `parts`): each part its own job
 * (`<id>.<part>`, its own folder and process), the job itself gathering their students, gives the
 * same results as the job run whole; the job refuses to start while a part runs; a bad `parts` is
 * named with its field.
 */

import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { campaignJobs, parseCampaignSpec } from "../../lib/sweep/campaign.ts";
import { finish, sweep } from "./_campaign.ts";

const root = new URL("../../", import.meta.url).pathname;
/** `deno task sweep --spec SPEC --out OUT --only ONLY` as a process. */
const sweepOnly = (spec: string, out: string, only: string) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(root, "tasks/sweep.ts"), "--spec", spec, "--out", out, "--only", only],
    env: { EDEGAN_NO_PROGRESS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();

const PARTS = { pkdgan: { methods: "pkdgan" }, alone: { methods: "scratch,one-step" } };

Deno.test("parts: the jobs of a split group, each part before the job that gathers it", () => {
  const spec = {
    task: "distill" as const,
    flags: { preset: "paper", methods: "scratch,one-step,pkdgan" },
    files: ["results.json"],
    groups: [{
      id: "{dataset}-{normal}-chosen",
      grid: { dataset: ["mnist"], normal: [1, 3], seed: [0] },
      land: "results/x/{dataset}-{normal}",
      parts: PARTS,
    }],
  };
  const jobs = campaignJobs(parseCampaignSpec(JSON.stringify(spec), "c.json"), "c.json");
  assertEquals(jobs.map((j) => j.id), [
    "mnist-1-chosen.pkdgan",
    "mnist-1-chosen.alone",
    "mnist-1-chosen",
    "mnist-3-chosen.pkdgan",
    "mnist-3-chosen.alone",
    "mnist-3-chosen",
  ]);
  const [pkdgan, alone, whole] = jobs;
  assertEquals([pkdgan.flags.methods, alone.flags.methods], ["pkdgan", "scratch,one-step"]);
  assertEquals(whole.flags.methods, "scratch,one-step,pkdgan");
  assertEquals([pkdgan.partOf, pkdgan.land, pkdgan.files], ["mnist-1-chosen", undefined, []]);
  assertEquals(whole.parts, ["mnist-1-chosen.pkdgan", "mnist-1-chosen.alone"]);
  assertEquals(whole.land, "results/x/mnist-1");

  const bad = (change: object, message: string) =>
    assertThrows(
      () =>
        parseCampaignSpec(
          JSON.stringify({ ...spec, groups: [{ ...spec.groups[0], ...change }] }),
          "c.json",
        ),
      Error,
      message,
    );
  bad({ parts: { pkdgan: { methods: "pkdgan" } } }, '"groups"[0].parts: an object of two or more');
  bad({ parts: { ...PARTS, "Bad name": {} } }, "names of a-z, 0-9 and -, got 'Bad name'");
  bad({ parts: { ...PARTS, x: { epochs: [1] } } }, '"groups"[0].parts."x"."epochs"');
  bad(
    { parts: { ...PARTS, pkdgan: { methods: "pkdgan", epochs: 2 } } },
    '"groups"[0].parts."pkdgan": only "methods"',
  );
  bad(
    { parts: { a: { methods: "pkdgan" }, b: { methods: "scratch" } } },
    'methods that together are the job\'s "methods" (one-step,pkdgan,scratch), each in one part',
  );
  assertThrows(
    () => parseCampaignSpec(JSON.stringify({ ...spec, task: "train" }), "c.json"),
    Error,
    'parts: only in a distill spec ("task": "distill")',
  );
});

Deno.test("parts: a class distilled in two parts and gathered equals it distilled whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // A tiny real teacher, then the same distillation as one job and as two parts gathered.
    const teacher = join(dir, "teacher");
    const trained = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        join(root, "tasks/train.ts"),
        ...["--preset", "quick", "--dataset", "mnist", "--normal", "1", "--width", "8"],
        ...["--epochs", "1", "--limit", "64", "--test-limit", "40", "--batch-size", "8"],
        ...["--backend", "wasm", "--no-report", "--out", teacher],
      ],
      env: { EDEGAN_NO_PROGRESS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(trained.code, 0, new TextDecoder().decode(trained.stderr));
    const spec = (parts: boolean) => ({
      task: "distill",
      flags: {
        preset: "quick",
        model: teacher,
        students: "4",
        methods: "scratch,one-step,pkdgan",
        "distill-epochs": "1,1",
        "batch-size": 8,
        limit: 64,
        "test-limit": 40,
        backend: "wasm",
        report: false,
      },
      files: ["results.json", "jobs/*.json"],
      groups: [{
        id: "{dataset}-{normal}-s{seed}",
        grid: { dataset: ["mnist"], normal: [1], seed: [0] },
        land: join(dir, parts ? "landed-parts" : "landed-whole"),
        ...(parts ? { parts: PARTS } : {}),
      }],
    });
    const run = async (parts: boolean) => {
      const file = join(dir, parts ? "parts.json" : "whole.json");
      await Deno.writeTextFile(file, JSON.stringify(spec(parts)));
      const out = join(dir, parts ? "out-parts" : "out-whole");
      const done = await finish(sweep(file, out));
      assertEquals(done.code, 0, done.all);
      return { out, all: done.all };
    };
    await run(false);
    const split = await run(true);
    assertStringIncludes(split.all, "done: 3 ran");
    await Deno.mkdir(join(dir, "out-parts-copy", "jobs"), { recursive: true });
    await Deno.copyFile(
      join(split.out, "jobs", "mnist-1-s0.alone.json"),
      join(dir, "out-parts-copy", "jobs", "mnist-1-s0.alone.json"),
    );
    // The job itself trained nothing: its log says every student was done before (gathered).
    const log = await Deno.readTextFile(join(split.out, "runs", "mnist-1-s0.log"));
    for (const m of ["scratch", "one-step", "pkdgan"]) {
      assertStringIncludes(log, `w4-l100-${m}: done before`);
    }
    // Each part trained only its own methods.
    const partJobs = async (part: string) =>
      (await Array.fromAsync(Deno.readDir(join(split.out, "runs", `mnist-1-s0.${part}`, "jobs"))))
        .filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => e.name).sort();
    assertEquals(await partJobs("pkdgan"), ["w4-l100-pkdgan.json"]);
    assertEquals(await partJobs("alone"), ["w4-l100-one-step.json", "w4-l100-scratch.json"]);
    // The same figures as the whole job's, to the last bit.
    const results = async (landed: string) =>
      JSON.parse(await Deno.readTextFile(join(dir, landed, "results.json")));
    const [a, b] = [await results("landed-whole"), await results("landed-parts")];
    for (const key of ["auc_scratch", "auc_one_step", "auc_pkdgan", "delta_vs_scratch"]) {
      assert(typeof a.students[0][key] === "number", key);
      assertEquals(b.students[0][key], a.students[0][key], key);
    }
    assertEquals(b.teacher.auc, a.teacher.auc);
    for (const m of ["scratch", "one-step", "pkdgan"]) {
      const job = async (landed: string) =>
        JSON.parse(await Deno.readTextFile(join(dir, landed, "jobs", `w4-l100-${m}.json`)));
      assertEquals((await job("landed-parts")).scores, (await job("landed-whole")).scores, m);
    }

    // Its parts' records and folders gone, the job's kept: the parts are done with their job.
    for (const part of ["pkdgan", "alone"]) {
      await Deno.remove(join(split.out, "jobs", `mnist-1-s0.${part}.json`));
      await Deno.remove(join(split.out, "runs", `mnist-1-s0.${part}`), { recursive: true });
    }
    const again = await finish(sweep(join(dir, "parts.json"), split.out));
    assertEquals(again.code, 0, again.all);
    assertStringIncludes(again.all, "2 landed before");
    assertStringIncludes(again.all, "done: 0 ran, 1 finished before");

    // A part's record made with other flags (a spec edited since): the job refuses to gather it.
    const edited = join(dir, "out-edited");
    await Deno.mkdir(join(edited, "jobs"), { recursive: true });
    const record = JSON.parse(
      await Deno.readTextFile(join(dir, "out-parts-copy", "jobs", "mnist-1-s0.alone.json")),
    );
    record.settings["distill-epochs"] = "2,1";
    await Deno.writeTextFile(join(edited, "jobs", "mnist-1-s0.alone.json"), JSON.stringify(record));
    await Deno.remove(join(dir, "landed-parts"), { recursive: true });
    const refused = await finish(sweepOnly(join(dir, "parts.json"), edited, "mnist-1-s0"));
    assertStringIncludes(
      refused.all,
      "its part mnist-1-s0.alone finished with other flags (--distill-epochs 2,1 -> 1,1)",
    );

    // A part held by a live process: the job refuses to start beside it, naming the part.
    const held = join(dir, "out-held");
    await Deno.mkdir(join(held, "jobs"), { recursive: true });
    await Deno.writeTextFile(
      join(held, "jobs", "mnist-1-s0.pkdgan.running"),
      JSON.stringify({ pid: Deno.pid, host: Deno.hostname(), started_at: "" }),
    );
    const only = await finish(sweepOnly(join(dir, "parts.json"), held, "mnist-1-s0"));
    assertStringIncludes(only.all, "its part mnist-1-s0.pkdgan is being run by pid");
    assertStringIncludes(only.all, "1 failed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
