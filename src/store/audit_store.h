#pragma once
// AuditStore: the hash-chained log of staff actions. Every method works inside the caller's
// transaction (Database::Read/Write); the same conformance tests run on SQLite and
// PostgreSQL. Failures: kStorage (which spoils the transaction).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/records.h"

namespace vd {

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Appends an entry: its id is the previous id + 1, prev_hash the previous entry's hash, and
  // `hash_of` (given the entry with id and prev_hash filled in) its hash. Also moves the
  // "audit_head" setting ("id:hash"). Appends are serialised until the transaction ends
  // (PostgreSQL: an advisory lock; SQLite: the write lock), so call it in a Write.
  virtual Result<AuditEntry> Append(
      Tx& tx, const AuditEntry& e,
      const std::function<std::string(const AuditEntry&)>& hash_of) = 0;
  // Entries with id > after_id in id order, at most `limit`.
  virtual Result<std::vector<AuditEntry>> List(Tx& tx, int64_t after_id, int limit) = 0;
};

}  // namespace vd
