#pragma once
// ReportStore: the release ledger (the privacy budget each city spends per year), the city's
// population estimates and the first-reply counters. Every method works inside the caller's
// transaction (Database::Read/Write), so "prepare a release and spend the budget" is
// ReserveBudget and InsertRelease in one Write; the same conformance tests run on SQLite and
// PostgreSQL. Failures: kNotFound for an unknown release, kConflict for a refused budget or a
// duplicate release, kStorage otherwise (which spoils the transaction).
//
// The scan of contact records for the report engine (Store::ScanContacts) is not here: it
// runs its parts on several connections, each in a read transaction of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/report_rows.h"

namespace vd {

class ReportStore {
 public:
  virtual ~ReportStore() = default;

  virtual Result<ReleaseRecord> FindRelease(Tx& tx, const std::string& city,
                                            const std::string& label,
                                            const std::string& method) = 0;  // kNotFound
  // Newest first; every status when `status` is empty.
  virtual Result<std::vector<ReleaseRecord>> ListReleases(Tx& tx, const std::string& city,
                                                          const std::string& status) = 0;
  // (eps_num, eps_den) of every release of `year` in the database, whatever city name it
  // carries, in id order. The budget belongs to the records, and every release counts them
  // all.
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> ReleasesSpent(Tx& tx,
                                                                         int64_t year) = 0;
  // Serialises the ledger until the transaction ends (PostgreSQL: an advisory lock; SQLite:
  // the write lock, so call it in a Write) and checks that a release `r` fits: kConflict
  // (msgid staff_error.report_method_mixed) if releases of r.year, under any city name, use
  // another method, kConflict (staff_error.report_budget) if the year's spend (every city
  // name) plus r.eps would exceed cap_num / cap_den. Writes nothing: the ledger is the
  // releases themselves, so InsertRelease in the same transaction is what spends the budget.
  virtual Status ReserveBudget(Tx& tx, const ReleaseRecord& r, int64_t cap_num,
                               int64_t cap_den) = 0;
  // The terms fixed for `year`, if its first release has been stored.
  virtual Result<std::optional<ReleaseTerms>> FindTerms(Tx& tx, int64_t year) = 0;
  // Stores the terms of a year that has none (call after ReserveBudget, in the Write that
  // stores the year's first release); kConflict (error.conflict) if it has.
  virtual Status InsertTerms(Tx& tx, const ReleaseTerms& terms) = 0;
  // Ids of the records of first_month..last_month (every organisation) that lie beyond the
  // first `per_case` records, by id, of their case: what contribution bounding leaves out.
  // Ascending. Records without a case code are never listed.
  virtual Result<std::vector<int64_t>> RecordsBeyondCaseCap(Tx& tx, const std::string& first_month,
                                                            const std::string& last_month,
                                                            int64_t per_case) = 0;
  // Inserts the release; kConflict (error.conflict, reported by the Write) when one for the
  // same city, period label and method exists. Returns the new id.
  virtual Result<int64_t> InsertRelease(Tx& tx, const ReleaseRecord& r) = 0;
  // draft -> published at `at`; kNotFound if no such draft.
  virtual Status PublishRelease(Tx& tx, int64_t id, int64_t at) = 0;

  // Population estimates of a city and year, by dimension and code.
  virtual Result<std::vector<PopulationEstimate>> ListPopulationEstimates(Tx& tx,
                                                                          const std::string& city,
                                                                          int64_t year) = 0;
  // Replaces every estimate of (city, year, dimension) with `estimates` (their city, year
  // and dimension fields are ignored).
  virtual Status ReplacePopulationEstimates(Tx& tx, const std::string& city, int64_t year,
                                            const std::string& dimension,
                                            const std::vector<PopulationEstimate>& estimates) = 0;

  // First-reply counters (incremented by ConversationStore::AppendMessage) summed over
  // first_month..last_month, optionally one organisation; every band, zeros included, in
  // ResponseTimeBands() order.
  virtual Result<std::vector<ResponseTimeCount>> ResponseTimes(
      Tx& tx, const std::string& first_month, const std::string& last_month,
      std::optional<int64_t> organisation_id) = 0;
};

}  // namespace vd
