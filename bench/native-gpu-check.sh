#!/usr/bin/env bash
# The native GPU backend (@tensorflow/tfjs-node-gpu) on a lent GPU machine, called by
# bench/gpu-check.sh. That machine reaches no network, so libtensorflow cannot be downloaded
# there: the backend is tried only when a libtensorflow 2.9.1 GPU tarball is carried with the run,
#   - the file named by LIBTENSORFLOW_TARBALL, or
#   - shared/libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz, or .gl/ the same name;
# otherwise it reports "not tried" and why. Tried, it runs `deno task setup:native gpu
# --libtensorflow TARBALL` (unpacks it into the package's deps/ and builds the addon: the prebuilt
# one cannot be fetched offline, so node, make, g++, python3 and Node's headers must be there too),
# then one matMul on `--backend tensorflow-gpu`, then the bench suite on it. The package's
# JavaScript is not part of the default install (lib/backend/native.ts) and that machine cannot
# fetch it from npm either: install it where node_modules is carried from, first, with
#   deno install --no-lock --entrypoint npm:@tensorflow/tfjs-node-gpu@4.22.0
# (its install script not run; deno.json and deno.lock unchanged); without it, "not tried".
#
# Usage: bash bench/native-gpu-check.sh [--dry-run]
# Env: DENO (default: deno on PATH), OUT (default ./out-gpu-check), SUITE (default model).
# Writes $OUT/native-gpu.json: {"tried": false, "why": ...} or {"tried": true, "setup_rc": N,
# "probe": "...", "bench_rc": N}. Exits 0 unless its arguments are wrong: a native backend that
# cannot start here is a finding, not a failure of the check.
set -uo pipefail

DRY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    *)
      echo "native-gpu-check: unknown argument '$arg' (expected --dry-run)" >&2
      exit 2
      ;;
  esac
done
OUT="${OUT:-$PWD/out-gpu-check}"
SUITE="${SUITE:-model}"
DENO="${DENO:-$(command -v deno || true)}"
NAME=libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz
mkdir -p "$OUT"
say() { echo "gpu-check: native tensorflow-gpu: $*"; }
json_string() { printf '"%s"' "$(printf '%s' "$1" | tr '\n\t' '  ' | sed 's/\\/\\\\/g; s/"/\\"/g')"; }

TARBALL=""
if [ -n "${LIBTENSORFLOW_TARBALL:-}" ]; then
  TARBALL="$LIBTENSORFLOW_TARBALL"
  if [ ! -f "$TARBALL" ]; then
    why="LIBTENSORFLOW_TARBALL=$TARBALL is not a file"
    say "not tried: $why"
    echo "{\"tried\": false, \"why\": $(json_string "$why")}" >"$OUT/native-gpu.json"
    exit 0
  fi
else
  for candidate in "shared/$NAME" ".gl/$NAME"; do
    if [ -f "$candidate" ]; then
      TARBALL="$candidate"
      break
    fi
  done
fi
if [ -z "$TARBALL" ]; then
  why="no libtensorflow tarball was carried (LIBTENSORFLOW_TARBALL unset; no shared/$NAME or"
  why="$why .gl/$NAME), and this machine reaches no network to download one"
  say "not tried: $why"
  echo "{\"tried\": false, \"why\": $(json_string "$why")}" >"$OUT/native-gpu.json"
  exit 0
fi
if [ -z "$DENO" ]; then
  why="no Deno to run setup:native with"
  say "not tried: $why"
  echo "{\"tried\": false, \"why\": $(json_string "$why")}" >"$OUT/native-gpu.json"
  exit 0
fi

PKG_DIR="node_modules/.deno/@tensorflow+tfjs-node-gpu@4.22.0/node_modules/@tensorflow/tfjs-node-gpu"
if [ "$DRY" = 0 ] && [ ! -d "$PKG_DIR" ]; then
  why="no $PKG_DIR: the package's JavaScript was not carried in node_modules (it is not in the"
  why="$why default install: run 'deno install --no-lock --entrypoint"
  why="$why npm:@tensorflow/tfjs-node-gpu@4.22.0' before carrying it), and this machine reaches no"
  why="$why network to install it"
  say "not tried: $why"
  echo "{\"tried\": false, \"why\": $(json_string "$why")}" >"$OUT/native-gpu.json"
  exit 0
fi

SETUP=("$DENO" run -A tasks/setup_native.ts gpu --libtensorflow "$TARBALL")
BENCH=("$DENO" task bench --suite "$SUITE" --backend tensorflow-gpu --json "$OUT/bench-tensorflow-gpu.json")
PROBE='import * as tf from "./lib/tf.ts";
import { selectBackend } from "./lib/backend/select.ts";
try {
  const how = await selectBackend("tensorflow-gpu");
  const y = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64]));
  const v = (await y.data())[0];
  console.log(v === 64 ? `probe: ok (${how})` : `probe: wrong result ${v}`);
} catch (e) { console.log(`probe: ${e.message.split("\n")[0]}`); }'

if [ "$DRY" = 1 ]; then
  say "tarball: $TARBALL"
  # setup:native's own dry run checks the tarball (a gzip tarball with lib/libtensorflow.so.2.9.1)
  # and prints the commands it would run.
  "${SETUP[@]}" --dry-run 2>&1 | sed 's/^/gpu-check: native: /'
  rc=${PIPESTATUS[0]}
  say "would run: deno run -A tasks/setup_native.ts gpu --libtensorflow $TARBALL"
  say "would run: deno ${BENCH[*]:1}"
  echo "{\"tried\": false, \"why\": \"dry run\", \"setup_dry_run_rc\": $rc}" >"$OUT/native-gpu.json"
  exit 0
fi

say "trying with $TARBALL"
"${SETUP[@]}" >"$OUT/native-gpu-setup.log" 2>&1
setup_rc=$?
tail -n 5 "$OUT/native-gpu-setup.log"
probe="not run (setup:native failed: $(grep '^error' "$OUT/native-gpu-setup.log" | tail -1))"
bench_rc=-1
if [ "$setup_rc" = 0 ]; then
  probe=$(timeout 300 "$DENO" eval "$PROBE" 2>&1 | grep '^probe: ' | tail -1)
  probe="${probe#probe: }"
  if [ "${probe#ok}" != "$probe" ]; then
    "${BENCH[@]}" >"$OUT/bench-tensorflow-gpu.log" 2>&1
    bench_rc=$?
    tail -n 20 "$OUT/bench-tensorflow-gpu.log"
  fi
fi
say "setup rc $setup_rc; probe: $probe; bench rc $bench_rc"
printf '{"tried": true, "tarball": %s, "setup_rc": %d, "probe": %s, "bench_rc": %d}\n' \
  "$(json_string "$TARBALL")" "$setup_rc" "$(json_string "$probe")" "$bench_rc" \
  >"$OUT/native-gpu.json"
exit 0
