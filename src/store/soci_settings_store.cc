// SettingsStore on SOCI.

#include "store/soci_row.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

using soci::into;
using soci::use;

struct Setting {
  std::string key;
  std::string value;
};
const auto kSettings = soci_row::Table("settings", soci_row::Col("key", &Setting::key),
                                       soci_row::Col("value", &Setting::value));

class SociSettingsStore final : public SettingsStore {
 public:
  Result<std::optional<std::string>> Get(Tx& tx, const std::string& key) override {
    return Soci(tx).Guarded(
        "get setting", [&](soci::session& sql) -> Result<std::optional<std::string>> {
          std::string value;
          sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
          if (!sql.got_data()) return std::nullopt;
          return value;
        });
  }

  Result<std::string> GetOrCreate(Tx& tx, const std::string& key,
                                  const std::string& fresh) override {
    return Soci(tx).Guarded(
        "get or create setting", [&](soci::session& sql) -> Result<std::string> {
          // Several servers may race here; DO NOTHING makes the loser read the winner's value
          // instead of failing.
          sql << "INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING",
              use(key), use(fresh);
          std::string value;
          sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
          if (!sql.got_data()) soci_row::Corrupt("settings.value");
          return value;
        });
  }

  Result<std::vector<std::pair<std::string, std::string>>> List(
      Tx& tx, const std::string& prefix) override {
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    return Soci(tx).Guarded("list settings", [&](soci::session& sql) -> Result<Pairs> {
      // substr, not LIKE: a prefix holding '%' or '_' means itself.
      const long long n = static_cast<long long>(prefix.size());
      Pairs out;
      for (Setting& s : soci_row::Select(sql, kSettings,
                                         " WHERE substr(key, 1, :n) = :p ORDER BY key", n, prefix)) {
        out.emplace_back(std::move(s.key), std::move(s.value));
      }
      return out;
    });
  }

  Status Delete(Tx& tx, const std::string& key) override {
    return Soci(tx).Guarded("delete setting", [&](soci::session& sql) -> Status {
      sql << "DELETE FROM settings WHERE key = :k", use(key);
      return {};
    });
  }
};

}  // namespace

std::unique_ptr<SettingsStore> NewSociSettingsStore() {
  return std::make_unique<SociSettingsStore>();
}

}  // namespace vd
