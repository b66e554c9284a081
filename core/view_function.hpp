#pragma once

#include <functional>
#include <type_traits>
#include <utility>

namespace filament::core {

// True when calling an F lvalue with Args gives exactly R (no conversion).
template <typename F, typename R, typename... Args>
concept ReturnsExactly = std::is_same_v<std::invoke_result_t<F&, Args...>, R>;

// A callback that returns a view (std::string_view, an optional of one, a span, a pointer).
// It accepts only callables whose result type is exactly R.
//
// Why not std::function<R(Args...)>: it accepts any callable whose result merely converts to
// R. When R views memory and the callable returns an owner by value (std::string ->
// std::string_view, std::optional<std::string> -> std::optional<std::string_view>), the
// conversion happens inside std::function, on a temporary that is destroyed before the caller
// reads the view: a silent use-after-free (issue #14). Requiring the exact type turns that into
// a compile error. The callable promises that what it returns views memory that outlives the
// use the caller documents (typically: until the call that received the callback returns).
//
// Copyable; calling it is as thread-safe as the callable. An empty one must not be called.
template <typename Signature>
class ViewFunction;

template <typename R, typename... Args>
class ViewFunction<R(Args...)> {
 public:
  ViewFunction() = default;
  // Implicit, as std::function's, so a lambda converts where a ViewFunction is expected.
  template <ReturnsExactly<R, Args...> F>
  ViewFunction(F callable) : function_(std::move(callable)) {}  // NOLINT(google-explicit-*)

  R operator()(Args... args) const { return function_(std::forward<Args>(args)...); }
  explicit operator bool() const { return static_cast<bool>(function_); }

 private:
  std::function<R(Args...)> function_;
};

}  // namespace filament::core
