#pragma once
// The versioned indicator list (data/indicators/v<N>.toml): stable codes grouped by
// category, mapped to the ILO, Dutch and HTCDS lists, named and explained per language.
// A record stores the list version and its codes; a later version may add codes, retire
// them or reword names, but Add() refuses one that changes a known code's category or
// mapping, so old records never change meaning. Coordinators make new versions in the
// browser (Derive + SaveIndicatorVersion); those are kept in the database and loaded at start
// after the shipped files. Thread-safe: readers see an immutable snapshot while a version is
// added, and a list, once added, stays where it is for the catalog's lifetime.

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/database.h"

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

// The fixed lists an indicator may be mapped to (../shared/indicators.md).
struct IndicatorMappings {
  static const std::vector<int64_t>& Ilo();             // 1..11
  static const std::vector<std::string>& Dutch();       // Dutch signal-list groups
  static const std::vector<std::string>& Htcds();       // HTCDS methods of control
};

// One change a coordinator makes to the current list; the result is a new version.
struct IndicatorChange {
  enum class Kind { kAdd, kRetire, kReword };
  Kind kind = Kind::kAdd;
  // kAdd: every field (name and explanation at least in nl and en). kRetire: the code.
  // kReword: the code and the names/explanations to replace (empty texts keep the old ones).
  Indicator indicator;
};

class IndicatorCatalog {
 public:
  IndicatorCatalog();
  IndicatorCatalog(IndicatorCatalog&& other) noexcept;
  IndicatorCatalog& operator=(IndicatorCatalog&& other) noexcept;

  // Parses one list. kInvalidInput on TOML errors, duplicate or malformed codes, unknown
  // categories, or a name/explanation missing in nl or en.
  static Result<IndicatorList> Parse(std::string_view toml_text);
  // Loads every v<N>.toml in `dir`, in version order.
  static Result<IndicatorCatalog> LoadDir(const std::string& dir);

  // Adds a list version. kConflict if the version exists or a code it shares with an earlier
  // version has another category or mapping (msgid staff_error.indicator_meaning).
  Status Add(IndicatorList list);
  // What Add would say, without adding.
  Status Check(const IndicatorList& list) const;
  // The list as TOML that Parse reads back to the same list.
  static std::string ToToml(const IndicatorList& list);
  // A new version (current + 1) of `current` with `change` applied. kInvalidInput with a
  // staff msgid for bad input: an unknown category, mapping or code, a missing nl/en text,
  // a code that exists already, retiring a retired code. Does not check earlier versions:
  // Check/Add do.
  static Result<IndicatorList> Derive(const IndicatorList& current, const IndicatorChange& change);
  const IndicatorList* Version(int64_t version) const;
  const IndicatorList* Current() const;  // highest version; nullptr when empty
  // The name (or explanation) of `code` as list `version` has it, in `lang`, else English;
  // the code itself when unknown.
  std::string Name(int64_t version, std::string_view code, std::string_view lang) const;
  std::string Explain(int64_t version, std::string_view code, std::string_view lang) const;
  std::string CategoryName(int64_t version, std::string_view code, std::string_view lang) const;

 private:
  using Lists = std::map<int64_t, std::shared_ptr<const IndicatorList>>;
  std::shared_ptr<const Lists> Snapshot() const { return lists_.load(); }
  static Status CheckAgainst(const Lists& lists, const IndicatorList& list);
  std::atomic<std::shared_ptr<const Lists>> lists_;
  std::mutex add_mu_;  // one writer at a time; readers never wait
};

// List versions made in the browser live in the settings table, one key per version
// ("indicator_list.v<N>" -> TOML with created_at and created_by), written once, never changed.
// Loads every stored version from `from` on into `catalog` (refusing a version number that
// a shipped file uses too). Cheap when there is nothing new: one lookup.
Status LoadStoredIndicatorLists(Database& db, IndicatorCatalog& catalog, int64_t from = 1);
// Checks `list` against the catalog, stores it and adds it. kConflict if another coordinator
// saved that version number first (their version is loaded; try again).
Status SaveIndicatorVersion(Database& db, IndicatorCatalog& catalog, const IndicatorList& list,
                            int64_t user_id, int64_t now);

// The catalog kept in step with the versions saved in the database, for callers that must
// not touch the store themselves (the web layer). Thread-safe like the catalog.
class IndicatorLists {
 public:
  IndicatorLists(Database& db, const Clock& clock, IndicatorCatalog& catalog)
      : db_(db), clock_(clock), catalog_(catalog) {}

  const IndicatorCatalog& catalog() const { return catalog_; }
  // Picks up versions another server saved (one settings lookup when there are none).
  Status Refresh();
  // The next version: the current list with `change` applied, saved by `user_id` and added.
  // Errors as Derive and SaveIndicatorVersion give them; kInternal when there is no list.
  Result<IndicatorList> Apply(int64_t user_id, const IndicatorChange& change);

 private:
  Database& db_;
  const Clock& clock_;
  IndicatorCatalog& catalog_;
};

}  // namespace vd
