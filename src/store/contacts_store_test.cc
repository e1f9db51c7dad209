// Store conformance for schema 2 (contact records, referrals, cases, directory, audit log):
// the same tests on SQLite and on PostgreSQL.

#include <gtest/gtest.h>

#include "store/contact_store_test_util.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::ReadOne;
using store_test::TestContact;
using store_test::WriteOne;

class ContactStoreTest : public store_test::FreshStoreTest,
                         public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    OpenFreshStore(GetParam(), "cstore", 2);
    if (IsSkipped() || HasFatalFailure()) return;
    org_ = AddOrganisation("dehaven", "De Haven");
    other_org_ = AddOrganisation("shop", "De Haven");
    advisor_ = AddUser("a1", org_);
    colleague_ = AddUser("a2", org_);
    DirectoryEntry e;
    e.slug = "shop";
    e.name = "SHOP";
    e.services = {"sexual_health", "social_work"};
    e.languages = {"nl", "en", "hu"};
    e.contact = "070 000 0000";
    e.opening_hours = "ma-vr 9-17";
    e.updated_at = 5;
    auto id = WriteOne(*store_, &DirectoryStore::Insert, e);
    ASSERT_TRUE(id.has_value()) << id.error().detail;
    shop_ = *id;
  }
  ContactRecord Sample(int64_t advisor, const std::string& month) {
    ContactRecord c = TestContact(org_, advisor, month, "outreach_visit", "window", "hu", "woman",
                                  "18-24", "cee_eu");
    c.fields.many[FieldIndex("topic")] = {"health", "money_debts"};
    c.fields.many[FieldIndex("advice")] = {"information"};
    c.indicators = {"ctl.debt", "doc.withheld"};
    c.fields.one[FieldIndex("assessment")] = "concern";
    c.escalation = "comensha";
    c.escalation_basis = "consent";
    c.escalation_anonymous = "yes";
    c.case_code = "";
    c.sealed_notes = "sealed";
    Referral r;
    r.directory_id = shop_;
    r.service = "sexual_health";
    r.consent = "yes";
    r.kind = "warm";
    r.follow_up = "2027-01-10";
    c.referrals = {r};
    c.created_at = c.updated_at = 1000;
    return c;
  }

  int64_t org_ = 0, other_org_ = 0, advisor_ = 0, colleague_ = 0, shop_ = 0;
};

TEST_P(ContactStoreTest, SchemaHasVersionTwo) {
  auto v = store_->SchemaVersion();
  ASSERT_TRUE(v.has_value());
  EXPECT_GE(*v, 2);
}

