#include "report/labels.h"

#include "report/tables.h"

namespace vd::report {

std::string ReportLanguage(std::string_view lang) { return lang == "en" ? "en" : "nl"; }

Labels MakeLabels(std::string_view lang, TranslateFn translate, CodeNameFn names) {
  Labels l;
  l.lang = ReportLanguage(lang);
  const std::string code_lang = l.lang;
  l.text = [translate, code_lang](std::string_view msgid) { return translate(code_lang, msgid); };
  l.code = [translate, names = std::move(names), code_lang](std::string_view dim, std::string_view code) {
    if (names) {
      if (std::optional<std::string> name = names(dim, code)) return *name;
    }
    if (const DimensionDef* d = FindDimensionDef(dim); d && !d->code_prefix.empty()) {
      const std::string msgid = std::string(d->code_prefix) + std::string(code);
      std::string t = translate(code_lang, msgid);
      if (t != msgid) return t;
    }
    const std::string generic = "report.code." + std::string(code);
    std::string t = translate(code_lang, generic);
    return t != generic ? t : std::string(code);
  };
  return l;
}

}  // namespace vd::report
