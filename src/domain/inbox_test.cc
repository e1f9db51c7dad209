// The inbox's domain rules (issue 14, item 6): who sees it and marks spam, and how its pages
// join up. The store's ordering has its own conformance tests on both databases.

#include <gtest/gtest.h>

#include "domain/domain_test_util.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using domain_test::StaffFixture;

class InboxTest : public StaffFixture {
 protected:
  InboxTest() : StaffFixture("inbox") {}

  // n conversations of De Haven, a second apart, straight into the store (the inbox never
  // opens them, so they need no keys).
  void Flood(int n) {
    auto org = store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven");
    ASSERT_TRUE(org.has_value());
    for (int i = 0; i < n; ++i) {
      Conversation c;
      c.public_id = "flood" + std::to_string(i);
      c.receipt_lookup = "lookup" + std::to_string(i);
      c.organisation_id = org->id;
      c.public_key = c.receipt_wrapped_secret_key = c.org_sealed_secret_key = "x";
      c.language = "en";
      c.created_at = c.last_activity_at = clock_.Now() + 1 + i;
      c.expires_at = clock_.Now() + 86400;
      Message m;
      m.ciphertext = "x";
      m.created_at = c.created_at;
      ASSERT_TRUE(store_test::WriteOne(*store_, &ConversationStore::Insert, c, m).has_value());
    }
  }
};

std::vector<std::string> Ids(const InboxListing& page) {
  std::vector<std::string> out;
  for (const InboxEntry& e : page.rows) out.push_back(e.public_id);
  return out;
}

TEST_F(InboxTest, KeyHoldersAndCoordinatorsTriageNobodyElse) {
  Member holder = AddAdvisor("a.holder", "dehaven");
  Member waiting = AddAdvisor("a.waiting", "dehaven");  // no key holder has approved her
  Member coordinator = Add("c.haven", Role::kCoordinator, "dehaven");
  Member shop = AddAdvisor("a.shop", "shop");
  Member analyst = Add("analyst", Role::kAnalyst, "");
  Member admin = Add("admin", Role::kAdmin, "");
  ASSERT_TRUE(conversations_->Start("dehaven", "hello", "en", {}).has_value());
  StaffContext reader = LogIn("a.holder", holder);
  const std::string id = conversations_->Inbox(reader)->rows.at(0).public_id;

  for (auto [name, member] : {std::pair{"a.waiting", &waiting}, std::pair{"analyst", &analyst},
                              std::pair{"admin", &admin}}) {
    StaffContext ctx = LogIn(name, *member);
    EXPECT_EQ(conversations_->Inbox(ctx).error().code, ErrorCode::kForbidden) << name;
    EXPECT_EQ(conversations_->MarkSpam(ctx, id, SpamMark::kSpam).error().code,
              ErrorCode::kForbidden) << name;
  }
  StaffContext other = LogIn("a.shop", shop);
  EXPECT_EQ(conversations_->MarkSpam(other, id, SpamMark::kSpam).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(conversations_->MarkSpam(reader, "no-such-id", SpamMark::kSpam).error().code,
            ErrorCode::kNotFound);

  // The coordinator sees the row and marks it, and still reads nothing.
  StaffContext coord = LogIn("c.haven", coordinator);
  ASSERT_EQ(Ids(*conversations_->Inbox(coord)), std::vector<std::string>{id});
  ASSERT_TRUE(conversations_->MarkSpam(coord, id, SpamMark::kSpam));
  EXPECT_EQ(conversations_->ReadAsAdvisor(coord, id).error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(conversations_->Inbox(reader)->rows.empty());
  EXPECT_EQ(Ids(*conversations_->Inbox(reader, {InboxView::kSpam, std::nullopt, PageDirection::kForward})),
            std::vector<std::string>{id});
  ASSERT_TRUE(conversations_->MarkSpam(reader, id, SpamMark::kNotSpam));
  EXPECT_EQ(Ids(*conversations_->Inbox(reader)), std::vector<std::string>{id});
}

TEST_F(InboxTest, PagesJoinUpAndABackwardStepNeverGivesAShortFirstPage) {
  Member holder = AddAdvisor("a.holder", "dehaven");
  StaffContext reader = LogIn("a.holder", holder);
  Flood(120);
  const auto fwd = PageDirection::kForward, back = PageDirection::kBackward;
  Result<InboxListing> one = conversations_->Inbox(reader);
  ASSERT_TRUE(one.has_value());
  ASSERT_EQ(one->rows.size(), static_cast<size_t>(kInboxPageSize));
  EXPECT_EQ(one->rows.front().public_id, "flood0");  // oldest waiting first
  EXPECT_FALSE(one->previous.has_value());
  ASSERT_EQ(one->next, one->rows.back().key);
  Result<InboxListing> two = conversations_->Inbox(reader, {InboxView::kWaiting, one->next, fwd});
  ASSERT_EQ(two->rows.size(), 50u);
  EXPECT_EQ(two->rows.front().public_id, "flood50");
  EXPECT_EQ(two->previous, two->rows.front().key);
  Result<InboxListing> three = conversations_->Inbox(reader, {InboxView::kWaiting, two->next, fwd});
  ASSERT_EQ(three->rows.size(), 20u);
  EXPECT_EQ(three->rows.back().public_id, "flood119");
  EXPECT_FALSE(three->next.has_value());
  // Back from the last page: the second again, the same rows in the same order.
  Result<InboxListing> again = conversations_->Inbox(reader, {InboxView::kWaiting, three->previous, back});
  EXPECT_EQ(Ids(*again), Ids(*two));
  EXPECT_EQ(again->next, two->next);
  // A backward step that would give fewer than a page (rows went meanwhile) gives page 1.
  Result<InboxListing> near = conversations_->Inbox(reader, {InboxView::kWaiting, one->rows[10].key, back});
  EXPECT_EQ(Ids(*near), Ids(*one));
  EXPECT_FALSE(near->previous.has_value());
}

}  // namespace
}  // namespace vd
