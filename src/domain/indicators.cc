#include "domain/indicators.h"

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace vd {
namespace {

Error Bad(std::string detail) {
  return Error{ErrorCode::kInvalidInput, "error.internal", "indicator list: " + std::move(detail)};
}

std::map<std::string, std::string> Texts(const toml::table& t, std::string_view key) {
  std::map<std::string, std::string> out;
  if (const toml::table* m = t[key].as_table()) {
    for (const auto& [lang, v] : *m) {
      if (auto s = v.value<std::string>()) out[std::string(lang.str())] = *s;
    }
  }
  return out;
}

template <typename T>
std::vector<T> List(const toml::table& t, std::string_view key) {
  std::vector<T> out;
  if (const toml::array* a = t[key].as_array()) {
    for (const auto& v : *a) {
      if (auto x = v.value<T>()) out.push_back(*x);
    }
  }
  return out;
}

std::string Pick(const std::map<std::string, std::string>& m, std::string_view lang) {
  auto it = m.find(std::string(lang));
  if (it == m.end()) it = m.find("en");
  return it == m.end() ? std::string() : it->second;
}

}  // namespace

const Indicator* IndicatorList::Find(std::string_view code) const {
  for (const Indicator& i : indicators) {
    if (i.code == code) return &i;
  }
  return nullptr;
}

Result<IndicatorList> IndicatorCatalog::Parse(std::string_view text) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return std::unexpected(Bad(std::string(e.description())));
  }
  IndicatorList list;
  list.version = root["version"].value<int64_t>().value_or(0);
  if (list.version < 1) return std::unexpected(Bad("version must be a positive integer"));
  static const std::regex code_re("[a-z]{2,20}(\\.[a-z_]{2,30})?");
  std::set<std::string> categories;
  if (const toml::array* cats = root["category"].as_array()) {
    for (const auto& node : *cats) {
      const toml::table* t = node.as_table();
      if (!t) return std::unexpected(Bad("category is not a table"));
      IndicatorCategory c;
      c.code = (*t)["code"].value<std::string>().value_or("");
      c.name = Texts(*t, "name");
      if (!std::regex_match(c.code, code_re) || !categories.insert(c.code).second) {
        return std::unexpected(Bad("bad or duplicate category code"));
      }
      if (!c.name.contains("nl") || !c.name.contains("en")) {
        return std::unexpected(Bad("category " + c.code + " needs nl and en names"));
      }
      list.categories.push_back(std::move(c));
    }
  }
  std::set<std::string> codes;
  if (const toml::array* inds = root["indicator"].as_array()) {
    for (const auto& node : *inds) {
      const toml::table* t = node.as_table();
      if (!t) return std::unexpected(Bad("indicator is not a table"));
      Indicator i;
      i.code = (*t)["code"].value<std::string>().value_or("");
      i.category = (*t)["category"].value<std::string>().value_or("");
      i.ilo = List<int64_t>(*t, "ilo");
      i.dutch = List<std::string>(*t, "dutch");
      i.htcds = List<std::string>(*t, "htcds");
      i.name = Texts(*t, "name");
      i.explain = Texts(*t, "explain");
      i.retired = (*t)["retired"].value<bool>().value_or(false);
      if (!std::regex_match(i.code, code_re) || !codes.insert(i.code).second) {
        return std::unexpected(Bad("bad or duplicate indicator code"));
      }
      if (!categories.contains(i.category)) {
        return std::unexpected(Bad("indicator " + i.code + " has an unknown category"));
      }
      for (int64_t n : i.ilo) {
        if (n < 1 || n > 11) return std::unexpected(Bad("indicator " + i.code + ": ILO 1..11"));
      }
      for (const char* lang : {"nl", "en"}) {
        if (i.name[lang].empty() || i.explain[lang].empty()) {
          return std::unexpected(Bad("indicator " + i.code + " needs nl and en texts"));
        }
      }
      list.indicators.push_back(std::move(i));
    }
  }
  if (list.indicators.empty()) return std::unexpected(Bad("no indicators"));
  return list;
}

Result<IndicatorCatalog> IndicatorCatalog::LoadDir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::map<int64_t, std::string> files;
  std::error_code ec;
  static const std::regex name_re("v([0-9]{1,4})\\.toml");
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (std::regex_match(name, m, name_re)) files[std::stoll(m[1])] = e.path().string();
  }
  if (ec || files.empty()) {
    return Fail(ErrorCode::kInternal, "error.internal", "no indicator lists in " + dir);
  }
  IndicatorCatalog catalog;
  for (const auto& [version, path] : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    Result<IndicatorList> list = Parse(ss.str());
    if (!list) return std::unexpected(list.error());
    if (list->version != version) {
      return Fail(ErrorCode::kInvalidInput, "error.internal",
                  "indicator list " + path + " says another version");
    }
    if (Status s = catalog.Add(std::move(*list)); !s) return std::unexpected(s.error());
  }
  return catalog;
}

Status IndicatorCatalog::Add(IndicatorList list) {
  if (lists_.contains(list.version)) {
    return Fail(ErrorCode::kConflict, "error.conflict", "indicator list version exists");
  }
  for (const auto& [version, old] : lists_) {
    for (const Indicator& i : list.indicators) {
      const Indicator* before = old.Find(i.code);
      if (!before) continue;
      if (before->category != i.category || before->ilo != i.ilo || before->dutch != i.dutch ||
          before->htcds != i.htcds) {
        return Fail(ErrorCode::kConflict, "error.conflict",
                    "indicator " + i.code + " would change meaning in version " +
                        std::to_string(list.version));
      }
    }
  }
  lists_.emplace(list.version, std::move(list));
  return {};
}

const IndicatorList* IndicatorCatalog::Version(int64_t version) const {
  auto it = lists_.find(version);
  return it == lists_.end() ? nullptr : &it->second;
}

const IndicatorList* IndicatorCatalog::Current() const {
  return lists_.empty() ? nullptr : &lists_.rbegin()->second;
}

std::string IndicatorCatalog::Name(int64_t version, std::string_view code,
                                   std::string_view lang) const {
  const IndicatorList* l = Version(version);
  const Indicator* i = l ? l->Find(code) : nullptr;
  return i ? Pick(i->name, lang) : std::string(code);
}

std::string IndicatorCatalog::Explain(int64_t version, std::string_view code,
                                      std::string_view lang) const {
  const IndicatorList* l = Version(version);
  const Indicator* i = l ? l->Find(code) : nullptr;
  return i ? Pick(i->explain, lang) : std::string();
}

std::string IndicatorCatalog::CategoryName(int64_t version, std::string_view code,
                                           std::string_view lang) const {
  if (const IndicatorList* l = Version(version)) {
    for (const IndicatorCategory& c : l->categories) {
      if (c.code == code) return Pick(c.name, lang);
    }
  }
  return std::string(code);
}

}  // namespace vd
