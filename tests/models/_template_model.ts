/**
 * A second model the engine has never heard of, for the tests of the model interface: it learns
 * one template image and scores each image by its mean squared distance to it (score kind
 * `distance`). Importing this module registers it as `test-template` (once per process), so a
 * plugin (`EDEGAN_PLUGINS`, tests/cli/_plugin.ts) brings it to the `deno task` commands.
 */

import * as tf from "../../lib/tf.ts";
import type {
  AnomalyModel,
  ModelConfig,
  NamedTensors,
  ScoreBatch,
  ScoreRequest,
  StepContext,
} from "../../lib/models/anomaly_model.ts";
import { registeredModels, registerModel } from "../../lib/models/registry.ts";
import { Adam, keyedGradients } from "../../lib/train/adam.ts";

type TemplateOptimisers = { template: Adam };
type TemplateLosses = { loss: number };

/** One learned image; the score of x is mean((x - template)^2). */
export class TemplateModel implements AnomalyModel<TemplateOptimisers, TemplateLosses> {
  static readonly NAME = "test-template";
  readonly name = TemplateModel.NAME;
  readonly scoringKeys = ["template/image"];
  readonly curveLosses = { loss: "L" };
  readonly scoreKinds = ["distance"];
  readonly variables: Map<string, tf.Variable>;
  stepsSeen: StepContext[] = [];

  constructor(readonly config: ModelConfig & { learningRate: number }, values?: NamedTensors) {
    const { imageSize: s, channels: c } = config;
    const saved = values?.get("template/image");
    if (values && (!saved || saved.shape.join() !== [s, s, c].join())) {
      throw new Error("model tensor 'template/image' is missing or misshapen");
    }
    this.variables = new Map([[
      "template/image",
      tf.tidy(() => tf.variable(saved ? tf.tensor3d(saved.data, [s, s, c]) : tf.zeros([s, s, c]))),
    ]]);
  }

  createOptimisers(): TemplateOptimisers {
    const { learningRate } = this.config;
    return { template: new Adam(this.variables, { learningRate, beta1: 0.9, beta2: 0.999 }) };
  }

  async trainStep(
    images: tf.Tensor4D,
    optimisers: TemplateOptimisers,
    context: StepContext,
  ): Promise<TemplateLosses> {
    this.stepsSeen.push(context);
    const template = this.variables.get("template/image")!;
    const value = tf.tidy(() => {
      const { value, grads } = keyedGradients(
        optimisers.template,
        // sub, whose gradient sums over the broadcast batch (squaredDifference's does not).
        () => tf.mean(tf.square(tf.sub(images, template))) as tf.Scalar,
      );
      optimisers.template.apply(grads);
      return value;
    });
    const [loss] = await value.data();
    value.dispose();
    return { loss };
  }

  scoreBatch(images: tf.Tensor4D, request: ScoreRequest): ScoreBatch {
    if (request.kinds.join() !== "distance") {
      throw new Error(`scoreKind: expected distance, got '${request.kinds.join(", ")}'`);
    }
    const template = this.variables.get("template/image")!;
    return {
      scores: {
        distance: tf.mean(tf.squaredDifference(images, template), [1, 2, 3]) as tf.Tensor1D,
      },
    };
  }

  withValues(tensors: NamedTensors): this {
    return new TemplateModel(this.config, tensors) as this;
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
  }
}

if (!registeredModels().includes(TemplateModel.NAME)) {
  registerModel({
    name: TemplateModel.NAME,
    create: (settings, images) =>
      new TemplateModel(
        { learningRate: 0.1, ...settings, ...images } as ModelConfig & {
          learningRate: number;
        },
      ),
    fromTensors: (config, tensors) =>
      new TemplateModel(config as ModelConfig & { learningRate: number }, tensors),
  });
}
