/**
 * A plugin of the `deno task` commands (`EDEGAN_PLUGINS=tests/cli/_plugin.ts`), as a researcher
 * would keep one outside the checkout: importing it registers a model (`test-template`) and a
 * dataset (`tiny`) that edegan does not ship.
 */

import { registerDataset } from "../../mod.ts";
import "../models/_template_model.ts";
import { TINY_DATASET } from "../data/_tiny_dataset.ts";

registerDataset(TINY_DATASET);
