#include "store/contact_store.h"
#include "store/soci_contacts.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

Error NotFound(const char* what) {
  return Error{ErrorCode::kNotFound, "error.not_found", std::string(what) + ": not found"};
}

class SociContactStore final : public ContactStore {
 public:
  Result<int64_t> Insert(Tx& tx, const ContactRecord& c) override {
    return Soci(tx).Guarded("insert contact", [&](soci::session& sql) -> Result<int64_t> {
      return sql2::InsertContact(sql, c);
    });
  }

  Status Update(Tx& tx, const ContactRecord& c) override {
    return Soci(tx).Guarded("update contact", [&](soci::session& sql) -> Status {
      if (!sql2::UpdateContact(sql, c)) return std::unexpected(NotFound("contact"));
      return {};
    });
  }

  Result<ContactRecord> Find(Tx& tx, int64_t id) override {
    return Soci(tx).Guarded("find contact", [&](soci::session& sql) -> Result<ContactRecord> {
      auto c = sql2::FindContact(sql, id);
      if (!c) return std::unexpected(NotFound("contact"));
      return std::move(*c);
    });
  }

  Result<std::vector<ContactRecord>> List(Tx& tx, int64_t organisation_id,
                                          std::optional<int64_t> advisor_user_id,
                                          int limit) override {
    return Soci(tx).Guarded("list contacts",
                            [&](soci::session& sql) -> Result<std::vector<ContactRecord>> {
                              std::optional<long long> advisor;
                              if (advisor_user_id) advisor = *advisor_user_id;
                              return sql2::ListContacts(sql, organisation_id, advisor, limit);
                            });
  }

  Result<std::optional<ContactRecord>> LastBy(Tx& tx, int64_t advisor_user_id) override {
    return Soci(tx).Guarded("last contact",
                            [&](soci::session& sql) -> Result<std::optional<ContactRecord>> {
                              return sql2::LastContactBy(sql, advisor_user_id);
                            });
  }

  Result<std::vector<FollowUp>> DueFollowUps(Tx& tx, int64_t advisor_user_id,
                                             const std::string& until) override {
    return Soci(tx).Guarded("due follow-ups",
                            [&](soci::session& sql) -> Result<std::vector<FollowUp>> {
                              return sql2::DueFollowUps(sql, advisor_user_id, until);
                            });
  }

  Status MarkFollowUpDone(Tx& tx, int64_t referral_id, int64_t advisor_user_id) override {
    return Soci(tx).Guarded("follow-up done", [&](soci::session& sql) -> Status {
      if (!sql2::MarkFollowUpDone(sql, referral_id, advisor_user_id)) {
        return std::unexpected(NotFound("follow-up"));
      }
      return {};
    });
  }

  Status InsertCase(Tx& tx, const std::string& code, int64_t organisation_id,
                    int64_t at) override {
    return Soci(tx).Guarded("insert case", [&](soci::session& sql) -> Status {
      // A clash must not spoil the transaction (PostgreSQL aborts it on a unique
      // violation): the caller draws another code and tries again in the same one.
      if (!sql2::InsertCase(sql, code, organisation_id, at)) {
        return Fail(ErrorCode::kConflict, "error.conflict", "insert case: code taken");
      }
      return {};
    });
  }

  Result<int64_t> FindCaseOrganisation(Tx& tx, const std::string& code) override {
    return Soci(tx).Guarded("find case", [&](soci::session& sql) -> Result<int64_t> {
      auto org = sql2::FindCaseOrganisation(sql, code);
      if (!org) return std::unexpected(NotFound("case"));
      return static_cast<int64_t>(*org);
    });
  }
};

}  // namespace

std::unique_ptr<ContactStore> NewSociContactStore() {
  return std::make_unique<SociContactStore>();
}

}  // namespace vd
