// Fuzzes receipt parsing: whatever is typed, a parsed receipt is exactly 16 digits, and
// grouping then parsing gives it back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/crypto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view typed(reinterpret_cast<const char*>(data), size);
  vd::Result<std::string> receipt = vd::ParseReceipt(typed);
  if (!receipt) return 0;
  if (receipt->size() != 16) std::abort();
  for (char c : *receipt) {
    if (c < '0' || c > '9') std::abort();
  }
  const std::string grouped = vd::GroupReceipt(*receipt);
  vd::Result<std::string> again = vd::ParseReceipt(grouped);
  if (!again || *again != *receipt) std::abort();
  return 0;
}
