// Issue 4 over HTTP, on SQLite and PostgreSQL, with 2 000 seeded contact records: a
// coordinator prepares a release (noise drawn once, budget spent, draft stored), previews
// and publishes it; preparing again returns the same numbers; analysts see published
// releases only; advisors and admins get 403; the budget refuses a release past the cap;
// bad periods and bad population input give a clear 400 page and store nothing; the
// coordinator's internal view shows exact figures of their own organisation only; the
// annual report renders with charts and tables for the seeded data.

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <regex>

#include "app/seed.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

class ReportHttpTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    // The report settings come from [report] in the config; reopen with a city.
    server_.runtime.reset();
    server_.config.site.report.city = "Den Haag";
    auto reopened = Runtime::Open(server_.config, server_.clock);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().detail;
    server_.runtime = std::move(*reopened);
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "shop", "SHOP");
    AddOrganisation(rt, "dehaven", "De Haven");
    totp_[Role::kAdvisor] = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    totp_[Role::kCoordinator] = AddStaff(rt, "coordinator.dehaven", kPassword, Role::kCoordinator, "dehaven");
    totp_[Role::kAnalyst] = AddStaff(rt, "analyst", kPassword, Role::kAnalyst, "");
    totp_[Role::kAdmin] = AddStaff(rt, "admin", kPassword, Role::kAdmin, "");
    AddStaff(rt, "advisor.shop", kPassword, Role::kAdvisor, "shop");  // records of another organisation
    auto catalog = LoadIndicatorCatalog(rt.store(), server_.config.site.templates_dir);
    ASSERT_TRUE(catalog.has_value());
    ASSERT_NE(catalog->Current(), nullptr);
    SeedOptions seed;
    seed.contacts = 2000;
    seed.year = 2026;
    auto n = SeedContacts(rt.store(), *catalog->Current(), seed);
    ASSERT_TRUE(n.has_value()) << n.error().detail;
    ASSERT_EQ(*n, 2000);
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client LoggedIn(Role role, const std::string& lang = "en") {
    static const std::map<Role, std::string> names = {{Role::kAdvisor, "advisor.dehaven"},
                                                      {Role::kCoordinator, "coordinator.dehaven"},
                                                      {Role::kAnalyst, "analyst"},
                                                      {Role::kAdmin, "admin"}};
    server_.clock.Advance(31);  // a fresh TOTP step
    Client c(port_);
    c.extra_headers["Accept-Language"] = lang;
    HttpResult r = LogIn(c, names.at(role), kPassword, totp_[role], server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    c.Get("/staff/reports");  // picks up the csrf value (analysts have no form: /staff has one)
    if (c.csrf.empty()) c.Get("/staff");
    return c;
  }

  // POSTs a period as the coordinator; returns the release id from the redirect ("" if none).
  std::string Prepare(Client& c, const std::string& period, HttpResult* out = nullptr) {
    HttpResult r = c.Post("/staff/reports", {{"csrf", c.csrf}, {"period", period}});
    if (out) *out = r;
    std::smatch m;
    const std::string loc = r.Header("location");
    if (r.status == 303 && std::regex_match(loc, m, std::regex("/staff/reports/([0-9]+)"))) return m[1];
    return "";
  }

  // Restarts the server with changed [report] settings (the database stays).
  void Restart(const std::function<void(report::ReleaseSettings&)>& change) {
    server_.runtime.reset();
    change(server_.config.site.report);
    auto reopened = Runtime::Open(server_.config, server_.clock);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().detail;
    server_.runtime = std::move(*reopened);
    auto port = server_.runtime->Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  size_t Stored(const std::string& city) {
    auto stored = store_test::ReadOne(server_.runtime->store(), &ReportStore::ListReleases, city, "");
    EXPECT_TRUE(stored.has_value());
    return stored ? stored->size() : 0;
  }

  std::string T(const std::string& lang, const std::string& msgid) {
    return server_.runtime->catalogs().Translate(lang, msgid);
  }

  TestServer server_;
  std::map<Role, std::string> totp_;
  uint16_t port_ = 0;
};

TEST_P(ReportHttpTest, CoordinatorPreparesAndPublishesAnalystSeesOnlyPublished) {
  if (!server_.runtime) return;
  Client coord = LoggedIn(Role::kCoordinator);
  const std::string id = Prepare(coord, "2026");
  ASSERT_FALSE(id.empty());

  // The draft preview: the annual report with charts for the seeded data.
  HttpResult draft = coord.Get("/staff/reports/" + id);
  ASSERT_EQ(draft.status, 200) << draft.body.substr(0, 500);
  EXPECT_NE(draft.Header("content-security-policy").find("default-src 'none'"), std::string::npos);
  EXPECT_NE(draft.Header("cache-control").find("no-store"), std::string::npos);
  EXPECT_NE(draft.body.find(T("en", "report.draft_banner")), std::string::npos);
  EXPECT_NE(draft.body.find("<section id=\"q1\""), std::string::npos);
  EXPECT_NE(draft.body.find("<section id=\"q2\""), std::string::npos);
  EXPECT_GE(Count(draft.body, "<svg "), 14);  // one chart per table
  EXPECT_GE(Count(draft.body, "<table>"), 14);
  EXPECT_EQ(Count(draft.body, "<svg "), Count(draft.body, "role=\"img\""));
  EXPECT_NE(draft.body.find("href=\"/staff/reports/report.css\""), std::string::npos);
  EXPECT_EQ(draft.body.find("<script"), std::string::npos);
  EXPECT_EQ(draft.body.find("<style"), std::string::npos);  // CSP: the stylesheet is linked
  EXPECT_EQ(coord.Get("/staff/reports/report.css").status, 200);

  // Analysts: no drafts, in the list or by id or as downloads.
  Client analyst = LoggedIn(Role::kAnalyst);
  HttpResult list = analyst.Get("/staff/reports");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("/staff/reports/" + id), std::string::npos);
  for (const std::string suffix : {"", "/csv", "/json"}) {
    EXPECT_EQ(analyst.Get("/staff/reports/" + id + suffix).status, 404) << suffix;
  }
  EXPECT_EQ(analyst.Post("/staff/reports/" + id + "/publish", {{"csrf", analyst.csrf}}).status, 403);
  EXPECT_EQ(analyst.Get("/staff/reports/internal?period=2026").status, 403);

  // Re-preparing returns the same release with the same numbers.
  const std::string json_before = coord.Get("/staff/reports/" + id + "/json").body;
  EXPECT_EQ(Prepare(coord, "2026"), id);
  const std::string json_after = coord.Get("/staff/reports/" + id + "/json").body;
  EXPECT_EQ(json_before, json_after);
  EXPECT_NE(json_before.find("\"status\":\"draft\""), std::string::npos);

  // Publish; now the analyst sees it, without the draft banner, and can download it.
  HttpResult pub = coord.Post("/staff/reports/" + id + "/publish", {{"csrf", coord.csrf}});
  EXPECT_EQ(pub.status, 303);
  EXPECT_NE(analyst.Get("/staff/reports").body.find("/staff/reports/" + id), std::string::npos);
  HttpResult html = analyst.Get("/staff/reports/" + id);
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.body.find(T("en", "report.draft_banner")), std::string::npos);
  HttpResult csv = analyst.Get("/staff/reports/" + id + "/csv");
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.Header("content-type").find("text/csv"), std::string::npos);
  EXPECT_NE(csv.Header("content-disposition").find("attachment"), std::string::npos);
  EXPECT_TRUE(csv.body.starts_with("table,method,epsilon,sensitivity,"));
  EXPECT_NE(csv.body.find("\r\nsignals_by_location,laplace,"), std::string::npos);
  HttpResult json = analyst.Get("/staff/reports/" + id + "/json");
  ASSERT_EQ(json.status, 200);
  EXPECT_NE(json.body.find("\"status\":\"published\""), std::string::npos);
  // Published numbers never fall below the display threshold as numbers: only "< 10".
  std::regex small("\"shown\":\"[1-9]\"");
  EXPECT_FALSE(std::regex_search(json.body, small));
  // The published figures are the draft's: publishing draws no new noise.
  EXPECT_EQ(json.body.substr(json.body.find("\"tables\"")), json_before.substr(json_before.find("\"tables\"")));

  // Advisors and admins have no access at all.
  for (Role role : {Role::kAdvisor, Role::kAdmin}) {
    Client c = LoggedIn(role);
    EXPECT_EQ(c.Get("/staff/reports").status, 403);
    EXPECT_EQ(c.Get("/staff/reports/" + id).status, 403);
    EXPECT_EQ(c.Get("/staff/reports/" + id + "/csv").status, 403);
    EXPECT_EQ(c.Get("/staff/population").status, 403);
    EXPECT_EQ(c.Post("/staff/reports", {{"csrf", c.csrf}, {"period", "2026-Q3"}}).status, 403);
  }
}

