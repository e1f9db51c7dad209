// Disabling an advisor (DESIGN.md: "removing an advisor deletes their wrap (and rotates the
// key for new conversations)"): the account stops working at once, its grant is gone, new
// conversations are sealed to a key it never held, and the remaining advisors read old and
// new conversations alike.

#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "domain/conversations.h"
#include "domain/domain_test_util.h"
#include "domain/staff.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using domain_test::kPassword;

class StaffDisableTest : public domain_test::StaffFixture {
 protected:
  StaffDisableTest() : StaffFixture("staff") {}
  std::string PublicId(int64_t conversation_id) {
    return store_test::ReadOne(*store_, &ConversationStore::FindById, conversation_id)->public_id;
  }
};

TEST_F(StaffDisableTest, DisabledAdvisorIsOutAndTheKeyIsRotatedForTheOthers) {
  Member a = Add("a.first", Role::kAdvisor, "dehaven");
  Member b = Add("a.leaving", Role::kAdvisor, "dehaven");
  Member coordinator = Add("c.haven", Role::kCoordinator, "dehaven");
  Approve("a.first", a, b);  // a.first gives a.leaving the key
  auto old_conversation = conversations_->Start("dehaven", "before", "en", {});
  ASSERT_TRUE(old_conversation.has_value());
  // What the leaving advisor could have kept: their key pair and their grant.
  auto leaving_login = Login("a.leaving", b);
  ASSERT_TRUE(leaving_login.has_value());
  auto leaving_key = KeyPairFromSecret(leaving_login->user_secret_key.Clone());
  ASSERT_TRUE(leaving_key.has_value());
  const std::string leaving_grant = store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, b.id)->sealed_org_secret_key;
  auto leaving_ctx = staff_->Context(b.id, leaving_login->user_secret_key);
  ASSERT_TRUE(leaving_ctx.has_value() && leaving_ctx->org_key.has_value());
  EXPECT_TRUE(conversations_->ReadAsAdvisor(*leaving_ctx, PublicId(old_conversation->conversation_id)));
  Member waiting = Add("a.new", Role::kAdvisor, "dehaven");  // not granted yet
  const std::string old_public = store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven")->public_key;

  StaffContext coord = LogIn("c.haven", coordinator);
  ASSERT_TRUE(staff_->Disable(coord, b.id)) << "coordinator disables an advisor of her organisation";

  // Out: no login, no context, no grant.
  EXPECT_TRUE(store_test::ReadOne(*store_, &StaffStore::FindUserById, b.id)->disabled);
  EXPECT_EQ(Login("a.leaving", b).error().code, ErrorCode::kUnauthorized);
  EXPECT_FALSE(staff_->Context(b.id, leaving_login->user_secret_key).has_value());
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, b.id).error().code, ErrorCode::kNotFound);
  const std::string new_public = store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven")->public_key;
  EXPECT_NE(new_public, old_public);

  // New conversations are sealed to the new key: the leaving advisor's old key does not open
  // them, though it still opens the old one (which the advisor could read anyway).
  auto new_conversation = conversations_->Start("dehaven", "after", "en", {});
  ASSERT_TRUE(new_conversation.has_value());
  auto kept = OpenOrgKeyGrant(*leaving_key, leaving_grant);
  ASSERT_TRUE(kept.has_value());
  ASSERT_EQ(kept->size(), 1u);
  const auto sealed_new = store_test::ReadOne(*store_, &ConversationStore::FindById, new_conversation->conversation_id)->org_sealed_secret_key;
  const auto sealed_old = store_test::ReadOne(*store_, &ConversationStore::FindById, old_conversation->conversation_id)->org_sealed_secret_key;
  EXPECT_FALSE(OpenSealed(kept->front(), sealed_new).has_value());
  EXPECT_TRUE(OpenSealed(kept->front(), sealed_old).has_value());
  StaffContext forged{*store_test::ReadOne(*store_, &StaffStore::FindUserById, a.id), std::move(kept->front()), {}};
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
  // The colleague who was still waiting got nothing from the rotation, and gets the whole
  // history when a.first approves her.
  EXPECT_FALSE(LogIn("a.new", waiting).org_key.has_value());
  Approve("a.first", a, waiting);
  StaffContext later = LogIn("a.new", waiting);
  ASSERT_TRUE(later.org_key.has_value());
  EXPECT_EQ(later.older_org_keys.size(), 1u);
  EXPECT_TRUE(conversations_->ReadAsAdvisor(later, PublicId(old_conversation->conversation_id)));
  EXPECT_TRUE(conversations_->ReadAsAdvisor(later, PublicId(new_conversation->conversation_id)));
  // Disabling again changes nothing.
  EXPECT_TRUE(staff_->Disable(coord, b.id));
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven")->public_key, new_public);
}

