// The house keeps no import circles inside lib/ and no imports of a folder's private `_` files
// from another folder (issue 31). Counted from `deno info --json` over every file of lib/ (see
// _import_graph.ts): when this fails, it names the files.

import { assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { crossFolderPrivateImports, importCircles, libImports } from "./_import_graph.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

// Circles left to other work: none since issue 31 (EDE-GAN's step and scores are typed on
// ede_gan/forward.ts, the distillation's options are in distill/options.ts). A circle found must be
// one of these or part of one; keep the list empty.
const LEFT_TO_OTHER_WORK: string[][] = [];

const imports = await libImports(ROOT);

Deno.test("lib/ has no import circle (import type included) beyond those left to other work", () => {
  const circles = importCircles(imports);
  const unexpected = circles.filter((circle) =>
    !LEFT_TO_OTHER_WORK.some((known) => circle.every((file) => known.includes(file)))
  );
  assertEquals(unexpected, []);
  // The graph is the real one: lib/ has hundreds of imports, and a circle is found when there.
  assertEquals(imports.length > 300, true, `${imports.length} imports`);
  const looped = [
    ...imports,
    { from: "lib/data/types.ts", to: "lib/data/registry.ts", code: true },
  ];
  assertEquals(importCircles(looped).length, circles.length + 1);
});

Deno.test("no folder of lib/ imports another folder's private _ files", () => {
  const crossing = crossFolderPrivateImports(imports).map(({ from, to }) => `${from} -> ${to}`);
  assertEquals(crossing, []);
  assertEquals(
    crossFolderPrivateImports([{
      from: "lib/score/images.ts",
      to: "lib/data/_files.ts",
      code: true,
    }])
      .length,
    1,
  );
});

// The engine's folders reach a model through the AnomalyModel interface and the registry only
// (issue 31): EDE-GAN's BatchNorm modes through its registry entry's `batchNormScoring`. An
// import of a lib/models/ede_gan/ file from one of them must be listed here with why; none is.
const ENGINE = ["lib/score/", "lib/train/", "lib/report/", "lib/sweep/"];
const EDE_GAN_IMPORTS_LEFT: string[] = [];

/** The imports of `lib/models/ede_gan/` files (`import type` too) from the engine's folders. */
function engineImportsOfEdeGan(graph: typeof imports): string[] {
  return graph
    .filter(({ from, to }) =>
      ENGINE.some((folder) => from.startsWith(folder)) && to.startsWith("lib/models/ede_gan/")
    )
    .map(({ from, to }) => `${from} -> ${to}`)
    .filter((edge) => !EDE_GAN_IMPORTS_LEFT.includes(edge));
}

Deno.test("lib/score, lib/train, lib/report and lib/sweep import no lib/models/ede_gan/ file", () => {
  assertEquals(engineImportsOfEdeGan(imports), []);
  // They do import the models' interface and registry, so the check looks at real edges.
  assertEquals(
    imports.some(({ from, to }) =>
      from === "lib/score/scoring_run.ts" && to === "lib/models/registry.ts"
    ),
    true,
  );
  const leak = { from: "lib/score/score.ts", to: "lib/models/ede_gan/batch_norm_stats.ts" };
  assertEquals(engineImportsOfEdeGan([{ ...leak, code: false }]), [`${leak.from} -> ${leak.to}`]);
});
