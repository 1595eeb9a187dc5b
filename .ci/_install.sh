# Sourced by .ci/run and results/start.sh: what a fresh machine (Node.js, npm and apt only) needs
# before either runs anything. Not a script of its own.
#
#   install_deps PACKAGE...   # Deno 2.9.6 from npm if missing, the Debian packages not yet
#                             # installed (apt-get; needs root), then the locked npm modules

install_deps() {
  export DEBIAN_FRONTEND=noninteractive
  if ! command -v deno >/dev/null 2>&1; then
    echo "== installing Deno from npm"
    npm install -g deno@2.9.6 >/dev/null
  fi
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "== apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    apt-get install -y -q "${missing[@]}" >/dev/null
  fi
  # The lock file is committed: a frozen install, and a plain one only where the frozen one fails.
  deno install --frozen >/dev/null 2>&1 || deno install >/dev/null
}
