#include "api/support/router.hpp"

#include <algorithm>

#include "api/support/errors.hpp"
#include "core/check.hpp"
#include "core/config.hpp"
#include "core/utf8.hpp"

namespace filament::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

core::Result<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int low = high >= 0 ? HexValue(text[i + 2]) : -1;
      if (low < 0) return MalformedError("bad percent-escape");
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  if (!core::IsValidUtf8(out)) return MalformedError("percent-decoded text is not UTF-8");
  return out;
}

std::string_view RouteMatch::Param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

std::vector<Router::Segment> Router::ParsePattern(std::string_view pattern) {
  FILAMENT_CHECK(!pattern.empty() && pattern.front() == '/');
  std::vector<Segment> segments;
  for (std::string_view part : SplitPath(pattern)) {
    bool is_param = part.size() > 2 && part.front() == '{' && part.back() == '}';
    if (is_param) part = part.substr(1, part.size() - 2);
    FILAMENT_CHECK(part.find_first_of("{}") == std::string_view::npos);
    segments.push_back(Segment{is_param, std::string(part)});
  }
  return segments;
}

size_t Router::Add(std::string_view method, std::string_view pattern) {
  std::vector<Segment> segments = ParsePattern(pattern);
  auto same = [&](const Pattern& p) {
    return std::equal(p.segments.begin(), p.segments.end(), segments.begin(), segments.end(),
                      [](const Segment& a, const Segment& b) {
                        return a.is_param == b.is_param && (a.is_param || a.text == b.text);
                      });
  };
  auto it = std::find_if(patterns_.begin(), patterns_.end(), same);
  if (it == patterns_.end()) it = patterns_.insert(patterns_.end(), Pattern{segments, {}});
  for (const auto& entry : it->methods) FILAMENT_CHECK(entry.first != method);
  size_t route_id = routes_.size();
  it->methods.emplace_back(std::string(method), route_id);
  routes_.push_back(static_cast<size_t>(it - patterns_.begin()));
  return route_id;
}

// The matching pattern whose literal/parameter sequence is lexicographically most literal.
// Linear in the number of patterns (65 routes): simpler than a trie and fast enough.
const Router::Pattern* Router::Best(const std::vector<std::string_view>& segments) const {
  const Pattern* best = nullptr;
  for (const Pattern& pattern : patterns_) {
    if (pattern.segments.size() != segments.size()) continue;
    bool matches = true;
    for (size_t i = 0; i < segments.size() && matches; ++i) {
      const Segment& s = pattern.segments[i];
      matches = s.is_param ? !segments[i].empty() : s.text == segments[i];
    }
    if (!matches) continue;
    if (best == nullptr ||
        std::lexicographical_compare(
            pattern.segments.begin(), pattern.segments.end(), best->segments.begin(),
            best->segments.end(),
            [](const Segment& a, const Segment& b) { return !a.is_param && b.is_param; })) {
      best = &pattern;
    }
  }
  return best;
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch match;
  std::vector<std::string_view> segments = SplitPath(path);
  const Pattern* pattern = Best(segments);
  if (pattern == nullptr) return match;  // kNotFound
  auto find = [&](std::string_view m) {
    return std::find_if(pattern->methods.begin(), pattern->methods.end(),
                        [&](const auto& entry) { return entry.first == m; });
  };
  auto route = find(method);
  if (route == pattern->methods.end() && method == "HEAD") route = find("GET");
  if (route == pattern->methods.end()) {
    match.kind = RouteMatch::Kind::kMethodNotAllowed;
    for (const auto& [name, id] : pattern->methods) {
      match.allow += (match.allow.empty() ? "" : ", ") + name;
      if (name == "GET" && find("HEAD") == pattern->methods.end()) match.allow += ", HEAD";
    }
    return match;
  }
  match.route_id = route->second;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (!pattern->segments[i].is_param) continue;
    core::Result<std::string> value = PercentDecode(segments[i]);
    if (!value.ok()) {
      match.kind = RouteMatch::Kind::kBadPath;
      match.params.clear();
      return match;
    }
    match.params.emplace_back(pattern->segments[i].text, std::move(*value));
  }
  match.kind = RouteMatch::Kind::kFound;
  return match;
}

core::Result<QueryParams> QueryParams::Parse(std::string_view raw_query) {
  QueryParams query;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view piece = raw_query.substr(0, amp);
    raw_query.remove_prefix(amp == std::string_view::npos ? raw_query.size() : amp + 1);
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    core::Result<std::string> key = PercentDecode(piece.substr(0, eq), true);
    if (!key.ok()) return key.error();
    core::Result<std::string> value =
        PercentDecode(eq == std::string_view::npos ? "" : piece.substr(eq + 1), true);
    if (!value.ok()) return value.error();
    query.entries_.emplace_back(std::move(*key), std::move(*value));
  }
  return query;
}

core::Result<std::optional<std::string>> QueryParams::Get(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [key, value] : entries_) {
    if (key != name) continue;
    if (found) return MalformedError("duplicate query parameter " + key);
    found = value;
  }
  return found;
}

core::Result<std::optional<int64_t>> QueryParams::GetInt(std::string_view name) const {
  core::Result<std::optional<std::string>> text = Get(name);
  if (!text.ok()) return text.error();
  if (!*text) return std::optional<int64_t>();
  std::string_view digits = **text;
  bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  int64_t value = 0;
  if (!core::ParseInt64Strict(digits, value)) {
    return MalformedError("query parameter " + std::string(name) + " is not an integer");
  }
  return std::optional<int64_t>(negative ? -value : value);
}

core::Status QueryParams::RejectUnknown(std::initializer_list<std::string_view> allowed) const {
  for (const auto& entry : entries_) {
    if (std::find(allowed.begin(), allowed.end(), entry.first) == allowed.end()) {
      return MalformedError("unknown query parameter " + entry.first);
    }
  }
  return core::OkStatus();
}

}  // namespace filament::api
