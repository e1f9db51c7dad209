#pragma once
// Test-only set-up shared by the domain tests: a migrated SQLite store in a temp folder, the
// Conversations and Staff services on a fake clock with the cheapest password hashing, two
// organisations ("dehaven", "shop"), and helpers to add staff and log them in with TOTP.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "core/clock.h"
#include "crypto/totp.h"
#include "domain/argon2_gate.h"
#include "domain/conversations.h"
#include "domain/staff.h"
#include "store/store.h"

namespace vd::domain_test {

inline constexpr char kPassword[] = "a long enough password";

class StaffFixture : public ::testing::Test {
 protected:
  // `tag` names the temp folder ("vd-<tag>-…").
  explicit StaffFixture(std::string tag) : tag_(std::move(tag)) {}

  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    ASSERT_TRUE(InitTotp());
    dir_ = std::filesystem::temp_directory_path() / ("vd-" + tag_ + "-" + HexEncode(RandomBytes(6)));
    std::filesystem::create_directories(dir_);
    auto store = OpenStore("sqlite:" + (dir_ / "t.db").string(), 2);
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate());
    ConversationPolicy policy;
    policy.receipt_pwhash = PwhashParams::Minimum();
    policy.retention_days = 90;
    policy.max_message_chars = 100;
    // A fixed pepper of zeros: tests need a pepper of the right size, not a secret one.
    conversations_ = std::make_unique<Conversations>(*store_, clock_, gate_, NewSalt(),
                                                     SecretBytes(kPepperBytes), policy);
    StaffPolicy sp;
    sp.password_pwhash = PwhashParams::Minimum();
    staff_ = std::make_unique<Staff>(*store_, clock_, gate_, SecretBytes(kPepperBytes), sp);
    ASSERT_TRUE(staff_->CreateOrganisation("dehaven", "De Haven"));
    ASSERT_TRUE(staff_->CreateOrganisation("shop", "SHOP"));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  struct Member {
    int64_t id = 0;
    SecretBytes totp;
  };
  // A staff member with password kPassword and TOTP enrolled.
  Member Add(const std::string& name, Role role, const std::string& org) {
    NewUser u{name, kPassword, role, org, true, std::nullopt};
    auto created = staff_->CreateUser(u);
    EXPECT_TRUE(created.has_value()) << (created ? "" : created.error().detail);
    return {created->id, *TotpSecretFromBase32(created->totp_base32)};
  }
  Member AddAdvisor(const std::string& name, const std::string& org) {
    return Add(name, Role::kAdvisor, org);
  }
  Result<LoginOutcome> Login(const std::string& name, const SecretBytes& totp) {
    clock_.Advance(30);  // a fresh TOTP step for every login
    return staff_->Login(name, kPassword, TotpCode(totp, clock_.Now()));
  }
  Result<LoginOutcome> Login(const std::string& name, const Member& m) {
    return Login(name, m.totp);
  }
  // Logs in and returns the staff context.
  StaffContext LogIn(const std::string& name, const SecretBytes& totp) {
    auto login = Login(name, totp);
    EXPECT_TRUE(login.has_value()) << (login ? "" : login.error().detail);
    auto ctx = staff_->Context(login->user.id, login->user_secret_key);
    EXPECT_TRUE(ctx.has_value());
    return std::move(*ctx);
  }
  StaffContext LogIn(const std::string& name, const Member& m) { return LogIn(name, m.totp); }
  // The key holder `holder` logs in and gives the waiting colleague access.
  void Approve(const std::string& holder_name, const Member& holder, const Member& waiting) {
    StaffContext ctx = LogIn(holder_name, holder);
    Status approved = staff_->ApproveGrant(ctx, waiting.id);
    EXPECT_TRUE(approved.has_value()) << (approved ? "" : approved.error().detail);
  }

  std::filesystem::path dir_;
  FakeClock clock_{1798761600};
  Argon2Gate gate_{2};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Conversations> conversations_;
  std::unique_ptr<Staff> staff_;

 private:
  std::string tag_;
};

}  // namespace vd::domain_test
