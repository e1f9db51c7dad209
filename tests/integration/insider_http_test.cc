// Issue 14, the insider attack over HTTP on SQLite and PostgreSQL: an admin creates an advisor
// in an organisation whose conversations she must never read, logs in as that account and
// enrols; a key holder's ordinary login gives it nothing. Only when a key holder approves it
// by name on the access page does it read the conversation. The approval, the first login
// and the enrolment are in the audit log, and `vertrouwd audit verify` passes.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <set>
#include <sstream>

#include "crypto/crypto.h"
#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

class InsiderHttpTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "shop", "SHOP");
    holder_totp_ = AddStaff(rt, "advisor.shop", kPassword, Role::kAdvisor, "shop");
    admin_totp_ = AddStaff(rt, "admin", kPassword, Role::kAdmin, "");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client Fresh() {
    Client c(port_);
    c.extra_headers["Accept-Language"] = "en";
    return c;
  }
  Client LoggedIn(const std::string& name, const std::string& totp) {
    server_.clock.Advance(31);  // a fresh TOTP step
    Client c = Fresh();
    HttpResult r = LogIn(c, name, kPassword, totp, server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    c.Get("/staff");
    return c;
  }
  std::string DatabaseUrl() const {
    return GetParam() == Backend::kSqlite ? "sqlite:" + server_.data_dir + "/vertrouwd.db"
                                          : server_.database_url;
  }
  // Runs the command line (`args` after the binary, `stdin_lines` piped in) on this test's
  // database; returns the exit status and puts stdout and stderr in `out`.
  int RunCli(const std::string& args, std::string* out, const std::string& stdin_lines = "") {
    // --data: the pepper file is in the server's data folder (no configuration file).
    std::string cmd = std::string(VD_BINARY_DIR) + "/src/app/vertrouwd " + args + " --database '" +
                      DatabaseUrl() + "' --data '" + server_.data_dir + "' 2>&1";
    if (!stdin_lines.empty()) cmd = "printf '" + stdin_lines + "' | " + cmd;
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    out->clear();
    while (p && fgets(buf, sizeof buf, p)) *out += buf;
    return p ? WEXITSTATUS(pclose(p)) : -1;
  }
  int Verify(std::string* out) { return RunCli("audit verify", out); }
  // Runs one SQL statement on this test's database from outside the server.
  void Exec(const std::string& sql) {
    if (GetParam() == Backend::kPostgres) {
      const std::string cmd = std::string(store_test::Env("VD_TEST_PG_BIN")) + "/psql -q -X -v ON_ERROR_STOP=1 '" +
                              store_test::PgConninfo() + " dbname=" + server_.pg_dbname + "' -c \"" + sql +
                              "\" >/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << sql;
      return;
    }
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open((server_.data_dir + "/vertrouwd.db").c_str(), &h), SQLITE_OK);
    sqlite3_busy_timeout(h, 5000);
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
    sqlite3_close(h);
  }
  // The audit log's actions, as many times as each was recorded.
  std::multiset<std::string> AuditActions() {
    std::multiset<std::string> acts;
    auto entries = store_test::ReadOne(server_.runtime->store(), &AuditStore::List, 0, 1000);
    EXPECT_TRUE(entries.has_value());
    if (entries) {
      for (const AuditEntry& e : *entries) acts.insert(e.action);
    }
    return acts;
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::string holder_totp_, admin_totp_;
};

