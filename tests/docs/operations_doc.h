// Checks that docs/operations.md is complete: every flag gryadka-proposer defines (read from its
// --helpfull), every metric family of a live /metrics scrape, every log event the proposer's
// sources emit (Log(LogLevel::..., "msg", ...) calls) and every gryadkactl flag has its row in
// the page, and that the page has no row for something that no longer exists.
//
// Pure functions over text (no IO), so each can be tested on small inputs. Each Check* returns
// one human-readable problem per line ("missing ...", "stale ..."); empty means complete.
// Thread-safe (no shared state).
//
// The page's layout these functions rely on (docs/operations.md, "How this page is kept
// complete"): sections start with "## TITLE"; each documented item is a Markdown table row
// whose first cell is the item as a code span, e.g. "| `--listen` | ..." or
// "| `gryadka_calls_total` | counter | ...".
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace gryadka::docs {

// ---- The page ----

// The text of the section headed "## " + title, up to the next "## " heading (subsections
// included); empty if there is no such section.
std::string Section(absl::string_view doc, absl::string_view title);

// The table rows of `text` whose first cell is a code span, keyed by the span's content
// (e.g. "--listen"); the value is the whole row.
std::map<std::string, std::string> CodeRows(absl::string_view text);

// The cells of a table row, trimmed ("| a | b |" -> {"a", "b"}).
std::vector<std::string> Cells(absl::string_view row);

// ---- gryadka-proposer --helpfull ----

struct HelpFlag {
  std::string name;           // without "--"
  std::string default_value;  // as printed, quotes of a string default removed
  std::string file;           // the source file Abseil names
};

// The flags of --helpfull output, in order, from every "Flags from FILE:" section.
std::vector<HelpFlag> ParseHelpfull(absl::string_view helpfull);

// The names of the flags defined with ABSL_FLAG(type, name, ...) in a C++ source text.
std::set<std::string> AbslFlagsDefined(absl::string_view source);

// For each flag: a row in `section` (missing), whose cells mention its non-empty default as a
// code span `DEFAULT` (wrong default). And each `--x` row of `section` that is not a flag (stale).
std::vector<std::string> CheckFlagRows(absl::string_view section,
                                       const std::vector<HelpFlag>& flags);

// ---- Log events ----

struct LogCall {
  std::string file;
  int line = 0;
  std::vector<std::string> messages;  // string literals of the message argument (a ?: has two)
};

// Every Log(...) call in a C++ source text (comments ignored; declarations "void Log(" are not
// calls): its line and the non-empty string literals of its second argument, adjacent literals
// joined. When that argument is a plain variable, the literals of its last assignment before
// the call ("const char* msg = ok ? "a" : "b";"). A call whose message has no literal found
// either way (a parameter, a computed string) has no messages.
std::vector<LogCall> ExtractLogCalls(absl::string_view file, absl::string_view source);

// For each message: a row in `section` (missing); and each row of `section` whose first cell is
// no message (stale).
std::vector<std::string> CheckLogRows(absl::string_view section,
                                      const std::set<std::string>& messages);

// ---- Metrics ----

struct MetricFamily {
  std::string type;              // counter, gauge, histogram, summary, untyped
  std::set<std::string> labels;  // label names of its samples, without le and quantile
};

// The families of a Prometheus text exposition, from its "# TYPE" lines and samples.
std::map<std::string, MetricFamily> ParseScrape(absl::string_view scrape);

// For each family: a row in `section` (missing) whose second cell is its type (wrong type) and
// that names each of its labels as a code span (missing label). Each metric row of `section`
// that is no family of the scrape is stale.
std::vector<std::string> CheckMetricRows(absl::string_view section,
                                         const std::map<std::string, MetricFamily>& families);

// ---- gryadkactl --help ----

// The flags ("--name") in the "Flags" part of gryadkactl's usage text, up to "Exit codes:".
std::set<std::string> UsageFlags(absl::string_view usage);

// The exit codes listed in the usage text's "Exit codes:" paragraph ("0 success; 2 error ...").
std::set<std::string> UsageExitCodes(absl::string_view usage);

// Rows in `section` for each of `names` (already with their "--" or other prefix): missing.
std::vector<std::string> CheckRowsPresent(absl::string_view section, absl::string_view what,
                                          const std::set<std::string>& names);

}  // namespace gryadka::docs