TEST_P(ReportHttpTest, BudgetExhaustionRefusesAndStoresNothing) {
  if (!server_.runtime) return;
  // A release from before the ledger fixed its terms, under another spelling of the city,
  // spent the year's cap on the same records.
  ReleaseRecord legacy{0, "den Haag", "2026", "2026-01", "2026-12", 2026, "laplace", "published",
                       2, 1, "old", 1, 2, "vdrelease 1\n"};
  ASSERT_TRUE(store_test::WriteOne(server_.runtime->store(), &ReportStore::InsertRelease, legacy));
  Client coord = LoggedIn(Role::kCoordinator);
  HttpResult refused;
  EXPECT_EQ(Prepare(coord, "2026", &refused), "");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find(T("en", "staff_error.report_budget")), std::string::npos);
  EXPECT_EQ(Stored("Den Haag"), 0u);
  // Released whole, a year has no quarters.
  ASSERT_FALSE(Prepare(coord, "2027").empty());
  EXPECT_EQ(Prepare(coord, "2027-Q2", &refused), "");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find(T("en", "staff_error.report_period_mode")), std::string::npos);
  EXPECT_EQ(Stored("Den Haag"), 1u);
}

// Issue 15: after a release, a changed epsilon, method or spelling of the city releases
// nothing: 409 (400 for the withdrawn threshold mode) with a clear message, nothing stored.
TEST_P(ReportHttpTest, ChangedSettingsAfterAReleaseReleaseNothing) {
  if (!server_.runtime) return;
  {
    Client coord = LoggedIn(Role::kCoordinator);
    ASSERT_FALSE(Prepare(coord, "2026").empty());
  }
  struct Case {
    std::function<void(report::ReleaseSettings&)> change;
    int status;
    std::string msgid;
  };
  const std::vector<Case> cases = {
      {[](report::ReleaseSettings& s) { s.cap = {10, 1}; }, 409, "staff_error.report_cap_fixed"},
      {[](report::ReleaseSettings& s) { s.city = "Den Haag "; }, 409, "staff_error.report_city_fixed"},
      {[](report::ReleaseSettings& s) { s.city = "den Haag"; }, 409, "staff_error.report_city_fixed"},
      {[](report::ReleaseSettings& s) { s.periods = report::Periods::kQuarters; }, 409,
       "staff_error.report_periods_fixed"},
      {[](report::ReleaseSettings& s) { s.person_cap = 5; }, 409, "staff_error.report_person_cap_fixed"},
      {[](report::ReleaseSettings& s) { s.method = report::Method::kThreshold; }, 400,
       "staff_error.report_method_withdrawn"},
  };
  const report::ReleaseSettings original = server_.config.site.report;
  for (const Case& c : cases) {
    Restart([&](report::ReleaseSettings& s) {
      s = original;
      c.change(s);
    });
    Client coord = LoggedIn(Role::kCoordinator);
    for (const char* period : {"2026-Q1", "2026"}) {
      HttpResult r;
      EXPECT_EQ(Prepare(coord, period, &r), "") << c.msgid << " " << period;
      EXPECT_EQ(r.status, c.status) << c.msgid << " " << period;
      EXPECT_NE(r.body.find(T("en", c.msgid)), std::string::npos) << c.msgid;
      EXPECT_NE(T("en", c.msgid), c.msgid);
    }
  }
  for (const char* city : {"Den Haag", "Den Haag ", "den Haag"}) {
    EXPECT_EQ(Stored(city), std::string_view(city) == "Den Haag" ? 1u : 0u) << city;
  }
  auto spent = store_test::ReadOne(server_.runtime->store(), &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(spent->size(), 1u);
}

TEST_P(ReportHttpTest, BadPeriodOrPopulationInputGivesAClearPageAndStoresNothing) {
  if (!server_.runtime) return;
  Client coord = LoggedIn(Role::kCoordinator, "nl");
  for (const std::string bad : {"2026-13", "26", "2026-Q5", "2026-06..2026-01", "<script>", ""}) {
    HttpResult r;
    EXPECT_EQ(Prepare(coord, bad, &r), "") << bad;
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  }
  auto releases =
      store_test::ReadOne(server_.runtime->store(), &ReportStore::ListReleases, "Den Haag", "");
  ASSERT_TRUE(releases.has_value());
  EXPECT_TRUE(releases->empty());

  ASSERT_EQ(coord.Get("/staff/population").status, 200);
  auto post = [&](std::vector<std::pair<std::string, std::string>> form) {
    form.emplace_back("csrf", coord.csrf);
    return coord.Post("/staff/population", form);
  };
  const std::vector<std::pair<std::string, std::string>> base = {
      {"dimension", "gender"}, {"year", "2026"}, {"source", "GGD-schatting 2025"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto f = base;
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
  };
  struct Case {
    std::vector<std::pair<std::string, std::string>> form;
    std::string msgid;
  };
  const std::vector<Case> cases = {
      {with({{"share_woman", "1200"}}), "staff_error.population_share"},
      {with({{"share_woman", "-5"}}), "staff_error.population_share"},
      {with({{"share_woman", "abc"}}), "staff_error.population_share"},
      {with({{"share_woman", "700"}, {"share_man", "400"}}), "staff_error.population_sum"},
      {with({}), "staff_error.population_empty"},
      {{{"dimension", "channel"}, {"year", "2026"}, {"source", "x"}, {"share_phone", "10"}},
       "staff_error.population_dimension"},
      {{{"dimension", "gender"}, {"year", "1999"}, {"source", "x"}, {"share_woman", "10"}},
       "staff_error.population_year"},
      {{{"dimension", "gender"}, {"year", "2026"}, {"source", ""}, {"share_woman", "10"}},
       "staff_error.population_source"},
  };
  for (const Case& c : cases) {
    HttpResult r = post(c.form);
    EXPECT_EQ(r.status, 400) << c.msgid;
    // The message is in the user's language (Dutch here).
    EXPECT_NE(r.body.find(T("nl", c.msgid)), std::string::npos) << c.msgid << r.body.substr(0, 400);
    EXPECT_NE(T("nl", c.msgid), c.msgid);
  }
  auto none = store_test::ReadOne(server_.runtime->store(), &ReportStore::ListPopulationEstimates,
                                  "Den Haag", 2026);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());

  // Valid input is stored whole and the report compares reach against it.
  HttpResult ok = post(with({{"share_woman", "700"}, {"share_man", "100"}, {"share_trans_woman", "150"}}));
  EXPECT_EQ(ok.status, 303) << ok.body.substr(0, 400);
  auto stored = store_test::ReadOne(server_.runtime->store(), &ReportStore::ListPopulationEstimates,
                                    "Den Haag", 2026);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->size(), 3u);
  const std::string id = Prepare(coord, "2026");
  ASSERT_FALSE(id.empty());
  HttpResult report = coord.Get("/staff/reports/" + id);
  ASSERT_EQ(report.status, 200);
  EXPECT_NE(report.body.find("id=\"cov-gender\""), std::string::npos);
  EXPECT_NE(report.body.find("GGD-schatting 2025 (2026)"), std::string::npos);
  EXPECT_NE(report.body.find(T("nl", "report.q2.least_reached")), std::string::npos);
}

TEST_P(ReportHttpTest, InternalViewIsExactForTheOwnOrganisationOnly) {
  if (!server_.runtime) return;
  Client coord = LoggedIn(Role::kCoordinator);
  HttpResult r = coord.Get("/staff/reports/internal?period=2026");
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 400);
  EXPECT_NE(r.body.find(T("en", "report.internal_banner")), std::string::npos);
  EXPECT_EQ(r.body.find("<td>&lt; 10</td>"), std::string::npos);  // exact: no small-value display
  // The internal total equals the exact count of this organisation's records.
  auto org =
      store_test::ReadOne(server_.runtime->store(), &StaffStore::FindOrganisationBySlug, "dehaven");
  ASSERT_TRUE(org.has_value());
  int64_t exact = 0;
  ASSERT_TRUE(server_.runtime->store().ScanContacts("2026-01", "2026-12", org->id,
                                                   [&](const ContactChunk& c) { exact += static_cast<int64_t>(c.size); }));
  ASSERT_GT(exact, 0);
  EXPECT_LT(exact, 2000);  // not the whole city
  EXPECT_NE(r.body.find("<span class=\"figure\">" + std::to_string(exact) + "</span>"), std::string::npos);
  // Nothing was stored or spent.
  auto releases =
      store_test::ReadOne(server_.runtime->store(), &ReportStore::ListReleases, "Den Haag", "");
  ASSERT_TRUE(releases.has_value());
  EXPECT_TRUE(releases->empty());
  EXPECT_EQ(coord.Get("/staff/reports/internal?period=nonsense").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportHttpTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace vd::testing
