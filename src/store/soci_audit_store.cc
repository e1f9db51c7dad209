// AuditStore on SOCI, over the schema-2 SQL of soci_contacts.cc.

#include "store/soci_contacts.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

class SociAuditStore final : public AuditStore {
 public:
  explicit SociAuditStore(Dialect dialect) : dialect_(dialect) {}

  Result<AuditEntry> Append(Tx& tx, const AuditEntry& e,
                            const std::function<std::string(const AuditEntry&)>& hash_of) override {
    return Soci(tx).Guarded("append audit", [&](soci::session& sql) -> Result<AuditEntry> {
      return sql2::AppendAudit(sql, dialect_, e, hash_of);
    });
  }
  Result<std::vector<AuditEntry>> List(Tx& tx, int64_t after_id, int limit) override {
    return Soci(tx).Guarded("list audit",
                            [&](soci::session& sql) -> Result<std::vector<AuditEntry>> {
                              return sql2::ListAudit(sql, after_id, limit);
                            });
  }

 private:
  const Dialect dialect_;
};

}  // namespace

std::unique_ptr<AuditStore> NewSociAuditStore(Dialect dialect) {
  return std::make_unique<SociAuditStore>(dialect);
}

}  // namespace vd
