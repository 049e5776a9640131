#include "tests/docs/operations_doc.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gryadka::docs {
namespace {

std::vector<absl::string_view> Lines(absl::string_view text) {
  return absl::StrSplit(text, '\n');
}

// "`x`" -> "x"; anything else -> "".
std::string CodeSpan(absl::string_view cell) {
  if (cell.size() < 3 || cell.front() != '`' || cell.back() != '`') return "";
  cell = cell.substr(1, cell.size() - 2);
  if (cell.find('`') != absl::string_view::npos) return "";
  return std::string(cell);
}

bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// `source` with comments blanked out (newlines kept, so line numbers stay), strings kept.
std::string WithoutComments(absl::string_view s) {
  std::string out(s);
  size_t i = 0;
  while (i < out.size()) {
    const char c = out[i];
    if (c == '"' || c == '\'') {  // skip a string or character literal
      for (++i; i < out.size() && out[i] != c; ++i) {
        if (out[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      for (; i < out.size() && out[i] != '\n'; ++i) out[i] = ' ';
    } else if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      for (; i < out.size() && !(out[i] == '*' && i + 1 < out.size() && out[i + 1] == '/'); ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
      if (i < out.size()) out[i] = out[i + 1] = ' ';
      i += 2;
    } else {
      ++i;
    }
  }
  return out;
}

// The top-level arguments of the call whose '(' is at `open`, and the index after its ')'.
std::vector<std::string> CallArguments(absl::string_view s, size_t open) {
  std::vector<std::string> args(1);
  int depth = 0;
  for (size_t i = open + 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\'') {
      const size_t start = i;
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\') ++i;
      }
      args.back().append(s.data() + start, std::min(i + 1, s.size()) - start);
      continue;
    }
    if (c == '(' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '}' || c == ']') {
      if (depth == 0) return args;
      --depth;
    }
    if (c == ',' && depth == 0) {
      args.emplace_back();
      continue;
    }
    args.back().push_back(c);
  }
  return {};  // unbalanced: no call
}

// The string literals of an expression; literals separated by whitespace only are joined
// ("a" "b" -> "ab"); empty ones are dropped.
std::vector<std::string> Literals(absl::string_view expr) {
  std::vector<std::string> out;
  std::string current;
  bool in_run = false;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '"') {
      for (++i; i < expr.size() && expr[i] != '"'; ++i) {
        if (expr[i] == '\\' && i + 1 < expr.size()) {
          ++i;
          const char e = expr[i];
          current.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        } else {
          current.push_back(expr[i]);
        }
      }
      in_run = true;
    } else if (!std::isspace(static_cast<unsigned char>(c)) && in_run) {
      if (!current.empty()) out.push_back(current);
      current.clear();
      in_run = false;
    }
  }
  if (in_run && !current.empty()) out.push_back(current);
  return out;
}

// The text from `from` to the next ';' outside strings and brackets.
std::string UpToSemicolon(absl::string_view s, size_t from) {
  int depth = 0;
  for (size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"' || c == '\'') {
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\') ++i;
      }
    } else if (c == '(' || c == '{' || c == '[') {
      ++depth;
    } else if (c == ')' || c == '}' || c == ']') {
      --depth;
    } else if (c == ';' && depth <= 0) {
      return std::string(s.substr(from, i - from));
    }
  }
  return "";
}

// The message of a call whose message argument is `arg`: its literals; for a plain variable
// without any, the literals of its last assignment or initialisation before `at`
// ("const char* msg = ok ? "a" : "b";").
std::vector<std::string> MessageLiterals(const std::string& s, size_t at, absl::string_view arg) {
  std::vector<std::string> literals = Literals(arg);
  const std::string name(absl::StripAsciiWhitespace(arg));
  if (!literals.empty() || name.empty() ||
      !std::all_of(name.begin(), name.end(), IsIdentChar)) {
    return literals;
  }
  const std::regex assignment("\\b" + name + "\\s*=[^=]");
  const std::string before = s.substr(0, at);
  size_t last = std::string::npos, length = 0;
  for (auto it = std::sregex_iterator(before.begin(), before.end(), assignment);
       it != std::sregex_iterator(); ++it) {
    last = static_cast<size_t>(it->position());
    length = static_cast<size_t>(it->length()) - 1;  // up to and including '='
  }
  if (last == std::string::npos) return literals;
  return Literals(UpToSemicolon(s, last + length));
}

}  // namespace

