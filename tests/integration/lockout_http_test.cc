// Staff login over HTTP (issue 14, honest lockout), on SQLite and PostgreSQL: an unknown, a
// locked, a disabled and an invited account get the very answer a wrong password gets, and
// an advisor whom someone elsewhere has locked out still logs in from the browser she logged
// in from before (its device cookie), but not from another browser, and her cookie helps
// nobody else.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

class LockoutHttpTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "dehaven", "De Haven");
    totp_ = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    other_totp_ = AddStaff(rt, "advisor.other", kPassword, Role::kAdvisor, "dehaven");
    locked_totp_ = AddStaff(rt, "advisor.locked", kPassword, Role::kAdvisor, "dehaven");
    AddStaff(rt, "advisor.gone", kPassword, Role::kAdvisor, "dehaven");
    AddStaff(rt, "admin.one", kPassword, Role::kAdmin, "");
    NewUser invited;  // invited with an enrolment code: no password yet
    invited.username = "advisor.invited";
    invited.organisation_slug = "dehaven";
    ASSERT_TRUE(rt.staff().CreateUser(invited).has_value());
    Result<User> admin = store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "admin.one");
    Result<User> gone = store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor.gone");
    ASSERT_TRUE(admin.has_value() && gone.has_value());
    ASSERT_TRUE(rt.staff().Disable(StaffContext{*admin, std::nullopt, {}}, gone->id));
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  // A browser on its own loopback address, so that each has its own throttle bucket.
  Client Browser(const std::string& lang) {
    Client c(port_);
    c.extra_headers["Accept-Language"] = lang;
    c.source_address = "127.0.0." + std::to_string(++browsers_ + 1);
    return c;
  }
  HttpResult Post(Client& c, const std::string& username, const std::string& password,
                  const std::string& code) {
    if (c.csrf.empty()) c.Get("/staff/login");
    return c.Post("/staff/login",
                  {{"csrf", c.csrf}, {"username", username}, {"password", password}, {"code", code}});
  }
  std::string Code(const std::string& totp_b32) {
    return TotpCode(*TotpSecretFromBase32(totp_b32), server_.clock.Now());
  }
  int64_t LockedUntil(const std::string& username) {
    Result<User> u = store_test::ReadOne(server_.runtime->store(), &StaffStore::FindUserByUsername, username);
    EXPECT_TRUE(u.has_value());
    return u ? u->locked_until : 0;
  }
  // Someone without her cookie guesses: five wrong passwords, then one more each time the
  // lock ends, until the lock is long (what used to keep an advisor out for good).
  void LockOut(const std::string& username) {
    Client attacker = Browser("en");
    for (int i = 0; i < 5; ++i) {
      EXPECT_EQ(Post(attacker, username, "wrong password", "000000").status, 401);
    }
    for (int i = 0; i < 4; ++i) {
      server_.clock.Set(LockedUntil(username));
      EXPECT_EQ(Post(attacker, username, "wrong password", "000000").status, 401);
    }
    EXPECT_GE(LockedUntil(username), server_.clock.Now() + 900);
  }
  // The cookie jar's device cookie ("__Host-vd_device" over TLS, "vd_device" here).
  static std::string DeviceCookieName(const Client& c) {
    for (const auto& [name, value] : c.cookies) {
      if (name.ends_with("vd_device")) return name;
    }
    return "";
  }

  TestServer server_;
  uint16_t port_ = 0;
  int browsers_ = 0;
  std::string totp_, other_totp_, locked_totp_;
};

// The page with what differs by request and by what was typed taken out: the CSRF token and
// the username echoed into the form.
std::string Normalised(const HttpResult& r, const std::string& csrf, const std::string& username) {
  std::string body = r.body;
  for (const auto& [from, to] : {std::pair{csrf, std::string("CSRF")},
                                 std::pair{"value=\"" + username + "\"", std::string("value=\"U\"")}}) {
    if (from.empty()) continue;
    for (size_t at = body.find(from); at != std::string::npos; at = body.find(from, at + to.size())) {
      body.replace(at, from.size(), to);
    }
  }
  return body;
}

std::vector<std::string> HeaderNames(const HttpResult& r) {
  std::vector<std::string> names;
  for (const auto& [name, value] : r.headers) names.push_back(name);
  return names;
}