TEST_P(InsiderHttpTest, AnAccountAnAdminCreatedReadsNothingUntilAKeyHolderApprovesIt) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  auto started = rt.conversations().Start("shop", "my passport was taken", "en", {});
  ASSERT_TRUE(started.has_value());
  const std::string conversation =
      "/staff/c/" + store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)->public_id;

  // The admin creates "mallory" in shop: the page shows an enrolment code, never a password
  // or a recovery key. (Here the admin, as an attacker, uses the code herself.)
  Client admin = LoggedIn("admin", admin_totp_);
  HttpResult created = admin.Post("/staff/users", {{"csrf", admin.csrf},
                                                   {"username", "mallory"},
                                                   {"role", "advisor"},
                                                   {"organisation", "shop"}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string code = Extract(created.body, "<code>([0-9A-Z-]{39})</code>");
  ASSERT_FALSE(code.empty()) << created.body;
  EXPECT_EQ(created.body.find("assword</dt>"), std::string::npos);
  EXPECT_EQ(created.body.find("Recovery key"), std::string::npos);
  const int64_t mallory_id =
      store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "mallory")->id;

  // Mallory sets a password with the code, sees her recovery key, and enrols TOTP.
  Client mallory = Fresh();
  mallory.Get("/staff/welcome");
  HttpResult welcomed = mallory.Post("/staff/welcome", {{"csrf", mallory.csrf},
                                                        {"username", "mallory"},
                                                        {"code", code},
                                                        {"password", kPassword},
                                                        {"password2", kPassword}});
  ASSERT_EQ(welcomed.status, 200) << welcomed.body;
  EXPECT_FALSE(Extract(welcomed.body, "<code>([0-9A-Z-]{39})</code>").empty());
  std::string secret = Extract(mallory.Get("/staff/enrol").body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto key = TotpSecretFromBase32(secret);
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(mallory.Post("/staff/enrol", {{"csrf", mallory.csrf},
                                          {"code", TotpCode(*key, server_.clock.Now())}}).status,
            303);
  ASSERT_EQ(mallory.Get("/staff").status, 200);
  EXPECT_EQ(mallory.Get(conversation).status, 403);

  // The key holder's ordinary login grants nothing.
  Client holder = LoggedIn("advisor.shop", holder_totp_);
  HttpResult refused = mallory.Get(conversation);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.find("my passport was taken"), std::string::npos);
  EXPECT_EQ(
      store_test::ReadOne(rt.store(), &StaffStore::FindOrgKeyGrant, 1, mallory_id).error().code,
      ErrorCode::kNotFound);
  // Neither the admin nor mallory can approve; the admin has no access page at all.
  EXPECT_EQ(admin.Get("/staff/access").status, 403);
  const std::string approve = "/staff/access/" + std::to_string(mallory_id) + "/approve";
  EXPECT_EQ(admin.Post(approve, {{"csrf", admin.csrf}}).status, 403);
  EXPECT_EQ(mallory.Post(approve, {{"csrf", mallory.csrf}}).status, 403);
  EXPECT_EQ(mallory.Get(conversation).status, 403);

  // The key holder sees the waiting account, who created it, and approves it by name.
  HttpResult home = holder.Get("/staff");
  EXPECT_NE(home.body.find("Colleagues waiting for access: 1"), std::string::npos) << home.body;
  HttpResult access = holder.Get("/staff/access");
  ASSERT_EQ(access.status, 200);
  EXPECT_NE(access.body.find("<td>mallory</td><td>admin</td>"), std::string::npos) << access.body;
  EXPECT_NE(access.body.find("Give mallory access"), std::string::npos);
  ASSERT_EQ(holder.Post(approve, {{"csrf", holder.csrf}}).status, 303);
  HttpResult read = mallory.Get(conversation);
  EXPECT_EQ(read.status, 200);
  EXPECT_NE(read.body.find("my passport was taken"), std::string::npos);
  EXPECT_EQ(holder.Post(approve, {{"csrf", holder.csrf}}).status, 409);  // once only

  // Audited: mallory's first login and enrolment, and the approval by the key holder.
  const int64_t holder_id =
      store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor.shop")->id;
  std::multiset<std::string> mallory_acts, holder_acts;
  auto entries = store_test::ReadOne(rt.store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(entries.has_value());
  for (const AuditEntry& e : *entries) {
    if (e.user_id == mallory_id) mallory_acts.insert(e.action);
    if (e.user_id == holder_id) holder_acts.insert(e.action + " " + e.record);
  }
  EXPECT_EQ(mallory_acts.count("staff.welcome"), 1u);
  EXPECT_EQ(mallory_acts.count("staff.first_login"), 1u);
  EXPECT_EQ(mallory_acts.count("staff.enrol"), 1u);
  EXPECT_EQ(holder_acts.count("POST /staff/access/{id}/approve user:" + std::to_string(mallory_id)),
            1u);
  std::string out;
  EXPECT_EQ(Verify(&out), 0) << out;

  // At the key holder's next visit, the grant is shown.
  Client later = LoggedIn("advisor.shop", holder_totp_);
  HttpResult next = later.Get("/staff");
  EXPECT_NE(next.body.find("Given access since your last visit"), std::string::npos);
  EXPECT_NE(next.body.find("<li>mallory · advisor.shop · "), std::string::npos) << next.body;
}

// Only the owner knows her password: the code works once, for its account only, until it
// expires; every refusal reads the same; a weak password is refused with the policy.
TEST_P(InsiderHttpTest, AnEnrolmentCodeWorksOnceForItsAccountUntilItExpires) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  NewUser invite;
  invite.username = "a.new";
  invite.role = Role::kAdvisor;
  invite.organisation_slug = "shop";
  auto made = rt.staff().CreateUser(invite);
  ASSERT_TRUE(made.has_value());
  ASSERT_FALSE(made->enrolment_code.empty());
  EXPECT_TRUE(made->recovery_key.empty());
  const int64_t id = made->id;
  EXPECT_EQ(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, id)
                ->enrol_hash.find(made->enrolment_code),
            std::string::npos);

  Client c = Fresh();
  c.Get("/staff/welcome");
  auto post = [&](const std::string& user, const std::string& code, const std::string& pw,
                  const std::string& pw2) {
    return c.Post("/staff/welcome", {{"csrf", c.csrf}, {"username", user}, {"code", code},
                                     {"password", pw}, {"password2", pw2}});
  };
  const std::string refused = "do not belong to an open invitation";
  const std::string other_code = NewEnrolmentCode().display;
  for (auto [user, code] : {std::pair<std::string, std::string>{"a.new", other_code},
                            {"nobody", made->enrolment_code},
                            {"advisor.shop", made->enrolment_code},
                            {"a.new", "not a code"}}) {
    HttpResult r = post(user, code, kPassword, kPassword);
    EXPECT_EQ(r.status, 400) << user;
    EXPECT_NE(r.body.find(refused), std::string::npos) << user << r.body;
  }
  HttpResult weak = post("a.new", made->enrolment_code, "aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa");
  EXPECT_EQ(weak.status, 400);
  EXPECT_NE(weak.body.find("at least 6 different"), std::string::npos) << weak.body;
  HttpResult differ = post("a.new", made->enrolment_code, kPassword, "something else entirely");
  EXPECT_NE(differ.body.find("The two passwords differ."), std::string::npos);
  EXPECT_TRUE(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, id)
                  ->public_key.empty());  // nothing was set

  // Expired after 72 hours; an admin's new code works, and only once.
  server_.clock.Advance(72 * 3600 + 1);
  EXPECT_NE(post("a.new", made->enrolment_code, kPassword, kPassword).body.find(refused),
            std::string::npos);
  Client admin = LoggedIn("admin", admin_totp_);
  HttpResult users = admin.Get("/staff/users");
  EXPECT_NE(users.body.find("Enrolment code expired"), std::string::npos);
  HttpResult reissued = admin.Post("/staff/users/" + std::to_string(id) + "/code", {{"csrf", admin.csrf}});
  ASSERT_EQ(reissued.status, 200) << reissued.body;
  const std::string fresh_code = Extract(reissued.body, "<code>([0-9A-Z-]{39})</code>");
  ASSERT_FALSE(fresh_code.empty());
  c.Get("/staff/welcome");
  EXPECT_EQ(post("a.new", fresh_code, kPassword, kPassword).status, 200);
  EXPECT_FALSE(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, id)->public_key.empty());
  Client again = Fresh();
  again.Get("/staff/welcome");
  HttpResult twice = again.Post("/staff/welcome", {{"csrf", again.csrf}, {"username", "a.new"},
                                                   {"code", fresh_code}, {"password", "another fine password"},
                                                   {"password2", "another fine password"}});
  EXPECT_NE(twice.body.find(refused), std::string::npos);
  // Enrolled: no more codes for it.
  EXPECT_EQ(admin.Post("/staff/users/" + std::to_string(id) + "/code", {{"csrf", admin.csrf}}).status, 400);
  // Her password works (TOTP is set up at the next step); nobody else ever saw it.
  again.Get("/staff/login");
  HttpResult login = again.Post("/staff/login", {{"csrf", again.csrf}, {"username", "a.new"},
                                                 {"password", kPassword}, {"code", ""}});
  EXPECT_EQ(login.status, 303);
  EXPECT_EQ(login.Header("location"), "/staff/enrol");
}

