#!/usr/bin/env bash
# Proves the README checks can fail: copies README.md, breaks the copy in one place, runs
# check.mjs on it and requires exit 1 with the expected message — for each mutation below.
# Not in ctest (each live mutation starts a cluster: ~15 s). Prints "caught" or "NOT CAUGHT".
# Usage: tests/readme/mutations.sh PROPOSER_BINARY
# Exit 0 every mutation caught, 1 otherwise, 64 usage.
set -euo pipefail
(($# == 1)) || { sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 64; }
proposer=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
missed=0

# mutate NAME MODE SED_EXPRESSION EXPECTED_OUTPUT_REGEX
mutate() {
  local name=$1 mode=$2 expr=$3 want=$4 out status=0
  sed -e "$expr" "$root/README.md" >"$work/README.md"
  if cmp -s "$root/README.md" "$work/README.md"; then
    echo "NOT CAUGHT $name: the sed expression changed nothing"
    missed=$((missed + 1))
    return
  fi
  local args=("$mode" "$work/README.md" "$root/proto/gryadka/v1/kv.proto")
  [[ $mode == live ]] && args+=("$proposer")
  out=$(node "$here/check.mjs" "${args[@]}" 2>&1) || status=$?
  if ((status == 1)) && grep -qE -- "$want" <<<"$out"; then
    echo "caught     $name"
  else
    echo "NOT CAUGHT $name (exit $status):"
    echo "$out" | tail -n 8
    missed=$((missed + 1))
  fi
}

mutate "buf curl body differs from its grpcurl twin" static \
  '0,/-d .{"key":"n","delta":5}. \\$/s//-d '"'"'{"key":"n","delta":6}'"'"' \\/' \
  'the buf curl twin of line'
mutate "a grpcurl command without a buf curl twin" static \
  '0,/^\$ buf curl .*--list-services.*$/{/^\$ buf curl .*--list-services.*$/d}' \
  'has no buf curl twin'
mutate "no example of Increment" static \
  '/KV\/Increment/s/Increment/ChangeQuery/' \
  'no buf curl command calls gryadka.v1.KV/Increment'
mutate "grpcurl command outside the checked block" static \
  '/^## API/i grpcurl -plaintext 127.0.0.1:8080 list\n' \
  'grpcurl command outside a readme-check block'
mutate "a wrong answer (CAS version)" live \
  's/{"applied":true,"record":{"value":"aGVsbG8gYWdhaW4=","version":"2"}}/{"applied":true,"record":{"value":"aGVsbG8gYWdhaW4=","version":"3"}}/' \
  'README answer'
mutate "a wrong request body in both forms (stale expected_version that applies)" live \
  's/"expected_version":3}/"expected_version":2}/g' \
  'README answer'
mutate "a method the server does not have, in both forms" live \
  '/-d .{"key":"n"}. 127/,/KV\/Delete$/s#KV/Delete$#KV/Remove#' \
  'through 127.0.0.1:[0-9]+: exit [1-9]'

((missed == 0)) && echo "all mutations caught" || echo "$missed mutation(s) NOT CAUGHT"
((missed == 0))
