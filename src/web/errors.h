#pragma once
// The one place where an error code becomes an HTTP status.

#include "core/error.h"

namespace vd {

unsigned HttpStatusFor(ErrorCode code);

}  // namespace vd
