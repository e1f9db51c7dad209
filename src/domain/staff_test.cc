// Disabling an advisor (DESIGN.md: "removing an advisor deletes their wrap (and rotates the
// key for new conversations)"): the account stops working at once, its grant is gone, new
// conversations are sealed to a key it never held, and the remaining advisors read old and
// new conversations alike.

#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "domain/conversations.h"
#include "domain/domain_test_util.h"
#include "domain/staff.h"

namespace vd {
namespace {

using domain_test::kPassword;

class StaffDisableTest : public domain_test::StaffFixture {
 protected:
  StaffDisableTest() : StaffFixture("staff") {}
  std::string PublicId(int64_t conversation_id) {
    return store_->FindConversationById(conversation_id)->public_id;
  }
};

TEST_F(StaffDisableTest, DisabledAdvisorIsOutAndTheKeyIsRotatedForTheOthers) {
  Member a = Add("a.first", Role::kAdvisor, "dehaven");
  Member b = Add("a.leaving", Role::kAdvisor, "dehaven");
  Member coordinator = Add("c.haven", Role::kCoordinator, "dehaven");
  LogIn("a.first", a);  // grants a.leaving the key
  auto old_conversation = conversations_->Start("dehaven", "before", "en", {});
  ASSERT_TRUE(old_conversation.has_value());
  // What the leaving advisor could have kept: their key pair and their grant.
  auto leaving_login = Login("a.leaving", b);
  ASSERT_TRUE(leaving_login.has_value());
  auto leaving_key = KeyPairFromSecret(leaving_login->user_secret_key.Clone());
  ASSERT_TRUE(leaving_key.has_value());
  const std::string leaving_grant = store_->FindOrgKeyGrant(1, b.id)->sealed_org_secret_key;
  auto leaving_ctx = staff_->Context(b.id, leaving_login->user_secret_key);
  ASSERT_TRUE(leaving_ctx.has_value() && leaving_ctx->org_key.has_value());
  EXPECT_TRUE(conversations_->ReadAsAdvisor(*leaving_ctx, PublicId(old_conversation->conversation_id)));
  Member waiting = Add("a.new", Role::kAdvisor, "dehaven");  // not granted yet
  const std::string old_public = store_->FindOrganisationBySlug("dehaven")->public_key;

  StaffContext coord = LogIn("c.haven", coordinator);
  ASSERT_TRUE(staff_->Disable(coord, b.id)) << "coordinator disables an advisor of her organisation";

  // Out: no login, no context, no grant.
  EXPECT_TRUE(store_->FindUserById(b.id)->disabled);
  EXPECT_EQ(Login("a.leaving", b).error().code, ErrorCode::kUnauthorized);
  EXPECT_FALSE(staff_->Context(b.id, leaving_login->user_secret_key).has_value());
  EXPECT_EQ(store_->FindOrgKeyGrant(1, b.id).error().code, ErrorCode::kNotFound);
  const std::string new_public = store_->FindOrganisationBySlug("dehaven")->public_key;
  EXPECT_NE(new_public, old_public);

  // New conversations are sealed to the new key: the leaving advisor's old key does not open
  // them, though it still opens the old one (which the advisor could read anyway).
  auto new_conversation = conversations_->Start("dehaven", "after", "en", {});
  ASSERT_TRUE(new_conversation.has_value());
  auto kept = OpenOrgKeyGrant(*leaving_key, leaving_grant);
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->size(), 1u);
  const auto sealed_new = store_->FindConversationById(new_conversation->conversation_id)->org_sealed_secret_key;
  const auto sealed_old = store_->FindConversationById(old_conversation->conversation_id)->org_sealed_secret_key;
  EXPECT_FALSE(OpenSealed(kept->front(), sealed_new).has_value());
  EXPECT_TRUE(OpenSealed(kept->front(), sealed_old).has_value());
  StaffContext forged{*store_->FindUserById(a.id), std::move(kept->front()), {}};
  EXPECT_FALSE(conversations_->ReadAsAdvisor(forged, PublicId(new_conversation->conversation_id)));