// Staff self-service: a new password (old sessions end, the keys still open) and a new
// authenticator (the old one stops once the new one is confirmed).
TEST_P(InsiderHttpTest, AnAdvisorChangesHerPasswordAndHerAuthenticator) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  auto started = rt.conversations().Start("shop", "still readable", "en", {});
  ASSERT_TRUE(started.has_value());
  const std::string conversation =
      "/staff/c/" + store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)->public_id;
  auto holder_key = TotpSecretFromBase32(holder_totp_);
  Client other = LoggedIn("advisor.shop", holder_totp_);  // another browser of hers
  Client me = LoggedIn("advisor.shop", holder_totp_);
  ASSERT_EQ(me.Get("/staff/account").status, 200);
  const std::string fresh = "a new and longer passphrase";
  server_.clock.Advance(31);
  HttpResult wrong = me.Post("/staff/account/password", {{"csrf", me.csrf}, {"password", "not it at all"},
                                                         {"code", TotpCode(*holder_key, server_.clock.Now())},
                                                         {"new_password", fresh}, {"new_password2", fresh}});
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(wrong.body.find("The current password or the code is not right."), std::string::npos);
  server_.clock.Advance(31);
  HttpResult changed = me.Post("/staff/account/password", {{"csrf", me.csrf}, {"password", kPassword},
                                                           {"code", TotpCode(*holder_key, server_.clock.Now())},
                                                           {"new_password", fresh}, {"new_password2", fresh}});
  ASSERT_EQ(changed.status, 303) << changed.body;
  EXPECT_NE(me.Get("/staff/account?changed=password").body.find("Your password has been changed"),
            std::string::npos);
  EXPECT_EQ(me.Get(conversation).status, 200);  // this browser goes on, with her keys
  EXPECT_EQ(other.Get("/staff").status, 303);   // the other session ended
  server_.clock.Advance(31);
  Client old_pw = Fresh();
  EXPECT_NE(LogIn(old_pw, "advisor.shop", kPassword, holder_totp_, server_.clock.Now()).status, 303);
  server_.clock.Advance(31);
  Client new_pw = Fresh();
  new_pw.Get("/staff/login");
  ASSERT_EQ(new_pw.Post("/staff/login", {{"csrf", new_pw.csrf}, {"username", "advisor.shop"}, {"password", fresh},
                                         {"code", TotpCode(*holder_key, server_.clock.Now())}}).status, 303);
  new_pw.Get("/staff");
  EXPECT_NE(new_pw.Get(conversation).body.find("still readable"), std::string::npos);

  // A new authenticator, proven with the password and a current code.
  server_.clock.Advance(31);
  ASSERT_EQ(new_pw.Post("/staff/account/totp", {{"csrf", new_pw.csrf}, {"password", fresh},
                                                {"code", TotpCode(*holder_key, server_.clock.Now())}}).status,
            303);
  std::string secret = Extract(new_pw.Get("/staff/enrol").body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto new_key = TotpSecretFromBase32(secret);
  ASSERT_TRUE(new_key.has_value());
  ASSERT_EQ(new_pw.Post("/staff/enrol", {{"csrf", new_pw.csrf},
                                         {"code", TotpCode(*new_key, server_.clock.Now())}}).status, 303);
  EXPECT_EQ(new_pw.Get(conversation).status, 200);
  server_.clock.Advance(31);
  Client with_old = Fresh();
  with_old.Get("/staff/login");
  EXPECT_EQ(with_old.Post("/staff/login", {{"csrf", with_old.csrf}, {"username", "advisor.shop"}, {"password", fresh},
                                           {"code", TotpCode(*holder_key, server_.clock.Now())}}).status, 401);
  Client with_new = Fresh();
  with_new.Get("/staff/login");
  EXPECT_EQ(with_new.Post("/staff/login", {{"csrf", with_new.csrf}, {"username", "advisor.shop"}, {"password", fresh},
                                           {"code", TotpCode(*new_key, server_.clock.Now())}}).status, 303);
}

