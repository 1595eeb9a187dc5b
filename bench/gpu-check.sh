#!/usr/bin/env bash
# Device check for a lent NVIDIA GPU machine (H200): the model benchmark on tfjs's webgpu backend
# (Vulkan through Deno's wgpu) and a wasm baseline on the same machine, in one run, JSON in $OUT.
#
# Runs in the repository root on the device machine. That machine has neither Deno nor the npm
# packages nor, often, the Vulkan loader, so the caller prepares them here, once:
#
#   echo /.gl/ >>.git/info/exclude; mkdir -p .gl
#   xz -T0 -9 -c "$(readlink -f "$(which deno)")" >.gl/deno.xz     # or: cp "$(which deno)" .gl/deno
#   # the Vulkan loader, amd64 (see the device notes):
#   o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
#   mkdir -p /tmp/amd64/partial; apt-get $o update; (cd .gl && apt-get $o download libvulkan1)
#
# and names `.gl` and `node_modules` in the run's `carry`. A call carries 64 MiB at most: the
# Deno binary is ~95 MB (~30 MB as .gl/deno.xz) and a full node_modules is far larger, so pack
# only what the bench needs into .gl/node_modules.tar.xz (this script unpacks it) when
# node_modules does not fit; `--dry-run` prints what would travel.
#
# The native GPU backend (@tensorflow/tfjs-node-gpu) is tried too, by bench/native-gpu-check.sh,
# but only when a libtensorflow 2.9.1 GPU tarball is carried with the run (LIBTENSORFLOW_TARBALL,
# or shared/ or .gl/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz): this machine cannot download it.
# Otherwise the summary says "not tried" and why; either way it does not change the exit status.
#
# Usage: bash bench/gpu-check.sh [--dry-run]
#   --dry-run  check the prerequisites that can be checked here and print the commands; run no
#              benchmark and touch no GPU. Exit 0 when everything needed is present.
# Env: OUT (default ./out-gpu-check), SUITE (default model), LIBTENSORFLOW_TARBALL (see above).
set -uo pipefail

DRY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    -h | --help)
      sed -n '2,27p' "$0"
      exit 0
      ;;
    *)
      echo "gpu-check: unknown argument '$arg' (expected --dry-run)" >&2
      exit 2
      ;;
  esac
done

OUT="${OUT:-$PWD/out-gpu-check}"
SUITE="${SUITE:-model}"
mkdir -p "$OUT"
PROBLEMS=0
say() { echo "gpu-check: $*"; }
problem() {
  echo "gpu-check: PROBLEM: $*" >&2
  PROBLEMS=$((PROBLEMS + 1))
}
[ "$DRY" = 1 ] && say "dry run: checking prerequisites, running nothing on a GPU"

# --- Deno: .gl/deno, .gl/deno.xz, or on PATH -------------------------------------------------
DENO=""
if [ -x .gl/deno ]; then
  DENO="$PWD/.gl/deno"
elif [ -f .gl/deno.xz ]; then
  if [ "$DRY" = 1 ]; then
    DENO="$PWD/.gl/deno"
    say "would unpack .gl/deno.xz to .gl/deno"
  else
    xz -dc .gl/deno.xz >.gl/deno && chmod +x .gl/deno && DENO="$PWD/.gl/deno"
  fi
elif command -v deno >/dev/null 2>&1; then
  DENO="$(command -v deno)"
fi
if [ -z "$DENO" ]; then
  problem "no Deno: copy \$(which deno) to .gl/deno (or xz it to .gl/deno.xz) and carry .gl"
else
  say "deno: $DENO"
fi

# --- npm packages: node_modules, or .gl/node_modules.tar.xz ----------------------------------
if [ ! -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  if [ -f .gl/node_modules.tar.xz ]; then
    if [ "$DRY" = 1 ]; then
      say "would unpack .gl/node_modules.tar.xz"
    else
      tar -xJf .gl/node_modules.tar.xz
    fi
  else
    problem "no node_modules with @tensorflow/tfjs-backend-webgpu: carry node_modules" \
      "(or .gl/node_modules.tar.xz)"
  fi
fi

# --- the suite: `deno task bench --suite model` must exist ----------------------------------
if [ ! -f tasks/bench.ts ]; then
  problem "tasks/bench.ts is missing: this checkout has no \`deno task bench\`"
elif [ -n "$DENO" ] && [ -x "$DENO" ]; then
  # The task's own help lists each suite, "(not available yet)" for one not written.
  help=$("$DENO" task -q bench --help 2>&1)
  line=$(echo "$help" | grep -E "^  $SUITE +")
  if [ -z "$line" ] || echo "$line" | grep -q "not available"; then
    problem "\`deno task bench --suite $SUITE\` is not available in this checkout" \
      "(its --help says: '${line:-no such suite}'); it has to land before this check can run"
  else
    say "suite: $line"
  fi
fi

# --- what would travel ----------------------------------------------------------------------
if [ "$DRY" = 1 ]; then
  carried=$(du -scb .gl node_modules 2>/dev/null | tail -1 | cut -f1)
  say "carry (.gl, node_modules) is $((carried / 1048576)) MiB; a run carries 64 MiB at most"
  [ "$carried" -gt $((64 * 1048576)) ] &&
    say "WARNING: over the carry limit: xz Deno and pack node_modules into .gl (see the header)"
fi

# --- Vulkan loader and NVIDIA driver --------------------------------------------------------
LOADER='for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig'
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ "$DRY" = 1 ]; then
  say "would run: $LOADER"
  say "would export VK_DRIVER_FILES=$NVIDIA_ICD if no Vulkan driver is found"
