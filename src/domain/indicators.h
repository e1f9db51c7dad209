#pragma once
// The versioned indicator list (data/indicators/v<N>.toml): stable codes grouped by
// category, mapped to the ILO, Dutch and HTCDS lists, named and explained per language.
// A record stores the list version and its codes; a later version may add codes, retire
// them or reword names, but Add() refuses one that changes a known code's category or
// mapping, so old records never change meaning. Immutable after loading; thread-safe reads.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vd {

struct IndicatorCategory {
  std::string code;
  std::map<std::string, std::string> name;  // language -> text
};

struct Indicator {
  std::string code;
  std::string category;
  std::vector<int64_t> ilo;          // ILO forced-labour indicator numbers (1..11)
  std::vector<std::string> dutch;    // Dutch signal-list groups
  std::vector<std::string> htcds;    // HTCDS methods of control
  std::map<std::string, std::string> name, explain;
  bool retired = false;
};

struct IndicatorList {
  int64_t version = 0;
  std::vector<IndicatorCategory> categories;
  std::vector<Indicator> indicators;
  const Indicator* Find(std::string_view code) const;
};

class IndicatorCatalog {
 public:
  // Parses one list. kInvalidInput on TOML errors, duplicate or malformed codes, unknown
  // categories, or a name/explanation missing in nl or en.
  static Result<IndicatorList> Parse(std::string_view toml_text);
  // Loads every v<N>.toml in `dir`, in version order.
  static Result<IndicatorCatalog> LoadDir(const std::string& dir);

  // Adds a list version. kConflict if the version exists or a code it shares with an earlier
  // version has another category or mapping.
  Status Add(IndicatorList list);
  const IndicatorList* Version(int64_t version) const;
  const IndicatorList* Current() const;  // highest version; nullptr when empty
  // The name (or explanation) of `code` as list `version` has it, in `lang`, else English;
  // the code itself when unknown.
  std::string Name(int64_t version, std::string_view code, std::string_view lang) const;
  std::string Explain(int64_t version, std::string_view code, std::string_view lang) const;
  std::string CategoryName(int64_t version, std::string_view code, std::string_view lang) const;

 private:
  std::map<int64_t, IndicatorList> lists_;
};

}  // namespace vd