// An admin resets a colleague's second factor, and re-enables a disabled advisor, who then
// waits for a key holder again.
TEST_P(InsiderHttpTest, AnAdminResetsTwoStepLoginAndReenablesAnAdvisorWhoWaitsForAGrant) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  const std::string second_totp = AddStaff(rt, "advisor2.shop", kPassword, Role::kAdvisor, "shop");
  const int64_t second = store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor2.shop")->id;
  Client holder = LoggedIn("advisor.shop", holder_totp_);
  ASSERT_EQ(holder.Post("/staff/access/" + std::to_string(second) + "/approve", {{"csrf", holder.csrf}}).status, 303);
  auto started = rt.conversations().Start("shop", "for both", "en", {});
  const std::string conversation =
      "/staff/c/" + store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)->public_id;
  Client two = LoggedIn("advisor2.shop", second_totp);
  EXPECT_EQ(two.Get(conversation).status, 200);

  Client admin = LoggedIn("admin", admin_totp_);
  const std::string base = "/staff/users/" + std::to_string(second);
  ASSERT_EQ(admin.Post(base + "/reset-totp", {{"csrf", admin.csrf}}).status, 303);
  EXPECT_EQ(two.Get("/staff").status, 303);  // her session ended
  server_.clock.Advance(31);
  Client again = Fresh();
  HttpResult login = LogIn(again, "advisor2.shop", kPassword, second_totp, server_.clock.Now());
  ASSERT_EQ(login.status, 303);
  EXPECT_EQ(login.Header("location"), "/staff/enrol");  // enrols a new authenticator

  ASSERT_EQ(admin.Post(base + "/disable", {{"csrf", admin.csrf}, {"confirm", "yes"}}).status, 303);
  EXPECT_NE(admin.Get("/staff/users").body.find(base + "/enable"), std::string::npos);
  ASSERT_EQ(admin.Post(base + "/enable", {{"csrf", admin.csrf}}).status, 303);
  EXPECT_FALSE(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, second)->disabled);
  // She logs in again, enrols, and reads nothing until the key holder approves her anew.
  server_.clock.Advance(31);
  Client back = Fresh();
  back.Get("/staff/login");
  ASSERT_EQ(back.Post("/staff/login", {{"csrf", back.csrf}, {"username", "advisor2.shop"},
                                       {"password", kPassword}, {"code", ""}}).status, 303);
  std::string secret = Extract(back.Get("/staff/enrol").body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto key = TotpSecretFromBase32(secret);
  ASSERT_TRUE(key.has_value());
  ASSERT_EQ(back.Post("/staff/enrol", {{"csrf", back.csrf}, {"code", TotpCode(*key, server_.clock.Now())}}).status, 303);
  EXPECT_EQ(back.Get(conversation).status, 403);
  Client holder_again = LoggedIn("advisor.shop", holder_totp_);
  EXPECT_NE(holder_again.Get("/staff/access").body.find("<td>advisor2.shop</td>"), std::string::npos);
  ASSERT_EQ(holder_again.Post("/staff/access/" + std::to_string(second) + "/approve",
                              {{"csrf", holder_again.csrf}}).status, 303);
  EXPECT_EQ(back.Get(conversation).status, 200);
  // Every act is in the audit log.
  const std::multiset<std::string> acts = AuditActions();
  EXPECT_EQ(acts.count("POST /staff/users/{id}/reset-totp"), 1u);
  EXPECT_EQ(acts.count("POST /staff/users/{id}/enable"), 1u);
  EXPECT_EQ(acts.count("POST /staff/access/{id}/approve"), 2u);
}

