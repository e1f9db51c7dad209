// Issue 14, the insider attack over HTTP on SQLite and PostgreSQL: an admin creates an advisor
// in an organisation whose conversations she must never read, logs in as that account and
// enrols; a key holder's ordinary login gives it nothing. Only when a key holder approves it
// by name on the access page does it read the conversation. The approval, the first login
// and the enrolment are in the audit log, and `vertrouwd audit verify` passes.

#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"

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
  int Verify(std::string* out) {
    const std::string url = GetParam() == Backend::kSqlite
                                ? "sqlite:" + server_.data_dir + "/vertrouwd.db"
                                : server_.database_url;
    const std::string cmd = std::string(VD_BINARY_DIR) +
                            "/src/app/vertrouwd audit verify --database '" + url + "' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    out->clear();
    while (p && fgets(buf, sizeof buf, p)) *out += buf;
    return p ? WEXITSTATUS(pclose(p)) : -1;
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
      "/staff/c/" + rt.store().FindConversationById(started->conversation_id)->public_id;

  // The admin creates "mallory" in shop and learns its first password from the page.
  Client admin = LoggedIn("admin", admin_totp_);
  HttpResult created = admin.Post("/staff/users", {{"csrf", admin.csrf},
                                                   {"username", "mallory"},
                                                   {"role", "advisor"},
                                                   {"organisation", "shop"}});
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string password = Extract(created.body, "<code>([A-Za-z0-9_-]{15,})</code>");
  ASSERT_FALSE(password.empty()) << created.body;
  const int64_t mallory_id = rt.store().FindUserByUsername("mallory")->id;

  // Mallory logs in and enrols TOTP.
  Client mallory = Fresh();
  mallory.Get("/staff/login");
  HttpResult r = mallory.Post("/staff/login", {{"csrf", mallory.csrf}, {"username", "mallory"},
                                               {"password", password}, {"code", ""}});
  ASSERT_EQ(r.status, 303) << r.body;
  ASSERT_EQ(r.Header("location"), "/staff/enrol");
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
  EXPECT_EQ(rt.store().FindOrgKeyGrant(1, mallory_id).error().code, ErrorCode::kNotFound);
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
  const int64_t holder_id = rt.store().FindUserByUsername("advisor.shop")->id;
  std::multiset<std::string> mallory_acts, holder_acts;
  auto entries = rt.store().ListAudit(0, 1000);
  ASSERT_TRUE(entries.has_value());
  for (const AuditEntry& e : *entries) {
    if (e.user_id == mallory_id) mallory_acts.insert(e.action);
    if (e.user_id == holder_id) holder_acts.insert(e.action + " " + e.record);
  }
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

INSTANTIATE_TEST_SUITE_P(Backends, InsiderHttpTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
