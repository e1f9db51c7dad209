#pragma once
// What a record tally (tables.h, TallyFn) sees, and the code lookups the engine prepares for
// it once per report. Internal to report/ (the engine and the table definitions). Read-only
// while the scan's threads tally, so one set serves both.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/report_rows.h"

namespace vd::report {

// Maps a code to its index in a fixed list with one small open-addressing table (FNV-1a,
// load <= 1/4): a couple of byte compares per lookup, no allocation. Codes not in the list
// map to `fallback` (-1: not counted).
class CodeIndex {
 public:
  CodeIndex() = default;
  CodeIndex(const std::vector<std::string>& codes, int fallback) : fallback_(fallback) {
    const size_t size = std::bit_ceil(std::max<size_t>(8, codes.size() * 4));
    mask_ = size - 1;
    slots_.assign(size, Slot{});
    for (size_t i = 0; i < codes.size(); ++i) {
      size_t h = Hash(codes[i]) & mask_;
      while (slots_[h].index >= 0 && slots_[h].key != codes[i]) h = (h + 1) & mask_;
      if (slots_[h].index < 0) slots_[h] = Slot{codes[i], static_cast<int>(i)};
    }
  }
  int Find(std::string_view s) const {
    for (size_t h = Hash(s) & mask_;; h = (h + 1) & mask_) {
      const Slot& slot = slots_[h];
      if (slot.index < 0) return fallback_;
      if (slot.key == s) return slot.index;
    }
  }

 private:
  struct Slot {
    std::string key;
    int index = -1;
  };
  static size_t Hash(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int fallback_ = -1;
};

// A table's dimension as the tallies look codes up in it.
struct DimLookup {
  CodeIndex index;   // a code outside the list: "unknown", else "other", else -1
  size_t size = 0;   // number of codes
  int unknown = -1;  // index of "unknown", or -1
};

// Lookups built from the codebook, shared by every table.
struct CodebookLookups {
  // Per indicator list version: indicator code -> category index (in the
  // "indicator_category" codes); codes not mapped give -1.
  std::map<int64_t, std::pair<CodeIndex, std::vector<int>>> indicators;
  // directory_organisations.id -> index in the "referral_organisation" codes; ids not
  // listed count under directory_other (the last code, "other").
  std::unordered_map<int64_t, size_t> directory;
  size_t directory_other = 0;
};

struct TallyArgs {
  const ContactChunk& chunk;
  size_t i;                  // the record's position in the chunk
  const DimLookup* dims;     // per dimension of the table
  const int* coded;          // per dimension: its field's coded value (-1: none)
  int64_t cap;               // the table's sensitivity: the values of a record that count
  const CodebookLookups& codebook;
  int64_t* cells;            // row-major over the dims
};

}  // namespace vd::report
