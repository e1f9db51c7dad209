#pragma once
// Test-only: the ContactStore with each call in a transaction of its own, for tests that
// check stored records call by call (domain operations open their own transactions).

#include "store/contact_store.h"

namespace vd {

class ContactsInTx {
 public:
  explicit ContactsInTx(Database& db) : db_(db) {}

  Result<int64_t> Insert(const ContactRecord& c) {
    return db_.Write("test", [&](Tx& tx) { return db_.contacts().Insert(tx, c); });
  }
  Status Update(const ContactRecord& c) {
    return db_.Write("test", [&](Tx& tx) { return db_.contacts().Update(tx, c); });
  }
  Result<ContactRecord> Find(int64_t id) {
    return db_.Read("test", [&](Tx& tx) { return db_.contacts().Find(tx, id); });
  }
  Result<std::vector<ContactRecord>> List(int64_t org, std::optional<int64_t> advisor,
                                          int limit) {
    return db_.Read("test", [&](Tx& tx) { return db_.contacts().List(tx, org, advisor, limit); });
  }
  Result<std::optional<ContactRecord>> LastBy(int64_t advisor) {
    return db_.Read("test", [&](Tx& tx) { return db_.contacts().LastBy(tx, advisor); });
  }
  Result<std::vector<FollowUp>> DueFollowUps(int64_t advisor, const std::string& until) {
    return db_.Read("test", [&](Tx& tx) { return db_.contacts().DueFollowUps(tx, advisor, until); });
  }
  Status MarkFollowUpDone(int64_t referral, int64_t advisor) {
    return db_.Write("test",
                     [&](Tx& tx) { return db_.contacts().MarkFollowUpDone(tx, referral, advisor); });
  }
  Status InsertCase(const std::string& code, int64_t org, int64_t at) {
    return db_.Write("test", [&](Tx& tx) { return db_.contacts().InsertCase(tx, code, org, at); });
  }
  Result<int64_t> FindCaseOrganisation(const std::string& code) {
    return db_.Read("test", [&](Tx& tx) { return db_.contacts().FindCaseOrganisation(tx, code); });
  }

 private:
  Database& db_;
};

}  // namespace vd
