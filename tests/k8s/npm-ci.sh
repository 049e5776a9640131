#!/usr/bin/env bash
# Installs the manifest checks' node modules (tests/k8s/package-lock.json) with `npm ci`, only
# when node_modules is missing or was installed from another lock file: a no-op costs ~10 ms.
# Exit: 0 installed or up to date; 1 npm failed (its output says why); 0 with a note when npm
# is not installed (the k8s_* tests then fail naming what is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/k8s: npm not found; the k8s_* manifest checks cannot run" >&2
  exit 0
fi
stamp=node_modules/.gryadka-package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then exit 0; fi
echo "tests/k8s: npm ci (package-lock.json changed or node_modules missing)" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
