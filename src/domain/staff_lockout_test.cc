// Honest lockout (issue 14), on SQLite and PostgreSQL: parallel wrong passwords lock an
// account exactly as five sequential ones do, a lock set while a password is being hashed
// holds, and a browser that logged in before keeps a counter of its own (OWASP's device
// cookie), so that guesses from elsewhere do not lock its owner out of it.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "crypto/totp.h"
#include "domain/argon2_gate.h"
#include "domain/staff.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::ReadOne;
using store_test::WriteOne;

constexpr char kPassword[] = "a long enough password";
constexpr char kWrong[] = "not the password at all";

class StaffLockoutTest : public store_test::FreshStoreTest,
                         public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    ASSERT_TRUE(InitTotp());
    OpenFreshStore(GetParam(), "lockout", 8);
    if (IsSkipped() || HasFatalFailure()) return;
    StaffPolicy policy;
    policy.password_pwhash = PwhashParams::Minimum();
    staff_ = std::make_unique<Staff>(*store_, clock_, gate_, SecretBytes(kPepperBytes), policy);
    ASSERT_TRUE(staff_->CreateOrganisation("dehaven", "De Haven"));
  }
  void TearDown() override {
    staff_.reset();
    FreshStoreTest::TearDown();
  }

  // An advisor with password kPassword and TOTP enrolled; returns the TOTP secret.
  SecretBytes Add(const std::string& name, std::string* recovery_key = nullptr) {
    NewUser u{name, kPassword, Role::kAdvisor, "dehaven", true, std::nullopt};
    Result<CreatedUser> created = staff_->CreateUser(u);
    EXPECT_TRUE(created.has_value()) << (created ? "" : created.error().detail);
    if (!created) return SecretBytes();
    if (recovery_key) *recovery_key = created->recovery_key;
    return *TotpSecretFromBase32(created->totp_base32);
  }
  User Stored(const std::string& name) {
    Result<User> u = ReadOne(*store_, &StaffStore::FindUserByUsername, name);
    EXPECT_TRUE(u.has_value());
    return u.value_or(User{});
  }
  // The right password and a fresh code, from a browser holding `device` ("" for none).
  Result<LoginOutcome> RightLogin(const std::string& name, const SecretBytes& totp,
                                  const std::string& device = "") {
    clock_.Advance(30);
    return staff_->Login(name, kPassword, TotpCode(totp, clock_.Now()), device);
  }
  std::string Wrong(const std::string& name, const std::string& device = "") {
    Result<LoginOutcome> r = staff_->Login(name, kWrong, "000000", device);
    return r ? "logged in" : r.error().user_message;
  }
  // `n` wrong passwords at once; returns how many got the wrong-password answer.
  int ParallelWrong(const std::string& name, int n) {
    std::vector<std::thread> threads;
    std::atomic<int> refused = 0;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&] {
        if (Wrong(name) == "error.login_failed") ++refused;
      });
    }
    for (std::thread& t : threads) t.join();
    return refused;
  }
  // What "one wrong request now and then" does without device cookies: five wrong guesses,
  // then one more each time the lock ends, until the lock is long.
  void LockOut(const std::string& name) {
    for (int i = 0; i < 5; ++i) EXPECT_EQ(Wrong(name), "error.login_failed");
    for (int i = 0; i < 4; ++i) {
      clock_.Set(Stored(name).locked_until);
      EXPECT_EQ(Wrong(name), "error.login_failed");
    }
    EXPECT_GE(Stored(name).locked_until, clock_.Now() + 900);
  }

  FakeClock clock_{1798761600};
  Argon2Gate gate_{2};
  std::unique_ptr<Staff> staff_;
};

TEST_P(StaffLockoutTest, ParallelWrongPasswordsLockExactlyAsFiveSequentialOnesDo) {
  Add("a.sequential");
  Add("a.eight");
  Add("a.fifty");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Wrong("a.sequential"), "error.login_failed");
  const User sequential = Stored("a.sequential");
  EXPECT_EQ(sequential.failed_logins, 5);
  EXPECT_EQ(sequential.locked_until, clock_.Now() + 60);
  for (const auto& [name, n] : std::vector<std::pair<std::string, int>>{{"a.eight", 8},
                                                                        {"a.fifty", 50}}) {
    EXPECT_EQ(ParallelWrong(name, n), n);
    const User u = Stored(name);
    EXPECT_EQ(u.failed_logins, sequential.failed_logins) << n << " at once";
    EXPECT_EQ(u.locked_until, sequential.locked_until) << n << " at once";
  }
}

TEST_P(StaffLockoutTest, ALockSetWhileThePasswordIsHashedHolds) {
  const SecretBytes totp = Add("a.racing");
  clock_.Advance(30);
  const std::string code = TotpCode(totp, clock_.Now());
  std::optional<Result<LoginOutcome>> login;
  std::thread racing;
  {
    // Every Argon2id slot is taken, so the login waits after reading the account unlocked.
    Result<Argon2Gate::Slot> a = gate_.Acquire();
    Result<Argon2Gate::Slot> b = gate_.Acquire();
    ASSERT_TRUE(a.has_value() && b.has_value());
    racing = std::thread([&] { login = staff_->Login("a.racing", kPassword, code); });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_TRUE(WriteOne(*store_, &StaffStore::LockLogins, Stored("a.racing").id, std::nullopt,
                         clock_.Now() + 60));
  }
  racing.join();
  ASSERT_TRUE(login.has_value());
  ASSERT_FALSE(login->has_value()) << "a login that began before the lock got in";
  EXPECT_EQ(login->error().user_message, "error.login_failed");
  clock_.Advance(61);
  EXPECT_TRUE(RightLogin("a.racing", totp).has_value());
}

