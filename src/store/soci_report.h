#pragma once
// The SQL of schema 4 that is not ReportStore's: the report scan and the seeder's bulk insert
// (soci_report.cc), run by SociStore in transactions of their own, and the first-reply counter
// that ConversationStore::AppendMessage bumps (soci_report_store.cc). Internal to src/store.
// These functions may throw SOCI exceptions; the transaction turns each into an Error and
// rolls back.

#include <soci/soci.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/migrations.h"
#include "store/store.h"

namespace vd::sql4 {

// The smallest and largest contact id of the months first..last ("YYYY-MM"); nullopt if none.
std::optional<std::pair<long long, long long>> PeriodIdRange(soci::session& sql,
                                                             const std::string& first_month,
                                                             const std::string& last_month);
// Scans ids lo..hi (of months first..last, optionally one organisation) in chunks.
void ScanRange(soci::session& sql, Dialect dialect, long long lo, long long hi,
               const std::string& first_month, const std::string& last_month,
               std::optional<long long> organisation_id,
               const std::function<void(const ContactChunk&)>& chunk);
void InsertContactsBulk(soci::session& sql, const std::vector<ContactRecord>& contacts);

// Sets first_reply_at = reply_at if it is still 0 and, if so, counts the reply in
// response_times. The caller holds the conversation's row lock (it updated the row).
void RecordFirstReply(soci::session& sql, long long conversation_id, long long reply_at);
}  // namespace vd::sql4
