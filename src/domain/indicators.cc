#include "domain/indicators.h"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "store/settings_store.h"

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

// A list of exactly T (whole numbers for int64_t: toml++'s value<int64_t>() would cast a
// float like 1e300 with undefined behaviour, found by fuzz_indicators); nullopt if any
// element has another type.
template <typename T>
std::optional<std::vector<T>> List(const toml::table& t, std::string_view key) {
  std::vector<T> out;
  if (const toml::array* a = t[key].as_array()) {
    for (const auto& v : *a) {
      std::optional<T> x = v.template value_exact<T>();
      if (!x) return std::nullopt;
      out.push_back(std::move(*x));
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
  list.version = root["version"].value_exact<int64_t>().value_or(0);
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
      std::optional<std::vector<int64_t>> ilo = List<int64_t>(*t, "ilo");
      std::optional<std::vector<std::string>> dutch = List<std::string>(*t, "dutch");
      std::optional<std::vector<std::string>> htcds = List<std::string>(*t, "htcds");
      if (!ilo || !dutch || !htcds) {
        return std::unexpected(Bad("ilo must list whole numbers, dutch and htcds text"));
      }
      i.ilo = std::move(*ilo);
      i.dutch = std::move(*dutch);
      i.htcds = std::move(*htcds);
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
      for (const std::string& d : i.dutch) {
        if (std::ranges::find(IndicatorMappings::Dutch(), d) == IndicatorMappings::Dutch().end()) {
          return std::unexpected(Bad("indicator " + i.code + ": unknown Dutch group " + d));
        }
      }
      for (const std::string& h : i.htcds) {
        if (std::ranges::find(IndicatorMappings::Htcds(), h) == IndicatorMappings::Htcds().end()) {
          return std::unexpected(Bad("indicator " + i.code + ": unknown HTCDS method " + h));
        }
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

IndicatorCatalog::IndicatorCatalog() : lists_(std::make_shared<const Lists>()) {}

IndicatorCatalog::IndicatorCatalog(IndicatorCatalog&& other) noexcept
    : lists_(other.lists_.load()) {}

IndicatorCatalog& IndicatorCatalog::operator=(IndicatorCatalog&& other) noexcept {
  lists_.store(other.lists_.load());
  return *this;
}

Status IndicatorCatalog::CheckAgainst(const Lists& lists, const IndicatorList& list) {
  if (lists.contains(list.version)) {
    return Fail(ErrorCode::kConflict, "staff_error.indicator_version_taken",
                "indicator list version exists");
  }
  for (const auto& [version, old] : lists) {
    for (const Indicator& i : list.indicators) {
      const Indicator* before = old->Find(i.code);
      if (!before) continue;
      if (before->category != i.category || before->ilo != i.ilo || before->dutch != i.dutch ||
          before->htcds != i.htcds) {
        return Fail(ErrorCode::kConflict, "staff_error.indicator_meaning",
                    "indicator " + i.code + " would change meaning in version " +
                        std::to_string(list.version) + " (it has another category or mapping in version " +
                        std::to_string(version) + ")");
      }
    }
  }
  return {};
}

Status IndicatorCatalog::Check(const IndicatorList& list) const {
  return CheckAgainst(*Snapshot(), list);
}

Status IndicatorCatalog::Add(IndicatorList list) {
  std::lock_guard lock(add_mu_);
  std::shared_ptr<const Lists> now = lists_.load();
  if (Status s = CheckAgainst(*now, list); !s) return s;
  // Readers holding the old snapshot keep it; every list object lives on in the new map.
  auto next = std::make_shared<Lists>(*now);
  const int64_t version = list.version;
  next->emplace(version, std::make_shared<const IndicatorList>(std::move(list)));
  lists_.store(std::move(next));
  return {};
}

const IndicatorList* IndicatorCatalog::Version(int64_t version) const {
  std::shared_ptr<const Lists> lists = Snapshot();
  auto it = lists->find(version);
  return it == lists->end() ? nullptr : it->second.get();
}

const IndicatorList* IndicatorCatalog::Current() const {
  std::shared_ptr<const Lists> lists = Snapshot();
  return lists->empty() ? nullptr : lists->rbegin()->second.get();
}

const std::vector<int64_t>& IndicatorMappings::Ilo() {
  static const std::vector<int64_t> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  return v;
}

const std::vector<std::string>& IndicatorMappings::Dutch() {
  static const std::vector<std::string> v = {"forced_dependency", "restricted_freedom",
                                             "poor_conditions"};
  return v;
}

const std::vector<std::string>& IndicatorMappings::Htcds() {
  static const std::vector<std::string> v = {
      "debt_bondage",         "takes_earnings",        "restricts_financial_access",
      "threats",              "psychological_abuse",   "physical_abuse",
      "sexual_abuse",         "false_promises",        "psychoactive_substances",
      "restricts_movement",   "restricts_medical_care", "excessive_working_hours",
      "uses_children",        "threat_of_law_enforcement", "withholds_necessities",
      "withholds_documents",  "other"};
  return v;
}

std::string IndicatorCatalog::ToToml(const IndicatorList& list) {
  toml::table root;
  root.insert("version", list.version);
  auto texts = [](const std::map<std::string, std::string>& m) {
    toml::table t;
    for (const auto& [lang, text] : m) {
      if (!text.empty()) t.insert(lang, text);
    }
    return t;
  };
  toml::array cats;
  for (const IndicatorCategory& c : list.categories) {
    toml::table t;
    t.insert("code", c.code);
    t.insert("name", texts(c.name));
    cats.push_back(std::move(t));
  }
  root.insert("category", std::move(cats));
  toml::array inds;
  for (const Indicator& i : list.indicators) {
    toml::table t;
    t.insert("code", i.code);
    t.insert("category", i.category);
    toml::array ilo, dutch, htcds;
    for (int64_t n : i.ilo) ilo.push_back(n);
    for (const std::string& d : i.dutch) dutch.push_back(d);
    for (const std::string& h : i.htcds) htcds.push_back(h);
    t.insert("ilo", std::move(ilo));
    t.insert("dutch", std::move(dutch));
    t.insert("htcds", std::move(htcds));
    t.insert("name", texts(i.name));
    t.insert("explain", texts(i.explain));
    if (i.retired) t.insert("retired", true);
    inds.push_back(std::move(t));
  }
  root.insert("indicator", std::move(inds));
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

Result<IndicatorList> IndicatorCatalog::Derive(const IndicatorList& current,
                                               const IndicatorChange& change) {
  auto invalid = [](const char* msgid, std::string detail) {
    return std::unexpected(Error{ErrorCode::kInvalidInput, msgid, std::move(detail)});
  };
  IndicatorList next = current;
  next.version = current.version + 1;
  const Indicator& in = change.indicator;
  Indicator* existing = nullptr;
  for (Indicator& i : next.indicators) {
    if (i.code == in.code) existing = &i;
  }
  auto trimmed = [](std::map<std::string, std::string> m) {
    std::erase_if(m, [](const auto& kv) { return kv.second.find_first_not_of(" \t\r\n") == std::string::npos; });
    return m;
  };
  switch (change.kind) {
    case IndicatorChange::Kind::kAdd: {
      static const std::regex code_re("[a-z]{2,20}\\.[a-z_]{2,30}");
      if (!std::regex_match(in.code, code_re)) return invalid("staff_error.indicator_code", "code");
      bool known_category = false;
      for (const IndicatorCategory& c : next.categories) known_category |= c.code == in.category;
      if (!known_category) return invalid("staff_error.indicator_mapping", "category");
      Indicator add;
      add.code = in.code;
      add.category = in.category;
      for (int64_t n : in.ilo) {
        if (std::ranges::find(IndicatorMappings::Ilo(), n) == IndicatorMappings::Ilo().end()) {
          return invalid("staff_error.indicator_mapping", "ilo");
        }
      }
      for (const std::string& d : in.dutch) {
        if (std::ranges::find(IndicatorMappings::Dutch(), d) == IndicatorMappings::Dutch().end()) {
          return invalid("staff_error.indicator_mapping", "dutch");
        }
      }
      for (const std::string& h : in.htcds) {
        if (std::ranges::find(IndicatorMappings::Htcds(), h) == IndicatorMappings::Htcds().end()) {
          return invalid("staff_error.indicator_mapping", "htcds");
        }
      }
      add.ilo = in.ilo;
      std::ranges::sort(add.ilo);
      add.ilo.erase(std::unique(add.ilo.begin(), add.ilo.end()), add.ilo.end());
      // Mappings keep the fixed lists' order, so the same choice always compares equal.
      for (const std::string& d : IndicatorMappings::Dutch()) {
        if (std::ranges::find(in.dutch, d) != in.dutch.end()) add.dutch.push_back(d);
      }
      for (const std::string& h : IndicatorMappings::Htcds()) {
        if (std::ranges::find(in.htcds, h) != in.htcds.end()) add.htcds.push_back(h);
      }
      if (add.ilo.empty() && add.dutch.empty() && add.htcds.empty()) {
        return invalid("staff_error.indicator_mapping", "no mapping");
      }
      add.name = trimmed(in.name);
      add.explain = trimmed(in.explain);
      for (const char* lang : {"nl", "en"}) {
        if (!add.name.contains(lang) || !add.explain.contains(lang)) {
          return invalid("staff_error.indicator_texts", "nl/en texts");
        }
      }
      if (existing) {
        // The same code with the same meaning is a duplicate; with another meaning, Check
        // refuses it (a code keeps its category and mapping in every version).
        if (existing->category == add.category && existing->ilo == add.ilo &&
            existing->dutch == add.dutch && existing->htcds == add.htcds) {
          return invalid("staff_error.indicator_exists", "code exists");
        }
        *existing = std::move(add);
      } else {
        next.indicators.push_back(std::move(add));
      }
      break;
    }
    case IndicatorChange::Kind::kRetire:
      if (!existing) return invalid("staff_error.indicator_unknown", "code");
      if (existing->retired) return invalid("staff_error.indicator_retired", "retired");
      existing->retired = true;
      break;
    case IndicatorChange::Kind::kReword: {
      if (!existing) return invalid("staff_error.indicator_unknown", "code");
      const auto name = trimmed(in.name), explain = trimmed(in.explain);
      if (name.empty() && explain.empty()) return invalid("staff_error.indicator_texts", "nothing");
      for (const auto& [lang, text] : name) existing->name[lang] = text;
      for (const auto& [lang, text] : explain) existing->explain[lang] = text;
      break;
    }
  }
  for (const Indicator& i : next.indicators) {
    for (const auto& texts : {&i.name, &i.explain}) {
      for (const auto& [lang, text] : *texts) {
        if (text.size() > 500 || lang.size() > 8) return invalid("staff_error.indicator_texts", "long");
      }
    }
  }
  // What is stored must load again at the next start.
  Result<IndicatorList> again = Parse(ToToml(next));
  if (!again) return invalid("staff_error.indicator_texts", again.error().detail);
  return again;
}

namespace {
std::string StoredKey(int64_t version) { return "indicator_list.v" + std::to_string(version); }
}  // namespace

Status LoadStoredIndicatorLists(Database& db, IndicatorCatalog& catalog, int64_t from) {
  // The stored texts from `from` on, read in one transaction: every version up to the
  // catalog's current one (some of those are shipped files, not stored), then each further
  // one until a version is missing. Parsed and added outside it.
  const IndicatorList* current = catalog.Current();
  const int64_t known = current ? current->version : 0;
  using Texts = std::vector<std::pair<int64_t, std::string>>;
  Result<Texts> texts = db.Read("load indicator lists", [&](Tx& tx) -> Result<Texts> {
    Texts out;
    for (int64_t v = std::max<int64_t>(from, 1);; ++v) {
      Result<std::optional<std::string>> text = db.settings().Get(tx, StoredKey(v));
      if (!text) return std::unexpected(text.error());
      if (*text) {
        out.emplace_back(v, std::move(**text));
      } else if (v > known) {
        return out;
      }
    }
  });
  if (!texts) return std::unexpected(texts.error());
  for (auto& [v, text] : *texts) {
    if (catalog.Version(v)) {
      return Fail(ErrorCode::kInternal, "error.internal",
                  "indicator list v" + std::to_string(v) +
                      " exists both as a shipped file and in the database; give the file the "
                      "next free number");
    }
    Result<IndicatorList> list = IndicatorCatalog::Parse(text);
    if (!list) return std::unexpected(list.error());
    if (list->version != v) return Fail(ErrorCode::kInternal, "error.internal", "stored list says another version");
    if (Status s = catalog.Add(std::move(*list)); !s) {
      // Another thread may have loaded it just now.
      if (catalog.Version(v)) continue;
      return s;
    }
  }
  return {};
}

Status SaveIndicatorVersion(Database& db, IndicatorCatalog& catalog, const IndicatorList& list,
                            int64_t user_id, int64_t now) {
  if (Status s = catalog.Check(list); !s) return s;
  std::string text = "# Made in the browser by staff user " + std::to_string(user_id) + ".\n" +
                     "created_at = " + std::to_string(now) + "\ncreated_by = " +
                     std::to_string(user_id) + "\n" + IndicatorCatalog::ToToml(list);
  Result<std::string> stored = db.Write("save indicator list", [&](Tx& tx) {
    return db.settings().GetOrCreate(tx, StoredKey(list.version), text);
  });
  if (!stored) return std::unexpected(stored.error());
  if (*stored != text) {
    // Someone else saved this version first (on this or another server): load theirs.
    if (Status s = LoadStoredIndicatorLists(db, catalog, list.version); !s) return s;
    return Fail(ErrorCode::kConflict, "staff_error.indicator_version_taken",
                "indicator list version saved meanwhile");
  }
  return catalog.Add(list);
}

Status IndicatorLists::Refresh() {
  const IndicatorList* current = catalog_.Current();
  return LoadStoredIndicatorLists(db_, catalog_, current ? current->version + 1 : 1);
}

Result<IndicatorList> IndicatorLists::Apply(int64_t user_id, const IndicatorChange& change) {
  const IndicatorList* current = catalog_.Current();
  if (!current) return Fail(ErrorCode::kInternal, "error.internal", "no list");
  Result<IndicatorList> next = IndicatorCatalog::Derive(*current, change);
  if (!next) return next;
  if (Status s = SaveIndicatorVersion(db_, catalog_, *next, user_id, clock_.Now()); !s) {
    return std::unexpected(s.error());
  }
  return next;
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