TEST_P(ContactStoreTest, ContactRoundTripsWithCodesAndReferrals) {
  auto id = ContactsInTx(*store_).Insert(Sample(advisor_, "2026-12"));
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  auto c = ContactsInTx(*store_).Find(*id);
  ASSERT_TRUE(c.has_value()) << c.error().detail;
  EXPECT_EQ(c->month, "2026-12");
  EXPECT_EQ(c->fields.one[FieldIndex("language")], "hu");
  EXPECT_EQ(c->fields.many[FieldIndex("topic")], (std::vector<std::string>{"health", "money_debts"}));
  EXPECT_EQ(c->indicators, (std::vector<std::string>{"ctl.debt", "doc.withheld"}));
  EXPECT_EQ(c->indicator_version, 1);
  EXPECT_EQ(c->escalation, "comensha");
  EXPECT_EQ(c->escalation_basis, "consent");
  ASSERT_EQ(c->referrals.size(), 1u);
  EXPECT_EQ(c->referrals[0].directory_id, shop_);
  EXPECT_EQ(c->referrals[0].kind, "warm");
  EXPECT_EQ(c->sealed_notes, "sealed");

  // Update replaces the codes and the referrals.
  ContactRecord changed = *c;
  changed.fields.many[FieldIndex("topic")] = {"housing"};
  changed.indicators = {};
  changed.referrals = {};
  changed.escalation = "none";
  changed.escalation_basis = "";
  changed.escalation_anonymous = "";
  changed.updated_at = 2000;
  ASSERT_TRUE(ContactsInTx(*store_).Update(changed));
  auto after = ContactsInTx(*store_).Find(*id);
  EXPECT_EQ(after->fields.many[FieldIndex("topic")], (std::vector<std::string>{"housing"}));
  EXPECT_TRUE(after->indicators.empty());
  EXPECT_TRUE(after->referrals.empty());
  EXPECT_EQ(after->updated_at, 2000);
  changed.id = 999999;
  EXPECT_EQ(ContactsInTx(*store_).Update(changed).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(ContactsInTx(*store_).Find(999999).error().code, ErrorCode::kNotFound);
}

TEST_P(ContactStoreTest, TheSchemaRefusesAReferralWithoutConsentAndAnEscalationWithoutBasis) {
  ContactRecord no_consent = Sample(advisor_, "2026-12");
  no_consent.referrals[0].consent = "no";
  EXPECT_FALSE(ContactsInTx(*store_).Insert(no_consent).has_value());
  ContactRecord no_basis = Sample(advisor_, "2026-12");
  no_basis.escalation_basis = "";
  EXPECT_FALSE(ContactsInTx(*store_).Insert(no_basis).has_value());
  EXPECT_TRUE(ContactsInTx(*store_).List(org_, std::nullopt, 10)->empty());  // nothing half-written
}

// One domain operation is one transaction: a statement failing after others leaves nothing
// of them, and the error reaches the caller whatever the body does with it.
TEST_P(ContactStoreTest, AFailureInsideATransactionLeavesNothingOfIt) {
  ContactRecord no_basis = Sample(advisor_, "2026-12");
  no_basis.escalation_basis = "";  // refused by the schema's CHECK
  no_basis.case_code = "K-AAAA-BBBB";
  Result<int64_t> r = store_->Write("test", [&](Tx& tx) -> Result<int64_t> {
    if (Status s = store_->contacts().InsertCase(tx, "K-AAAA-BBBB", org_, 10); !s) {
      return std::unexpected(s.error());
    }
    return store_->contacts().Insert(tx, no_basis);
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kStorage);
  EXPECT_EQ(ContactsInTx(*store_).FindCaseOrganisation("K-AAAA-BBBB").error().code,
            ErrorCode::kNotFound);
  EXPECT_TRUE(ContactsInTx(*store_).List(org_, std::nullopt, 10)->empty());

  // A body that swallows the failure and claims success is still rolled back.
  Status swallowed = store_->Write("test", [&](Tx& tx) -> Status {
    EXPECT_TRUE(store_->contacts().InsertCase(tx, "K-CCCC-DDDD", org_, 10));
    EXPECT_FALSE(store_->contacts().Insert(tx, no_basis).has_value());
    // The transaction is spoilt: later statements fail too.
    EXPECT_FALSE(store_->contacts().FindCaseOrganisation(tx, "K-CCCC-DDDD").has_value());
    return {};
  });
  EXPECT_FALSE(swallowed.has_value());
  EXPECT_EQ(ContactsInTx(*store_).FindCaseOrganisation("K-CCCC-DDDD").error().code,
            ErrorCode::kNotFound);

  // A body that returns an error after writing rolls back what it wrote.
  Status refused = store_->Write("test", [&](Tx& tx) -> Status {
    EXPECT_TRUE(store_->contacts().InsertCase(tx, "K-EEEE-FFFF", org_, 10));
    return Fail(ErrorCode::kInvalidInput, "error.invalid", "changed its mind");
  });
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(ContactsInTx(*store_).FindCaseOrganisation("K-EEEE-FFFF").error().code,
            ErrorCode::kNotFound);
}

// A taken case code is a conflict the caller can recover from inside the same transaction
// (PostgreSQL would abort the transaction on a raw unique violation).
TEST_P(ContactStoreTest, ACaseCodeClashKeepsTheTransactionUsable) {
  ASSERT_TRUE(ContactsInTx(*store_).InsertCase("K-ABCD-EFGH", org_, 10));
  Result<int64_t> id = store_->Write("test", [&](Tx& tx) -> Result<int64_t> {
    Status clash = store_->contacts().InsertCase(tx, "K-ABCD-EFGH", org_, 11);
    EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
    if (Status s = store_->contacts().InsertCase(tx, "K-WXYZ-2345", org_, 11); !s) {
      return std::unexpected(s.error());
    }
    ContactRecord c = Sample(advisor_, "2026-12");
    c.case_code = "K-WXYZ-2345";
    return store_->contacts().Insert(tx, c);
  });
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  EXPECT_EQ(ContactsInTx(*store_).Find(*id)->case_code, "K-WXYZ-2345");
  EXPECT_EQ(*ContactsInTx(*store_).FindCaseOrganisation("K-WXYZ-2345"), org_);
}

TEST_P(ContactStoreTest, ListsAreScopedAndNewestFirst) {
  const int64_t a = *ContactsInTx(*store_).Insert(Sample(advisor_, "2026-11"));
  const int64_t b = *ContactsInTx(*store_).Insert(Sample(colleague_, "2026-12"));
  auto all = ContactsInTx(*store_).List(org_, std::nullopt, 10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b);
  auto mine = ContactsInTx(*store_).List(org_, advisor_, 10);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, a);
  EXPECT_TRUE(ContactsInTx(*store_).List(other_org_, std::nullopt, 10)->empty());
  EXPECT_EQ((*ContactsInTx(*store_).LastBy(advisor_))->id, a);
  EXPECT_FALSE(ContactsInTx(*store_).LastBy(999999)->has_value());
}

TEST_P(ContactStoreTest, FollowUpsAreDueUntilDone) {
  const int64_t id = *ContactsInTx(*store_).Insert(Sample(advisor_, "2026-12"));
  EXPECT_TRUE(ContactsInTx(*store_).DueFollowUps(advisor_, "2027-01-09")->empty());
  auto due = ContactsInTx(*store_).DueFollowUps(advisor_, "2027-01-10");
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].contact_id, id);
  EXPECT_EQ((*due)[0].organisation_name, "SHOP");
  EXPECT_TRUE(ContactsInTx(*store_).DueFollowUps(colleague_, "2099-01-01")->empty());
  EXPECT_EQ(ContactsInTx(*store_).MarkFollowUpDone((*due)[0].referral_id, colleague_).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(ContactsInTx(*store_).MarkFollowUpDone((*due)[0].referral_id, advisor_));
  EXPECT_TRUE(ContactsInTx(*store_).DueFollowUps(advisor_, "2099-01-01")->empty());
}

