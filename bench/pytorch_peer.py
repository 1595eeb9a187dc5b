#!/usr/bin/env python3
"""PyTorch peer of edegan's `model` benchmark suite: the same EDE-GAN teacher, timed the same way.

The network, losses, optimiser and step order follow edegan (lib/models/ede_gan/architecture.ts,
network.ts, losses.ts, step.ts, lib/train/adam.ts):

- E1, E2: Conv 4x4/2 (no BatchNorm) + LeakyReLU(0.2), then Conv 4x4/2 + BatchNorm + LeakyReLU(0.2)
  per further block (widths w, 2w, 4w), then a 4x4 valid Conv to the latent and, with the default
  latent constraint, tanh. D is the same encoder ending in one logit; its features are the input of
  that last layer.
- Dec: ConvTranspose 4x4/1 valid from the latent to 4x4 + BatchNorm + ReLU, ConvTranspose 4x4/2
  + BatchNorm + ReLU per block, a last ConvTranspose 4x4/2 to the image and tanh.
- No layer has a bias. Weights N(0, 0.02); BatchNorm gamma N(1, 0.02), beta 0; momentum 0.1,
  eps 1e-5.
- Generator loss 1 * mean((f(x) - f(x_hat))^2) + 50 * mean|x - x_hat| + 1 * mean((z - z_hat)^2);
  discriminator loss the mean of BCE-with-logits on real (1) and detached generated (0) images.
- Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8), one per network. A step updates the generator,
  then the discriminator on the generated images of that step, detached. As in edegan, the
  generator's backward pass computes no gradients of D's weights (they are frozen for it).

Timing (lib/bench/model.ts): train at batch 1 and 64, then score (E1 -> Dec -> E2 and the mean
squared latent distance per image, eval mode, no_grad) at batch 1 and 256. Each figure is one
warm-up call and then the median of `--repeats` timed calls (fewer once `--budget-seconds` are
spent), each call as many steps (scoring passes) as make `--train-images-per-call` (32)
(`--score-images-per-call`, 64) images, as edegan's MODEL_SUITE_TIMING. Input images are tanh
of a standard normal, NCHW float32. Peak RSS is the process's (`ru_maxrss`), so each thread count
runs in its own child process.

Prints one JSON object per line, shaped like edegan's ModelRow:
    {"backend": "pytorch-1t", "phase": "train", "batch": 64, "images_per_s": 179.2,
     "peak_rss_mb": 412, "device": "torch 1.13.0a0, 1 thread(s)", "generator_params": 3200384}
Progress goes to stderr. Needs only torch (Debian: apt-get install python3-torch).

    python3 bench/pytorch_peer.py                       # the teacher at 1 and 2 threads
    python3 bench/pytorch_peer.py --width 4 --repeats 1 # a quick smoke run
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

IMAGE_SIZE = 32
CHANNELS = 1
TEACHER = {"width": 64, "latent": 100}
TEACHER_GENERATOR_PARAMS = 3_200_384  # edegan's modelCost(resolveConfig()).generator.params
WEIGHTS = {"adversarial": 1.0, "contextual": 50.0, "latent": 1.0}
LEARNING_RATE, BETAS, EPSILON = 2e-4, (0.5, 0.999), 1e-8
BN_MOMENTUM, BN_EPSILON, LEAKY_SLOPE = 0.1, 1e-5, 0.2
TRAIN_BATCHES, SCORE_BATCHES = (1, 64), (1, 256)
# lib/bench/model.ts: 5 timed training steps, 7 timed scoring passes, 60 s per figure at most.
TRAIN_REPEATS, SCORE_REPEATS, BUDGET_SECONDS = 5, 7, 60.0
TRAIN_IMAGES_PER_CALL, SCORE_IMAGES_PER_CALL = 32, 64  # lib/bench/model.ts MODEL_SUITE_TIMING


def block_widths(width):
    """Channels of each stride-2 block (w, 2w, 4w for 32x32 images)."""
    blocks = IMAGE_SIZE.bit_length() - 1 - 2
    return [width * 2**i for i in range(blocks)]


class Encoder(nn.Module):
    """E1, E2 (out = latent size) or D (out = 1): images to [batch, out], and the features
    before the last layer."""

    def __init__(self, width, out_channels):
        super().__init__()
        layers = []
        self.named = []  # (edegan's layer name, conv, BatchNorm or None)
        channels = CHANNELS
        for i, w in enumerate(block_widths(width)):
            conv = nn.Conv2d(channels, w, 4, 2, 1, bias=False)
            bn = nn.BatchNorm2d(w, eps=BN_EPSILON, momentum=BN_MOMENTUM) if i > 0 else None
            layers += [conv] + ([bn] if bn else []) + [nn.LeakyReLU(LEAKY_SLOPE, inplace=True)]
            self.named.append((f"conv{i}", conv, bn))
            channels = w
        self.features = nn.Sequential(*layers)
        self.final = nn.Conv2d(channels, out_channels, 4, 1, 0, bias=False)
        self.named.append(("final", self.final, None))

    def forward(self, x):
        features = self.features(x)
        return self.final(features).flatten(1), features


class Decoder(nn.Module):
    """Dec: [batch, latent] to images in [-1, 1]."""

    def __init__(self, width, latent):
        super().__init__()
        widths = block_widths(width)[::-1]
        conv = nn.ConvTranspose2d(latent, widths[0], 4, 1, 0, bias=False)
        bn = nn.BatchNorm2d(widths[0], eps=BN_EPSILON, momentum=BN_MOMENTUM)
        layers = [conv, bn, nn.ReLU(inplace=True)]
        self.named = [("initial", conv, bn)]
        for i, w in enumerate(widths):
            last = i == len(widths) - 1
            out = CHANNELS if last else widths[i + 1]
            conv = nn.ConvTranspose2d(w, out, 4, 2, 1, bias=False)
            if last:
                layers += [conv, nn.Tanh()]
                self.named.append(("final", conv, None))
            else:
                bn = nn.BatchNorm2d(out, eps=BN_EPSILON, momentum=BN_MOMENTUM)
                layers += [conv, bn, nn.ReLU(inplace=True)]
                self.named.append((f"deconv{i}", conv, bn))
        self.net = nn.Sequential(*layers)
        self.latent = latent

    def forward(self, z):
        return self.net(z.view(z.shape[0], self.latent, 1, 1))


class EdeGan(nn.Module):
    """The generator E1 -> Dec -> E2 and the discriminator D."""

    def __init__(self, width, latent, latent_constraint="tanh"):
        super().__init__()
        self.encoder1 = Encoder(width, latent)
        self.decoder = Decoder(width, latent)
        self.encoder2 = Encoder(width, latent)
        self.discriminator = Encoder(width, 1)
        self.constrain = torch.tanh if latent_constraint == "tanh" else (lambda t: t)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(module.weight, 0.0, 0.02)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.normal_(module.weight, 1.0, 0.02)
                nn.init.zeros_(module.bias)

    def generator_parameters(self):
        return [
            p for part in (self.encoder1, self.decoder, self.encoder2) for p in part.parameters()
        ]

    def generate(self, x):
        z = self.constrain(self.encoder1(x)[0])
        x_hat = self.decoder(z)
        z_hat = self.constrain(self.encoder2(x_hat)[0])
        return z, x_hat, z_hat


    def load_edegan(self, tensors):
        """Copies edegan's tensors (`part/layer/tensor` -> {shape, data}, tfjs layouts: conv
        kernels [k, k, in, out], transposed ones [k, k, out, in]) into this model."""

        def tensor(key):
            t = tensors[key]
            return torch.tensor(t["data"], dtype=torch.float32).reshape(t["shape"])

        with torch.no_grad():
            for part in ("encoder1", "decoder", "encoder2", "discriminator"):
                for name, conv, bn in getattr(self, part).named:
                    key = f"{part}/{name}"
                    # Both layouts become PyTorch's by the same permutation: [k, k, a, b] ->
                    # [b, a, k, k] (Conv2d [out, in, k, k]; ConvTranspose2d [in, out, k, k]).
                    conv.weight.copy_(tensor(f"{key}/kernel").permute(3, 2, 0, 1))
                    if bn is not None:
                        bn.weight.copy_(tensor(f"{key}/gamma"))
                        bn.bias.copy_(tensor(f"{key}/beta"))
                        bn.running_mean.copy_(tensor(f"{key}/movingMean"))
                        bn.running_var.copy_(tensor(f"{key}/movingVariance"))


def expected_generator_params(width, latent):
    """Weights plus BatchNorm gamma and beta of E1, Dec and E2, as edegan's lib/models/ede_gan/cost.ts."""
    widths = block_widths(width)
    encoder = sum(16 * cin * cout for cin, cout in zip([CHANNELS] + widths, widths))
    encoder += sum(2 * w for w in widths[1:]) + 16 * widths[-1] * latent
    rev = widths[::-1]
    decoder = 16 * latent * rev[0] + 2 * rev[0]
    decoder += sum(16 * cin * cout + 2 * cout for cin, cout in zip(rev, rev[1:]))
    decoder += 16 * rev[-1] * CHANNELS
    return 2 * encoder + decoder


class Trainer:
    """One edegan training step (lib/models/ede_gan/step.ts) in PyTorch."""

    def __init__(self, model):
        self.model = model
        self.generator_params = model.generator_parameters()
        self.discriminator_params = list(model.discriminator.parameters())
        adam = dict(lr=LEARNING_RATE, betas=BETAS, eps=EPSILON)
        self.opt_g = torch.optim.Adam(self.generator_params, **adam)
        self.opt_d = torch.optim.Adam(self.discriminator_params, **adam)

    def step(self, x, terms=False):
        m = self.model
        m.train()
        # Generator: E1 -> Dec -> E2 against D's features of real and generated images.
        for p in self.discriminator_params:
            p.requires_grad_(False)
        z, x_hat, z_hat = m.generate(x)
        features_real = m.discriminator(x)[1]
        features_fake = m.discriminator(x_hat)[1]
        adversarial = WEIGHTS["adversarial"] * F.mse_loss(features_fake, features_real)
        contextual = WEIGHTS["contextual"] * F.l1_loss(x_hat, x)
        latent = WEIGHTS["latent"] * F.mse_loss(z_hat, z)
        loss_g = adversarial + contextual + latent
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        for p in self.discriminator_params:
            p.requires_grad_(True)
        # Discriminator: real images against this step's generated ones, detached.
        fake = x_hat.detach()
        logits_real = m.discriminator(x)[0]
        logits_fake = m.discriminator(fake)[0]
        loss_d = 0.5 * (
            F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
            + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake))
        )
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        # edegan reads its losses back at the end of each step.
        if terms:
            return {"lossG": loss_g.item(), "adversarial": adversarial.item(),
                    "contextual": contextual.item(), "latent": latent.item(),
                    "lossD": loss_d.item()}
        return loss_g.item(), loss_d.item()


def score_once(model, x):
    """Anomaly scores: mean squared distance of z and z_hat per image, read back."""
    model.eval()
    with torch.no_grad():
        z, _, z_hat = model.generate(x)
        return ((z - z_hat) ** 2).mean(dim=1).tolist()


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux


def time_it(f, repeats, budget_seconds):
    """Seconds per call of f: one warm-up, then the median of `repeats` (fewer within budget)."""
    f()
    times = []
    started = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget_seconds:
            break
    return statistics.median(times)


def images(batch):
    g = torch.Generator().manual_seed(7)
    return torch.tanh(torch.randn(batch, CHANNELS, IMAGE_SIZE, IMAGE_SIZE, generator=g))


def check(args):
    """Runs edegan's model from a JSON file (--check) and prints what edegan's test compares:
    z and z_hat of the images in inference mode, the losses of `steps` training steps, then z and
    z_hat again. The file holds width, latent_size, steps, tensors (edegan's) and images (NHWC)."""
    with open(args.check, encoding="utf-8") as f:
        spec = json.load(f)
    torch.manual_seed(1)
    model = EdeGan(spec["width"], spec["latent_size"])
    model.load_edegan(spec["tensors"])
    img = spec["images"]
    x = torch.tensor(img["data"], dtype=torch.float32).reshape(img["shape"]).permute(0, 3, 1, 2)
    x = x.contiguous()

    def latents():
        model.eval()
        with torch.no_grad():
            z, _, z_hat = model.generate(x)
        return {"z": z.flatten().tolist(), "z_hat": z_hat.flatten().tolist()}

    before = latents()
    trainer = Trainer(model)
    steps = [trainer.step(x, terms=True) for _ in range(spec["steps"])]
    print(json.dumps({"before": before, "steps": steps, "after": latents()}), flush=True)


