#include "app/report_domain.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "app/seed.h"
#include "domain/contacts.h"

#ifndef VD_VERSION
#define VD_VERSION "0.0.0"
#endif

namespace vd {
namespace {

class DomainForReports final : public report::ReportDomain {
 public:
  DomainForReports(Database& store, const Catalogs& catalogs, IndicatorCatalog indicators)
      : store_(store), catalogs_(catalogs), indicators_(std::move(indicators)) {}

  Result<report::Codebook> CurrentCodebook() override {
    Refresh();
    Result<std::vector<DirectoryEntry>> dir = Directory();
    if (!dir) return std::unexpected(dir.error());
    return ReportCodebook(indicators_, *dir);
  }

  std::string Translate(std::string_view lang, std::string_view msgid) const override {
    return catalogs_.Translate(lang, msgid);
  }

  report::CodeNameFn CodeNames(std::string_view lang) override {
    Refresh();
    Result<std::vector<DirectoryEntry>> dir = Directory();
    std::map<std::string, std::string, std::less<>> orgs;
    if (dir) {
      for (const DirectoryEntry& d : *dir) orgs[d.slug] = d.name;
    }
    const IndicatorCatalog& indicators = indicators_;
    return [&indicators, orgs = std::move(orgs), lang = std::string(lang)](
               std::string_view dim, std::string_view code) -> std::optional<std::string> {
      if (dim == "referral_organisation") {
        if (auto it = orgs.find(code); it != orgs.end()) return it->second;
      } else if (dim == "indicator_category") {
        if (const IndicatorList* current = indicators.Current()) {
          std::string name = indicators.CategoryName(current->version, code, lang);
          if (!name.empty()) return name;
        }
      }
      return std::nullopt;
    };
  }

 private:
  // Versions another server added since this one last looked count in the report too.
  void Refresh() {
    const IndicatorList* current = indicators_.Current();
    if (Status s = LoadStoredIndicatorLists(store_, indicators_, current ? current->version + 1 : 1); !s) {
      spdlog::error("indicator lists: {}", s.error().detail);
    }
  }

  Result<std::vector<DirectoryEntry>> Directory() {
    return store_.Read("list directory",
                       [&](Tx& tx) { return store_.directory().List(tx, false); });
  }

  Database& store_;
  const Catalogs& catalogs_;
  IndicatorCatalog indicators_;
};

}  // namespace

Result<std::unique_ptr<report::Reports>> OpenReports(Store& store, const Clock& clock,
                                                     const Catalogs& catalogs,
                                                     const std::string& templates_dir,
                                                     report::ReleaseSettings settings) {
  Result<IndicatorCatalog> indicators = LoadIndicatorCatalog(store, templates_dir);
  if (!indicators) return std::unexpected(indicators.error());
  settings.code_version = VD_VERSION;
  return std::make_unique<report::Reports>(
      store, clock, std::make_unique<DomainForReports>(store, catalogs, std::move(*indicators)),
      std::move(settings));
}

report::Codebook ReportCodebook(const IndicatorCatalog& indicators,
                                const std::vector<DirectoryEntry>& directory) {
  using C = ContactCodes;
  report::Codebook cb;
  for (const ContactField& f : kContactFields) {
    if (f.reported == Reported::kYes) cb.codes[std::string(f.name)] = C::Of(f.name);
  }
  cb.codes["escalation"] = C::Escalations();
  std::vector<std::string>& bases = cb.codes["escalation_basis"];
  bases = {"none"};
  for (const std::string& b : C::Bases()) bases.push_back(b);
  std::vector<std::string>& categories = cb.codes["indicator_category"];
  if (const IndicatorList* current = indicators.Current()) {
    for (int64_t v = 1; v <= current->version; ++v) {
      const IndicatorList* list = indicators.Version(v);
      if (!list) continue;
      for (const IndicatorCategory& cat : list->categories) {
        if (std::ranges::find(categories, cat.code) == categories.end()) categories.push_back(cat.code);
      }
      for (const Indicator& i : list->indicators) cb.indicator_category[{v, i.code}] = i.category;
    }
  }
  for (const DirectoryEntry& d : directory) cb.directory.emplace_back(d.id, d.slug);
  cb.codes["referral_service"] = C::Services();
  return cb;
}

}  // namespace vd