  // The remaining advisor holds both keys and reads both conversations.
  StaffContext first = LogIn("a.first", a);
  ASSERT_TRUE(first.org_key.has_value());
  EXPECT_EQ(Base64Encode(first.org_key->public_key), new_public);
  ASSERT_EQ(first.older_org_keys.size(), 1u);
  EXPECT_EQ(Base64Encode(first.older_org_keys[0].public_key), old_public);
  auto read_old = conversations_->ReadAsAdvisor(first, PublicId(old_conversation->conversation_id));
  auto read_new = conversations_->ReadAsAdvisor(first, PublicId(new_conversation->conversation_id));
  ASSERT_TRUE(read_old.has_value());
  ASSERT_TRUE(read_new.has_value());
  EXPECT_EQ(read_old->messages[0].text, "before");
  EXPECT_EQ(read_new->messages[0].text, "after");
  // The colleague who was still waiting got the whole history from a.first's login.
  StaffContext later = LogIn("a.new", waiting);
  ASSERT_TRUE(later.org_key.has_value());
  EXPECT_EQ(later.older_org_keys.size(), 1u);
  EXPECT_TRUE(conversations_->ReadAsAdvisor(later, PublicId(old_conversation->conversation_id)));
  EXPECT_TRUE(conversations_->ReadAsAdvisor(later, PublicId(new_conversation->conversation_id)));
  // Disabling again changes nothing.
  EXPECT_TRUE(staff_->Disable(coord, b.id));
  EXPECT_EQ(store_->FindOrganisationBySlug("dehaven")->public_key, new_public);
}

TEST_F(StaffDisableTest, RotatesAgainAndKeepsTheWholeHistory) {
  Member a = Add("a.one", Role::kAdvisor, "dehaven");
  Member b = Add("a.two", Role::kAdvisor, "dehaven");
  Member c = Add("a.three", Role::kAdvisor, "dehaven");
  Member admin = Add("admin", Role::kAdmin, "");
  LogIn("a.one", a);
  std::vector<int64_t> conversations;
  conversations.push_back(conversations_->Start("dehaven", "k1", "en", {})->conversation_id);
  StaffContext root = LogIn("admin", admin);
  ASSERT_TRUE(staff_->Disable(root, b.id));
  conversations.push_back(conversations_->Start("dehaven", "k2", "en", {})->conversation_id);
  ASSERT_TRUE(staff_->Disable(root, c.id));
  conversations.push_back(conversations_->Start("dehaven", "k3", "en", {})->conversation_id);
  StaffContext one = LogIn("a.one", a);
  EXPECT_EQ(one.older_org_keys.size(), 2u);
  for (int64_t id : conversations) EXPECT_TRUE(conversations_->ReadAsAdvisor(one, PublicId(id))) << id;
}

TEST_F(StaffDisableTest, WhenNobodyElseHoldsTheKeyTheWaitingAdvisorsGetTheNewOne) {
  Member only = Add("s.only", Role::kAdvisor, "shop");
  Member fresh = Add("s.fresh", Role::kAdvisor, "shop");  // never granted: s.only never logged in
  Member admin = Add("admin", Role::kAdmin, "");
  StaffContext root = LogIn("admin", admin);
  ASSERT_TRUE(staff_->Disable(root, only.id));
  auto started = conversations_->Start("shop", "hello", "en", {});
  ASSERT_TRUE(started.has_value());
  StaffContext ctx = LogIn("s.fresh", fresh);
  ASSERT_TRUE(ctx.org_key.has_value());
  EXPECT_TRUE(conversations_->ReadAsAdvisor(ctx, PublicId(started->conversation_id)));
}

TEST_F(StaffDisableTest, OnlyAdminsAndTheOrganisationsCoordinatorMayDisable) {
  Member haven = Add("a.haven", Role::kAdvisor, "dehaven");
  Member other = Add("a.haven2", Role::kAdvisor, "dehaven");
  Member shop_coord = Add("c.shop", Role::kCoordinator, "shop");
  Member haven_coord = Add("c.haven", Role::kCoordinator, "dehaven");
  Member analyst = Add("analyst", Role::kAnalyst, "");
  Member admin = Add("admin", Role::kAdmin, "");
  StaffContext shop = LogIn("c.shop", shop_coord);
  StaffContext coord = LogIn("c.haven", haven_coord);
  StaffContext adv = LogIn("a.haven", haven);
  StaffContext ana = LogIn("analyst", analyst);
  StaffContext root = LogIn("admin", admin);
  EXPECT_EQ(staff_->Disable(shop, other.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->Disable(adv, other.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->Disable(ana, other.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->Disable(coord, admin.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->Disable(coord, haven_coord.id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->Disable(root, admin.id).error().code, ErrorCode::kForbidden);  // not oneself
  EXPECT_FALSE(store_->FindUserById(other.id)->disabled);
  EXPECT_TRUE(staff_->Disable(root, analyst.id));  // no key involved
  EXPECT_EQ(Login("analyst", analyst).error().code, ErrorCode::kUnauthorized);
}

}  // namespace
}  // namespace vd
