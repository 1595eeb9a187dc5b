#!/usr/bin/env bash
# The first command of a time-boxed session on a fresh machine (only Node.js, npm and apt): installs
# what the campaign's jobs need and nothing more (Deno from npm, the locked npm modules, oneDNN and
# the C compiler of its native Adam, Fashion-MNIST), then starts two workers of results/queue.sh,
# one per core, at nice 19, logs in runs/queue-A.log and runs/queue-B.log. What the tests need
# besides (Chromium, Jupyter, Slurm ...) `bash .ci/run` installs later, while the jobs run.
#
#   bash results/start.sh DEADLINE [LIST]     # e.g. bash results/start.sh '+150 min'
#
# DEADLINE and LIST as results/queue.sh takes them (a deadline it cannot read or one passed stops
# it before anything is installed). Installing needs root (apt-get, npm -g), as .ci/run does.
# Workers already running (a queue.sh process of this checkout) are left alone and no new ones
# start. Landed results are files in results/: commit them as they land, since a machine's files
# go with it.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bash results/start.sh DEADLINE [LIST] (DEADLINE as results/queue.sh takes it)"
[[ $# -ge 1 ]] || { echo "$usage" >&2; exit 2; }
. results/_deadline.sh
read_deadline results/start.sh "$1" "$usage"
# Workers of this checkout (their working folder is its root).
for pid in $(pgrep -f "bash results/queue.sh" || true); do
  if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$PWD" ]]; then
    echo "results/start.sh: a worker of results/queue.sh runs here already (pid $pid); none started"
    exit 0
  fi
done
. .ci/_install.sh
install_deps libdnnl2 gcc libc6-dev dataset-fashion-mnist
mkdir -p runs
for w in A B; do
  # An earlier session's log is kept beside, not overwritten.
  [[ -e "runs/queue-$w.log" ]] && mv "runs/queue-$w.log" "runs/queue-$w.$(date -u +%Y%m%dT%H%M%S).log"
  nohup setsid nice -n 19 bash results/queue.sh "$@" >"runs/queue-$w.log" 2>&1 &
  echo "== worker $w: pid $!, log runs/queue-$w.log"
  # The second worker starts once the first holds its job's lock.
  [[ $w == A ]] && sleep 20
done
