import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { useBackend } from "../_helpers.ts";
import { narrowerCosts, resolveConfig } from "../../lib/models/ede_gan/mod.ts";
import { runDistillExperiment } from "../../lib/distill/experiment.ts";
import { parseStudentChoices, resolveStudentChoice } from "../../lib/distill/student_choice.ts";
import { studentForRatio, studentSizes } from "../../lib/distill/students.ts";
import { parseWidths } from "../../lib/sweep/grid.ts";
import { writeRunReport } from "../../lib/report/run_report.ts";

Deno.test("--students: widths, width x latent and ratios parse; anything else is named", () => {
  assertEquals(parseStudentChoices("8, 4"), [8, 4]);
  assertEquals(parseStudentChoices("3x32,311.11:1"), [{ width: 3, latentSize: 32 }, {
    ratio: 311.11,
  }]);
  for (const bad of ["0", "-2", "3x", "x32", "1:1", "311:2", "eight", ""]) {
    assertThrows(() => parseStudentChoices(bad), Error, `--students: '${bad}' is not a width`);
  }
});

Deno.test("the papers' ratios resolve against the width-64 teacher to students within 10 %", () => {
  const teacher = narrowerCosts(resolveConfig({ width: 64 }));
  for (const [ratio, width, latent] of [[24.45, 12, 100], [311.11, 3, 32], [700, 2, 16]]) {
    const s = resolveStudentChoice(teacher, { ratio });
    assertEquals([s.width, s.latentSize], [width, latent], `${ratio}:1`);
    const [size] = studentSizes(teacher, [s.width], s.latentSize);
    assert(Math.abs(Math.log(size.ratio / ratio)) < Math.log(1.1), `${ratio}:1 -> ${size.ratio}`);
  }
  // A width alone keeps the default latent, then the teacher's.
  assertEquals(resolveStudentChoice(teacher, 8), { width: 8, latentSize: 100 });
  assertEquals(resolveStudentChoice(teacher, 8, 50), { width: 8, latentSize: 50 });
  assertEquals(resolveStudentChoice(teacher, { width: 8 }, 50), { width: 8, latentSize: 50 });
  assertThrows(
    () => resolveStudentChoice(teacher, { width: 3, latentSize: 200 }),
    Error,
    "latent size 200 exceeds the teacher's 100",
  );
});

Deno.test("--students: a student not smaller than its teacher is refused, naming the flag and the teacher", () => {
  const teacher = narrowerCosts(resolveConfig({ width: 64 }));
  assertThrows(
    () => resolveStudentChoice(teacher, 128),
    Error,
    "--students 128: a student of width 128 is wider than the teacher (width 64, latent 100, " +
      "104.694 MFLOPs); expected a width below 64",
  );
  assertThrows(
    () => resolveStudentChoice(teacher, { width: 64 }),
    Error,
    "--students 64: the student w64-l100 (104.694 MFLOPs) is not smaller than the teacher",
  );
  // Narrower in width or latent is smaller: taken.
  assertEquals(resolveStudentChoice(teacher, 63), { width: 63, latentSize: 100 });
  assertEquals(resolveStudentChoice(teacher, { width: 64, latentSize: 50 }), {
    width: 64,
    latentSize: 50,
  });
});

