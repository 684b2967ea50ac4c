// Status and Result<T>: how assay reports expected failures.
//
// Bad input, a missing file or an impossible option are values the caller
// handles, never exceptions. A Status is either OK or carries a code and a
// message that names the place ("cases.csv line 812, column 'score': ...").
// Result<T> holds either a T or a non-OK Status. Exceptions are reserved for
// broken invariants inside assay itself.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace assay {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // the user's data or options are wrong; exit code 2
  kIoError,       // a file could not be read or written
  kNotEvaluable,  // the data cannot support the requested statistic
  kInternal,      // a bug in assay
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidInput(std::string message) {
  return Status(StatusCode::kInvalidInput, std::move(message));
}
inline Status IoError(std::string message) {
  return Status(StatusCode::kIoError, std::move(message));
}
inline Status NotEvaluable(std::string message) {
  return Status(StatusCode::kNotEvaluable, std::move(message));
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(state_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(state_); }

  // Requires ok().
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace assay

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define ASSAY_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::assay::Status assay_status_ = (expr);        \
    if (!assay_status_.ok()) return assay_status_; \
  } while (false)