std::string Section(absl::string_view doc, absl::string_view title) {
  std::string out;
  bool in = false;
  for (absl::string_view line : Lines(doc)) {
    if (absl::StartsWith(line, "## ")) {
      in = absl::StripTrailingAsciiWhitespace(line.substr(3)) == title;
      continue;
    }
    if (in) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::vector<std::string> Cells(absl::string_view row) {
  absl::string_view r = absl::StripAsciiWhitespace(row);
  if (!absl::ConsumePrefix(&r, "|")) return {};
  absl::ConsumeSuffix(&r, "|");
  std::vector<std::string> cells;
  for (absl::string_view c : absl::StrSplit(r, '|')) {
    cells.emplace_back(absl::StripAsciiWhitespace(c));
  }
  return cells;
}

std::map<std::string, std::string> CodeRows(absl::string_view text) {
  std::map<std::string, std::string> rows;
  for (absl::string_view line : Lines(text)) {
    const std::vector<std::string> cells = Cells(line);
    if (cells.empty()) continue;
    const std::string name = CodeSpan(cells[0]);
    if (!name.empty()) rows.emplace(name, std::string(line));
  }
  return rows;
}

std::vector<HelpFlag> ParseHelpfull(absl::string_view helpfull) {
  // Entries are indented 4 spaces, their wrapped help 6.
  static const std::regex kEntry(R"(^ {4}--([A-Za-z0-9_]+) \()");
  std::vector<HelpFlag> flags;
  std::vector<std::string> texts;
  std::string file;
  bool in_entry = false;  // the previous line belongs to the last entry: a wrapped line may follow
  for (absl::string_view line : Lines(helpfull)) {
    absl::string_view t = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&t, "Flags from ") && absl::ConsumeSuffix(&t, ":")) {
      file = std::string(t);
      in_entry = false;
      continue;
    }
    std::smatch m;
    const std::string l(line);
    if (!file.empty() && std::regex_search(l, m, kEntry)) {
      flags.push_back({m[1].str(), "", file});
      texts.emplace_back(absl::StripAsciiWhitespace(line));
      in_entry = true;
    } else if (in_entry && absl::StartsWith(line, "      ") && !t.empty()) {
      absl::StrAppend(&texts.back(), " ", t);
    } else {
      // A blank line, or text after the last section ("Try --helpfull ..."), ends the entry.
      in_entry = false;
    }
  }
  for (size_t i = 0; i < flags.size(); ++i) {
    const std::string& text = texts[i];
    const size_t d = text.rfind("; default: ");
    if (d == std::string::npos) continue;
    absl::string_view v = absl::string_view(text).substr(d + 11);
    absl::ConsumeSuffix(&v, ";");
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    flags[i].default_value = std::string(v);
  }
  return flags;
}

std::set<std::string> AbslFlagsDefined(absl::string_view source) {
  static const std::regex kFlag(R"(ABSL_FLAG\(\s*[^,]+,\s*([A-Za-z0-9_]+)\s*,)");
  const std::string s = WithoutComments(source);
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), kFlag); it != std::sregex_iterator();
       ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

std::vector<std::string> CheckFlagRows(absl::string_view section,
                                       const std::vector<HelpFlag>& flags) {
  const std::map<std::string, std::string> rows = CodeRows(section);
  std::vector<std::string> problems;
  std::set<std::string> names;
  for (const HelpFlag& f : flags) {
    const std::string key = "--" + f.name;
    names.insert(key);
    auto it = rows.find(key);
    if (it == rows.end()) {
      problems.push_back(absl::StrCat("missing flag: no row | `", key, "` | (default ",
                                      f.default_value.empty() ? "empty" : f.default_value, ")"));
      continue;
    }
    const std::vector<std::string> cells = Cells(it->second);
    const std::string want = absl::StrCat("`", f.default_value, "`");
    if (!f.default_value.empty() && (cells.size() < 2 || !absl::StrContains(cells[1], want))) {
      problems.push_back(absl::StrCat("wrong default: the row of `", key,
                                      "` must say ", want, " in its second cell"));
    }
  }
  for (const auto& [name, row] : rows) {
    if (absl::StartsWith(name, "--") && !names.count(name)) {
      problems.push_back(absl::StrCat("stale flag: row `", name, "` is no flag of the binary"));
    }
  }
  return problems;
}

std::vector<LogCall> ExtractLogCalls(absl::string_view file, absl::string_view source) {
  const std::string s = WithoutComments(source);
  std::vector<LogCall> calls;
  size_t from = 0;
  while ((from = s.find("Log", from)) != std::string::npos) {
    const size_t at = from;
    from += 3;
    if (at > 0 && IsIdentChar(s[at - 1])) continue;  // e.g. ...ThroughLog
    size_t open = at + 3;
    while (open < s.size() && std::isspace(static_cast<unsigned char>(s[open]))) ++open;
    if (open >= s.size() || s[open] != '(') continue;  // e.g. LogLevel, LogLimiter
    size_t before = at;
    while (before > 0 && std::isspace(static_cast<unsigned char>(s[before - 1]))) --before;
    if (before >= 4 && s.substr(before - 4, 4) == "void") continue;  // a declaration
    const std::vector<std::string> args = CallArguments(s, open);
    if (args.size() < 2) continue;
    LogCall call;
    call.file = std::string(file);
    call.line = 1 + static_cast<int>(std::count(s.begin(), s.begin() + at, '\n'));
    call.messages = MessageLiterals(s, at, args[1]);
    calls.push_back(std::move(call));
  }
  return calls;
}

std::vector<std::string> CheckLogRows(absl::string_view section,
                                      const std::set<std::string>& messages) {
  const std::map<std::string, std::string> rows = CodeRows(section);
  std::vector<std::string> problems;
  for (const std::string& m : messages) {
    if (!rows.count(m)) problems.push_back(absl::StrCat("missing log event: no row | `", m, "` |"));
  }
  for (const auto& [name, row] : rows) {
    if (!messages.count(name)) {
      problems.push_back(absl::StrCat("stale log event: row `", name,
                                      "` is logged nowhere in the sources"));
    }
  }
  return problems;
}

std::map<std::string, MetricFamily> ParseScrape(absl::string_view scrape) {
  static const std::regex kLabel(R"(([A-Za-z_][A-Za-z0-9_]*)=")");
  std::map<std::string, MetricFamily> families;
  for (absl::string_view line : Lines(scrape)) {
    absl::string_view t = line;
    if (absl::ConsumePrefix(&t, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(t, ' ', absl::SkipEmpty());
      if (parts.size() == 2) families[parts[0]].type = parts[1];
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t end = line.find_first_of("{ ");
    std::string name(line.substr(0, end));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!families.count(name) && absl::EndsWith(name, suffix)) {
        name = name.substr(0, name.size() - strlen(suffix));
      }
    }
    auto f = families.find(name);
    if (f == families.end() || end == absl::string_view::npos || line[end] != '{') continue;
    const std::string labels(line.substr(end, line.find('}') - end));
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), kLabel);
         it != std::sregex_iterator(); ++it) {
      const std::string l = (*it)[1].str();
      if (l != "le" && l != "quantile") f->second.labels.insert(l);
    }
  }
  return families;
}

std::vector<std::string> CheckMetricRows(absl::string_view section,
                                         const std::map<std::string, MetricFamily>& families) {
  const std::map<std::string, std::string> rows = CodeRows(section);
  std::vector<std::string> problems;
  for (const auto& [name, family] : families) {
    auto it = rows.find(name);
    if (it == rows.end()) {
      problems.push_back(absl::StrCat("missing metric: no row | `", name, "` | ", family.type,
                                      " | labels ", absl::StrJoin(family.labels, ", "), " |"));
      continue;
    }
    const std::vector<std::string> cells = Cells(it->second);
    if (cells.size() < 2 || cells[1] != family.type) {
      problems.push_back(absl::StrCat("wrong type: the row of `", name, "` must say ",
                                      family.type, " in its second cell"));
    }
    for (const std::string& label : family.labels) {
      if (!absl::StrContains(it->second, absl::StrCat("`", label, "`"))) {
        problems.push_back(absl::StrCat("missing label: the row of `", name, "` must name `",
                                        label, "`"));
      }
    }
  }
  for (const auto& [name, row] : rows) {
    if (!families.count(name)) {
      problems.push_back(absl::StrCat("stale metric: row `", name, "` is not in the scrape"));
    }
  }
  return problems;
}

std::set<std::string> UsageFlags(absl::string_view usage) {
  // Whole names only: "--tls_*" is none.
  static const std::regex kFlag(R"(--([a-z][a-z_-]*[a-z])(?![a-z_*-]))");
  const size_t from = usage.find("\nFlags");
  const size_t to = usage.find("Exit codes:");
  if (from == absl::string_view::npos || to == absl::string_view::npos || to < from) return {};
  const std::string part(usage.substr(from, to - from));
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(part.begin(), part.end(), kFlag);
       it != std::sregex_iterator(); ++it) {
    out.insert("--" + (*it)[1].str());
  }
  return out;
}

std::set<std::string> UsageExitCodes(absl::string_view usage) {
  static const std::regex kCode(R"((?:Exit codes:|;)\s*(\d+)\s)");
  const size_t from = usage.find("Exit codes:");
  if (from == absl::string_view::npos) return {};
  const size_t to = usage.find("\n\n", from);
  const std::string part(usage.substr(from, to == absl::string_view::npos ? to : to - from));
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(part.begin(), part.end(), kCode);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str());
  }
  return out;
}

std::vector<std::string> CheckRowsPresent(absl::string_view section, absl::string_view what,
                                          const std::set<std::string>& names) {
  const std::map<std::string, std::string> rows = CodeRows(section);
  std::vector<std::string> problems;
  for (const std::string& n : names) {
    if (!rows.count(n)) {
      problems.push_back(absl::StrCat("missing ", what, ": no row | `", n, "` |"));
    }
  }
  return problems;
}

}  // namespace gryadka::docs
