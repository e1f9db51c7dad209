#pragma once
// Store: the only door to the database. One implementation (SociStore, store/soci_store.h)
// serves both SQLite and PostgreSQL through SOCI; the same conformance tests run on both.
// Thread-safe: every call borrows a pooled connection. Binary values are base64 TEXT.
// Domain operations open one transaction with Database::Read/Write (store/database.h) and
// call the aggregate stores inside it; what remains here runs on connections of its own.
// Failures return kStorage (with a detail for the operator's log, never row content) or
// kNotFound/kConflict.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/audit_store.h"
#include "store/contact_store.h"
#include "store/conversation_store.h"
#include "store/database.h"
#include "store/directory_store.h"
#include "store/help_store.h"
#include "store/records.h"
#include "store/report_rows.h"
#include "store/report_store.h"
#include "store/session_store.h"
#include "store/settings_store.h"
#include "store/staff_store.h"

namespace vd {

// The database as one object. Besides Database (transactions and the aggregate stores), it
// migrates, runs exclusive jobs and scans contact records for reports on several connections.
class Store : public Database {
 public:
  ~Store() override = default;

  // Runs pending migrations (numbered, each in its own transaction). Idempotent.
  virtual Status Migrate() = 0;
  virtual Result<int> SchemaVersion() = 0;

  // Runs `job` only if no other process holds the named lock (PostgreSQL session advisory
  // lock; on SQLite, one process owns the file, so a process-local lock). Returns false when
  // skipped because another server is running it. For periodic jobs that must run once
  // across all servers (retention, reminders).
  virtual Result<bool> RunExclusive(int64_t lock_key, const std::function<Status()>& job) = 0;

  // --- Reports (schema 4) ------------------------------------------------------------------
  // The scan and the bulk insert stay here, not in ReportStore: a scan runs its parts on
  // several connections, each in a read transaction of its own, so it cannot take one Tx&;
  // the seeder's bulk insert shares the scan's column lists (soci_report.cc) and moves with
  // them when the contact record becomes a field table.
  // Scans the contact records of months first_month..last_month ("YYYY-MM", inclusive; records
  // with month "unknown" are never in a period), optionally of one organisation, calling
  // `chunk(part, c)` with up to ~10 000 records at a time in id order (bulk fetches, codes and
  // referrals merged in by contact id). The period's id range is split into at most `parts`
  // consecutive ranges (SQLite with a pool of 2+ connections and a large period; otherwise
  // one), each scanned on its own connection and thread in its own read transaction: calls
  // for one part are sequential, calls for different parts run concurrently. Each record is
  // in exactly one part and read whole from one snapshot.
  virtual Status ScanContacts(const std::string& first_month, const std::string& last_month,
                              std::optional<int64_t> organisation_id, int parts,
                              const std::function<void(int, const ContactChunk&)>& chunk) = 0;
  // The same in one part: every call sequential, on the caller's thread.
  Status ScanContacts(const std::string& first_month, const std::string& last_month,
                      std::optional<int64_t> organisation_id,
                      const std::function<void(const ContactChunk&)>& chunk) {
    return ScanContacts(first_month, last_month, organisation_id, 1,
                        [&](int, const ContactChunk& c) { chunk(c); });
  }
  // Bulk insert for the seeder: one transaction for the whole vector, statements prepared
  // once. Ids, cases and referral ids are assigned by the database (c.id is ignored).
  virtual Status InsertContactsBulk(const std::vector<ContactRecord>& contacts) = 0;

};

// Opens a store from a URL: "sqlite:/path/to/file.db" or a PostgreSQL connection string
// starting with "postgresql://" or "postgres://", or libpq "key=value" pairs prefixed "pg:".
// `pool_size` connections are opened up front.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, int pool_size);

}  // namespace vd
