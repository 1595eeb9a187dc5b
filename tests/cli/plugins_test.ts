/**
 * `EDEGAN_PLUGINS`: a model and a dataset registered by a module outside the library reach the
 * `deno task` commands (train, score, data list), as the README's "Adding a model or a dataset"
 * says; without the plugin they are unknown, and a plugin that cannot be imported is named.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { tinyBytes } from "../data/_tiny_dataset.ts";
import { runDeno } from "../_helpers.ts";

/** A task as a user runs it from the checkout's root, with `EDEGAN_PLUGINS` set to `plugins`. */
const task = (script: string, args: string[], plugins = "") =>
  runDeno([`tasks/${script}.ts`, ...args], {
    EDEGAN_PLUGINS: plugins,
    INIT_CWD: new URL("../../", import.meta.url).pathname,
  });

Deno.test("EDEGAN_PLUGINS: a plugin's model and dataset train, score and are listed through the tasks", async () => {
  const dir = await Deno.makeTempDir();
  const data = join(dir, "tiny");
  await Deno.mkdir(data);
  await Deno.writeFile(join(data, "tiny.bin"), tinyBytes(40, 10));
  const plugin = "tests/cli/_plugin.ts";
  const out = join(dir, "run");
  const trainArgs = [
    ...["--model-kind", "test-template", "--dataset", "tiny", "--data-dir", data],
    ...["--normal", "1", "--epochs", "2", "--batch-size", "8", "--backend", "cpu"],
    ...["--no-report", "--out", out],
  ];
  try {
    // Without the plugin: unknown, nothing written.
    const without = await task("train", trainArgs);
    assertEquals(without.code, 2, without.text);
    assertStringIncludes(without.text, "--dataset: 'tiny' is not one of mnist");
    assert(!await Deno.stat(out).then(() => true, () => false));

    const listed = await task("data", ["list"], plugin);
    assertEquals(listed.code, 0, listed.text);
    assertStringIncludes(listed.text, "tiny");

    const trained = await task("train", trainArgs, plugin);
    assertEquals(trained.code, 0, trained.text);
    const run = JSON.parse(await Deno.readTextFile(join(out, "run.json")));
    assertEquals([run.model, run.data.dataset, run.status], ["test-template", "tiny", "finished"]);
    // Class 1 is the middle grey level: its template lies between the others, AUC well above 0.5.
    assert(run.metrics.auc > 0.9, `AUC ${run.metrics.auc}`);

    // Scored with the model's own score (`distance`, not EDE-GAN's `latent`): the run's AUC.
    const csv = join(dir, "scores.csv");
    const scored = await task("score", ["--model", out, "--backend", "cpu", "--out", csv], plugin);
    assertEquals(scored.code, 0, scored.text);
    assertStringIncludes(scored.text, "score: distance");
    assertStringIncludes(scored.text, run.metrics.auc.toFixed(4));

    // Scored without the plugin: the model is unknown, and the error says how plugins register.
    const unplugged = await task("score", ["--model", out, "--backend", "cpu", "--out", csv]);
    assertEquals(unplugged.code, 2, unplugged.text);
    assertStringIncludes(unplugged.text, "unknown model 'test-template'");
    assertStringIncludes(unplugged.text, "registered by EDEGAN_PLUGINS=module.ts");

    // Another kind than the model's is refused before any data is read, naming the flag.
    const wrongKind = await task(
      "score",
      ["--model", out, "--backend", "cpu", "--score-kind", "latent", "--out", csv],
      plugin,
    );
    assertEquals(wrongKind.code, 2, wrongKind.text);
    assertStringIncludes(
      wrongKind.text,
      "error: --score-kind latent: a 'test-template' model scores distance",
    );

    const bad = await task("train", ["--help"], "no/such/plugin.ts");
    assertEquals(bad.code, 2, bad.text);
    assertStringIncludes(bad.text, "error: EDEGAN_PLUGINS: cannot import no/such/plugin.ts");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadPlugins: without permission to read the environment, as if EDEGAN_PLUGINS were unset", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "no_env.ts");
    const plugins = new URL("../../lib/util/plugins.ts", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { loadPlugins } from "${plugins}";\nconsole.log(JSON.stringify(await loadPlugins()));\n`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--config",
        new URL("../../deno.json", import.meta.url).pathname,
        script,
      ],
      env: { EDEGAN_PLUGINS: "tests/cli/_plugin.ts" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals([out.code, text.trim()], [0, "[]"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