// She sees where she is logged in and ends a session she left open; no one ends hers.
TEST_P(InsiderHttpTest, AnAdvisorEndsHerOtherSessionsAndNoOneElseCan) {
  if (!server_.runtime) return;
  Client forgotten = LoggedIn("advisor.shop", holder_totp_);
  Client phone = LoggedIn("advisor.shop", holder_totp_);
  Client me = LoggedIn("advisor.shop", holder_totp_);
  HttpResult page = me.Get("/staff/account");
  ASSERT_EQ(page.status, 200);
  const std::regex handle_re("/staff/account/sessions/([0-9a-f]{16})/end");
  std::vector<std::string> handles;
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), handle_re);
       it != std::sregex_iterator(); ++it) {
    handles.push_back((*it)[1]);
  }
  ASSERT_EQ(handles.size(), 2u) << page.body;  // the two others; this one has no end button
  EXPECT_NE(page.body.find("this browser"), std::string::npos);
  EXPECT_NE(page.body.find("End all other sessions"), std::string::npos);

  // Another staff member cannot end them, whatever the handle.
  Client admin = LoggedIn("admin", admin_totp_);
  EXPECT_EQ(admin.Post("/staff/account/sessions/" + handles[0] + "/end", {{"csrf", admin.csrf}}).status,
            404);
  EXPECT_EQ(forgotten.Get("/staff").status, 200);
  // Without the CSRF token nothing ends.
  EXPECT_EQ(me.Post("/staff/account/sessions/" + handles[0] + "/end", {}).status, 403);
  EXPECT_EQ(forgotten.Get("/staff").status, 200);

  // She ends the oldest (the forgotten browser), then all others.
  HttpResult ended = me.Post("/staff/account/sessions/" + handles[0] + "/end", {{"csrf", me.csrf}});
  ASSERT_EQ(ended.status, 303);
  EXPECT_NE(me.Get("/staff/account?changed=sessions").body.find("The session has ended."),
            std::string::npos);
  EXPECT_EQ(forgotten.Get("/staff").status, 303);
  EXPECT_EQ(phone.Get("/staff").status, 200);
  EXPECT_EQ(me.Post("/staff/account/sessions/" + handles[0] + "/end", {{"csrf", me.csrf}}).status, 404);
  ASSERT_EQ(me.Post("/staff/account/sessions/end-others", {{"csrf", me.csrf}}).status, 303);
  EXPECT_EQ(phone.Get("/staff").status, 303);
  EXPECT_EQ(me.Get("/staff").status, 200);
  EXPECT_EQ(me.Get("/staff/account").body.find("End all other sessions"), std::string::npos);

  const std::multiset<std::string> acts = AuditActions();
  EXPECT_EQ(acts.count("POST /staff/account/sessions/{id}/end"), 1u);
  EXPECT_EQ(acts.count("POST /staff/account/sessions/{id}/end 404"), 2u);
  EXPECT_EQ(acts.count("POST /staff/account/sessions/end-others"), 1u);
}