TEST_F(StaffDisableTest, RotatesAgainAndKeepsTheWholeHistory) {
  Member a = Add("a.one", Role::kAdvisor, "dehaven");
  Member b = Add("a.two", Role::kAdvisor, "dehaven");
  Member c = Add("a.three", Role::kAdvisor, "dehaven");
  Member admin = Add("admin", Role::kAdmin, "");
  Approve("a.one", a, b);
  Approve("a.one", a, c);
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

TEST_F(StaffDisableTest, WhenNobodyElseHoldsTheKeyTheOrganisationHasNoneAndWaitingGetNothing) {
  Member only = Add("s.only", Role::kAdvisor, "shop");
  Member fresh = Add("s.fresh", Role::kAdvisor, "shop");  // never approved
  Member admin = Add("admin", Role::kAdmin, "");
  auto before = conversations_->Start("shop", "before", "en", {});
  ASSERT_TRUE(before.has_value());
  StaffContext root = LogIn("admin", admin);
  ASSERT_TRUE(staff_->Disable(root, only.id));
  // Nobody holds a key: no new key is handed to the waiting account, and workers cannot
  // choose the organisation (nobody could read them).
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "shop")->public_key, "");
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 2, fresh.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(conversations_->Start("shop", "hello", "en", {}).error().code, ErrorCode::kInvalidInput);
  StaffContext waiting = LogIn("s.fresh", fresh);
  EXPECT_FALSE(waiting.org_key.has_value());
  EXPECT_FALSE(conversations_->ReadAsAdvisor(waiting, PublicId(before->conversation_id)));
  // The organisation's next advisor starts a new key; the old conversation stays closed.
  Member next = Add("s.next", Role::kAdvisor, "shop");
  StaffContext restart = LogIn("s.next", next);
  ASSERT_TRUE(restart.org_key.has_value());
  EXPECT_TRUE(restart.older_org_keys.empty());
  EXPECT_FALSE(conversations_->ReadAsAdvisor(restart, PublicId(before->conversation_id)));
  auto after = conversations_->Start("shop", "after", "en", {});
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(conversations_->ReadAsAdvisor(restart, PublicId(after->conversation_id)));
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
  EXPECT_FALSE(store_test::ReadOne(*store_, &StaffStore::FindUserById, other.id)->disabled);
  EXPECT_TRUE(staff_->Disable(root, analyst.id));  // no key involved
  EXPECT_EQ(Login("analyst", analyst).error().code, ErrorCode::kUnauthorized);
}

