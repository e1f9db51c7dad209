#pragma once
// Text for the report renderers (report/render.h): translations from the catalogs and the
// display names of category codes (contact code lists, indicator categories, the referral
// directory). Used by the staff report pages and by `vertrouwd report`. Thread-safe.

#include <string>
#include <vector>

#include "domain/indicators.h"
#include "i18n/i18n.h"
#include "report/render.h"
#include "store/records.h"

namespace vd {

// Reports exist in Dutch and English (staff languages); any other code gives Dutch.
std::string ReportLanguage(std::string_view lang);

// The returned functions refer to `catalogs` and `indicators`, which must outlive them;
// the directory is copied.
report::Labels ReportLabels(const Catalogs& catalogs, const IndicatorCatalog& indicators,
                            const std::vector<DirectoryEntry>& directory, const std::string& lang);

}  // namespace vd