// A lost password: her recovery key, in the browser, sets a password she chooses; she keeps
// her conversations, gets a new recovery key, sets up TOTP again; the page tells no one
// which usernames exist.
TEST_P(InsiderHttpTest, AnAdvisorWhoLostHerPasswordRecoversWithHerKeyInTheBrowser) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  auto made = rt.staff().CreateUser({"a.lost", kPassword, Role::kAdvisor, "shop", true, std::nullopt});
  ASSERT_TRUE(made.has_value());
  Client holder = LoggedIn("advisor.shop", holder_totp_);
  ASSERT_EQ(holder.Post("/staff/access/" + std::to_string(made->id) + "/approve", {{"csrf", holder.csrf}}).status,
            303);
  auto started = rt.conversations().Start("shop", "still hers to read", "en", {});
  ASSERT_TRUE(started.has_value());
  const std::string conversation =
      "/staff/c/" + store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)->public_id;
  Client before = LoggedIn("a.lost", made->totp_base32);
  ASSERT_EQ(before.Get(conversation).status, 200);

  const std::string fresh = "my very own new passphrase";
  auto recover = [&](const std::string& name, const std::string& key, const std::string& pw) {
    Client c = Fresh();
    c.Get("/staff/recover");
    return c.Post("/staff/recover", {{"csrf", c.csrf}, {"username", name}, {"recovery_key", key},
                                     {"password", pw}, {"password2", pw}});
  };
  EXPECT_NE(Fresh().Get("/staff/login").body.find("/staff/recover"), std::string::npos);
  // A wrong key and an unknown name get the same answer.
  const std::string other_key = NewRecoveryKey().display;
  HttpResult wrong = recover("a.lost", other_key, fresh);
  HttpResult unknown = recover("nobody.here", other_key, fresh);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_NE(wrong.body.find("The username or the recovery key is not right."), std::string::npos);
  EXPECT_EQ(Extract(wrong.body, "role=\"alert\">([^<]*)<"), Extract(unknown.body, "role=\"alert\">([^<]*)<"));
  EXPECT_EQ(recover("a.lost", "not a key", fresh).status, 400);
  EXPECT_NE(recover("a.lost", made->recovery_key, "aaaaaaaaaaaaaaaa").body.find("at least 6 different"),
            std::string::npos);
  EXPECT_EQ(before.Get(conversation).status, 200);  // nothing changed yet

  HttpResult done = recover("a.lost", made->recovery_key, fresh);
  ASSERT_EQ(done.status, 200) << done.body;
  const std::string new_key = Extract(done.body, "<code>([0-9A-Z-]{39})</code>");
  ASSERT_FALSE(new_key.empty());
  EXPECT_NE(new_key, made->recovery_key);
  EXPECT_EQ(before.Get("/staff").status, 303);  // her sessions ended
  EXPECT_EQ(recover("a.lost", made->recovery_key, "yet another passphrase").status, 401);  // spent

  // The new password, then a new authenticator, then her conversation, still readable.
  Client after = Fresh();
  after.Get("/staff/login");
  HttpResult login = after.Post("/staff/login", {{"csrf", after.csrf}, {"username", "a.lost"},
                                                 {"password", fresh}, {"code", ""}});
  ASSERT_EQ(login.status, 303);
  EXPECT_EQ(login.Header("location"), "/staff/enrol");
  std::string secret = Extract(after.Get("/staff/enrol").body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto totp = TotpSecretFromBase32(secret);
  ASSERT_TRUE(totp.has_value());
  ASSERT_EQ(after.Post("/staff/enrol", {{"csrf", after.csrf}, {"code", TotpCode(*totp, server_.clock.Now())}}).status,
            303);
  EXPECT_NE(after.Get(conversation).body.find("still hers to read"), std::string::npos);

  EXPECT_EQ(AuditActions().count("staff.recover"), 1u);
  std::string verdict;
  EXPECT_EQ(Verify(&verdict), 0) << verdict;

  // On the command line she types the key and her new password; nothing made up is printed.
  const std::string cli_pw = "typed at the terminal";
  std::string out;
  ASSERT_EQ(RunCli("user recover --username a.lost", &out,
                   new_key + "\\n" + cli_pw + "\\n" + cli_pw + "\\n"),
            0)
      << out;
  EXPECT_FALSE(Extract(out, "new recovery key: +([0-9A-Z-]{39})").empty()) << out;
  EXPECT_EQ(out.find("new password:"), std::string::npos) << out;
  EXPECT_EQ(out.find(cli_pw), std::string::npos) << out;
  EXPECT_EQ(AuditActions().count("cli.user.recover"), 1u);
  // The old recovery key is spent; the password she typed works on the server, though the
  // command line hashed it at its own (production) Argon2 cost: the cost is stored with it.
  EXPECT_EQ(recover("a.lost", new_key, "yet another passphrase").status, 401);
  Client cli_login = Fresh();
  cli_login.Get("/staff/login");
  EXPECT_EQ(cli_login.Post("/staff/login", {{"csrf", cli_login.csrf}, {"username", "a.lost"},
                                            {"password", cli_pw}, {"code", ""}}).Header("location"),
            "/staff/enrol");
}

