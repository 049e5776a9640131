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
# shellcheck source=tests/support/mutations.sh
source "$root/tests/support/mutations.sh"
MUTATION_MATCH=regex  # the expected output is an extended regex
MUTATION_EXIT_WANTED=1

# mutate NAME MODE OLD NEW EXPECTED_OUTPUT_REGEX: replaces the first OLD in a copy of README.md by
# NEW, runs check.mjs MODE on the copy and requires exit 1 with output matching the regex.
mutate() {
  local name=$1 mode=$2 old=$3 new=$4 want=$5
  cp "$root/README.md" "$work/README.md"
  mutation_apply "$work" README.md "$old" "$new" || return 0
  local args=("$mode" "$work/README.md" "$root/proto/gryadka/v1/kv.proto")
  [[ $mode == live ]] && args+=("$proposer")
  mutation_run "$name" "$want" node "$here/check.mjs" "${args[@]}"
}

buf_curl='$ buf curl --protocol grpc --http2-prior-knowledge'  # how the README's twins start
mutate "buf curl body differs from its grpcurl twin" static \
  "\"delta\":5}' \\" "\"delta\":6}' \\" \
  'the buf curl twin of line'
mutate "a grpcurl command without a buf curl twin" static \
  "$buf_curl --list-services http://127.0.0.1:8080"$'\n' '' \
  'has no buf curl twin'
mutate "no example of Increment" static \
  $'KV/Increment\n'"$buf_curl"$' -d \'{"key":"n","delta":5}\' \\\n    http://127.0.0.1:8080/gryadka.v1.KV/Increment\n' \
  $'KV/ChangeQuery\n'"$buf_curl"$' -d \'{"key":"n","delta":5}\' \\\n    http://127.0.0.1:8080/gryadka.v1.KV/ChangeQuery\n' \
  'no buf curl command calls gryadka.v1.KV/Increment'
mutate "grpcurl command outside the checked block" static \
  $'\n## API' $'\ngrpcurl -plaintext 127.0.0.1:8080 list\n\n## API' \
  'grpcurl command outside a readme-check block'
mutate "a wrong answer (CAS version)" live \
  '{"applied":true,"record":{"value":"aGVsbG8gYWdhaW4=","version":"2"}}' \
  '{"applied":true,"record":{"value":"aGVsbG8gYWdhaW4=","version":"3"}}' \
  'README answer'
mutate "a wrong request body in both forms (stale expected_version that applies)" live \
  $'"expected_version":3}\' 127.0.0.1:8080 gryadka.v1.KV/Delete\n'"$buf_curl"$' -d \'{"key":"greeting","expected_version":3}' \
  $'"expected_version":2}\' 127.0.0.1:8080 gryadka.v1.KV/Delete\n'"$buf_curl"$' -d \'{"key":"greeting","expected_version":2}' \
  'README answer'
mutate "a method the server does not have, in both forms" live \
  $'{"key":"n"}\' 127.0.0.1:8080 gryadka.v1.KV/Delete\n'"$buf_curl"$' -d \'{"key":"n"}\' \\\n    http://127.0.0.1:8080/gryadka.v1.KV/Delete\n' \
  $'{"key":"n"}\' 127.0.0.1:8080 gryadka.v1.KV/Remove\n'"$buf_curl"$' -d \'{"key":"n"}\' \\\n    http://127.0.0.1:8080/gryadka.v1.KV/Remove\n' \
  'through 127.0.0.1:[0-9]+: exit [1-9]'

mutation_summary
