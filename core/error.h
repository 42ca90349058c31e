// Error and Result<T>: the one way errors travel in ctvbench.
//
// Contract: functions that can fail return Result<T> (shaped like C++23 std::expected). An Error
// names the operation and the object it acted on, so the CLI can print one line a user can act on:
//   mount overlay on `/run/ctvbench/c1/rootfs`: EINVAL (Invalid argument)
// No exceptions are thrown inside core/, runtime/ or vm/.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ctv {

struct Error {
  int code = 0;         // errno value, 0 when the failure is not a system call's
  std::string op;       // what was being done: "mount overlay on", "parse config"
  std::string path;     // the object acted on (file, cgroup, domain...), may be empty
  std::string context;  // extra detail: the field, the accepted form, a hint

  // "op `path`: ENAME (strerror): context" with the empty parts left out.
  std::string ToString() const;
};

// An Error from the current errno.
Error ErrnoError(std::string op, std::string path = {}, std::string context = {});
// An Error that is not a system call failure (bad input, protocol violation...).
Error MakeError(std::string op, std::string path = {}, std::string context = {});

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}   // NOLINT: implicit like std::expected
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

}  // namespace ctv

// CTV_TRY(expr): evaluates to the value of a Result, or returns its Error from the caller.
#define CTV_TRY(expr)                                    \
  ({                                                     \
    auto _ctv_r = (expr);                                \
    if (!_ctv_r.has_value()) return std::move(_ctv_r).error(); \
    std::move(_ctv_r).value();                           \
  })

// CTV_CHECK(expr): for Status; returns the Error from the caller on failure.
#define CTV_CHECK(expr)                                  \
  do {                                                   \
    auto _ctv_s = (expr);                                \
    if (!_ctv_s.has_value()) return std::move(_ctv_s).error(); \
  } while (0)
