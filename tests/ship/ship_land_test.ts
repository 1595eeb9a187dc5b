/**
 * Shipping the campaign's students again (results/students/ship.json, ship_land.ts): the spec
 * runs exactly the committed campaign's distillations (same ids, same flags) but lands nowhere;
 * the landing compares AUCs with the committed results, refuses a job that differs by more than
 * 1e-6, and names the headline ratio's students as the shipped ones are named.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { join } from "@std/path";
import { campaignJobs, parseCampaignSpec } from "../../lib/sweep/campaign.ts";
import {
  compareStudentResults,
  headlineStudent,
  shippedStudentName,
  type StudentResults,
} from "../../results/students/ship_land.ts";

const root = new URL("../../", import.meta.url).pathname;
const jobsOf = async (file: string) =>
  campaignJobs(parseCampaignSpec(await Deno.readTextFile(join(root, file)), file), file);
const results = async (id: string): Promise<StudentResults> =>
  JSON.parse(await Deno.readTextFile(join(root, "results/students", id, "results.json")));

Deno.test("results/students/ship.json: the campaign's jobs and flags, landing nowhere", async () => {
  const campaign = await jobsOf("results/students/campaign.json");
  const ship = await jobsOf("results/students/ship.json");
  assertEquals(ship.map((j) => j.id), campaign.map((j) => j.id));
  assertEquals(ship.map((j) => j.flags), campaign.map((j) => j.flags));
  assert(ship.every((j) => !j.land));
  // Its own out folder: under the campaign's, the same ids and flags would read as finished.
  const outOf = async (file: string) =>
    JSON.parse(await Deno.readTextFile(join(root, file))).out as string;
  assertEquals(await outOf("results/students/ship.json"), "runs/ship");
  assert(await outOf("results/students/campaign.json") !== "runs/ship");
});

Deno.test("ship_land: a committed job equals itself; 2e-6 on one student is refused", async () => {
  const committed = await results("mnist-9-b64-s0");
  const same = compareStudentResults(structuredClone(committed), committed);
  // The teacher and the scratch and P-KDGAN AUCs of both students (24.45:1 and 311.11:1).
  assertEquals(same.length, 5);
  assert(same.every((c) => c.ok));
  const moved = structuredClone(committed);
  moved.students[1].auc_pkdgan = moved.students[1].auc_pkdgan! + 2e-6;
  assertEquals(
    compareStudentResults(moved, committed).filter((c) => !c.ok).map((c) => c.what),
    ["w3-l32-pkdgan"],
  );
  const missing = structuredClone(committed);
  missing.students.pop();
  assertEquals(compareStudentResults(missing, committed).filter((c) => !c.ok).length, 2);
});

Deno.test("ship_land: the headline student and its name match the shipped ones", async () => {
  assertEquals(headlineStudent(await results("mnist-9-b64-s0")), { width: 3, latent: 32 });
  assertEquals(headlineStudent(await results("fashion-mnist-3-b64-s0")), { width: 2, latent: 16 });
  assertEquals(shippedStudentName("mnist", 9, "pkdgan"), "mnist-9-311-pkdgan");
  assertEquals(shippedStudentName("fashion-mnist", 3, "scratch"), "fashion-mnist-3-700-scratch");
  assertThrows(() => shippedStudentName("cifar10", 3, "scratch"), Error, "mnist and fashion-mnist");
  // The names the shipped students of the campaign already carry.
  const index = JSON.parse(await Deno.readTextFile(join(root, "models/index.json")));
  const names = index.models.map((m: { name: string }) => m.name);
  assert(names.includes(shippedStudentName("mnist", 9, "pkdgan")));
  assert(names.includes(shippedStudentName("fashion-mnist", 6, "scratch")));
});
