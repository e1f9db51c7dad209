#pragma once
// The report engine: exact counts of every base table of the annual report (tables.h),
// computed from the contact records of a period in one pass over the store's chunked scan
// (each table's tally runs once per record; no per-record queries; on SQLite two id ranges on
// two threads, tallied apart and summed), plus the period parser. Its output is exact and
// for internal use only; everything published passes disclosure control (disclosure.h)
// first. The codebook is passed in (report/ may not include domain/): it is built in src/app,
// where ContactCodes and the indicator catalog are known (see reports.h). Pure functions;
// thread-safe as long as the Store is.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "report/report.h"
#include "report/tables.h"
#include "store/store.h"

namespace vd::report {

// Every dimension's fixed codes, in display order, by dimension id ("channel", "location",
// "language", "gender", "age_band", "region", "topic", "assessment", "escalation",
// "escalation_basis", "indicator_category", "referral_service"; tables.h names the
// dimensions each table uses). Each list should hold "unknown" (and "other" where the field
// has it): a stored value outside its list is counted under "unknown", else "other", else not
// at all; the cell layout never depends on the data. Escalation bases: a record without
// escalation counts as "none", so that list should start with "none" (e.g. {"none",
// "consent", "acute_danger", "unknown"}).
struct Codebook {
  std::map<std::string, std::vector<std::string>, std::less<>> codes;
  // (indicator list version, indicator code) -> category code. Pairs missing here are
  // not counted (they cannot be placed in a category).
  std::map<std::pair<int64_t, std::string>, std::string> indicator_category;
  // Referral directory: (directory_organisations.id, code shown, e.g. the slug); these are
  // the "referral_organisation" codes, then "other". Referrals to an id not listed count
  // under "other".
  std::vector<std::pair<int64_t, std::string>> directory;
};

// Contribution caps (M) of the multi-valued fields; a table's sensitivity is its cap.
inline constexpr int64_t kMaxTopicsPerRecord = 3;
inline constexpr int64_t kMaxCategoriesPerRecord = 3;
inline constexpr int64_t kMaxReferralsPerRecord = 3;

// The specs of the base tables of ReportTables() (tables.h), in its order, with the
// codebook's codes: the tables BuildExact fills. Unit of privacy: one contact record.
std::vector<TableSpec> ReportSpecs(const Codebook& codebook);

// Parses "2026" (the year), "2026-Q1".."2026-Q4", or "2026-01..2026-06" (whole months of one
// calendar year, first <= last; the budget is per calendar year). Years 2000..2099.
// Anything else: kInvalidInput, msgid "staff_error.report_period".
Result<Period> ParsePeriod(std::string_view text);

// Exact counts of every table of ReportSpecs for the period, over all organisations or one
// (`organisation_id`: an organisation's internal view). With `person_cap` > 0 (releases;
// every organisation) each case counts with its first person_cap records of the period only,
// by id, in every table of records (contribution bounding: one person, one bounded share);
// the table of repeat contacts still places each case by all its records, which moves one
// case, whatever its size. ExactReport::records counts what was counted. kStorage if the
// scan fails.
Result<ExactReport> BuildExact(Store& store, const Codebook& codebook, const Period& period,
                               std::optional<int64_t> organisation_id, int64_t person_cap = 0);

// The table with `id` in `report`, or nullptr.
const CountTable* FindTable(const ExactReport& report, std::string_view id);

}  // namespace vd::report
