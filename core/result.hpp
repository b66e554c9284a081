#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/check.hpp"

namespace filament::core {

// Canonical error codes (absl's subset). Exactly one function, api/support/errors.cpp, maps them
// to HTTP statuses and contract error strings; nothing below the API layer knows HTTP.
enum class ErrorCode {
  kInvalidArgument,     // the input is malformed; do not retry unchanged
  kUnauthenticated,     // credentials missing or wrong
  kPermissionDenied,    // authenticated but not allowed
  kNotFound,            // the named thing does not exist (or must look as if it did not)
  kAlreadyExists,       // a uniqueness rule was hit
  kFailedPrecondition,  // state forbids it; retrying will not help
  kResourceExhausted,   // a quota or rate limit; retry later
  kAborted,             // concurrency conflict (stream version); re-read and retry
  kUnavailable,         // a dependency is down or slow; retry the same call
  kDeadlineExceeded,    // a bounded wait ran out; the effect may still happen
  kInternal,            // a bug, or data that cannot be decoded
};

std::string_view ErrorCodeName(ErrorCode code);

// An error value. `reason` is a stable machine-readable detail (for example the contract error
// code "guild_creation_limit_reached"); `message` is for logs only and never sent to clients.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  std::string reason;
};

// Result<T> holds a T or an Error. A stand-in for std::expected, which g++ 12 lacks in C++20.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  const Error& error() const {
    FILAMENT_CHECK(!ok());
    return std::get<1>(state_);
  }
  T& value() & {
    FILAMENT_CHECK(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    FILAMENT_CHECK(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    FILAMENT_CHECK(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  const Error& error() const {
    FILAMENT_CHECK(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Status OkStatus() { return {}; }
inline Error MakeError(ErrorCode code, std::string message, std::string reason = {}) {
  return Error{code, std::move(message), std::move(reason)};
}
inline Error InvalidArgument(std::string m, std::string reason = {}) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(m), std::move(reason));
}
inline Error NotFound(std::string m) { return MakeError(ErrorCode::kNotFound, std::move(m)); }
inline Error PermissionDenied(std::string m, std::string reason = {}) {
  return MakeError(ErrorCode::kPermissionDenied, std::move(m), std::move(reason));
}
inline Error Unauthenticated(std::string m) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(m));
}
inline Error Internal(std::string m) { return MakeError(ErrorCode::kInternal, std::move(m)); }
inline Error Unavailable(std::string m) { return MakeError(ErrorCode::kUnavailable, std::move(m)); }
inline Error Aborted(std::string m) { return MakeError(ErrorCode::kAborted, std::move(m)); }

}  // namespace filament::core

// Propagates the error of a Status-returning expression.
#define FILAMENT_RETURN_IF_ERROR(expr) \
  do {                                 \
    auto filament_status_ = (expr);    \
    if (!filament_status_.ok()) {      \
      return filament_status_.error(); \
    }                                  \
  } while (false)