TEST_F(StaffDisableTest, OnlyAnAdminAddsAndRenamesOrganisationsWithSoundNames) {
  Member coordinator = Add("c.haven", Role::kCoordinator, "dehaven");
  Member advisor = Add("a.haven", Role::kAdvisor, "dehaven");
  Member admin = Add("admin", Role::kAdmin, "");
  StaffContext coord = LogIn("c.haven", coordinator);
  StaffContext adv = LogIn("a.haven", advisor);
  StaffContext root = LogIn("admin", admin);
  EXPECT_EQ(staff_->AddOrganisation(coord, "mine", "Mine").error().code, ErrorCode::kForbidden);
  EXPECT_EQ(staff_->AddOrganisation(adv, "mine", "Mine").error().code, ErrorCode::kForbidden);
  const int64_t haven = *coord.user.organisation_id;
  EXPECT_EQ(staff_->RenameOrganisation(coord, haven, "Mine", {}).error().code, ErrorCode::kForbidden);

  for (const char* slug : {"x", "With Space", "UPPER", "ümlaut", ""}) {
    EXPECT_EQ(staff_->AddOrganisation(root, slug, "Fine").error().user_message, "staff_error.org_slug")
        << slug;
  }
  for (std::string name : {std::string(), std::string(201, 'a'), std::string("two\nlines"),
                           std::string(" padded"), std::string("bad \xff utf-8")}) {
    EXPECT_EQ(staff_->AddOrganisation(root, "fine", name).error().user_message, "staff_error.org_name");
  }
  Result<int64_t> added = staff_->AddOrganisation(root, "red-light", "Red Light");
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ(staff_->AddOrganisation(root, "red-light", "Again").error().code, ErrorCode::kConflict);
  // A bad language code, a language twice, a bad name: nothing changes.
  EXPECT_FALSE(staff_->RenameOrganisation(root, *added, "Red", {{0, "xx-YY", "n"}}));
  EXPECT_FALSE(staff_->RenameOrganisation(root, *added, "Red", {{0, "ro", "a"}, {0, "ro", "b"}}));
  EXPECT_FALSE(staff_->RenameOrganisation(root, *added, "Red", {{0, "ro", "line\nbreak"}}));
  EXPECT_TRUE(staff_->OrganisationNames()->empty());
  EXPECT_EQ(staff_->FindOrganisation(*added)->name, "Red Light");
  ASSERT_TRUE(staff_->RenameOrganisation(root, *added, "Red", {{0, "pt_BR", "Luz"}, {0, "ro", ""}}));
  std::vector<OrganisationName> names = staff_->OrganisationNames().value();
  ASSERT_EQ(names.size(), 1u);  // the empty Romanian name means "none"
  EXPECT_EQ(names[0].organisation_id, *added);
  EXPECT_EQ(staff_->OrganisationNamesIn("pt_BR")->at("red-light"), "Luz");
  EXPECT_TRUE(staff_->OrganisationNamesIn("ro")->empty());
}

// Issue 14: an admin or a coordinator creates an account; it reads nothing until a key
// holder of the same organisation approves it by name, and nobody but such an advisor can.
class StaffGrantTest : public domain_test::StaffFixture {
 protected:
  StaffGrantTest() : StaffFixture("grant") {}
};