TEST_P(ContactStoreTest, CasesAndDirectory) {
  ASSERT_TRUE(ContactsInTx(*store_).InsertCase("K-ABCD-EFGH", org_, 10));
  EXPECT_EQ(ContactsInTx(*store_).InsertCase("K-ABCD-EFGH", org_, 11).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(*ContactsInTx(*store_).FindCaseOrganisation("K-ABCD-EFGH"), org_);
  EXPECT_EQ(ContactsInTx(*store_).FindCaseOrganisation("K-XXXX-XXXX").error().code,
            ErrorCode::kNotFound);

  DirectoryEntry dup;
  dup.slug = "shop";
  dup.name = "x";
  EXPECT_EQ(WriteOne(*store_, &DirectoryStore::Insert, dup).error().code, ErrorCode::kConflict);
  auto e = ReadOne(*store_, &DirectoryStore::Find, shop_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->languages, (std::vector<std::string>{"nl", "en", "hu"}));
  e->active = false;
  e->opening_hours = "di 10-12";
  ASSERT_TRUE(WriteOne(*store_, &DirectoryStore::Update, *e));
  EXPECT_TRUE(ReadOne(*store_, &DirectoryStore::List, true)->empty());
  ASSERT_EQ(ReadOne(*store_, &DirectoryStore::List, false)->size(), 1u);
  EXPECT_EQ(ReadOne(*store_, &DirectoryStore::List, false)->front().opening_hours, "di 10-12");
}

TEST_P(ContactStoreTest, AuditEntriesChainInOrder) {
  auto hash = [](const AuditEntry& e) {
    return "h" + std::to_string(e.id) + "<" + e.prev_hash + ">" + e.action;
  };
  for (int i = 0; i < 3; ++i) {
    AuditEntry e;
    e.at = 100 + i;
    e.user_id = advisor_;
    e.action = "act" + std::to_string(i);
    e.record = std::to_string(i);
    auto added = WriteOne(*store_, &AuditStore::Append, e, hash);
    ASSERT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_EQ(added->id, i + 1);
  }
  auto list = ReadOne(*store_, &AuditStore::List, 0, 10);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].prev_hash, "");
  EXPECT_EQ((*list)[1].prev_hash, (*list)[0].hash);
  EXPECT_EQ((*list)[2].hash, "h3<" + (*list)[1].hash + ">act2");
  EXPECT_EQ(ReadOne(*store_, &AuditStore::List, 2, 10)->size(), 1u);
  EXPECT_EQ(**ReadOne(*store_, &SettingsStore::Get, "audit_head"), "3:" + (*list)[2].hash);
}

INSTANTIATE_TEST_SUITE_P(Backends, ContactStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd
