/**
 * The Kubernetes Indexed Job example (docs/k8s/sweep-job.yaml) cannot run here (no cluster can be
 * installed from the reachable registries), so it is checked instead: parsed as YAML, its Job
 * fields checked, and each pod's command run through /bin/sh as the container would, with its
 * JOB_COMPLETION_INDEX and a stand-in `deno` that records its arguments; the `--shard` each pod
 * gets is parsed by lib/sweep and the pods' shards must cover the grid's jobs exactly once.
 */

import { assert, assertEquals } from "@std/assert";
import { join } from "@std/path";
import { parse } from "@std/yaml";
import {
  parseIntList,
  parseKeyValues,
  parseMethods,
  parseWidths,
  sweepJobs,
  takeDatasets,
} from "../../lib/sweep/grid.ts";
import { parseShard, shardJobs } from "../../lib/sweep/shard.ts";

// The parts of a batch/v1 Job this example uses.
interface Container {
  name: string;
  command: string[];
  args: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { resourceFieldRef?: { containerName: string; resource: string } };
  }[];
  resources: { limits: Record<string, string | number> };
  volumeMounts: { name: string; mountPath: string }[];
}
interface Job {
  apiVersion: string;
  kind: string;
  spec: {
    completionMode: string;
    completions: number;
    parallelism: number;
    backoffLimitPerIndex: number;
    maxFailedIndexes: number;
    template: {
      spec: {
        restartPolicy: string;
        containers: Container[];
        volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[];
      };
    };
  };
}

const FILE = new URL("../../docs/k8s/sweep-job.yaml", import.meta.url);
const job = parse(await Deno.readTextFile(FILE)) as Job;
const container = job.spec.template.spec.containers[0];
const decoder = new TextDecoder();

/** The arguments `deno` gets in the pod with this completion index. */
async function podArgs(index: number, stubDir: string): Promise<string[]> {
  const [shell, ...shellArgs] = container.command;
  const result = await new Deno.Command(shell, {
    args: [...shellArgs, ...container.args],
    env: { PATH: `${stubDir}:/usr/bin:/bin`, JOB_COMPLETION_INDEX: String(index) },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(result.code, 0, decoder.decode(result.stderr));
  return decoder.decode(result.stdout).split("\0").slice(0, -1);
}

function valueOf(args: string[], flag: string): string {
  const i = args.indexOf(flag);
  assert(i >= 0 && i + 1 < args.length, `${flag} missing from ${args.join(" ")}`);
  return args[i + 1];
}

Deno.test("k8s: the example is an Indexed Job whose failed shards are retried", () => {
  assertEquals([job.apiVersion, job.kind], ["batch/v1", "Job"]);
  const spec = job.spec;
  assertEquals(spec.completionMode, "Indexed");
  assert(spec.completions >= 1 && spec.parallelism >= 1 && spec.parallelism <= spec.completions);
  // backoffLimitPerIndex retries one index (shard) at a time; it needs restartPolicy Never.
  assert(spec.backoffLimitPerIndex >= 1);
  assert(spec.maxFailedIndexes >= 1 && spec.maxFailedIndexes <= spec.completions);
  assertEquals(spec.template.spec.restartPolicy, "Never");
  assertEquals(container.command, ["/bin/sh", "-c"]);
  assertEquals(container.args.length, 1, "one shell script, as the container's sh -c runs it");
  // The GPU variant asks for the backend that uses the GPU; threads follow the CPU limit.
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
  if ("nvidia.com/gpu" in container.resources.limits) {
    assertEquals(env.EDEGAN_BACKEND?.value, "tensorflow-gpu");
  }
  assertEquals(env.EDEGAN_THREADS?.valueFrom?.resourceFieldRef, {
    containerName: container.name,
    resource: "limits.cpu",
  });
  assert("cpu" in container.resources.limits, "EDEGAN_THREADS follows a CPU limit");
});

Deno.test("k8s: pod i gets --shard (i+1)/completions and the pods cover every job once", async () => {
  const stubDir = await Deno.makeTempDir({ prefix: "edegan-k8s-" });
  try {
    // A stand-in deno that prints its arguments, NUL-separated.
    await Deno.writeTextFile(join(stubDir, "deno"), "#!/bin/sh\nprintf '%s\\0' \"$@\"\n");
    await Deno.chmod(join(stubDir, "deno"), 0o755);
    const n = job.spec.completions;
    const pods = await Promise.all(Array.from({ length: n }, (_, i) => podArgs(i, stubDir)));
    const first = pods[0];
    assertEquals(first.slice(0, 2), ["task", "sweep"]);
    // Every pod runs the same command but for its shard.
    const withoutShard = (args: string[]) =>
      args.filter((_, k) => k !== args.indexOf("--shard") + 1);
    for (const args of pods) assertEquals(withoutShard(args), withoutShard(first));

    const shards = pods.map((args) => parseShard(valueOf(args, "--shard")));
    assertEquals(shards, Array.from({ length: n }, (_, i) => ({ index: i + 1, count: n })));

    // The grid as `deno task sweep` reads it from these arguments.
    const { datasets, rest } = takeDatasets(first.slice(2));
    const kv = parseKeyValues(rest.filter((a) => /^\w+=/.test(a)), ["classes", "seeds"]);
    const jobs = sweepJobs({
      datasets: datasets ?? ["mnist"],
      classes: parseIntList(kv.classes ?? "0-9", "classes"),
      seeds: parseIntList(kv.seeds ?? "0", "seeds"),
      widths: parseWidths(valueOf(rest, "--students")),
      methods: parseMethods(valueOf(rest, "--methods")),
    });
    assertEquals(jobs.length, 2 * 10 * 2);
    const parts = shards.map((shard) => shardJobs(jobs.map((j) => j.id), shard));
    assert(parts.every((p) => p.length > 0), "no pod without work");
    assertEquals(parts.flat().sort(), jobs.map((j) => j.id).sort());

    // --out lies on the shared volume (a claim every pod mounts).
    const out = valueOf(rest, "--out");
    const mount = container.volumeMounts.find((m) => out.startsWith(`${m.mountPath}/`));
    if (mount === undefined) throw new Error(`--out ${out} is on no mounted volume`);
    const volume = job.spec.template.spec.volumes.find((v) => v.name === mount.name);
    assert(volume?.persistentVolumeClaim, `volume ${mount.name} is not a persistent volume claim`);
  } finally {
    await Deno.remove(stubDir, { recursive: true });
  }
});
