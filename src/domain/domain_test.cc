#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "domain/conversations.h"
#include "domain/domain_test_util.h"
#include "domain/staff.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using domain_test::kPassword;

class DomainTest : public domain_test::StaffFixture {
 protected:
  DomainTest() : StaffFixture("domain") {}
  using Advisor = Member;
};

TEST_F(DomainTest, ReceiptOpensOnlyItsOwnConversation) {
  AddAdvisor("a.haven", "dehaven");
  auto started = conversations_->Start("dehaven", "  hello  ", "en", {});
  ASSERT_TRUE(started.has_value()) << started.error().detail;
  EXPECT_EQ(started->receipt.size(), 16u);
  auto opened = conversations_->Open(GroupReceipt(started->receipt));
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->conversation_id, started->conversation_id);
  auto view = conversations_->ReadAsWorker(opened->conversation_id, opened->secret_key);
  ASSERT_TRUE(view.has_value());
  ASSERT_EQ(view->messages.size(), 1u);
  EXPECT_EQ(view->messages[0].text, "hello");

  std::string wrong = started->receipt;
  wrong[15] = wrong[15] == '0' ? '1' : '0';
  EXPECT_EQ(conversations_->Open(wrong).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(conversations_->Open(started->receipt.substr(0, 8)).error().code, ErrorCode::kInvalidInput);
}

TEST_F(DomainTest, MessagesAreValidated) {
  AddAdvisor("a.haven", "dehaven");
  EXPECT_EQ(conversations_->Start("dehaven", "   ", "en", {}).error().user_message, "error.message_empty");
  EXPECT_EQ(conversations_->Start("dehaven", std::string(101, 'x'), "en", {}).error().code, ErrorCode::kTooLarge);
  EXPECT_TRUE(conversations_->Start("dehaven", std::string(100, 'x'), "en", {}).has_value());
  EXPECT_EQ(conversations_->Start("dehaven", "bad \xC0\xAF", "en", {}).error().user_message, "error.bad_encoding");
  EXPECT_EQ(conversations_->Start("dehaven", std::string("nul\0x", 5), "en", {}).error().user_message,
            "error.bad_encoding");
  EXPECT_EQ(conversations_->Start("nowhere", "hi", "en", {}).error().user_message, "error.choose_organisation");
  EXPECT_EQ(conversations_->Start("shop", "hi", "en", {}).error().user_message,
            "error.organisation_unavailable");  // SHOP has no advisor, so no key yet
  EXPECT_EQ(conversations_->Start("dehaven", "hi", "en", {"en", "17", ""}).error().code, ErrorCode::kInvalidInput);
  EXPECT_TRUE(conversations_->Start("dehaven", "hi", "en", {"unsaid", "unsaid", "club"}).has_value());
}

TEST_F(DomainTest, OnlyAdvisorsOfTheChosenOrganisationRead) {
  Advisor haven = AddAdvisor("a.haven", "dehaven");
  Advisor shop = AddAdvisor("a.shop", "shop");
  auto started = conversations_->Start("dehaven", "for de haven", "en", {});
  ASSERT_TRUE(started.has_value());
  StaffContext haven_ctx = LogIn("a.haven", haven.totp);
  StaffContext shop_ctx = LogIn("a.shop", shop.totp);
  auto inbox = conversations_->Inbox(haven_ctx);
  ASSERT_TRUE(inbox.has_value());
  ASSERT_EQ(inbox->rows.size(), 1u);
  const std::string id = inbox->rows[0].public_id;
  EXPECT_TRUE(conversations_->ReadAsAdvisor(haven_ctx, id).has_value());
  EXPECT_EQ(conversations_->ReadAsAdvisor(shop_ctx, id).error().code, ErrorCode::kForbidden);
  EXPECT_EQ(conversations_->AdvisorReply(shop_ctx, id, "x").error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(conversations_->Inbox(shop_ctx)->rows.empty());
  ASSERT_TRUE(conversations_->AdvisorReply(haven_ctx, id, "answer"));
  auto view = conversations_->ReadAsWorker(started->conversation_id, started->secret_key);
  ASSERT_EQ(view->messages.size(), 2u);
  EXPECT_EQ(view->messages[1].author, Author::kAdvisor);
  EXPECT_EQ(view->meta.status, ConversationStatus::kAnswered);
}

TEST_F(DomainTest, ANewAdvisorGetsTheKeyOnlyWhenAKeyHolderApproves) {
  Advisor first = AddAdvisor("a.first", "dehaven");
  Advisor second = AddAdvisor("a.second", "dehaven");
  ASSERT_TRUE(conversations_->Start("dehaven", "hello", "en", {}).has_value());
  clock_.Advance(30);
  auto login = staff_->Login("a.second", kPassword, TotpCode(second.totp, clock_.Now()));
  ASSERT_TRUE(login.has_value());
  auto ctx = staff_->Context(login->user.id, login->user_secret_key);
  ASSERT_TRUE(ctx.has_value());
  EXPECT_FALSE(ctx->org_key.has_value());  // nobody has granted it yet
  LogIn("a.first", first.totp);            // a key holder's login grants nothing
  EXPECT_FALSE(LogIn("a.second", second.totp).org_key.has_value());
  Approve("a.first", first, second);
  StaffContext later = LogIn("a.second", second.totp);
  ASSERT_TRUE(later.org_key.has_value());
  auto inbox = conversations_->Inbox(later);
  ASSERT_EQ(inbox->rows.size(), 1u);
  EXPECT_TRUE(conversations_->ReadAsAdvisor(later, inbox->rows[0].public_id).has_value());
}

TEST_F(DomainTest, LockoutWithBackOffAndNoTotpReplay) {
  Advisor a = AddAdvisor("a.haven", "dehaven");
  const std::string code = TotpCode(a.totp, clock_.Now());
  ASSERT_TRUE(staff_->Login("a.haven", kPassword, code).has_value());
  EXPECT_EQ(staff_->Login("a.haven", kPassword, code).error().user_message, "error.totp_reused");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(staff_->Login("a.haven", "wrong password!!", "000000").error().code, ErrorCode::kUnauthorized);
  }
  // Five failures (one replay + three wrong passwords + this) lock the account for 60 s. While
  // locked, even the right password gets the answer of a wrong one.
  EXPECT_EQ(staff_->Login("a.haven", "wrong password!!", "000000").error().code, ErrorCode::kUnauthorized);
  clock_.Advance(30);
  EXPECT_EQ(staff_->Login("a.haven", kPassword, TotpCode(a.totp, clock_.Now())).error().user_message, "error.login_failed");
  clock_.Advance(31);
  // One more failure after the lock doubles it to 120 s.
  EXPECT_EQ(staff_->Login("a.haven", "wrong password!!", "000000").error().code, ErrorCode::kUnauthorized);
  clock_.Advance(90);
  EXPECT_EQ(staff_->Login("a.haven", kPassword, TotpCode(a.totp, clock_.Now())).error().user_message, "error.login_failed");
  clock_.Advance(40);
  EXPECT_TRUE(staff_->Login("a.haven", kPassword, TotpCode(a.totp, clock_.Now())).has_value());
  // Unknown users get the same answer as a wrong password.
  EXPECT_EQ(staff_->Login("nobody", kPassword, "123456").error().user_message, "error.login_failed");
}

