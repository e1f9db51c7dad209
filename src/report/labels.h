#pragma once
// How a report names things, for the staff pages and `vertrouwd report` alike: translations
// from the catalogs, and each category code's display name: first the report's domain (the
// indicator lists name indicator categories, the referral directory its organisations), then
// the msgid prefix of the code's dimension (tables.h: "c.channel." + code), then
// "report.code." + code, else the code itself. report/ may include neither i18n/ nor
// domain/, so both arrive as functions, built in src/app (see reports.h, ReportDomain).
// The web layer gets labels from report::Reports and the CLI from the same service, so
// neither includes a web header for them. Pure; thread-safe as long as the functions are.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "report/render.h"

namespace vd::report {

// msgid in language `lang`; the msgid itself when untranslated.
using TranslateFn = std::function<std::string(std::string_view lang, std::string_view msgid)>;
// The name the domain gives `code` of `dimension`, or nullopt when it has none.
using CodeNameFn =
    std::function<std::optional<std::string>(std::string_view dimension, std::string_view code)>;

// Reports exist in Dutch and English (staff languages); any other code gives Dutch.
std::string ReportLanguage(std::string_view lang);

// Labels in ReportLanguage(lang). The returned functions own copies of the arguments.
Labels MakeLabels(std::string_view lang, TranslateFn translate, CodeNameFn names);

}  // namespace vd::report