else
  if compgen -G ".gl/*.deb" >/dev/null; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  ldconfig -p | grep -q libvulkan || problem "no libvulkan: download libvulkan1's .deb into .gl"
  if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1 &&
    [ -f "$NVIDIA_ICD" ]; then
    export VK_DRIVER_FILES="$NVIDIA_ICD"
    say "VK_DRIVER_FILES=$VK_DRIVER_FILES"
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
    >"$OUT/nvidia-smi.txt" 2>&1 || true
fi

# --- can webgpu run trainStep here? -----------------------------------------------------------
# One tiny step of the library's trainStep on this machine's adapter (it reads with `await
# data()`; tfjs-backend-webgpu cannot read synchronously under Deno, see lib/backend/webgpu.ts),
# before any device time goes to a run that would stop at its first step.
PROBE='import * as tf from "./lib/tf.ts";
import { selectBackend } from "./lib/backend/select.ts";
import { createOptimisers, EdeGan, trainStep } from "./lib/models/ede_gan/mod.ts";
if (!(await navigator.gpu?.requestAdapter())) { console.log("probe: no adapter"); Deno.exit(0); }
await selectBackend("webgpu");
const m = EdeGan.create({ width: 2, latentSize: 4 }, 1);
try { await trainStep(m, createOptimisers(m), tf.zeros([2, 32, 32, 1])); console.log("probe: ok"); }
catch (e) { console.log(`probe: ${e.name}: ${e.message}`); }'
if [ -n "$DENO" ] && [ -x "$DENO" ] && [ -d node_modules/@tensorflow/tfjs-backend-webgpu ]; then
  probe=$(timeout 120 "$DENO" eval "$PROBE" 2>/dev/null | grep '^probe: ')
  case "$probe" in
    "probe: ok") say "webgpu trainStep: ok" ;;
    "probe: no adapter") say "webgpu trainStep: not probed (no WebGPU adapter on this machine)" ;;
    *) problem "webgpu cannot run trainStep under Deno (${probe#probe: }); the model suite would" \
      "stop at its first webgpu step" ;;
  esac
fi

# --- the runs -------------------------------------------------------------------------------
GPU_CMD="$DENO task bench --suite $SUITE --backend webgpu --json $OUT/bench-webgpu.json"
CPU_CMD="$DENO task bench --suite $SUITE --backend wasm --json $OUT/bench-wasm.json"
if [ "$DRY" = 1 ]; then
  say "would run: deno ${GPU_CMD#"$DENO "}"
  say "would run: deno ${CPU_CMD#"$DENO "}"
  say "would write: $OUT/bench-webgpu.json $OUT/bench-wasm.json $OUT/gpu-check.json"
  DENO="$DENO" OUT="$OUT" SUITE="$SUITE" bash bench/native-gpu-check.sh --dry-run
  if [ "$PROBLEMS" -gt 0 ]; then
    say "dry run: $PROBLEMS problem(s)"
    exit 1
  fi
  say "dry run: ok"
  exit 0
fi
if [ "$PROBLEMS" -gt 0 ]; then
  say "$PROBLEMS problem(s); nothing run"
  exit 1
fi

export DENO_NO_UPDATE_CHECK=1 EDEGAN_BACKEND=webgpu
say "adapter:"
"$DENO" eval 'const a = await navigator.gpu?.requestAdapter(); console.log(JSON.stringify(a?.info ?? null))' \
  2>&1 | tee "$OUT/adapter.txt"
run_one() { # name, command...
  local name=$1 started rc
  shift
  started=$(date +%s.%N)
  "$@" >"$OUT/bench-$name.log" 2>&1
  rc=$?
  tail -n 30 "$OUT/bench-$name.log"
  printf '"%s": {"rc": %d, "seconds": %.1f}' "$name" "$rc" "$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
}
say "running: deno ${GPU_CMD#"$DENO "}"
webgpu=$(run_one webgpu $GPU_CMD)
say "running: deno ${CPU_CMD#"$DENO "}"
wasm=$(EDEGAN_BACKEND=wasm run_one wasm $CPU_CMD)
DENO="$DENO" OUT="$OUT" SUITE="$SUITE" bash bench/native-gpu-check.sh
summary="{$(echo "$webgpu" | tail -1), $(echo "$wasm" | tail -1), \"native-tensorflow-gpu\": $(cat "$OUT/native-gpu.json")}"
echo "$summary" >"$OUT/gpu-check.json"
echo "$webgpu" | sed '$d'
echo "$wasm" | sed '$d'
say "summary: $summary"
grep -q '"rc": 0.*"rc": 0' "$OUT/gpu-check.json"
