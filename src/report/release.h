#pragma once
// Releases: exact tables (engine.h) -> disclosure control (disclosure.h) -> the ledger in the
// store. PrepareRelease draws noise once per city, period and method: asking again returns
// the stored release, never new noise; a release that would exceed the city's yearly
// privacy budget is refused inside the write transaction that would store it (kConflict,
// "staff_error.report_budget") and nothing is stored; two preparations at once never both
// fit into the same remaining budget. Thread-safe as long as the Store is; the RandomSource
// is the caller's (one per thread).

#include <cstdint>
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

struct ReleaseSettings {
  std::string city;
  Fraction cap{2, 1};  // ε per city per calendar year
  Method method = Method::kDiscreteLaplace;
  std::string code_version;
};

// The stated allocation. A release of a whole year spends the yearly cap; a shorter period
// spends cap × months / 12 (so four quarters, or one year, use up a year). Within a release
// each base table gets its stated share of that ε (tables.h: share / the sum of all shares);
// derived tables spend nothing.
Fraction ReleaseEpsilon(const Fraction& cap, const Period& period);
Allocation ReleaseAllocation(const Fraction& cap, const Period& period);

// "laplace" / "threshold" and back (kInvalidInput, "staff_error.report_method").
std::string MethodCode(Method method);
Result<Method> ParseMethod(std::string_view code);

// Returns the stored release for (city, period label, method) if there is one; otherwise
// builds the exact tables, protects them, stores a draft and returns it.
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
