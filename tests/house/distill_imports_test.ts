// Distillation is typed on the model interface alone (issue 31): no file of lib/distill imports a
// file of lib/models/ede_gan (EDE-GAN reaches it as a DistillableModel, through lib/models/mod.ts
// and the registry). Read from `deno info --json` (see _import_graph.ts); doc examples, which
// may use EdeGan, are no imports. When this fails, it names the files.

import { assertEquals } from "@std/assert";
import { fromFileUrl } from "@std/path";
import { type Import, libImports } from "./_import_graph.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

/** The imports of a lib/distill file from a lib/models/ede_gan file, `import type` included. */
function distillImportsOfEdeGan(imports: Import[]): string[] {
  return imports
    .filter(({ from, to }) =>
      from.startsWith("lib/distill/") && to.startsWith("lib/models/ede_gan/")
    )
    .map(({ from, to }) => `${from} -> ${to}`);
}

Deno.test("no lib/distill file imports lib/models/ede_gan", async () => {
  const imports = await libImports(ROOT);
  assertEquals(distillImportsOfEdeGan(imports), []);
  // The graph is the real one: lib/distill imports the model interface, and a planted import of
  // EDE-GAN would be found.
  assertEquals(
    imports.some(({ from, to }) => from === "lib/distill/pkdgan.ts" && to === "lib/models/mod.ts"),
    true,
  );
  const planted = { from: "lib/distill/pkdgan.ts", to: "lib/models/ede_gan/step.ts", code: false };
  assertEquals(distillImportsOfEdeGan([...imports, planted]), [
    "lib/distill/pkdgan.ts -> lib/models/ede_gan/step.ts",
  ]);
});