TEST_F(DomainTest, RecoveryKeyRestoresAccessWithANewPassword) {
  NewUser u{"a.lost", kPassword, Role::kAdvisor, "dehaven", true, std::nullopt};
  auto created = staff_->CreateUser(u);
  ASSERT_TRUE(created.has_value());
  auto started = conversations_->Start("dehaven", "before recovery", "en", {});
  ASSERT_TRUE(started.has_value());
  EXPECT_FALSE(staff_->Recover("a.lost", "AAAA-BBBB", "a brand new password").has_value());
  auto recovered = staff_->Recover("a.lost", created->recovery_key, "a brand new password");
  ASSERT_TRUE(recovered.has_value()) << recovered.error().detail;
  EXPECT_NE(recovered->recovery_key, created->recovery_key);
  // The old recovery key is spent; the old password no longer works.
  EXPECT_FALSE(staff_->Recover("a.lost", created->recovery_key, "another new password").has_value());
  EXPECT_EQ(staff_->Login("a.lost", kPassword, "000000").error().code, ErrorCode::kUnauthorized);
  auto login = staff_->Login("a.lost", "a brand new password", "");
  ASSERT_TRUE(login.has_value());
  ASSERT_EQ(login->stage, LoginStage::kNeedsTotpEnrolment);
  SecretBytes totp = NewTotpSecret();
  auto enrolled = staff_->CompleteEnrolment(login->user.id, login->wrap_key, totp, TotpCode(totp, clock_.Now()));
  ASSERT_TRUE(enrolled.has_value());
  auto ctx = staff_->Context(login->user.id, enrolled->user_secret_key);
  ASSERT_TRUE(ctx.has_value());
  ASSERT_TRUE(ctx->org_key.has_value());  // the organisation grant still opens
  auto inbox = conversations_->Inbox(*ctx);
  ASSERT_EQ(inbox->rows.size(), 1u);
  auto view = conversations_->ReadAsAdvisor(*ctx, inbox->rows[0].public_id);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->messages[0].text, "before recovery");
}

TEST_F(DomainTest, ConversationsExpireAfterInactivity) {
  AddAdvisor("a.haven", "dehaven");
  auto started = conversations_->Start("dehaven", "hello", "en", {});
  ASSERT_TRUE(started.has_value());
  clock_.Advance(89 * 86400);
  ASSERT_TRUE(conversations_->WorkerReply(started->conversation_id, "still here"));
  clock_.Advance(89 * 86400);
  EXPECT_TRUE(conversations_->Open(started->receipt).has_value());  // the reply renewed it
  clock_.Advance(2 * 86400);
  EXPECT_EQ(conversations_->Open(started->receipt).error().code, ErrorCode::kNotFound);
  auto removed = conversations_->ExpireNow();
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(store_test::ReadOne(*store_, &ConversationStore::FindById, started->conversation_id)
                .error()
                .code,
            ErrorCode::kNotFound);
}

}  // namespace
}  // namespace vd
