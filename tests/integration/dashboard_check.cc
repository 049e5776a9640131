#include "tests/integration/dashboard_check.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cctype>
#include <regex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gryadka::dashboard {
namespace {

bool IdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IdentChar(char c) { return IdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Index just past the string literal starting at s[i] (a quote), or npos if unterminated.
size_t SkipString(absl::string_view s, size_t i) {
  const char quote = s[i];
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && quote != '`') {
      ++i;
    } else if (s[i] == quote) {
      return i + 1;
    }
  }
  return absl::string_view::npos;
}

size_t SkipSpace(absl::string_view s, size_t i) {
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

size_t ReadIdent(absl::string_view s, size_t i) {
  while (i < s.size() && IdentChar(s[i])) ++i;
  return i;
}

const std::set<std::string>& GroupingWords() {
  static const std::set<std::string> k = {"by",       "without",    "on",
                                          "ignoring", "group_left", "group_right"};
  return k;
}

// Words that are never metric names even without a following "(".
const std::set<std::string>& Keywords() {
  static const std::set<std::string> k = {"and",   "or",           "unless",  "offset", "bool",
                                          "atan2", "inf",          "nan",     "sum",    "min",
                                          "max",   "avg",          "group",   "stddev", "stdvar",
                                          "count", "count_values", "bottomk", "topk",   "quantile"};
  return k;
}

absl::Status Malformed(absl::string_view expr, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("PromQL query `", expr, "`: ", what));
}

// Reads `(a, b, ...)` of label names at s[i]; returns the index past ")" or npos.
size_t ReadLabelList(absl::string_view s, size_t i, std::set<std::string>* out) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == ')') return i + 1;
    if (IdentStart(s[i])) {
      const size_t end = ReadIdent(s, i);
      out->insert(std::string(s.substr(i, end - i)));
      i = end - 1;
    }
  }
  return absl::string_view::npos;
}

// Reads the matcher block `{l="v", ...}` at s[i] into `labels`; returns the index past "}" or
// npos when unterminated.
size_t ReadMatchers(absl::string_view s, size_t i, std::set<std::string>* labels) {
  for (++i; i < s.size();) {
    const char c = s[i];
    if (c == '}') return i + 1;
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(s, i);
      if (i == absl::string_view::npos) return i;
    } else if (IdentStart(c)) {
      const size_t end = ReadIdent(s, i);
      labels->insert(std::string(s.substr(i, end - i)));
      i = end;
    } else {
      ++i;
    }
  }
  return absl::string_view::npos;
}

absl::StatusOr<QueryRefs> ParsePromQl(absl::string_view expr, absl::string_view shown) {
  QueryRefs refs;
  int last_selector = -1;  // index of the selector a following "{" belongs to
  for (size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    const int selector = last_selector;
    last_selector = -1;
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
      if (i == absl::string_view::npos) return Malformed(shown, "unterminated string");
    } else if (c == '[') {
      i = expr.find(']', i);
      if (i == absl::string_view::npos) return Malformed(shown, "unterminated [");
      ++i;
    } else if (c == '$') {  // a Grafana variable: $name or ${name}
      ++i;
      if (i < expr.size() && expr[i] == '{') {
        i = expr.find('}', i);
        if (i == absl::string_view::npos) return Malformed(shown, "unterminated ${");
        ++i;
      } else {
        i = ReadIdent(expr, i);
      }
    } else if (c == '{') {
      if (selector < 0)
        return Malformed(shown, "a {...} matcher block without a metric name before it");
      i = ReadMatchers(expr, i, &refs.selectors[selector].labels);
      if (i == absl::string_view::npos) return Malformed(shown, "unterminated {");
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {  // number or duration
      while (i < expr.size() && (IdentChar(expr[i]) || expr[i] == '.')) ++i;
    } else if (IdentStart(c)) {
      const size_t end = ReadIdent(expr, i);
      const std::string word(expr.substr(i, end - i));
      const size_t next = SkipSpace(expr, end);
      const bool call = next < expr.size() && expr[next] == '(';
      i = end;
      if (GroupingWords().count(word) && call) {
        i = ReadLabelList(expr, next, &refs.grouping_labels);
        if (i == absl::string_view::npos)
          return Malformed(shown, absl::StrCat("unterminated ", word, "("));
      } else if (!call && !Keywords().count(word) && !GroupingWords().count(word)) {
        refs.selectors.push_back({word, {}});
        last_selector = static_cast<int>(refs.selectors.size()) - 1;
      }
    } else {
      ++i;
    }
  }
  return refs;
}

}  // namespace

absl::StatusOr<ScrapeIndex> ParseScrape(absl::string_view text) {
  ScrapeIndex index;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t end = ReadIdent(line, 0);
    if (end == 0 || end == line.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("scrape line ", line_no, " is not a sample: ", line));
    }
    std::set<std::string>& labels = index[std::string(line.substr(0, end))];
    if (line[end] == '{' && ReadMatchers(line, end, &labels) == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("scrape line ", line_no, " has an unterminated {: ", line));
    }
  }
  return index;
}

absl::StatusOr<QueryRefs> ParseQuery(absl::string_view expr) {
  static const std::regex kLabelValues(
      R"(^\s*label_values\(\s*(.*\S)\s*,\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$)");
  std::match_results<absl::string_view::const_iterator> m;
  if (std::regex_match(expr.begin(), expr.end(), m, kLabelValues)) {
    auto refs = ParsePromQl(absl::string_view(&*m[1].first, m[1].length()), expr);
    if (refs.ok()) refs->grouping_labels.insert(m[2].str());
    return refs;
  }
  return ParsePromQl(expr, expr);
}

namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

void Walk(const Value& v, std::vector<std::string>* exprs, std::vector<std::string>* uids);

void WalkStruct(const Struct& s, std::vector<std::string>* exprs, std::vector<std::string>* uids) {
  for (const auto& [key, v] : s.fields()) {
    if (key == "expr" && v.has_string_value()) exprs->push_back(v.string_value());
    if (key == "datasource" && v.has_struct_value()) {
      auto uid = v.struct_value().fields().find("uid");
      if (uid != v.struct_value().fields().end()) uids->push_back(uid->second.string_value());
    }
    Walk(v, exprs, uids);
  }
  // A `query` template variable: its query is a string or {"query": "..."}.
  auto type = s.fields().find("type");
  auto query = s.fields().find("query");
  if (type != s.fields().end() && type->second.string_value() == "query" &&
      query != s.fields().end()) {
    const Value& q = query->second;
    if (q.has_string_value()) exprs->push_back(q.string_value());
    if (q.has_struct_value()) {
      auto inner = q.struct_value().fields().find("query");
      if (inner != q.struct_value().fields().end()) exprs->push_back(inner->second.string_value());
    }
  }
}

void Walk(const Value& v, std::vector<std::string>* exprs, std::vector<std::string>* uids) {
  if (v.has_struct_value()) WalkStruct(v.struct_value(), exprs, uids);
  if (v.has_list_value()) {
    for (const Value& e : v.list_value().values()) Walk(e, exprs, uids);
  }
}

absl::Status ParseJson(absl::string_view json, Struct* out) {
  auto s = google::protobuf::util::JsonStringToMessage(std::string(json), out);
  if (!s.ok())
    return absl::InvalidArgumentError(
        absl::StrCat("dashboard JSON does not parse: ", s.ToString()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> DashboardQueries(absl::string_view json) {
  Struct root;
  if (auto s = ParseJson(json, &root); !s.ok()) return s;
  std::vector<std::string> exprs, uids;
  WalkStruct(root, &exprs, &uids);
  return exprs;
}

std::vector<std::string> CheckDashboard(absl::string_view json, const ScrapeIndex& scrape) {
  std::vector<std::string> problems;
  Struct root;
  if (auto s = ParseJson(json, &root); !s.ok()) return {std::string(s.message())};
  std::vector<std::string> exprs, uids;
  WalkStruct(root, &exprs, &uids);
  if (exprs.empty()) problems.push_back("the dashboard has no queries");
  for (const std::string& uid : uids) {
    if (uid != "${datasource}")
      problems.push_back(absl::StrCat("datasource uid \"", uid, "\" is not \"${datasource}\""));
  }
  for (const std::string& expr : exprs) {
    auto refs = ParseQuery(expr);
    if (!refs.ok()) {
      problems.push_back(std::string(refs.status().message()));
      continue;
    }
    if (refs->selectors.empty())
      problems.push_back(absl::StrCat("query `", expr, "` selects no metric"));
    std::set<std::string> known = TargetLabels();
    bool all_found = true;  // grouping labels are checked only when every metric was found
    for (const QueryRefs::Selector& sel : refs->selectors) {
      auto series = scrape.find(sel.metric);
      if (series == scrape.end()) {
        problems.push_back(
            absl::StrCat("metric ", sel.metric, " (query `", expr, "`) is not in the scrape"));
        all_found = false;
        continue;
      }
      known.insert(series->second.begin(), series->second.end());
      for (const std::string& label : sel.labels) {
        if (!series->second.count(label) && !TargetLabels().count(label)) {
          problems.push_back(absl::StrCat("label ", label, " is not a label of ", sel.metric,
                                          " (query `", expr, "`)"));
        }
      }
    }
    for (const std::string& label : refs->grouping_labels) {
      if (all_found && !known.count(label)) {
        problems.push_back(absl::StrCat("grouping label ", label,
                                        " is on none of the query's metrics (query `", expr, "`)"));
      }
    }
  }
  return problems;
}

}  // namespace gryadka::dashboard
