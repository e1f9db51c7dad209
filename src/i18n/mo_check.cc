#include "i18n/mo_check.h"

#include <cstdint>

namespace vd {
namespace {

constexpr uint32_t kMagic = 0x950412de;
constexpr uint32_t kMagicSwapped = 0xde120495;
constexpr size_t kHeaderSize = 28;

Status Bad(const char* what) {
  return Fail(ErrorCode::kInvalidInput, "error.internal", std::string("malformed .mo catalog: ") + what);
}

class Reader {
 public:
  Reader(std::string_view bytes, bool swapped) : bytes_(bytes), swapped_(swapped) {}
  // The 32-bit word at `offset`; false if it does not fit.
  bool Word(uint64_t offset, uint32_t& out) const {
    if (offset > bytes_.size() || bytes_.size() - offset < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + offset);
    out = swapped_ ? (uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3])
                   : (uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0]);
    return true;
  }

 private:
  std::string_view bytes_;
  bool swapped_;
};

// A string descriptor (length, offset): the string and its terminating NUL lie inside.
bool StringOk(std::string_view bytes, uint32_t length, uint32_t offset) {
  const uint64_t end = uint64_t{offset} + length;  // index of the NUL
  return end < bytes.size() && bytes[end] == '\0';
}

}  // namespace

Status CheckMoFile(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) return Bad("shorter than its header");
  uint32_t magic = 0;
  Reader(bytes, false).Word(0, magic);
  if (magic != kMagic && magic != kMagicSwapped) return Bad("wrong magic number");
  const Reader r(bytes, magic == kMagicSwapped);
  uint32_t revision = 0, count = 0, originals = 0, translations = 0, hash_size = 0, hash_offset = 0;
  r.Word(4, revision);
  r.Word(8, count);
  r.Word(12, originals);
  r.Word(16, translations);
  r.Word(20, hash_size);
  r.Word(24, hash_offset);
  if ((revision >> 16) > 1) return Bad("unknown major revision");
  for (uint32_t table : {originals, translations}) {
    if (uint64_t{table} + uint64_t{count} * 8 > bytes.size()) return Bad("string table out of bounds");
  }
  for (uint32_t i = 0; i < count; ++i) {
    for (uint32_t table : {originals, translations}) {
      uint32_t length = 0, offset = 0;
      r.Word(uint64_t{table} + uint64_t{i} * 8, length);
      r.Word(uint64_t{table} + uint64_t{i} * 8 + 4, offset);
      if (!StringOk(bytes, length, offset)) return Bad("string out of bounds or not terminated");
    }
  }
  if (hash_size > 0) {
    if (uint64_t{hash_offset} + uint64_t{hash_size} * 4 > bytes.size()) return Bad("hash table out of bounds");
    for (uint32_t i = 0; i < hash_size; ++i) {
      uint32_t entry = 0;
      r.Word(uint64_t{hash_offset} + uint64_t{i} * 4, entry);
      if (entry > count) return Bad("hash entry out of range");  // entries are index + 1
    }
  }
  return {};
}

}  // namespace vd