TEST_F(StaffGrantTest, OnlyAKeyHolderOfTheOrganisationApprovesAndOnlyOnce) {
  Member holder = Add("a.holder", Role::kAdvisor, "dehaven");
  Member admin = Add("admin", Role::kAdmin, "");
  Member coordinator = Add("c.haven", Role::kCoordinator, "dehaven");
  Member shop = Add("a.shop", Role::kAdvisor, "shop");
  StaffContext root = LogIn("admin", admin);
  NewUser request{"mallory", kPassword, Role::kAdvisor, "dehaven", true, root.user.id};
  auto created = staff_->CreateUser(request);
  ASSERT_TRUE(created.has_value());
  Member mallory{created->id, *TotpSecretFromBase32(created->totp_base32)};
  ASSERT_TRUE(conversations_->Start("dehaven", "hello", "en", {}).has_value());

  // Key holders logging in grant nothing; the new account reads nothing.
  LogIn("a.holder", holder);
  StaffContext waiting = LogIn("mallory", mallory);
  EXPECT_FALSE(waiting.org_key.has_value());
  EXPECT_EQ(conversations_->Inbox(waiting).error().code, ErrorCode::kForbidden);

  // Nobody but a key holder of dehaven can approve: not the admin, not the coordinator, not
  // an advisor of another organisation, not the waiting account itself.
  StaffContext coord = LogIn("c.haven", coordinator);
  StaffContext other = LogIn("a.shop", shop);
  for (const StaffContext* actor : {&root, &coord, &waiting}) {
    EXPECT_EQ(staff_->ApproveGrant(*actor, mallory.id).error().code, ErrorCode::kForbidden);
  }
  EXPECT_EQ(staff_->ApproveGrant(other, mallory.id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(staff_->Grants(root)->key_holder);
  EXPECT_FALSE(staff_->Grants(coord)->key_holder);
  EXPECT_TRUE(staff_->Grants(other)->waiting.empty());  // shop's holder sees no dehaven account
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, mallory.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, coordinator.id).error().code, ErrorCode::kNotFound);

  // The key holder sees who waits, who created the account and when; she approves by id.
  StaffContext approver = LogIn("a.holder", holder);
  auto news = staff_->Grants(approver);
  ASSERT_TRUE(news.has_value());
  EXPECT_TRUE(news->key_holder);
  ASSERT_EQ(news->waiting.size(), 1u);
  EXPECT_EQ(news->waiting[0].username, "mallory");
  EXPECT_EQ(news->waiting[0].created_by, "admin");
  EXPECT_EQ(news->waiting[0].created_at, store_test::ReadOne(*store_, &StaffStore::FindUserById, mallory.id)->created_at);
  EXPECT_EQ(staff_->ApproveGrant(approver, coordinator.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(staff_->ApproveGrant(approver, shop.id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(staff_->ApproveGrant(approver, 999999).error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(staff_->ApproveGrant(approver, mallory.id));
  EXPECT_EQ(staff_->ApproveGrant(approver, mallory.id).error().code, ErrorCode::kConflict);
  auto grant = store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, mallory.id);
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->granted_by, std::optional<int64_t>(holder.id));
  EXPECT_EQ(grant->granted_at, clock_.Now());
  StaffContext reader = LogIn("mallory", mallory);
  ASSERT_TRUE(reader.org_key.has_value());
  EXPECT_EQ(conversations_->Inbox(reader)->rows.size(), 1u);
  EXPECT_TRUE(staff_->Grants(approver)->waiting.empty());
}

TEST_F(StaffGrantTest, KeyHoldersSeeWhatWasGrantedSinceTheirLastVisit) {
  Member one = Add("a.one", Role::kAdvisor, "dehaven");
  Member two = Add("a.two", Role::kAdvisor, "dehaven");
  Member three = Add("a.three", Role::kAdvisor, "dehaven");
  Approve("a.one", one, two);
  // A first visit has no "last visit" to compare with: nothing is shown.
  StaffContext second = LogIn("a.two", two);
  auto first_visit = staff_->Grants(second);
  ASSERT_TRUE(first_visit.has_value());
  EXPECT_TRUE(first_visit->since_last_visit.empty());
  Approve("a.one", one, three);
  StaffContext next = LogIn("a.two", two);  // the grant of a.three came after her last visit
  auto news = staff_->Grants(next);
  ASSERT_EQ(news->since_last_visit.size(), 1u);
  EXPECT_EQ(news->since_last_visit[0].username, "a.three");
  EXPECT_EQ(news->since_last_visit[0].granted_by, "a.one");
  StaffContext again = LogIn("a.two", two);  // seen: not shown at the visit after
  EXPECT_TRUE(staff_->Grants(again)->since_last_visit.empty());
}

TEST_F(StaffGrantTest, AnApprovalWithAKeyThatWasRotatedMeanwhileIsRefused) {
  Member a = Add("a.one", Role::kAdvisor, "dehaven");
  Member b = Add("a.two", Role::kAdvisor, "dehaven");
  Member c = Add("a.three", Role::kAdvisor, "dehaven");
  Member admin = Add("admin", Role::kAdmin, "");
  Approve("a.one", a, b);
  StaffContext stale = LogIn("a.one", a);  // holds the key of before the rotation
  ASSERT_TRUE(staff_->Disable(LogIn("admin", admin), b.id));
  EXPECT_EQ(staff_->ApproveGrant(stale, c.id).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, c.id).error().code, ErrorCode::kNotFound);
  Approve("a.one", a, c);  // with a fresh context it works, and holds the whole history
  StaffContext three = LogIn("a.three", c);
  ASSERT_TRUE(three.org_key.has_value());
  EXPECT_EQ(three.older_org_keys.size(), 1u);
}

TEST_F(StaffGrantTest, AChangeOfRoleOrOrganisationRemovesTheKeysAndRotatesTheOld) {
  Member stays = Add("a.stays", Role::kAdvisor, "dehaven");
  Member moves = Add("a.moves", Role::kAdvisor, "dehaven");
  Member shop = Add("a.shop", Role::kAdvisor, "shop");
  Member admin = Add("admin", Role::kAdmin, "");
  Approve("a.stays", stays, moves);
  auto before = conversations_->Start("dehaven", "before", "en", {});
  ASSERT_TRUE(before.has_value());
  const std::string old_public = store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven")->public_key;
  StaffContext root = LogIn("admin", admin);
  StaffContext coordinator = LogIn("a.stays", stays);
  EXPECT_EQ(staff_->ChangeRole(coordinator, moves.id, Role::kAdvisor, "shop").error().code,
            ErrorCode::kForbidden);  // admins only
  EXPECT_EQ(staff_->ChangeRole(root, root.user.id, Role::kAnalyst, "").error().code,
            ErrorCode::kForbidden);  // not oneself
  EXPECT_EQ(staff_->ChangeRole(root, moves.id, Role::kAdvisor, "nowhere").error().code,
            ErrorCode::kInvalidInput);

  // To another organisation: no key of either, dehaven rotated, she waits in shop.
  ASSERT_TRUE(staff_->ChangeRole(root, moves.id, Role::kAdvisor, "shop"));
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindUserById, moves.id)->organisation_id, store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "shop")->id);
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindOrgKeyGrant, 1, moves.id).error().code, ErrorCode::kNotFound);
  EXPECT_NE(store_test::ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "dehaven")->public_key, old_public);
  StaffContext moved = LogIn("a.moves", moves);
  EXPECT_FALSE(moved.org_key.has_value());
  auto after = conversations_->Start("dehaven", "after", "en", {});
  StaffContext remaining = LogIn("a.stays", stays);
  EXPECT_TRUE(conversations_->ReadAsAdvisor(remaining, store_test::ReadOne(*store_, &ConversationStore::FindById, after->conversation_id)->public_id));
  auto news = staff_->Grants(LogIn("a.shop", shop));
  ASSERT_EQ(news->waiting.size(), 1u);
  EXPECT_EQ(news->waiting[0].username, "a.moves");

  // To coordinator: coordinators never hold keys, and none is granted to her.
  ASSERT_TRUE(staff_->ChangeRole(root, moves.id, Role::kCoordinator, "shop"));
  EXPECT_TRUE(staff_->Grants(LogIn("a.shop", shop))->waiting.empty());
  EXPECT_EQ(staff_->ApproveGrant(LogIn("a.shop", shop), moves.id).error().code, ErrorCode::kNotFound);
}

TEST_F(StaffGrantTest, TheFirstLoginIsReportedOnceAndTheEnrolmentToo) {
  NewUser request{"a.new", kPassword, Role::kAdvisor, "dehaven", false, std::nullopt};
  auto created = staff_->CreateUser(request);
  ASSERT_TRUE(created.has_value());
  auto login = staff_->Login("a.new", kPassword, "");
  ASSERT_TRUE(login.has_value());
  ASSERT_EQ(login->stage, LoginStage::kNeedsTotpEnrolment);
  SecretBytes totp = NewTotpSecret();
  auto enrolled = staff_->CompleteEnrolment(login->user.id, login->wrap_key, totp,
                                            TotpCode(totp, clock_.Now()));
  ASSERT_TRUE(enrolled.has_value());
  EXPECT_TRUE(enrolled->first_login);
  clock_.Advance(30);
  auto again = staff_->Login("a.new", kPassword, TotpCode(totp, clock_.Now()));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->first_login);
  EXPECT_EQ(store_test::ReadOne(*store_, &StaffStore::FindUserById, created->id)->previous_login_at, clock_.Now() - 30);
}

}  // namespace
}  // namespace vd
