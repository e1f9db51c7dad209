#pragma once
// Result<T> and Error: how every expected failure travels between modules.
// An Error carries a code (mapped to an HTTP status in exactly one place, web/errors.cc),
// a user-facing message id (a gettext msgid, translated at render time) and a detail
// for the operator's log. The detail must never name a person or hold user input.

#include <expected>
#include <string>
#include <string_view>

namespace vd {

enum class ErrorCode {
  kInvalidInput,     // 400: malformed or out-of-range input
  kUnauthorized,     // 401: not logged in, or wrong credentials
  kForbidden,        // 403: logged in but not allowed
  kNotFound,         // 404
  kMethodNotAllowed, // 405
  kConflict,         // 409: state changed underneath (e.g. already deleted)
  kTooLarge,         // 413
  kCsrf,             // 403 with its own page: the form was stale or forged
  kSessionExpired,   // 401 with its own page
  kTooManyRequests,  // 429: throttled
  kUnavailable,      // 503: overloaded, or the database is away
  kBusy,             // 429: a shared queue (password hashing) is full; try again in a minute
  kStorage,          // 500
  kCrypto,           // 500
  kInternal,         // 500
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  // A msgid of the "vertrouwd" gettext domain, shown to the user in their language.
  std::string user_message;
  // For the operator's log only. Never user input, never anything about a person.
  std::string detail;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorCode code, std::string user_message,
                                   std::string detail = {}) {
  return std::unexpected(Error{code, std::move(user_message), std::move(detail)});
}

// Short stable name of a code for logs and metrics ("invalid_input").
std::string_view ErrorCodeName(ErrorCode code);

}  // namespace vd
