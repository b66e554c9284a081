#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace filament::api {

// Strict percent-decoding: every '%' must start a two-hex-digit escape and the result must be
// valid UTF-8. With `plus_is_space` ('+' -> ' ', for query strings). Errors: kInvalidArgument
// with reason kReasonMalformed (400).
core::Result<std::string> PercentDecode(std::string_view text, bool plus_is_space = false);

// The outcome of routing one request.
struct RouteMatch {
  enum class Kind {
    kFound,             // `route_id` and `params` are set
    kNotFound,          // no pattern matches the path -> 404
    kMethodNotAllowed,  // a pattern matches, not for this method -> 405, `allow` is set
    kBadPath,           // the route matched but a parameter is not decodable -> 400
  };
  Kind kind = Kind::kNotFound;
  size_t route_id = 0;
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in pattern order
  std::string allow;                                        // "GET, POST" for a 405

  // The decoded value of `{name}`; empty when the pattern has no such parameter.
  std::string_view Param(std::string_view name) const;
};

// Maps (method, path) to the id of a registered route (ids count up from 0 in registration
// order, so a caller can index its own handler table). Patterns are absolute paths whose
// segments are literals or `{name}` parameters. Matching follows the original (axum/matchit):
//   - the path alone picks the pattern: literal segments beat parameters, segment by segment
//     from the left (`/guilds/public` beats `/guilds/{guild_id}`), with backtracking;
//   - if the picked pattern lacks the method, the answer is 405 (no fallback to a less
//     specific pattern), with an `allow` list;
//   - a parameter matches one non-empty segment, literals compare the raw (still encoded)
//     segment, the trailing slash is significant;
//   - HEAD is served by the GET route when no HEAD route is registered.
// Register everything before serving; Match is const and thread-safe afterwards.
class Router {
 public:
  // Returns the new route id. Aborts (FILAMENT_CHECK) on a malformed pattern or a duplicate
  // (method, pattern): routes are fixed at start-up by code, not by input.
  size_t Add(std::string_view method, std::string_view pattern);

  // `path` is the request path without the query string.
  RouteMatch Match(std::string_view method, std::string_view path) const;

  size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    bool is_param;
    std::string text;  // literal, or the parameter name
  };
  struct Pattern {
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, size_t>> methods;  // method -> route id
  };

  static std::vector<Segment> ParsePattern(std::string_view pattern);
  const Pattern* Best(const std::vector<std::string_view>& segments) const;

  std::vector<Pattern> patterns_;
  std::vector<size_t> routes_;  // route id -> index in patterns_
};

// A parsed query string, in order, keys and values percent-decoded ('+' is a space).
// Errors are kInvalidArgument with reason kReasonMalformed (400 invalid_request).
class QueryParams {
 public:
  // Splits on '&'; "k" alone has value ""; empty pieces are skipped; bad escapes -> 400.
  static core::Result<QueryParams> Parse(std::string_view raw_query);

  // The value of `name`; nullopt when absent; 400 when it appears more than once.
  core::Result<std::optional<std::string>> Get(std::string_view name) const;
  // A whole decimal integer (optional '-', digits only, within int64); anything else -> 400.
  // Range rules are the route's own.
  core::Result<std::optional<int64_t>> GetInt(std::string_view name) const;
  // 400 when any key is not in `allowed` (audit, ip-ban and member lists, attachment upload).
  core::Status RejectUnknown(std::initializer_list<std::string_view> allowed) const;

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

}  // namespace filament::api
