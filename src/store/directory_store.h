#pragma once
// DirectoryStore: the referral directory, public facts about help organisations that
// advisors refer workers to. Every method works inside the caller's transaction
// (Database::Read/Write); the same conformance tests run on SQLite and PostgreSQL. Failures:
// kNotFound for an unknown entry, kConflict on a duplicate slug (reported by the Write),
// kStorage otherwise (which spoils the transaction).

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/records.h"

namespace vd {

class DirectoryStore {
 public:
  virtual ~DirectoryStore() = default;

  virtual Result<int64_t> Insert(Tx& tx, const DirectoryEntry& e) = 0;
  virtual Status Update(Tx& tx, const DirectoryEntry& e) = 0;
  // Ordered by name; only active entries when `active_only`.
  virtual Result<std::vector<DirectoryEntry>> List(Tx& tx, bool active_only) = 0;
  virtual Result<DirectoryEntry> Find(Tx& tx, int64_t id) = 0;
};

}  // namespace vd
