#pragma once
// Writing a command's output to a path the operator names (`vertrouwd report --out`), safely
// whatever the path is. A regular file, or a path that does not exist yet, is replaced whole:
// the bytes go to a unique temporary file in the same folder (mkstemp), are fsynced, and are
// renamed over the target, so a reader sees the old file or the new one, never half, and two
// writers at once never share a temporary file. A replaced file keeps its mode; a new one is
// 0600. Anything else that exists — a device such as
// /dev/null, a FIFO, a socket, a symbolic link such as /dev/stdout — is written in place and
// never replaced: renaming over /dev/null as root would turn it into a regular file.
// Thread-safe; failures are kStorage with the path and the system's reason, and leave no
// temporary file behind.

#include <string>
#include <string_view>

#include "core/error.h"

namespace vd {

Status WriteOutputFile(const std::string& path, std::string_view bytes);

}  // namespace vd
