#pragma once
// Releases: exact tables (engine.h) -> disclosure control (disclosure.h) -> the ledger in the
// store. The budget belongs to the database's records (every release counts every
// organisation), not to the configured city name: the year's first release fixes its terms
// (cap, method, periods, records per person, city name) in the store, and later settings may
// lower the cap but change nothing else (kConflict: "staff_error.report_city_fixed",
// "report_cap_fixed", "report_periods_fixed", "report_person_cap_fixed"; the detail says
// what was fixed and what the settings ask). PrepareRelease draws noise once per period: asking again
// returns the stored release, never new noise; a release that would exceed the year's
// budget is refused inside the write transaction that would store it (kConflict,
// "staff_error.report_budget") and nothing is stored; two preparations at once never both fit
// into the same remaining budget. Thread-safe as long as the Store is; the RandomSource is
// the caller's (one per thread).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "report/disclosure.h"
#include "report/engine.h"
#include "report/noise.h"
#include "report/report.h"
#include "store/store.h"

namespace vd::report {

// How a year is released, chosen once per year (by its first release). kYear: the whole year
// only, at the full cap. kQuarters: the cap is split up front, half for the whole year and an
// eighth for each quarter, so the annual report and the four quarters all fit and none
// excludes another; the annual figures then carry twice the noise of kYear (and a quarter's
// eight times), which is the price of quarterly figures.
enum class Periods { kYear, kQuarters };

// The default number of a case's records per period that count (contribution bounding).
inline constexpr int64_t kDefaultPersonCap = 2;

struct ReleaseSettings {
  std::string city;
  Fraction cap{2, 1};  // ε per contact record per calendar year
  Method method = Method::kDiscreteLaplace;
  Periods periods = Periods::kYear;
  // Records of one case (one person) per period that count; the rest are left out, so that a
  // person is protected at person_cap·ε. Records without a case count as persons of their own.
  int64_t person_cap = kDefaultPersonCap;
  std::string code_version;
};

// The stated allocation: the share of the yearly cap a period spends (Periods above).
// Within a release each base table gets its stated share of that ε (tables.h: share / the sum
// of all shares); derived tables spend nothing. A period its Periods do not release (a
// quarter under kYear, a month range under either) gets 0/1.
Fraction ReleaseEpsilon(const Fraction& cap, const Period& period, Periods periods);
Allocation ReleaseAllocation(const Fraction& cap, const Period& period, Periods periods);

// "year" / "quarters" and back (kInvalidInput, "staff_error.report_periods").
std::string PeriodsCode(Periods periods);
Result<Periods> ParsePeriods(std::string_view code);

// The terms the year's next release is made under: the stored ones with the cap (and the
// records per person) lowered to the settings' when those are lower; the settings' own when
// the year has none. kConflict (see above) when the settings differ from the stored terms in
// anything else or ask for more; kInvalidInput
// ("staff_error.report_method_withdrawn") for threshold mode (withdrawn: see release.cc);
// kInvalidInput ("staff_error.report_period_release") for a month range, and kConflict
// ("staff_error.report_period_mode") for a quarter of a year released whole.
Result<ReleaseTerms> TermsFor(const std::optional<ReleaseTerms>& stored,
                              const ReleaseSettings& settings, const Period& period, int64_t now);

// "laplace" / "threshold" and back (kInvalidInput, "staff_error.report_method").
std::string MethodCode(Method method);
Result<Method> ParseMethod(std::string_view code);

// Checks the year's terms (TermsFor); then returns the stored release of the period if there is
// one; otherwise builds the exact tables (each case bounded to the terms' records per
// person), protects them, stores a draft (and, for the year's first, its terms) and returns
// it.
Result<Release> PrepareRelease(Store& store, const Codebook& codebook, const Period& period,
                               const ReleaseSettings& settings, RandomSource& rng, int64_t now);

// Releases of a city, newest first ("" = every status), with their tables.
Result<std::vector<Release>> ListReleases(Database& db, const std::string& city,
                                          const std::string& status);
// One release by id, of this city (kNotFound otherwise).
Result<Release> FindReleaseById(Database& db, const std::string& city, int64_t id);

// A release as the ledger stores it, tables decoded (kInternal for a corrupt payload).
Result<Release> ReleaseFromRecord(const ReleaseRecord& rec);

// The payload format of the ledger (versioned, line-based; exact round trip).
std::string EncodeTables(const std::vector<PublishedTable>& tables);
Result<std::vector<PublishedTable>> DecodeTables(std::string_view payload);

}  // namespace vd::report
