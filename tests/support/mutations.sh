# shellcheck shell=bash
# The harness shared by the scripts that prove a check can fail (tests/docs/mutations.sh,
# tests/k8s/mutations.sh, tests/readme/mutations.sh): break a scratch copy of a file in one place,
# run the check, require it to fail with an expected message, count, summarize. Sourced (not run)
# by bash scripts under `set -euo pipefail`; needs only bash and perl.
#
# mutation_apply DIR FILE OLD NEW
#   Replaces the first occurrence of OLD (literal text, may span lines) in DIR/FILE by NEW
#   (perl, byte for byte). Returns 0; or, when OLD is not in the file (it is left unchanged),
#   prints "MUTATION DID NOT APPLY (FILE): <first line of OLD>", counts it as missed, returns 1.
# mutation_run LABEL EXPECTED COMMAND [ARGS...]
#   Runs COMMAND (a command or shell function) with stdout and stderr captured. Caught when it
#   exits non-zero (exactly MUTATION_EXIT_WANTED when that is set) and its output contains
#   EXPECTED (a literal substring; an extended regex when MUTATION_MATCH=regex): prints
#   "caught: LABEL" and the first matching output line (at most 160 characters). Otherwise prints
#   "NOT CAUGHT (exit S, expected 'EXPECTED'): LABEL" and the last MUTATION_TAIL_LINES (default 8)
#   output lines. Counts either way; returns 0 in both cases.
# mutation_first_line TEXT
#   Prints the first line of TEXT (to name a multi-line OLD or NEW in a LABEL).
# mutation_summary
#   Prints "mutations: N caught, M not caught"; returns 0 iff none was missed.
#
# State: the counters mutations_caught and mutations_missed (start at 0).

mutations_caught=0
mutations_missed=0

mutation_first_line() { printf '%s' "${1%%$'\n'*}"; }

mutation_apply() {
  local dir=$1 file=$2 old=$3 new=$4
  if ! OLD=$old NEW=$new perl -e '
      my $f = shift; open(my $h, "<", $f) or exit 1; local $/; my $s = <$h>; close $h;
      my $i = index($s, $ENV{OLD}); exit 1 if $i < 0;
      substr($s, $i, length $ENV{OLD}) = $ENV{NEW};
      open($h, ">", $f) or exit 1; print $h $s; close $h or exit 1;' "$dir/$file"; then
    echo "MUTATION DID NOT APPLY ($file): $(mutation_first_line "$old")"
    mutations_missed=$((mutations_missed + 1))
    return 1
  fi
}

# mutation_grep_ EXPECTED OUTPUT GREP_OPTION: grep with GREP_OPTION (-q, -m1) for EXPECTED as
# mutation_run matches it.
mutation_grep_() {
  local mode=-F
  [[ ${MUTATION_MATCH:-} == regex ]] && mode=-E
  grep "$mode" "$3" -- "$1" <<<"$2"
}

mutation_run() {
  local label=$1 expected=$2 output status=0 failed=0
  shift 2
  output=$("$@" 2>&1) || status=$?
  if [[ -n ${MUTATION_EXIT_WANTED:-} ]]; then
    ((status == MUTATION_EXIT_WANTED)) && failed=1
  else
    ((status != 0)) && failed=1
  fi
  if ((failed)) && mutation_grep_ "$expected" "$output" -q; then
    echo "caught: $label"
    mutation_grep_ "$expected" "$output" -m1 | cut -c1-160 | sed 's/^/    /'
    mutations_caught=$((mutations_caught + 1))
  else
    echo "NOT CAUGHT (exit $status, expected '$expected'): $label"
    tail -n "${MUTATION_TAIL_LINES:-8}" <<<"$output" | sed 's/^/    /'
    mutations_missed=$((mutations_missed + 1))
  fi
}

mutation_summary() {
  echo "mutations: $mutations_caught caught, $mutations_missed not caught"
  ((mutations_missed == 0))
}
