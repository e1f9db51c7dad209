#pragma once
// Structural check of a GNU gettext .mo catalog before Boost.Locale reads it. Boost 1.81's
// reader trusts the file's offsets and lengths (fuzz_catalog found a crash in it on a
// malformed file), so every offset, length, terminating NUL and hash-table entry is
// checked here first. Pure function, thread-safe; kInvalidInput on the first problem.

#include <string_view>

#include "core/error.h"

namespace vd {

Status CheckMoFile(std::string_view bytes);

}  // namespace vd
