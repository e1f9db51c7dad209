#pragma once
// The report engine: exact counts of every base table of the annual report, computed from
// the contact records of a period in one pass over the store's chunked scan (no per-record
// queries; on SQLite two id ranges on two threads, tallied apart and summed), plus the
// period parser. Its output is exact and for internal use only; everything
// published passes disclosure control (report/disclosure.h) first. The codebook is passed in
// (report/ may not include domain/): build it where ContactCodes and the indicator catalog
// are known. Pure functions; thread-safe as long as the Store is.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "report/report.h"
#include "store/store.h"

namespace vd::report {

// Every dimension's fixed codes, in display order. Each list should hold "unknown" (and
// "other" where the field has it): a stored value outside its list is counted under
// "unknown", else "other", else not at all; the cell layout never depends on the data.
struct Codebook {
  std::vector<std::string> channels, locations, languages, genders, age_bands, regions, topics,
      assessments, escalations;
  // Escalation bases for the escalation table; a record without escalation counts as "none",
  // so this list should start with "none" (e.g. {"none", "consent", "acute_danger",
  // "unknown"}).
  std::vector<std::string> bases;
  std::vector<std::string> indicator_categories;
  // (indicator list version, indicator code) -> category code. Pairs missing here are
  // not counted (they cannot be placed in a category).
  std::map<std::pair<int64_t, std::string>, std::string> indicator_category;
  // Referral directory: (directory_organisations.id, code shown, e.g. the slug), then
  // services. Referrals to an id not listed count under "other" (always the last code).
  std::vector<std::pair<int64_t, std::string>> directory;
  std::vector<std::string> services;
};

// Contribution caps (M) of the multi-valued fields; a table's sensitivity is its cap.
inline constexpr int64_t kMaxTopicsPerRecord = 3;
inline constexpr int64_t kMaxCategoriesPerRecord = 3;
inline constexpr int64_t kMaxReferralsPerRecord = 3;

// Table ids, their dimensions and sensitivity Δ (the most one contact record can change the
// sum of a table's absolute cell values). Unit of privacy: one contact record.
//
// contacts_by_channel_location  channel × location                        Δ 1
// contacts_by_language          language                                  Δ 1
// contacts_by_gender            gender                                    Δ 1
// contacts_by_age_band          age_band                                  Δ 1
// contacts_by_region            region                                    Δ 1
// topics                        topic                                     Δ 3
//     A record counts once under each of its topics, at most 3: when it has more, the 3
//     that come first in the codebook's order are kept. No topic recorded: "unknown".
// signals_by_location           assessment × location                     Δ 1
//     Share with any signal = (concern + strong) / all; strong signal = strong / all.
// indicator_categories_by_location  indicator_category × location         Δ 3
//     A record counts once under each category of which it has at least one indicator, at
//     most 3 categories (the first 3 in the codebook's order). Records without indicators
//     are in no cell.
// escalations                   escalation × escalation_basis             Δ 1
//     Basis "none" where there was no escalation.
// referrals                     referral_organisation × referral_service  Δ 3
//     Each referral of a record counts once; at most 3 per record (the first 3 recorded).
// response_times                response_band                             Δ 1
//     Unit: a conversation (its first advisor reply), counted when the reply is sent, by the
//     month of the worker's first message; not contact records. No organisation filter
//     beyond the organisation the conversation was addressed to.
// repeat_contacts               case_records (1, 2, 3-5, 6+)              Δ 2
//     Cases by the number of the period's records that carry their case code; a record
//     without a case code is a case of one record. Adding or removing one record moves one
//     case between two cells (or adds one to "1"): Δ 2.
inline constexpr char kTableChannelLocation[] = "contacts_by_channel_location";
inline constexpr char kTableLanguage[] = "contacts_by_language";
inline constexpr char kTableGender[] = "contacts_by_gender";
inline constexpr char kTableAgeBand[] = "contacts_by_age_band";
inline constexpr char kTableRegion[] = "contacts_by_region";
inline constexpr char kTableTopics[] = "topics";
inline constexpr char kTableSignals[] = "signals_by_location";
inline constexpr char kTableIndicatorCategories[] = "indicator_categories_by_location";
inline constexpr char kTableEscalations[] = "escalations";
inline constexpr char kTableReferrals[] = "referrals";
inline constexpr char kTableResponseTimes[] = "response_times";
inline constexpr char kTableRepeatContacts[] = "repeat_contacts";

// The table specs BuildExact fills, in this order (ids above), cells all zero-sized.
std::vector<TableSpec> ReportSpecs(const Codebook& codebook);

// Parses "2026" (the year), "2026-Q1".."2026-Q4", or "2026-01..2026-06" (whole months of one
// calendar year, first <= last; the budget is per calendar year). Years 2000..2099.
// Anything else: kInvalidInput, msgid "staff_error.report_period".
Result<Period> ParsePeriod(std::string_view text);

// Exact counts of every table of ReportSpecs for the period, over all organisations or one
// (`organisation_id`: an organisation's internal view). kStorage if the scan fails.
Result<ExactReport> BuildExact(Store& store, const Codebook& codebook, const Period& period,
                               std::optional<int64_t> organisation_id);

// The table with `id` in `report`, or nullptr.
const CountTable* FindTable(const ExactReport& report, std::string_view id);

}  // namespace vd::report
