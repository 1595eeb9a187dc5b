/**
 * A plugin of the `deno task` commands (`EDEGAN_PLUGINS=tests/cli/_plugin.ts`), as a researcher
 * would keep one outside the checkout: importing it registers a model (`test-template`) and a
 * dataset (`tiny`) that edegan does not ship.
 */

import { DATASET_NAMES, registerDataset } from "../../mod.ts";
import "../models/_template_model.ts";
import { TINY_DATASET } from "../data/_tiny_dataset.ts";

// A dataset is registered once per process (a second registration is an error).
if (!DATASET_NAMES.includes(TINY_DATASET.name)) registerDataset(TINY_DATASET);