// `vertrouwd user add` prints an enrolment code, never a password or a recovery key.
TEST_P(InsiderHttpTest, TheCommandLinePrintsAnEnrolmentCodeOnly) {
  if (!server_.runtime) return;
  std::string out;
  ASSERT_EQ(RunCli("user add --username a.cli --role advisor --org shop", &out), 0) << out;
  EXPECT_FALSE(Extract(out, "enrolment code: +([0-9A-Z-]{39})").empty()) << out;
  EXPECT_EQ(out.find("password:"), std::string::npos) << out;
  EXPECT_EQ(out.find("recovery key:"), std::string::npos) << out;
  auto user =
      store_test::ReadOne(server_.runtime->store(), &StaffStore::FindUserByUsername, "a.cli");
  ASSERT_TRUE(user.has_value());
  EXPECT_TRUE(user->public_key.empty());
  EXPECT_TRUE(user->pw_verifier.empty());

  // The command line's acts are in the audit log, naming the account that ran them (issue 16
  // item 6), and the chain still verifies.
  ASSERT_EQ(RunCli("org add --slug cli-org --name 'Made on the command line'", &out), 0) << out;
  auto entries = store_test::ReadOne(server_.runtime->store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(entries.has_value());
  std::vector<std::string> cli;
  for (const AuditEntry& e : *entries) {
    if (e.action.starts_with("cli.")) {
      EXPECT_EQ(e.user_id, 0);
      cli.push_back(e.action + " " + e.record);
    }
  }
  const auto org = store_test::ReadOne(server_.runtime->store(), &StaffStore::FindOrganisationBySlug, "cli-org");
  ASSERT_TRUE(org.has_value());
  ASSERT_EQ(cli.size(), 2u);
  const std::string os = " os:" + std::string(getpwuid(geteuid())->pw_name);
  EXPECT_EQ(cli[0].substr(0, cli[0].find(" sudo:")), "cli.user.add user:" + std::to_string(user->id) + os);
  EXPECT_EQ(cli[1].substr(0, cli[1].find(" sudo:")), "cli.org.add organisation:" + std::to_string(org->id) + os);
  EXPECT_EQ(Verify(&out), 0) << out;
}

// Who read or wrote what is the audit log's business: no info-level log line names a staff
// member (issue 16 item 5). Each staff act that logs a line of its own is run once; its line
// says what happened and nothing about who.
TEST_P(InsiderHttpTest, NoInfoLogLineNamesTheStaffMemberWhoActed) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  const std::string coordinator_totp =
      AddStaff(rt, "coordinator.shop", kPassword, Role::kCoordinator, "shop");
  AddStaff(rt, "advisor2.shop", kPassword, Role::kAdvisor, "shop");
  const int64_t second =
      store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor2.shop")->id;
  auto started = rt.conversations().Start("shop", "please answer", "en", {});
  ASSERT_TRUE(started.has_value());
  const std::string conversation =
      "/staff/c/" +
      store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)
          ->public_id;

  Client holder = LoggedIn("advisor.shop", holder_totp_);
  ASSERT_EQ(holder.Post("/staff/access/" + std::to_string(second) + "/approve",
                        {{"csrf", holder.csrf}}).status,
            303);
  ASSERT_EQ(holder.Get(conversation).status, 200);
  ASSERT_EQ(holder.Post(conversation + "/reply", {{"csrf", holder.csrf}, {"message", "hello"}})
                .status,
            303);
  ASSERT_EQ(holder.Post(conversation + "/spam", {{"csrf", holder.csrf}, {"view", "all"}}).status,
            303);
  Client coordinator = LoggedIn("coordinator.shop", coordinator_totp);
  ASSERT_EQ(coordinator.Get("/staff/help/ro/health").status, 200);
  ASSERT_EQ(coordinator.Post("/staff/help/ro/health",
                             {{"csrf", coordinator.csrf}, {"markdown", "# Sănătate\n\nGGD."}})
                .status,
            303);

  std::set<std::string> events;
  std::istringstream lines(server_.log->str());
  const std::regex event(R"(\[info\] req [0-9a-f]{16} (.*)$)");
  for (std::string line; std::getline(lines, line);) {
    if (line.find("[info]") == std::string::npos) continue;
    EXPECT_EQ(line.find("user"), std::string::npos) << line;
    EXPECT_EQ(line.find("by="), std::string::npos) << line;
    for (const char* name : {"advisor.shop", "advisor2.shop", "coordinator.shop"}) {
      EXPECT_EQ(line.find(name), std::string::npos) << line;
    }
    std::smatch m;
    if (std::regex_search(line, m, event)) events.insert(m[1]);
  }
  // The acts were logged, each with nothing after what happened.
  for (const char* done : {"staff login", "access granted", "advisor reply",
                           "conversation marked spam", "help page saved ro/health"}) {
    EXPECT_EQ(events.count(done), 1u) << done;
  }
}

