#pragma once
// Synthetic, realistic contact records for demos, tests and benchmarks (`vertrouwd seed`),
// drawn from the stated distributions in docs/seed.md with a fixed seed, so the same
// options always give the same records. Not for production data: seeded records are
// indistinguishable from real ones in reports.

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "domain/indicators.h"
#include "store/store.h"

namespace vd {

struct SeedOptions {
  int64_t contacts = 0;
  uint64_t seed = 20260401;
  int year = 2026;
  int last_month = 12;  // 1..12: no record after this month (no future months in the demo)
};

// Inserts `contacts` records spread over the months of the year and the organisations that
// have advisors (creating a disabled "seed" organisation and advisor when none exists),
// using the current indicator list's codes and the referral directory. Bulk-inserted in
// batches of 10 000. Returns the number inserted.
Result<int64_t> SeedContacts(Store& store, const IndicatorList& indicators,
                             const SeedOptions& options);

// The indicator catalog as the web app loads it: the shipped lists beside `templates_dir`
// (its parent's data/indicators) and the versions coordinators saved in the database.
Result<IndicatorCatalog> LoadIndicatorCatalog(Store& store, const std::string& templates_dir);

}  // namespace vd