TEST_P(LockoutHttpTest, UnknownLockedAndDisabledAccountsGetTheAnswerOfAWrongPassword) {
  if (!server_.runtime) return;
  LockOut("advisor.locked");
  for (const std::string lang : {"en", "nl"}) {
    Client probe = Browser(lang);
    const HttpResult wrong = Post(probe, "advisor.dehaven", "wrong password", "000000");
    ASSERT_EQ(wrong.status, 401) << lang;
    const std::string expected = Normalised(wrong, probe.csrf, "advisor.dehaven");
    EXPECT_NE(expected.find(lang == "en" ? "logging in pauses for a while"
                                         : "kun je een tijdje niet inloggen"),
              std::string::npos)
        << wrong.body;
    struct Case {
      std::string what, username, password, code;
    };
    const std::vector<Case> cases = {
        {"unknown", "advisor.nobody", kPassword, "123456"},
        {"unknown, wrong password", "advisor.nobody", "wrong password", "000000"},
        {"disabled, right password", "advisor.gone", kPassword, "123456"},
        {"invited, not enrolled yet", "advisor.invited", kPassword, "123456"},
        {"locked, wrong password", "advisor.locked", "wrong password", "000000"},
        {"locked, right password and code", "advisor.locked", kPassword, Code(locked_totp_)},
        {"right password, wrong code", "advisor.dehaven", kPassword, "000000"},
    };
    for (const Case& c : cases) {
      const HttpResult r = Post(probe, c.username, c.password, c.code);
      EXPECT_EQ(r.status, wrong.status) << lang << ": " << c.what;
      EXPECT_EQ(Normalised(r, probe.csrf, c.username), expected) << lang << ": " << c.what;
      EXPECT_EQ(HeaderNames(r), HeaderNames(wrong)) << lang << ": " << c.what;
    }
  }
}

TEST_P(LockoutHttpTest, ALockedOutAdvisorStillLogsInFromTheBrowserSheUsed) {
  if (!server_.runtime) return;
  Client mine = Browser("en");
  HttpResult first = LogIn(mine, "advisor.dehaven", kPassword, totp_, server_.clock.Now());
  ASSERT_EQ(first.status, 303) << first.body;
  const std::string cookie = DeviceCookieName(mine);
  ASSERT_FALSE(cookie.empty()) << "no device cookie after a login";
  bool long_lived = false;
  for (const std::string& set : first.Headers("set-cookie")) {
    if (!set.starts_with(cookie + "=")) continue;
    long_lived = set.find("Max-Age=") != std::string::npos;
    EXPECT_NE(set.find("HttpOnly"), std::string::npos) << set;
    EXPECT_NE(set.find("SameSite=Strict"), std::string::npos) << set;
    EXPECT_NE(set.find("Path=/"), std::string::npos) << set;
  }
  EXPECT_TRUE(long_lived);
  // Logging out keeps the device cookie: Clear-Site-Data leaves cookies alone. (The logout
  // form is taken from a page of the session: the login page's token is not valid in it.)
  ASSERT_EQ(mine.Get("/staff").status, 200);
  HttpResult out = mine.Post("/staff/logout", {{"csrf", mine.csrf}});
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.Header("clear-site-data").find("cookies"), std::string::npos);
  ASSERT_FALSE(DeviceCookieName(mine).empty());

  LockOut("advisor.dehaven");
  // Another browser of hers, without the cookie: the right password and code do not get in.
  Client elsewhere = Browser("en");
  server_.clock.Advance(30);
  EXPECT_EQ(LogIn(elsewhere, "advisor.dehaven", kPassword, totp_, server_.clock.Now()).status, 401);
  // Her usual browser does.
  server_.clock.Advance(30);
  HttpResult back = LogIn(mine, "advisor.dehaven", kPassword, totp_, server_.clock.Now());
  ASSERT_EQ(back.status, 303) << back.body;
  EXPECT_EQ(back.Header("location"), "/staff");
  EXPECT_EQ(mine.Get("/staff").status, 200);

  // Her cookie does not help a colleague who is locked out.
  LockOut("advisor.other");
  Client borrowed = Browser("en");
  borrowed.cookies[cookie] = mine.cookies[cookie];
  server_.clock.Advance(30);
  EXPECT_EQ(LogIn(borrowed, "advisor.other", kPassword, other_totp_, server_.clock.Now()).status,
            401);
  // ... and the colleague's failures did not spend it.
  server_.clock.Advance(30);
  EXPECT_EQ(LogIn(mine, "advisor.dehaven", kPassword, totp_, server_.clock.Now()).status, 303);
}

INSTANTIATE_TEST_SUITE_P(Backends, LockoutHttpTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
