#pragma once
// AuditLog: every staff action (who = user id, what = action code, when, which record id;
// never content) in a hash chain: each entry's hash is keyed BLAKE2b over the previous hash
// and its own fields, and the newest id:hash is kept as the "audit_head" setting. Verify()
// walks the chain and names the first entry that was changed, removed or cut off.
// Thread-safe (the store serialises appends); each operation is one transaction.

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/audit_store.h"
#include "store/database.h"
#include "store/records.h"

namespace vd {

struct AuditVerdict {
  bool ok = true;
  int64_t entries = 0;       // entries checked
  int64_t first_broken = 0;  // id of the first bad entry (0 when ok)
  std::string reason;        // operator text, e.g. "entry 7 was changed"
};

class AuditLog {
 public:
  AuditLog(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  Status Record(int64_t user_id, std::string_view action, std::string_view record);
  // Reads the chain and the head in one transaction, so an entry appended meanwhile is not
  // mistaken for a cut-off chain.
  Result<AuditVerdict> Verify();
  // Up to `limit` entries after id `after_id`, oldest first.
  Result<std::vector<AuditEntry>> List(int64_t after_id, int limit);
  static std::string HashOf(const AuditEntry& e);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace vd
