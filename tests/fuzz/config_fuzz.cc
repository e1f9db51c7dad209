// Fuzzes the TOML config loader: any text is either rejected with a Status or yields a
// config inside the ranges the loader promises.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vd::Config config = vd::DefaultConfig();
  vd::Status status = vd::ApplyTomlText(text, config);
  if (!status) {
    if (status.error().code != vd::ErrorCode::kInvalidInput) std::abort();
    return 0;
  }
  if (config.retention_days < 1 || config.retention_days > 3650) std::abort();
  if (config.pwhash.ops_limit < 1) std::abort();
  if (config.pwhash.mem_limit < (size_t{1} << 20) || config.pwhash.mem_limit > (size_t{4096} << 20)) {
    std::abort();
  }
  vd::HttpOptions options;
  (void)vd::ApplyListen(config.listen, options);
  return 0;
}
