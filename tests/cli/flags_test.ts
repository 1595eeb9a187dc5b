import { assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { FLAGS, formatTable, helpText, parseFlags } from "../../lib/cli/flags.ts";
import { BACKENDS } from "../../lib/backend/select.ts";
import { DATASET_NAMES } from "../../lib/data/registry.ts";
import { PROTOCOLS } from "../../lib/data/types.ts";
import { parseDistillEpochs, runDataFromFlags } from "../../lib/cli/run_flags.ts";
import { OPTION_FLAGS } from "../../lib/data/options.ts";
import { withEnv } from "../_helpers.ts";

Deno.test("boolean flags keep their defaults and can be negated", () => {
  const defaults = { report: true, resume: false };
  assertEquals(parseFlags("t", [], defaults, "")?.report, true);
  assertEquals(parseFlags("t", ["--no-report"], defaults, "")?.report, false);
  assertEquals(parseFlags("t", [], defaults, "")?.resume, false);
  assertEquals(parseFlags("t", ["--resume"], defaults, "")?.resume, true);
});

Deno.test("values are checked and errors name the flag and what it accepts", () => {
  const defaults = { epochs: 1, dataset: "mnist" };
  assertEquals(parseFlags("t", ["--epochs", "3"], defaults, "")?.epochs, 3);
  assertStringIncludes(
    assertThrows(() => parseFlags("t", ["--epochs", "2.5"], defaults, ""), Error).message,
    "--epochs: expected an integer",
  );
  assertStringIncludes(
    assertThrows(() => parseFlags("t", ["--epochs", "0"], defaults, ""), Error).message,
    "--epochs: expected at least 1",
  );
  const bad = assertThrows(() => parseFlags("t", ["--dataset", "svhn"], defaults, ""), Error);
  assertStringIncludes(bad.message, "--dataset: 'svhn' is not one of mnist, fashion-mnist");
  const unknown = assertThrows(() => parseFlags("t", ["--epoch", "2"], defaults, ""), Error);
  assertStringIncludes(unknown.message, "unknown flag --epoch");
  assertStringIncludes(unknown.message, "--epochs");
});

Deno.test("an environment variable gives a flag's default and is named when wrong", () => {
  withEnv({ EDEGAN_BACKEND: "cpu" }, () => {
    assertEquals(parseFlags("t", [], { backend: "auto" }, "")?.backend, "cpu");
    assertEquals(parseFlags("t", ["--backend", "wasm"], { backend: "auto" }, "")?.backend, "wasm");
    Deno.env.set("EDEGAN_BACKEND", "tpu");
    const error = assertThrows(() => parseFlags("t", [], { backend: "auto" }, ""), Error);
    assertStringIncludes(error.message, "EDEGAN_BACKEND");
  });
});

Deno.test("formatTable right-aligns numbers with the asked digits", () => {
  const text = formatTable([{ name: "a", auc: 0.5 }, { name: "bb", auc: 0.25 }], undefined, {
    digits: 2,
  });
  assertEquals(text.split("\n"), [
    "| name |  auc |",
    "| :--- | ---: |",
    "| a    | 0.50 |",
    "| bb   | 0.25 |",
  ]);
});

Deno.test("--distill-epochs takes STEP1,STEP2 and names itself when wrong", () => {
  assertEquals(parseDistillEpochs("10,5"), { step1: 10, step2: 5 });
  assertEquals(parseDistillEpochs("2,0"), { step1: 2, step2: 0 });
  for (const bad of ["3", "0,1", "1,-1", "a,b", "1,2,3"]) {
    assertThrows(() => parseDistillEpochs(bad), Error, "--distill-epochs");
  }
});

Deno.test("a negative value is the flag's bad value, named, not an unknown flag", () => {
  const defaults = { epochs: 1, seed: 0 };
  for (const args of [["--epochs", "-1"], ["--epochs=-1"]]) {
    const error = assertThrows(() => parseFlags("train", args, defaults, ""), Error);
    assertStringIncludes(error.message, "--epochs: expected at least 1, got -1");
  }
  assertStringIncludes(
    assertThrows(() => parseFlags("train", ["--seed", "-2.5"], defaults, ""), Error).message,
    "--seed: expected an integer, got '-2.5'",
  );
  // A short flag that is not a number stays an unknown flag.
  assertStringIncludes(
    assertThrows(() => parseFlags("train", ["-x"], defaults, ""), Error).message,
    "unknown flag -x",
  );
});

Deno.test("positional arguments keep their text: `01` is not the number 1", () => {
  const flags = parseFlags("notebooks", ["01", "--check", "007", "2.50"], { check: false }, "");
  assertEquals(flags?._, ["01", "007", "2.50"]);
  assertEquals(flags?.check, true);
});

Deno.test("--dataset, --protocol and --backend list the library's own names, help unchanged", () => {
  assertEquals(FLAGS.dataset.choices, ["mnist", "fashion-mnist", "cifar10", "folder"]);
  assertEquals(FLAGS.dataset.choices, DATASET_NAMES);
  assertEquals(FLAGS.dataset.help, "dataset: mnist (built in), fashion-mnist, cifar10, folder");
  assertEquals(FLAGS.protocol.choices, PROTOCOLS);
  assertEquals(FLAGS.protocol.help, "one-class or leave-one-out");
  assertEquals(FLAGS.backend.choices, [
    "auto",
    "tensorflow-gpu",
    "tensorflow",
    "webgpu",
    "onednn",
    "wasm",
    "cpu",
  ]);
  assertEquals(FLAGS.backend.choices?.slice(1), BACKENDS);
  assertStringIncludes(
    assertThrows(() => parseFlags("t", ["--backend", "tpu"], { backend: "auto" }, ""), Error)
      .message,
    "--backend",
  );
});

Deno.test("--bn-stats: each task's help lists, and each task takes, only its own values", () => {
  const listed = (task: string) =>
    helpText(task, "", ["bn-stats"], {}).split("\n").find((l) => l.includes("--bn-stats"))!
      .match(/\(([^;)]*)/)![1].split(" | ");
  const modes = ["auto", "moving", "recomputed", "per-image"];
  assertEquals(listed("train"), modes);
  assertEquals(listed("distill"), modes);
  assertEquals(listed("score"), [...modes, "run"]);
  assertEquals(listed("study score"), [...modes, "all"]);
  // The help says what a listed value means, and nothing of a value not listed.
  const train = helpText("train", "", ["bn-stats"], {});
  assertStringIncludes(train, "auto: chosen on the validation normals");
  assertEquals(train.includes("run:") || train.includes("all:"), false, train);
  assertStringIncludes(helpText("score", "", ["bn-stats"], {}), "run: the run's own");
  for (const [task, value] of [["train", "all"], ["distill", "run"], ["score", "all"]]) {
    assertThrows(
      () => parseFlags(task, ["--bn-stats", value], { "bn-stats": undefined }, ""),
      Error,
      `--bn-stats: '${value}' is not one of `,
    );
  }
  assertThrows(
    () => parseFlags("train", ["--bn-stats", "all"], { "bn-stats": undefined }, ""),
    Error,
    "for train (all compares the modes: `deno task study score --model RUN`)",
  );
  assertEquals(
    parseFlags("score", ["--bn-stats", "run"], { "bn-stats": undefined }, "")?.["bn-stats"],
    "run",
  );
  assertEquals(
    parseFlags("study score", ["--bn-stats", "all"], { "bn-stats": undefined }, "")?.["bn-stats"],
    "all",
  );
});

Deno.test("a mistyped value of a fixed set is answered with the nearest one", () => {
  const defaults = { dataset: "mnist", backend: "auto", latent: "tanh" };
  const message = (args: string[]) =>
    assertThrows(() => parseFlags("train", args, defaults, ""), Error).message;
  assertEquals(
    message(["--dataset", "mnsit"]),
    "--dataset: 'mnsit' is not one of mnist, fashion-mnist, cifar10, folder (did you mean mnist?)",
  );
  assertStringIncludes(message(["--backend", "onedn"]), "(did you mean onednn?)");
  assertStringIncludes(message(["--dataset", "fashion"]), "(did you mean fashion-mnist?)");
  // Nothing near: no guess.
  assertEquals(message(["--latent", "sigmoid"]).includes("did you mean"), false);
  withEnv({ EDEGAN_BACKEND: "wsam" }, () =>
    assertStringIncludes(
      message([]),
      "EDEGAN_BACKEND (default of --backend): 'wsam' is not one of",
    ));
});

Deno.test("--dataset folder needs no --normal: its only class is 0; an explicit one still counts", () => {
  const defaults = { dataset: "mnist", normal: 1 };
  assertEquals(parseFlags("t", ["--dataset", "folder"], defaults, "")?.normal, 0);
  assertEquals(parseFlags("t", ["--dataset", "folder", "--normal", "3"], defaults, "")?.normal, 3);
  assertEquals(parseFlags("t", [], defaults, "")?.normal, 1);
});

Deno.test("formatTable prints each column with the decimals it needs: 635.2, not 635.2000", () => {
  const text = formatTable([
    { auc: 0.91234567, "img/s": 635.2, seconds: 10.6, epoch: 1 },
    { auc: 0.5, "img/s": 12.25, seconds: 3, epoch: 2 },
  ]);
  assertEquals(text.split("\n").slice(2), [
    "| 0.9123 | 635.20 |    10.6 |     1 |",
    "| 0.5000 |  12.25 |       3 |     2 |",
  ]);
  // a threshold of 2.657e-7 is not 0.0000
  assertEquals(formatTable([{ threshold: 2.657e-7 }]).split("\n")[2], "|  2.657e-7 |");
});

Deno.test("docs/CLI.md documents every flag of the vocabulary with its choices", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/CLI.md", import.meta.url));
  for (const [name, spec] of Object.entries(FLAGS)) {
    if (name === "help") continue;
    const row = doc.split("\n").find((line) => new RegExp(`^\\| \`--${name}\` +\\|`).test(line));
    if (!row) throw new Error(`docs/CLI.md has no row for --${name}`);
    for (const choice of spec.choices ?? []) assertStringIncludes(row, `\`${choice}\``);
    if (spec.env) assertStringIncludes(row, spec.env);
  }
});

Deno.test("--model-kind's help names every built-in model", async () => {
  const { registeredModels } = await import("../../lib/models/registry.ts");
  for (const name of registeredModels()) {
    assertStringIncludes(FLAGS["model-kind"].help, name);
  }
});

Deno.test("every data option's flag in OPTION_FLAGS is a flag of the vocabulary, and a run reads each", () => {
  const runField: Record<string, string> = { splitSeed: "seed" };
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    assertEquals(Object.hasOwn(FLAGS, flag.slice(2)), true, `${flag} not in FLAGS`);
    const sentinel = `value of ${flag}`;
    const data = runDataFromFlags({ _: [], [flag.slice(2)]: sentinel });
    assertEquals(
      (data as Record<string, unknown>)[runField[option] ?? option],
      sentinel,
      `${flag} does not reach the run's ${option}`,
    );
  }
});
