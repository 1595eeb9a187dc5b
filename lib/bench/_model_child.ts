/**
 * One backend of the model suite in a process of its own (`runModelSuiteIsolated`): arguments
 * `BACKEND [BUDGET_SECONDS]`; progress on stderr, the rows as one JSON line on stdout.
 *
 * @module
 */

import { runModelSuite } from "./model.ts";
import { type BackendName, BACKENDS } from "../backend/names.ts";

if (import.meta.main) {
  const [backend, budget] = Deno.args;
  if (!(BACKENDS as readonly string[]).includes(backend)) {
    console.error(`_model_child: unknown backend '${backend}'`);
    Deno.exit(2);
  }
  const rows = await runModelSuite([backend as BackendName], {
    budgetSeconds: budget === undefined ? undefined : Number(budget),
    onProgress: (msg) => console.error(msg),
  });
  console.log(JSON.stringify(rows));
  // Native backends may hold threads open; the rows are out.
  Deno.exit(0);
}