TEST_P(StaffLockoutTest, ALockedOutAdvisorStillLogsInFromHerBrowser) {
  const SecretBytes totp = Add("a.owner");
  Result<LoginOutcome> first = RightLogin("a.owner", totp);
  ASSERT_TRUE(first.has_value());
  const std::string device = first->device_token;
  EXPECT_FALSE(device.empty());
  EXPECT_GT(first->device_token_max_age, 0);

  LockOut("a.owner");  // someone elsewhere, without her cookie
  const User locked = Stored("a.owner");
  // Without the cookie the right password and code do not get in ...
  Result<LoginOutcome> elsewhere = RightLogin("a.owner", totp);
  ASSERT_FALSE(elsewhere.has_value());
  EXPECT_EQ(elsewhere.error().user_message, "error.login_failed");
  EXPECT_EQ(RightLogin("a.owner", totp, "bm90IGEgdG9rZW4=").error().user_message,
            "error.login_failed");
  // ... with it they do, and the browser gets a new cookie for the next time.
  Result<LoginOutcome> mine = RightLogin("a.owner", totp, device);
  ASSERT_TRUE(mine.has_value()) << mine.error().detail;
  EXPECT_EQ(mine->stage, LoginStage::kLoggedIn);
  EXPECT_FALSE(mine->user_secret_key.empty());
  EXPECT_NE(mine->device_token, device);
  EXPECT_EQ(RightLogin("a.owner", totp, device).error().user_message, "error.login_failed")
      << "a replaced cookie is spent";
  // Her own typos count on her browser's counter, not the account's ...
  const std::string current = mine->device_token;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(Wrong("a.owner", current), "error.login_failed");
  EXPECT_EQ(Stored("a.owner").failed_logins, locked.failed_logins);
  EXPECT_EQ(Stored("a.owner").locked_until, locked.locked_until);
  Result<LoginOutcome> again = RightLogin("a.owner", totp, current);
  ASSERT_TRUE(again.has_value());
  // ... which locks on its own after five.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Wrong("a.owner", again->device_token), "error.login_failed");
  EXPECT_EQ(RightLogin("a.owner", totp, again->device_token).error().user_message,
            "error.login_failed");
  clock_.Advance(60);
  EXPECT_TRUE(RightLogin("a.owner", totp, again->device_token).has_value());
}

TEST_P(StaffLockoutTest, OneAdvisorsDeviceCookieDoesNotHelpAnother) {
  const SecretBytes one = Add("a.one");
  const SecretBytes two = Add("a.two");
  Result<LoginOutcome> login = RightLogin("a.one", one);
  ASSERT_TRUE(login.has_value());
  const std::string device = login->device_token;
  LockOut("a.two");
  EXPECT_EQ(RightLogin("a.two", two, device).error().user_message, "error.login_failed");
  // Guesses at a.two with a.one's cookie count on a.two's account, not on the cookie.
  const User before = Stored("a.two");
  clock_.Set(before.locked_until);
  EXPECT_EQ(Wrong("a.two", device), "error.login_failed");
  EXPECT_EQ(Stored("a.two").failed_logins, before.failed_logins + 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Wrong("a.two", device), "error.login_failed");
  EXPECT_TRUE(RightLogin("a.one", one, device).has_value());
}

TEST_P(StaffLockoutTest, AnAdvisorKeepsTheNewestTenBrowsers) {
  const SecretBytes totp = Add("a.roaming");
  std::vector<std::string> devices;
  for (int i = 0; i < 12; ++i) {
    Result<LoginOutcome> login = RightLogin("a.roaming", totp);
    ASSERT_TRUE(login.has_value());
    devices.push_back(login->device_token);
  }
  LockOut("a.roaming");
  EXPECT_FALSE(RightLogin("a.roaming", totp, devices[0]).has_value());
  EXPECT_FALSE(RightLogin("a.roaming", totp, devices[1]).has_value());
  EXPECT_TRUE(RightLogin("a.roaming", totp, devices[2]).has_value());
  EXPECT_TRUE(RightLogin("a.roaming", totp, devices[11]).has_value());
}

TEST_P(StaffLockoutTest, RecoveryAndDisablingEndTheDeviceCookies) {
  std::string recovery_key;
  const SecretBytes totp = Add("a.lost", &recovery_key);
  Result<LoginOutcome> login = RightLogin("a.lost", totp);
  ASSERT_TRUE(login.has_value());
  const std::string device = login->device_token;
  ASSERT_TRUE(staff_->Recover("a.lost", recovery_key, "a brand new password").has_value());
  LockOut("a.lost");
  EXPECT_EQ(staff_->Login("a.lost", "a brand new password", "", device).error().user_message,
            "error.login_failed");

  // A disabled account's cookie opens nothing (the store test checks that the row is gone).
  const SecretBytes kept = Add("a.leaving");
  ASSERT_TRUE(
      staff_->CreateUser(NewUser{"admin.one", kPassword, Role::kAdmin, "", true, std::nullopt}));
  Result<LoginOutcome> leaving = RightLogin("a.leaving", kept);
  ASSERT_TRUE(leaving.has_value());
  ASSERT_TRUE(staff_->Disable(StaffContext{Stored("admin.one"), std::nullopt, {}},
                              Stored("a.leaving").id));
  EXPECT_EQ(RightLogin("a.leaving", kept, leaving->device_token).error().user_message,
            "error.login_failed");
}

INSTANTIATE_TEST_SUITE_P(Backends, StaffLockoutTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd
