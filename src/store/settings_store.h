#pragma once
// SettingsStore: site-wide settings ("site_salt", "csrf_key", stored indicator lists, the
// audit head), key -> text. Every method works inside the caller's transaction
// (Database::Read/Write); the same conformance tests run on SQLite and PostgreSQL. Failures:
// kStorage (which spoils the transaction).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace vd {

class SettingsStore {
 public:
  virtual ~SettingsStore() = default;

  virtual Result<std::optional<std::string>> Get(Tx& tx, const std::string& key) = 0;
  // Inserts `fresh` if the key is absent and returns whatever is stored afterwards (first
  // writer wins across servers: the loser reads the winner's value instead of failing).
  virtual Result<std::string> GetOrCreate(Tx& tx, const std::string& key,
                                          const std::string& fresh) = 0;
  // Every (key, value) whose key starts with `prefix`, by key; and a key's removal (no
  // error if absent). Together with GetOrCreate: a set of names that servers add to without
  // a read-modify-write race (e.g. the receipt KDF generations, "receipt_kdf:...").
  virtual Result<std::vector<std::pair<std::string, std::string>>> List(
      Tx& tx, const std::string& prefix) = 0;
  virtual Status Delete(Tx& tx, const std::string& key) = 0;
};

}  // namespace vd
