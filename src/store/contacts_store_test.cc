// Store conformance for schema 2 (contact records, referrals, cases, directory, audit log):
// the same tests on SQLite and on PostgreSQL.

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::TestContact;

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
    auto id = store_->InsertDirectoryEntry(e);
    ASSERT_TRUE(id.has_value()) << id.error().detail;
    shop_ = *id;
  }
  ContactRecord Sample(int64_t advisor, const std::string& month) {
    ContactRecord c = TestContact(org_, advisor, month, "outreach_visit", "window", "hu", "woman",
                                  "18-24", "cee_eu");
    c.topics = {"health", "money_debts"};
    c.advice = {"information"};
    c.indicators = {"ctl.debt", "doc.withheld"};
    c.assessment = "concern";
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
  auto id = store_->InsertContact(Sample(advisor_, "2026-12"));
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  auto c = store_->FindContact(*id);
  ASSERT_TRUE(c.has_value()) << c.error().detail;
  EXPECT_EQ(c->month, "2026-12");
  EXPECT_EQ(c->language, "hu");
  EXPECT_EQ(c->topics, (std::vector<std::string>{"health", "money_debts"}));
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
  changed.topics = {"housing"};
  changed.indicators = {};
  changed.referrals = {};
  changed.escalation = "none";
  changed.escalation_basis = "";
  changed.escalation_anonymous = "";
  changed.updated_at = 2000;
  ASSERT_TRUE(store_->UpdateContact(changed));
  auto after = store_->FindContact(*id);
  EXPECT_EQ(after->topics, (std::vector<std::string>{"housing"}));
  EXPECT_TRUE(after->indicators.empty());
  EXPECT_TRUE(after->referrals.empty());
  EXPECT_EQ(after->updated_at, 2000);
  changed.id = 999999;
  EXPECT_EQ(store_->UpdateContact(changed).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->FindContact(999999).error().code, ErrorCode::kNotFound);
}

TEST_P(ContactStoreTest, TheSchemaRefusesAReferralWithoutConsentAndAnEscalationWithoutBasis) {
  ContactRecord no_consent = Sample(advisor_, "2026-12");
  no_consent.referrals[0].consent = "no";
  EXPECT_FALSE(store_->InsertContact(no_consent).has_value());
  ContactRecord no_basis = Sample(advisor_, "2026-12");
  no_basis.escalation_basis = "";
  EXPECT_FALSE(store_->InsertContact(no_basis).has_value());
  EXPECT_TRUE(store_->ListContacts(org_, std::nullopt, 10)->empty());  // nothing half-written
}

TEST_P(ContactStoreTest, ListsAreScopedAndNewestFirst) {
  const int64_t a = *store_->InsertContact(Sample(advisor_, "2026-11"));
  const int64_t b = *store_->InsertContact(Sample(colleague_, "2026-12"));
  auto all = store_->ListContacts(org_, std::nullopt, 10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, b);
  auto mine = store_->ListContacts(org_, advisor_, 10);
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].id, a);
  EXPECT_TRUE(store_->ListContacts(other_org_, std::nullopt, 10)->empty());
  EXPECT_EQ((*store_->LastContactBy(advisor_))->id, a);
  EXPECT_FALSE(store_->LastContactBy(999999)->has_value());
}

TEST_P(ContactStoreTest, FollowUpsAreDueUntilDone) {
  const int64_t id = *store_->InsertContact(Sample(advisor_, "2026-12"));
  EXPECT_TRUE(store_->DueFollowUps(advisor_, "2027-01-09")->empty());
  auto due = store_->DueFollowUps(advisor_, "2027-01-10");
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].contact_id, id);
  EXPECT_EQ((*due)[0].organisation_name, "SHOP");
  EXPECT_TRUE(store_->DueFollowUps(colleague_, "2099-01-01")->empty());
  EXPECT_EQ(store_->MarkFollowUpDone((*due)[0].referral_id, colleague_).error().code,
            ErrorCode::kNotFound);
  ASSERT_TRUE(store_->MarkFollowUpDone((*due)[0].referral_id, advisor_));
  EXPECT_TRUE(store_->DueFollowUps(advisor_, "2099-01-01")->empty());
}

TEST_P(ContactStoreTest, CasesAndDirectory) {
  ASSERT_TRUE(store_->InsertCase("K-ABCD-EFGH", org_, 10));
  EXPECT_EQ(store_->InsertCase("K-ABCD-EFGH", org_, 11).error().code, ErrorCode::kConflict);
  EXPECT_EQ(*store_->FindCaseOrganisation("K-ABCD-EFGH"), org_);
  EXPECT_EQ(store_->FindCaseOrganisation("K-XXXX-XXXX").error().code, ErrorCode::kNotFound);

  DirectoryEntry dup;
  dup.slug = "shop";
  dup.name = "x";
  EXPECT_EQ(store_->InsertDirectoryEntry(dup).error().code, ErrorCode::kConflict);
  auto e = store_->FindDirectoryEntry(shop_);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->languages, (std::vector<std::string>{"nl", "en", "hu"}));
  e->active = false;
  e->opening_hours = "di 10-12";
  ASSERT_TRUE(store_->UpdateDirectoryEntry(*e));
  EXPECT_TRUE(store_->ListDirectory(true)->empty());
  ASSERT_EQ(store_->ListDirectory(false)->size(), 1u);
  EXPECT_EQ(store_->ListDirectory(false)->front().opening_hours, "di 10-12");
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
    auto added = store_->AppendAudit(e, hash);
    ASSERT_TRUE(added.has_value()) << added.error().detail;
    EXPECT_EQ(added->id, i + 1);
  }
  auto list = store_->ListAudit(0, 10);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].prev_hash, "");
  EXPECT_EQ((*list)[1].prev_hash, (*list)[0].hash);
  EXPECT_EQ((*list)[2].hash, "h3<" + (*list)[1].hash + ">act2");
  EXPECT_EQ(store_->ListAudit(2, 10)->size(), 1u);
  EXPECT_EQ(**store_->GetSetting("audit_head"), "3:" + (*list)[2].hash);
}

INSTANTIATE_TEST_SUITE_P(Backends, ContactStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd
