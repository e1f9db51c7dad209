// Help pages over HTTP: every shipped page in every language, safe rendering of what a
// coordinator writes, and who may edit (coordinators only, with CSRF), on SQLite and
// PostgreSQL.

#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "domain/help_pages.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

class HelpPagesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "independent", "Onafhankelijke vertrouwenspersonen");
    AddOrganisation(rt, "dehaven", "De Haven");
    coordinator_totp_ = AddStaff(rt, "coordinator.dehaven", kPassword, Role::kCoordinator, "dehaven");
    advisor_totp_ = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client LoggedIn(const std::string& username, const std::string& totp_b32) {
    Client c(port_);
    HttpResult r = LogIn(c, username, kPassword, totp_b32, server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    return c;
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::string coordinator_totp_, advisor_totp_;
};

TEST_P(HelpPagesTest, EveryTopicOpensInEveryLanguage) {
  if (!server_.runtime) return;
  for (const Language& l : server_.runtime->catalogs().languages()) {
    Client c(port_);
    HttpResult index = c.Get("/help?lang=" + l.code);
    ASSERT_EQ(index.status, 200) << l.code;
    for (std::string_view slug : kHelpSlugs) {
      EXPECT_NE(index.body.find("href=\"/help/" + std::string(slug) + "\""), std::string::npos)
          << l.code << " " << slug;
      HttpResult page = c.Get("/help/" + std::string(slug));
      EXPECT_EQ(page.status, 200) << l.code << " " << slug;
      EXPECT_NE(page.body.find("<h1>"), std::string::npos) << l.code << " " << slug;
      EXPECT_NE(page.Header("cache-control").find("no-store"), std::string::npos);
      EXPECT_NE(page.body.find("id=\"quick-exit\""), std::string::npos);
    }
  }
  Client c(port_);
  EXPECT_EQ(c.Get("/help/no-such-topic").status, 404);
  EXPECT_EQ(c.Get("/help/..%2f..%2fetc%2fpasswd").status, 404);
  // The organisations page lists the organisations a worker can write to.
  EXPECT_NE(c.Get("/help/organisations?lang=en").body.find("De Haven"), std::string::npos);
}

TEST_P(HelpPagesTest, CoordinatorEditsSafelyAndOthersCannot) {
  if (!server_.runtime) return;
  const std::string hostile =
      "# Sănătate nouă\n\nTestați gratuit la GGD.\n\n<script>alert(1)</script>\n\n"
      "[click](javascript:alert(1)) <img src=x onerror=alert(2)> [ok](/start)\n";

  Client anonymous(port_);
  anonymous.Get("/help");
  EXPECT_EQ(anonymous.Get("/staff/help").status, 303);  // to the login page
  EXPECT_NE(anonymous.Post("/staff/help/ro/health", {{"csrf", anonymous.csrf}, {"markdown", hostile}}).status, 303);

  Client advisor = LoggedIn("advisor.dehaven", advisor_totp_);
  EXPECT_EQ(advisor.Get("/staff/help").status, 403);
  EXPECT_EQ(advisor.Post("/staff/help/ro/health", {{"csrf", advisor.csrf}, {"markdown", hostile}}).status, 403);

  server_.clock.Advance(31);  // a fresh TOTP step for the next login
  Client coordinator = LoggedIn("coordinator.dehaven", coordinator_totp_);
  HttpResult index = coordinator.Get("/staff/help");
  ASSERT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("/staff/help/th/exploitation"), std::string::npos);
  HttpResult form = coordinator.Get("/staff/help/ro/health");
  ASSERT_EQ(form.status, 200);
  // Without the CSRF token nothing is saved.
  EXPECT_EQ(coordinator.Post("/staff/help/ro/health", {{"markdown", hostile}}).status, 403);
  EXPECT_EQ(coordinator.Post("/staff/help/ro/health", {{"csrf", coordinator.csrf}, {"markdown", "  \n"}}).status, 400);
  EXPECT_EQ(coordinator.Post("/staff/help/xx/health", {{"csrf", coordinator.csrf}, {"markdown", hostile}}).status, 404);
  HttpResult saved = coordinator.Post("/staff/help/ro/health",
                                      {{"csrf", coordinator.csrf}, {"action", "save"}, {"markdown", hostile}});
  EXPECT_EQ(saved.status, 303) << saved.body;

  Client worker(port_);
  HttpResult page = worker.Get("/help/health?lang=ro");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h1>Sănătate nouă</h1>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<a href=\"/start\">ok</a>"), std::string::npos);
  EXPECT_EQ(page.body.find("alert("), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("javascript:"), std::string::npos);
  EXPECT_EQ(page.body.find("onerror"), std::string::npos);
  // Other languages keep their own page.
  EXPECT_EQ(worker.Get("/help/health?lang=en").body.find("Sănătate nouă"), std::string::npos);
  // A restart loads the shipped pages again only where absent: the edit stays.
  Result<int> reloaded = HelpPages(server_.runtime->store(), server_.clock)
                             .LoadShipped(server_.config.site.help_dir, {"ro"});
  ASSERT_TRUE(reloaded.has_value());
  EXPECT_EQ(*reloaded, 0);
  EXPECT_NE(worker.Get("/help/health?lang=ro").body.find("Sănătate nouă"), std::string::npos);
}

// The independent organisation is stored with its Dutch name; a worker sees it in her own
// language (data/help/organisations.txt), and an organisation without a line there keeps its
// stored name.
TEST_P(HelpPagesTest, WorkersSeeTheOrganisationNameInTheirLanguage) {
  if (!server_.runtime) return;
  AddStaff(*server_.runtime, "advisor.independent", kPassword, Role::kAdvisor, "independent");
  struct Case {
    const char* lang;
    const char* organisation;
    const char* shown;
  };
  for (const Case& k : {Case{"th", "independent", "ที่ปรึกษาอิสระที่ไว้ใจได้"},
                        Case{"ro", "independent", "Consilieri de încredere independenți"},
                        Case{"nl", "independent", "Onafhankelijke vertrouwenspersonen"},
                        Case{"th", "dehaven", "De Haven"}}) {
    const std::string what = std::string(k.lang) + " " + k.organisation;
    Client w(port_);
    ASSERT_EQ(w.Get(std::string("/start?lang=") + k.lang).status, 200) << what;
    HttpResult started = w.Post("/start", {{"csrf", w.csrf}, {"organisation", k.organisation},
                                           {"message", "A question about my rights."}});
    ASSERT_EQ(started.status, 200) << what << "\n" << started.body;
    HttpResult conversation = w.Get("/c");
    ASSERT_EQ(conversation.status, 200) << what;
    EXPECT_NE(conversation.body.find(k.shown), std::string::npos) << what << "\n" << conversation.body;
    if (std::string_view(k.lang) != "nl") {
      EXPECT_EQ(conversation.body.find("Onafhankelijke"), std::string::npos) << what;
    }
  }
  // The help page that lists the organisations uses the same names (while the referral
  // directory is empty).
  Client w(port_);
  HttpResult list = w.Get("/help/organisations?lang=th");
  ASSERT_EQ(list.status, 200);
  if (list.body.find("De Haven") != std::string::npos) {
    EXPECT_EQ(list.body.find("Onafhankelijke"), std::string::npos) << list.body;
  }
}

// An admin adds an organisation and names it per language in the browser; workers see the
// name of their language, the shipped translation loses to the admin's, and a language
// without a name shows the stored one. Only admins may, and bad names are refused clearly (staff
// pages are in Dutch unless the browser asks otherwise).
TEST_P(HelpPagesTest, AnAdminAddsAndNamesAnOrganisationPerLanguage) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  const std::string admin_totp = AddStaff(rt, "admin", kPassword, Role::kAdmin, "");
  AddStaff(rt, "advisor.independent", kPassword, Role::kAdvisor, "independent");
  Client admin = LoggedIn("admin", admin_totp);
  ASSERT_EQ(admin.Get("/staff/organisations").status, 200);
  HttpResult added = admin.Post("/staff/organisations", {{"csrf", admin.csrf}, {"slug", "redlight"},
                                                         {"name", "Red Light United"}});
  ASSERT_EQ(added.status, 303) << added.body;
  const std::string page = added.Header("location").substr(0, added.Header("location").find('?'));
  EXPECT_NE(admin.Get(added.Header("location")).body.find("De organisatie is toegevoegd."),
            std::string::npos);
  // Refused clearly, nothing half-written.
  HttpResult taken = admin.Post("/staff/organisations", {{"csrf", admin.csrf}, {"slug", "redlight"},
                                                         {"name", "Again"}});
  EXPECT_EQ(taken.status, 409);
  EXPECT_NE(taken.body.find("Die korte naam is al in gebruik."), std::string::npos) << taken.body;
  HttpResult bad_slug = admin.Post("/staff/organisations", {{"csrf", admin.csrf}, {"slug", "Red Light"},
                                                            {"name", "Red"}});
  EXPECT_EQ(bad_slug.status, 400);
  EXPECT_NE(bad_slug.body.find("Een korte naam heeft 2 tot 64 tekens"), std::string::npos);
  EXPECT_NE(bad_slug.body.find("value=\"Red Light\""), std::string::npos);  // kept for retry
  HttpResult two_lines = admin.Post(page, {{"csrf", admin.csrf}, {"name", "Red\nLight"}});
  EXPECT_EQ(two_lines.status, 400);
  EXPECT_NE(two_lines.body.find("Een naam heeft 1 tot 200 tekens, op één regel."), std::string::npos);
  HttpResult long_ro = admin.Post(page, {{"csrf", admin.csrf}, {"name", "Red Light United"},
                                         {"name_ro", std::string(201, 'x')}});
  EXPECT_EQ(long_ro.status, 400);
  EXPECT_EQ(rt.staff().OrganisationNames().value().size(), 0u);

  HttpResult saved = admin.Post(page, {{"csrf", admin.csrf}, {"name", "Red Light United"},
                                       {"name_ro", "Lumina Roșie Unită"}, {"name_th", "เรดไลท์"}});
  ASSERT_EQ(saved.status, 303) << saved.body;
  HttpResult form = admin.Get(saved.Header("location"));
  EXPECT_NE(form.body.find("Opgeslagen. Werkers zien nu de nieuwe namen."), std::string::npos);
  EXPECT_NE(form.body.find("value=\"Lumina Roșie Unită\""), std::string::npos);
  // The shipped Romanian name of the independent advisors gives way to the admin's.
  Result<std::vector<Organisation>> orgs = rt.staff().Organisations();
  ASSERT_TRUE(orgs.has_value());
  int64_t independent = 0;
  for (const Organisation& o : *orgs) {
    if (o.slug == "independent") independent = o.id;
  }
  ASSERT_EQ(admin.Post("/staff/organisations/" + std::to_string(independent),
                       {{"csrf", admin.csrf}, {"name", "Onafhankelijke vertrouwenspersonen"},
                        {"name_ro", "Consilieri independenți"}}).status, 303);

  // Its first advisor opens it to workers.
  AddStaff(rt, "advisor.redlight", kPassword, Role::kAdvisor, "redlight");
  struct Case {
    const char* lang;
    const char* organisation;
    const char* shown;
  };
  for (const Case& k : {Case{"ro", "redlight", "Lumina Roșie Unită"}, Case{"th", "redlight", "เรดไลท์"},
                        Case{"en", "redlight", "Red Light United"},
                        Case{"ro", "independent", "Consilieri independenți"},
                        Case{"bg", "independent", "Независими доверени консултанти"}}) {
    const std::string what = std::string(k.lang) + " " + k.organisation;
    Client w(port_);
    HttpResult start = w.Get(std::string("/start?lang=") + k.lang);
    ASSERT_EQ(start.status, 200) << what;
    if (std::string_view(k.organisation) == "redlight") {
      EXPECT_NE(start.body.find(k.shown), std::string::npos) << what;
    }
    ASSERT_EQ(w.Post("/start", {{"csrf", w.csrf}, {"organisation", k.organisation},
                                {"message", "A question about my rights."}}).status, 200) << what;
    EXPECT_NE(w.Get("/c").body.find(k.shown), std::string::npos) << what;
  }
  // Emptying a language's name brings back the stored one.
  ASSERT_EQ(admin.Post(page, {{"csrf", admin.csrf}, {"name", "Red Light United"}}).status, 303);
  EXPECT_EQ(rt.staff().OrganisationNames().value().size(), 1u);  // independent's ro stays

  // Nobody else may; the acts are audited.
  const std::string coordinator = coordinator_totp_;
  Client c = LoggedIn("coordinator.dehaven", coordinator);
  EXPECT_EQ(c.Get("/staff/organisations").status, 403);
  EXPECT_EQ(c.Post(page, {{"csrf", c.csrf}, {"name", "Mine now"}}).status, 403);
  auto entries = store_test::ReadOne(rt.store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(entries.has_value());
  int renames = 0, adds = 0;
  for (const AuditEntry& e : *entries) {
    if (e.action == "POST /staff/organisations/{id}") ++renames;
    if (e.action == "POST /staff/organisations") ++adds;
  }
  EXPECT_EQ(adds, 1);
  EXPECT_EQ(renames, 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, HelpPagesTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