def run(args, threads):
    """Every row of one thread count, printed as it is measured."""
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = EdeGan(args.width, args.latent_size, args.latent)
    params = sum(p.numel() for p in model.generator_parameters())
    expected = expected_generator_params(args.width, args.latent_size)
    if params != expected:
        raise SystemExit(f"pytorch_peer: generator has {params} parameters, edegan's layer "
                         f"shapes give {expected} (--width {args.width})")
    if (args.width, args.latent_size) == (TEACHER["width"], TEACHER["latent"]):
        if params != TEACHER_GENERATOR_PARAMS:
            raise SystemExit(f"pytorch_peer: teacher generator has {params} parameters, "
                             f"edegan's has {TEACHER_GENERATOR_PARAMS}")
    if args.expect_params is not None and params != args.expect_params:
        raise SystemExit(f"pytorch_peer: generator has {params} parameters, --expect-params "
                         f"says {args.expect_params}")
    backend = f"pytorch-{threads}t"
    device = f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)"
    if torch.backends.mkldnn.is_available():
        device += ", oneDNN"
    trainer = Trainer(model)

    def emit(phase, batch, seconds):
        row = {
            "backend": backend,
            "phase": phase,
            "batch": batch,
            "images_per_s": round(batch / seconds, 2),
            "peak_rss_mb": peak_rss_mb(),
            "device": device,
            "generator_params": params,
        }
        print(json.dumps(row), flush=True)

    def per_call(f, batch, images_per_call):
        """Seconds per step of f, timed in runs of enough steps for images_per_call images."""
        steps = max(1, -(-images_per_call // batch))

        def run():
            for _ in range(steps):
                f()
        return run, steps

    for batch in TRAIN_BATCHES:
        print(f"  {backend} train batch {batch}", file=sys.stderr, flush=True)
        x = images(batch)
        run, steps = per_call(lambda: trainer.step(x), batch, args.train_images_per_call)
        emit("train", batch, time_it(run, args.train_repeats, args.budget_seconds) / steps)
    for batch in SCORE_BATCHES:
        print(f"  {backend} score batch {batch}", file=sys.stderr, flush=True)
        x = images(batch)
        run, steps = per_call(lambda: score_once(model, x), batch, args.score_images_per_call)
        emit("score", batch, time_it(run, args.score_repeats, args.budget_seconds) / steps)


def parse_threads(text):
    try:
        threads = [int(t) for t in text.split(",")]
    except ValueError:
        threads = []
    if not threads or any(t < 1 for t in threads):
        raise argparse.ArgumentTypeError(f"expected thread counts like 1,2; got '{text}'")
    return threads


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Times edegan's EDE-GAN teacher in PyTorch, as deno task bench --suite model.")
    parser.add_argument("--width", type=int, default=TEACHER["width"],
                        help="base channel width (default 64, the teacher)")
    parser.add_argument("--latent-size", type=int, default=TEACHER["latent"],
                        help="size of z (default 100)")
    parser.add_argument("--latent", choices=["tanh", "none"], default="tanh",
                        help="latent constraint (default tanh)")
    parser.add_argument("--threads", type=parse_threads, default=[1, 2],
                        help="comma-separated thread counts, each in its own process (default 1,2)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs of every figure (overrides the two below)")
    parser.add_argument("--train-repeats", type=int, default=TRAIN_REPEATS,
                        help=f"timed training steps per figure (default {TRAIN_REPEATS})")
    parser.add_argument("--score-repeats", type=int, default=SCORE_REPEATS,
                        help=f"timed scoring passes per figure (default {SCORE_REPEATS})")
    parser.add_argument("--train-images-per-call", type=int, default=TRAIN_IMAGES_PER_CALL,
                        help="steps per timed call: enough for this many images "
                             f"(default {TRAIN_IMAGES_PER_CALL}, as edegan's bench)")
    parser.add_argument("--score-images-per-call", type=int, default=SCORE_IMAGES_PER_CALL,
                        help="scoring passes per timed call, likewise "
                             f"(default {SCORE_IMAGES_PER_CALL})")
    parser.add_argument("--budget-seconds", type=float, default=BUDGET_SECONDS,
                        help="stop repeating a figure after this many seconds (default 60)")
    parser.add_argument("--check", metavar="JSON",
                        help="run edegan's weights from this file and print its latents and "
                             "step losses (for edegan's test), instead of timing")
    parser.add_argument("--expect-params", type=int, default=None,
                        help="fail unless the generator has this many parameters")
    args = parser.parse_args(argv)
    if args.repeats is not None:
        args.train_repeats = args.score_repeats = args.repeats
    if min(args.width, args.latent_size, args.train_repeats, args.score_repeats,
           args.train_images_per_call, args.score_images_per_call) < 1:
        parser.error("--width, --latent-size, the repeats and the images per call must be >= 1")
    if not args.budget_seconds > 0:
        parser.error("--budget-seconds must be > 0")
    if args.check is not None:
        check(args)
        return 0
    if len(args.threads) == 1:
        run(args, args.threads[0])
        return 0
    # One child process per thread count, so that each row's peak RSS is its own.
    passthrough = list(argv if argv is not None else sys.argv[1:])
    for threads in args.threads:
        child = [sys.executable, __file__, *strip_threads(passthrough), "--threads", str(threads)]
        code = subprocess.call(child)
        if code != 0:
            return code
    return 0


def strip_threads(argv):
    """argv without its --threads flag (either form)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--threads":
            skip = True
        elif not a.startswith("--threads="):
            out.append(a)
    return out


if __name__ == "__main__":
    sys.exit(main())
