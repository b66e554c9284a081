#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace filament::api {

// Strict decoding of JSON request bodies (REST_API.md §1 "Request bodies"). No JSON library
// type appears here: route code reads plain std values, so this header is cheap to include.
//
// Statuses, carried as core::Error reasons that MapError understands (errors.hpp):
//   415  Content-Type is not application/json (or +json)       reason kReasonUnsupported
//   400  malformed JSON, nesting deeper than kMaxJsonDepth       reason kReasonMalformed
//   422  top level not an object, duplicate key, unknown key, wrong type, value outside the
//        field's integer type, enum string not allowed, missing required field
//                                                                reason kReasonUnprocessable
// The body size is capped by the transport before this code runs.

inline constexpr int kMaxJsonDepth = 32;

// OK when `content_type` is `application/json` or `application/<x>+json`, compared
// case-insensitively, with any parameters (`; charset=utf-8`). Missing header -> 415.
core::Status CheckJsonContentType(std::optional<std::string_view> content_type);

// A field that may be absent, explicitly null, or present (for "null clears" semantics,
// e.g. role `color_hex`).
template <typename T>
struct Nullable {
  enum class State { kAbsent, kNull, kValue };
  State state = State::kAbsent;
  T value{};

  bool absent() const { return state == State::kAbsent; }
  bool is_null() const { return state == State::kNull; }
  bool has_value() const { return state == State::kValue; }
};

// Reads the fields of one parsed JSON object, declaratively:
//
//   auto body = ParseJsonBody(request.Header("content-type"), request.body);
//   if (!body.ok()) return MapError(body.error());
//   JsonObjectReader& r = *body;
//   std::string name = r.RequiredString("name");
//   auto visibility = r.OptionalEnum("visibility", {"private", "public"});
//   if (auto status = r.Finish(); !status.ok()) return MapError(status.error());
//
// Errors are sticky: the first failed read is remembered (a failed read returns a default
// value) and Finish() reports it, or else a key that was never read. Values returned before
// Finish() is OK are meaningless on failure. Call Finish() before the route's own validation
// (400s), since extraction errors (422) come first in the contract (REST_API.md §1.2). "Optional"
// fields treat explicit null as absent (the original's serde Option<T>); use the Nullable* readers
// where null means something. Not thread-safe.
class JsonObjectReader {
 public:
  // Parses `body`, which must be one JSON object. Errors: 400 / 422 as above.
  static core::Result<JsonObjectReader> Parse(std::string_view body);

  JsonObjectReader(JsonObjectReader&&) noexcept;
  JsonObjectReader& operator=(JsonObjectReader&&) noexcept;
  ~JsonObjectReader();

  std::string RequiredString(std::string_view key);
  std::optional<std::string> OptionalString(std::string_view key);
  Nullable<std::string> NullableString(std::string_view key);

  bool RequiredBool(std::string_view key);
  std::optional<bool> OptionalBool(std::string_view key);

  // Integers must be JSON integers (1.0 and "1" are wrong types) inside [min, max], which is
  // the range of the field's wire type (e.g. int32); range rules of the contract are the
  // route's own validation (400), not this check (422).
  int64_t RequiredInt(std::string_view key, int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  std::optional<int64_t> OptionalInt(std::string_view key, int64_t min = INT64_MIN,
                                     int64_t max = INT64_MAX);

  std::vector<std::string> RequiredStringArray(std::string_view key);
  std::optional<std::vector<std::string>> OptionalStringArray(std::string_view key);

  // Strings that must be one of `allowed` (else 422, like an unknown serde enum variant).
  std::string RequiredEnum(std::string_view key, std::initializer_list<std::string_view> allowed);
  std::optional<std::string> OptionalEnum(std::string_view key,
                                          std::initializer_list<std::string_view> allowed);
  std::optional<std::vector<std::string>> OptionalEnumArray(
      std::string_view key, std::initializer_list<std::string_view> allowed);
  std::vector<std::string> RequiredEnumArray(std::string_view key,
                                             std::initializer_list<std::string_view> allowed);

  // OK when every read succeeded and every key of the object was read; else the first error.
  core::Status Finish() const;

  // True while no read has failed.
  bool ok() const;

 private:
  struct Impl;
  explicit JsonObjectReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// CheckJsonContentType, then JsonObjectReader::Parse: the whole axum `Json<T>` prelude.
core::Result<JsonObjectReader> ParseJsonBody(std::optional<std::string_view> content_type,
                                             std::string_view body);

}  // namespace filament::api
