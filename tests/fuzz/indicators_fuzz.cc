// Fuzzes the indicator-list loader (IndicatorCatalog::Parse): any text is either rejected
// with kInvalidInput or yields a list that keeps the loader's promises (positive version,
// unique well-formed codes, known categories, ILO numbers 1..11, nl and en texts), and the
// list can be added to a catalog and looked up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "domain/indicators.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vd::Result<vd::IndicatorList> list = vd::IndicatorCatalog::Parse(text);
  if (!list) {
    if (list.error().code != vd::ErrorCode::kInvalidInput) std::abort();
    return 0;
  }
  if (list->version < 1 || list->indicators.empty()) std::abort();
  std::set<std::string> categories;
  for (const vd::IndicatorCategory& c : list->categories) {
    if (c.code.empty() || !categories.insert(c.code).second) std::abort();
    if (!c.name.contains("nl") || !c.name.contains("en")) std::abort();
  }
  std::set<std::string> codes;
  for (const vd::Indicator& i : list->indicators) {
    if (i.code.empty() || !codes.insert(i.code).second) std::abort();
    if (!categories.contains(i.category)) std::abort();
    for (int64_t n : i.ilo) {
      if (n < 1 || n > 11) std::abort();
    }
    for (const char* lang : {"nl", "en"}) {
      auto name = i.name.find(lang);
      auto explain = i.explain.find(lang);
      if (name == i.name.end() || name->second.empty()) std::abort();
      if (explain == i.explain.end() || explain->second.empty()) std::abort();
    }
    if (list->Find(i.code) == nullptr) std::abort();
  }
  const int64_t version = list->version;
  const std::string first = list->indicators.front().code;
  const std::string first_category = list->indicators.front().category;
  vd::IndicatorCatalog catalog;
  if (!catalog.Add(std::move(*list))) std::abort();
  if (catalog.Current() == nullptr || catalog.Current()->version != version) std::abort();
  if (catalog.Name(version, first, "th").empty()) std::abort();
  if (catalog.Explain(version, first, "nl").empty()) std::abort();
  (void)catalog.CategoryName(version, first_category, "zh_CN");
  (void)catalog.Name(version, "no.such_code", "en");
  return 0;
}
