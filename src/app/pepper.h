#pragma once
// The pepper (issue 14): 32 random bytes in a file beside the configuration, never in the
// database, mixed into every receipt and staff password hash (crypto.h, KdfParams). A copy of
// the database without it opens nothing. Loading refuses a file that is missing, unreadable,
// not a regular file, of the wrong size, or open to group or others; every message names the
// file and what is wrong, never a byte of its content.

#include <string>

#include "core/error.h"
#include "crypto/crypto.h"

namespace vd {

Result<SecretBytes> LoadPepper(const std::string& path);
// A fresh pepper written to `path` with mode 0600 (created exclusively: an existing file is
// never replaced, since replacing it would make every receipt and password useless).
Result<SecretBytes> CreatePepper(const std::string& path);

}  // namespace vd