TEST_P(InsiderHttpTest, NoStaffPageIsShownWhenItsReadCannotBeAudited) {
  // An insider who could make the audit log refuse writes (a full disk, a broken table, a
  // lock held) must not read conversations unseen: the page is withheld, and shown again,
  // audited, once the log takes entries.
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  auto started = rt.conversations().Start("shop", "my passport was taken", "en", {});
  ASSERT_TRUE(started.has_value());
  const std::string conversation =
      "/staff/c/" +
      store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)->public_id;
  Client advisor = LoggedIn("advisor.shop", holder_totp_);
  HttpResult read = advisor.Get(conversation);
  ASSERT_EQ(read.status, 200) << read.body;
  ASSERT_NE(read.body.find("my passport was taken"), std::string::npos);
  const size_t audited = AuditActions().size();

  Exec("ALTER TABLE audit_log RENAME TO audit_log_away");
  for (const std::string& path : {conversation, std::string("/staff"), std::string("/staff/contacts")}) {
    HttpResult withheld = advisor.Get(path);
    EXPECT_EQ(withheld.status, 500) << path << "\n" << withheld.body;  // a broken table: kStorage
    EXPECT_EQ(withheld.body.find("my passport was taken"), std::string::npos) << path;
    EXPECT_EQ(withheld.body.find("audit"), std::string::npos) << withheld.body;  // no detail shown
    ExpectSecureHeaders(withheld, "withheld " + path);
  }
  EXPECT_NE(server_.log->str().find("audit failed"), std::string::npos);

  Exec("ALTER TABLE audit_log_away RENAME TO audit_log");
  HttpResult again = advisor.Get(conversation);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("my passport was taken"), std::string::npos);
  EXPECT_EQ(AuditActions().size(), audited + 1);  // the withheld pages left no entry, this one did
  std::string out;
  EXPECT_EQ(Verify(&out), 0) << out;
}

INSTANTIATE_TEST_SUITE_P(Backends, InsiderHttpTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
