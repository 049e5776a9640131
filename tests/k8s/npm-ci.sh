#!/usr/bin/env bash
# Installs the node modules of a package directory (default: tests/k8s, the manifest checks;
# client/node passes its own) from its package-lock.json with `npm ci`, only when node_modules
# is missing or was installed from another lock file: a no-op costs ~10 ms.
# Usage: npm-ci.sh [PACKAGE_DIR]
# Exit: 0 installed or up to date; 1 npm failed (its output says why); 0 with a note when npm
# is not installed (the k8s_* tests then fail naming what is missing).
set -euo pipefail
cd "${1:-$(dirname "${BASH_SOURCE[0]}")}"
where=$(basename "$(dirname "$PWD")")/$(basename "$PWD")
if ! command -v npm >/dev/null 2>&1; then
  echo "$where: npm not found; its tests cannot run" >&2
  exit 0
fi
stamp=node_modules/.gryadka-package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then exit 0; fi
echo "$where: npm ci (package-lock.json changed or node_modules missing)" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
