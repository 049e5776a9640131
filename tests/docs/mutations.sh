#!/usr/bin/env bash
# Proves that operations_doc_test can fail: breaks a copy of docs/operations.md (or of the
# proposer's sources) in one place at a time — a flag, metric, label, log event or gryadkactl row
# removed, a wrong default or type, a stale row, a new undocumented Log call, a Log call whose
# message is not a literal — and expects the test to fail naming it. The unbroken copy must
# pass. ctest runs it as OperationsDocMutations.* (label docs, ~20 s: 13 runs of the test
# binary, 4 of them with a live cluster).
#
# Usage: tests/docs/mutations.sh OPERATIONS_DOC_TEST_BINARY
# Exit: 0 every mutation was caught; 1 one was not (or did not apply); 64 usage.
set -euo pipefail
(($# == 1)) || { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 64; }
test_binary=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A fresh copy of what the test reads: the page and the sources it scans.
fresh_copy() {
  rm -rf "$work/src"
  mkdir -p "$work/src"
  (cd "$root" && find docs proposer acceptor_adapter client -path '*/node_modules' -prune -o \
    -type f \( -name '*.md' -o -name '*.cc' -o -name '*.h' \) -print0 |
    xargs -0 cp --parents -t "$work/src")
}

# run FILTER: the test binary on the copy; its exit status and output in $status, $output.
run() {
  status=0
  output=$(GRYADKA_DOCS_SOURCE_DIR=$work/src "$test_binary" --gtest_filter="$1" 2>&1) || status=$?
}

caught=0
missed=0
# mutate FILTER EXPECTED FILE OLD NEW: replaces the first OLD in FILE (of the copy) by NEW, runs
# the tests matching FILTER and expects them to fail with output containing EXPECTED.
mutate() {
  local filter=$1 expected=$2 file=$3 old=$4 new=$5
  fresh_copy
  if ! OLD=$old NEW=$new perl -e '
      my $f = shift; open(my $h, "<", $f) or exit 1; local $/; my $s = <$h>; close $h;
      my $i = index($s, $ENV{OLD}); exit 1 if $i < 0;
      substr($s, $i, length $ENV{OLD}) = $ENV{NEW};
      open($h, ">", $f) or exit 1; print $h $s; close $h;' "$work/src/$file"; then
    echo "MUTATION DID NOT APPLY ($file): ${old%%$'\n'*}"
    missed=$((missed + 1))
    return
  fi
  run "$filter"
  if ((status != 0)) && [[ $output == *"$expected"* ]]; then
    echo "caught: $file: '${old%%$'\n'*}' -> '${new%%$'\n'*}'"
    grep -m1 -F -- "$expected" <<<"$output" | sed 's/^/    /' | cut -c1-160
    caught=$((caught + 1))
  else
    echo "NOT CAUGHT (exit $status, expected '$expected'): $file: ${old%%$'\n'*}"
    sed 's/^/    /' <<<"$output" | tail -8
    missed=$((missed + 1))
  fi
}

fresh_copy
run 'OperationsDoc*'
if ((status != 0)); then
  echo "the unbroken copy fails; fix that first:"
  sed 's/^/    /' <<<"$output" | tail -20
  exit 1
fi

flags='OperationsDocTest.EveryFlag*'
logs='OperationsDocTest.EveryLogEvent*'
ctl='OperationsDocTest.EveryGryadkactl*'
metrics='OperationsDocLiveTest.*'
doc=docs/operations.md
mutate "$flags" 'missing flag: no row | `--acceptor_timeout_ms`' $doc \
  '| `--acceptor_timeout_ms` |' '| acceptor timeout |'
mutate "$flags" 'wrong default: the row of `--io_threads`' $doc \
  '| `--io_threads` | `1` |' '| `--io_threads` | `2` |'
mutate "$flags" 'stale flag: row `--no_such_flag`' $doc \
  '| `--listen` |' $'| `--no_such_flag` | `1` | | |\n| `--listen` |'
mutate "$metrics" 'missing metric: no row | `gryadka_acceptor_up`' $doc \
  '| `gryadka_acceptor_up` |' '| acceptor up |'
mutate "$metrics" 'wrong type: the row of `gryadka_calls_total`' $doc \
  '| `gryadka_calls_total` | counter |' '| `gryadka_calls_total` | gauge |'
mutate "$metrics" 'missing label: the row of `gryadka_calls_total` must name `code`' $doc \
  '`code` (gRPC status name)' 'code (gRPC status name)'
mutate "$logs" 'missing log event: no row | `draining`' $doc '| `draining` |' '| draining |'
mutate "$logs" 'stale log event: row `an event nobody logs`' $doc \
  '| `stopped` |' $'| `an event nobody logs` | info | | |\n| `stopped` |'
mutate "$logs" 'missing log event: no row | `an undocumented event`' proposer/server/shard.cc \
  'void Shard::Start() {' \
  $'void Undocumented() {\n  Log(LogLevel::kWarning, "an undocumented" " event", {});\n'\
$'}\nvoid Shard::Start() {'
mutate "$logs" 'proposer/server/rescan.cc:' proposer/server/rescan.cc \
  'Log(LogLevel::kInfo, "rescan done",' 'Log(LogLevel::kInfo, done_message,'
mutate "$ctl" 'missing gryadkactl flag: no row | `--deadline_ms`' $doc \
  '| `--deadline_ms` |' '| deadline |'
mutate "$ctl" 'missing gryadkactl exit code: no row | `3`' $doc '| `3` |' '| three |'

echo "caught $caught, missed $missed"
((missed == 0))
