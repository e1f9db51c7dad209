#pragma once
// The report service as a server or a command uses it: report::Reports wired to the domain.
// Here, where both are known, the report's codebook is built from the contact fields, the
// domain's other fixed code lists (ContactCodes), every indicator list version and the
// directory, and codes get their names from the indicator lists and the directory (report/
// may not include domain/ or i18n/). Built once per Runtime (the staff pages) or per
// `vertrouwd report`.

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/indicators.h"
#include "i18n/i18n.h"
#include "report/reports.h"
#include "store/store.h"

namespace vd {

// Loads the indicator catalog (LoadIndicatorCatalog, app/seed.h) and returns the service;
// `catalogs` must outlive it. settings.code_version is set to this build's version.
Result<std::unique_ptr<report::Reports>> OpenReports(Store& store, const Clock& clock,
                                                     const Catalogs& catalogs,
                                                     const std::string& templates_dir,
                                                     report::ReleaseSettings settings);

// The codes of every reported contact field (store/contact_fields.h) and of the escalation,
// its basis and the referral services (ContactCodes), every indicator list version's
// categories, and the referral directory (all entries, active or not).
report::Codebook ReportCodebook(const IndicatorCatalog& indicators,
                                const std::vector<DirectoryEntry>& directory);

}  // namespace vd