Deno.test("--students R:1: refused when no student comes within a factor of 2; a warning names the ratio reached beyond 10 %", () => {
  const teacher = narrowerCosts(resolveConfig({ width: 64 }));
  assertThrows(
    () => resolveStudentChoice(teacher, { ratio: 100000 }),
    Error,
    "--students 100000:1: no student of the teacher (width 64, latent 100, 104.694 MFLOPs) comes " +
      "within a factor of 2 of 100000:1 (--student-latent shrink); the nearest is w1-l8 at 2004.71:1",
  );
  // The quick preset's width-8 teacher cannot reach the papers' 311:1 (its smallest: 39.76:1).
  assertThrows(
    () => resolveStudentChoice(narrowerCosts(resolveConfig({ width: 8 })), { ratio: 311.11 }),
    Error,
    "the nearest is w1-l8 at 39.76:1",
  );
  // --student-latent keep at 700:1: width 2 at 466.85:1 is trained, with a warning saying so.
  const kept = resolveStudentChoice(teacher, { ratio: 700 }, undefined, "keep");
  assertEquals([kept.width, kept.latentSize], [2, 100]);
  assertEquals(
    kept.warning,
    "--students 700:1: the nearest student of the teacher (width 64, latent 100, 104.694 " +
      "MFLOPs) is w2-l100 at 466.85:1, 33% below the ratio asked (--student-latent keep: the " +
      "width alone is chosen); it is trained, and results name the ratio reached",
  );
  // Within 10 %: no warning (700:1 shrinks the latent: 655.38:1).
  assertEquals(resolveStudentChoice(teacher, { ratio: 700 }), { width: 2, latentSize: 16 });
  // The teacher's own shape is never a ratio's student.
  assertEquals(studentForRatio(teacher, 1.001).width < 64, true);
});

Deno.test("a distillation refuses a student wider than the teacher it would train before training it, writing nothing", async () => {
  await useBackend("cpu");
  const out = await Deno.makeTempDir();
  await assertRejects(
    () =>
      runDistillExperiment({
        dataset: "mnist",
        normal: 1,
        seed: 0,
        limit: 64,
        testLimit: 60,
        teacher: { width: 8, epochs: 1, batchSize: 16 },
        students: [4, 16],
        epochs: { step1: 1, step2: 1 },
        batchSize: 16,
        out,
      }),
    Error,
    "--students 16: a student of width 16 is wider than the teacher (width 8",
  );
  // No teacher trained, no run.json, no jobs/.
  assertEquals([...Deno.readDirSync(out)], []);
  await Deno.remove(out);
});

Deno.test("a distillation trains the student a ratio names, against the teacher it trained", async () => {
  await useBackend("wasm");
  const out = await Deno.makeTempDir();
  const results = await runDistillExperiment({
    dataset: "mnist",
    normal: 1,
    seed: 0,
    limit: 64,
    testLimit: 60,
    teacher: { width: 8, epochs: 1, batchSize: 16 },
    // 30:1 of the width-8 teacher (its smallest student reaches 39.76:1; 100:1 is refused).
    students: [{ ratio: 30 }, { width: 2, latentSize: 16 }],
    epochs: { step1: 1, step2: 1 },
    batchSize: 16,
    methods: ["scratch"],
    out,
  });
  const expected = studentForRatio(narrowerCosts(resolveConfig({ width: 8 })), 30);
  const [byRatio, bySize] = results.students;
  assertEquals([byRatio.width, byRatio.latent], [expected.width, expected.latentSize]);
  assertEquals([bySize.width, bySize.latent], [2, 16]);
  assert(Math.abs(byRatio.ratio - expected.ratio) < 0.01, `${byRatio.ratio} vs ${expected.ratio}`);
  for (const s of results.students) assert(s.aucScratch !== null && s.aucScratch > 0, `${s.width}`);
  const jobs = [...Deno.readDirSync(join(out, "jobs"))].map((e) => e.name).sort();
  assert(jobs.some((n) => n.startsWith("w2-l16-scratch")), jobs.join());
  // The report reads the choices back from run.json as they were asked for.
  const html = await Deno.readTextFile(await writeRunReport(out));
  assert(html.includes("30:1, 2x16"), "students as asked for in the report");
  await Deno.remove(out, { recursive: true });
});

Deno.test("a sweep's --students names what it does not take (ratios, latent sizes)", () => {
  assertEquals(parseWidths("8,4"), [8, 4]);
  for (const text of ["311:1", "8,3x32"]) {
    assertThrows(() => parseWidths(text), Error, "a sweep takes student widths only");
  }
});
