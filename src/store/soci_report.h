#pragma once
// The SQL of schema 4 (the report scan, bulk insert, release ledger, population estimates and
// first-reply counters), run by SociStore inside its transactions. Internal to src/store.
// These functions may throw SOCI exceptions; SociStore::Tx turns each into an Error and rolls
// back.

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

std::optional<ReleaseRecord> FindRelease(soci::session& sql, const std::string& city,
                                         const std::string& label, const std::string& method);
std::vector<ReleaseRecord> ListReleases(soci::session& sql, const std::string& city,
                                        const std::string& status);
std::vector<std::pair<int64_t, int64_t>> ReleasesSpent(soci::session& sql,
                                                       const std::string& city, long long year);
Result<int64_t> InsertRelease(soci::session& sql, Dialect dialect, const ReleaseRecord& r,
                              int64_t cap_num, int64_t cap_den);

std::vector<PopulationEstimate> ListPopulationEstimates(soci::session& sql,
                                                        const std::string& city, long long year);
void ReplacePopulationEstimates(soci::session& sql, const std::string& city, long long year,
                                const std::string& dimension,
                                const std::vector<PopulationEstimate>& estimates);

// Sets first_reply_at = reply_at if it is still 0 and, if so, counts the reply in
// response_times. The caller holds the conversation's row lock (it updated the row).
void RecordFirstReply(soci::session& sql, long long conversation_id, long long reply_at);
std::vector<ResponseTimeCount> ResponseTimes(soci::session& sql, const std::string& first_month,
                                             const std::string& last_month,
                                             std::optional<long long> organisation_id);

}  // namespace vd::sql4
