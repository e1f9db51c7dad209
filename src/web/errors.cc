#include "web/errors.h"

namespace vd {

unsigned HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput: return 400;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kSessionExpired: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kCsrf: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kTooManyRequests: return 429;
    case ErrorCode::kBusy: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kStorage:
    case ErrorCode::kCrypto:
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

}  // namespace vd
