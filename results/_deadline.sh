# Sourced by results/queue.sh and results/start.sh: `read_deadline SCRIPT ARG USAGE` sets
# `deadline` (seconds since the epoch) from ARG in date -d syntax, UTC; a bare HH:MM already past
# today is tomorrow's (a session that runs over midnight UTC). A deadline date cannot read, or one
# passed, prints SCRIPT's error with USAGE and exits 2.
read_deadline() {
  local script=$1 arg=$2 usage=$3
  deadline=$(TZ=UTC date -d "$arg" +%s 2>/dev/null) || {
    echo "$script: DEADLINE '$arg' is not a time date -d reads; $usage" >&2
    exit 2
  }
  if [[ $arg =~ ^[0-9]{1,2}:[0-9]{2}$ ]] && (( deadline <= $(date +%s) )); then
    deadline=$((deadline + 86400))
  fi
  (( deadline > $(date +%s) )) || {
    echo "$script: DEADLINE '$arg' ($(date -u -d "@$deadline" +%FT%H:%MZ)) has passed" >&2
    exit 2
  }
}
