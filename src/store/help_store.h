#pragma once
// HelpStore: the help pages shown to workers, Markdown source per language and slug. Every
// method works inside the caller's transaction (Database::Read/Write); the same conformance
// tests run on SQLite and PostgreSQL. Failures: kNotFound for a missing page, kStorage
// otherwise (which spoils the transaction).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace vd {

// A help page for workers: Markdown source, rendered on display.
struct HelpPage {
  std::string language;  // catalog code: "nl", "pt_BR"
  std::string slug;      // "advisor", "health", ...
  std::string markdown;
  int64_t updated_at = 0;
  std::optional<int64_t> updated_by;  // staff user id; empty for the shipped text
};

class HelpStore {
 public:
  virtual ~HelpStore() = default;

  virtual Result<HelpPage> Find(Tx& tx, const std::string& language, const std::string& slug) = 0;
  // Every page of one language ("" = every language), ordered by language and slug.
  virtual Result<std::vector<HelpPage>> List(Tx& tx, const std::string& language) = 0;
  // Inserts the page unless one exists for its language and slug; true if inserted. Never
  // overwrites a coordinator's edit (used to load the shipped pages at start-up).
  virtual Result<bool> InsertIfAbsent(Tx& tx, const HelpPage& page) = 0;
  // Inserts or replaces the page.
  virtual Status Save(Tx& tx, const HelpPage& page) = 0;
};

}  // namespace vd
