// DirectoryStore on SOCI, over the schema-2 SQL of soci_contacts.cc.

#include "store/soci_contacts.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

class SociDirectoryStore final : public DirectoryStore {
 public:
  Result<int64_t> Insert(Tx& tx, const DirectoryEntry& e) override {
    return Soci(tx).Guarded("insert directory entry", [&](soci::session& sql) -> Result<int64_t> {
      return sql2::InsertDirectoryEntry(sql, e);
    });
  }
  Status Update(Tx& tx, const DirectoryEntry& e) override {
    return Soci(tx).Guarded("update directory entry", [&](soci::session& sql) -> Status {
      if (!sql2::UpdateDirectoryEntry(sql, e)) return std::unexpected(NotFoundError("directory"));
      return {};
    });
  }
  Result<std::vector<DirectoryEntry>> List(Tx& tx, bool active_only) override {
    return Soci(tx).Guarded("list directory",
                            [&](soci::session& sql) -> Result<std::vector<DirectoryEntry>> {
                              return sql2::ListDirectory(sql, active_only);
                            });
  }
  Result<DirectoryEntry> Find(Tx& tx, int64_t id) override {
    return Soci(tx).Guarded("find directory entry",
                            [&](soci::session& sql) -> Result<DirectoryEntry> {
                              auto e = sql2::FindDirectoryEntry(sql, id);
                              if (!e) return std::unexpected(NotFoundError("directory"));
                              return std::move(*e);
                            });
  }
};

}  // namespace

std::unique_ptr<DirectoryStore> NewSociDirectoryStore() {
  return std::make_unique<SociDirectoryStore>();
}

}  // namespace vd
