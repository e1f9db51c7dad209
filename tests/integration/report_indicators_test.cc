// Two servers on one database (SQLite file or PostgreSQL): a coordinator adds an indicator
// through server A's /staff/indicators form and records on A use it; a report prepared on
// server B, whose indicator catalog was loaded before that version existed, still counts
// those records in the indicator-category table, in the stored release, its HTML preview and
// the coordinator's exact internal view.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "integration/http_client.h"
#include "integration/test_env.h"
#include "report/engine.h"
#include "report/release.h"
#include "store/contact_store_test_util.h"
#include "store/store_test_util.h"

namespace vd::testing {

namespace {

constexpr char kPassword[] = "correct horse battery staple";
constexpr char kCity[] = "Den Haag";
constexpr int kBulkRecords = 600;

using Form = std::vector<std::pair<std::string, std::string>>;

// The indicator-category table's section of a rendered report ("" if there is none).
std::string IndicatorTable(const std::string& html) {
  const size_t start = html.find("id=\"t-" + std::string(report::kTableIndicatorCategories) + "\"");
  if (start == std::string::npos) return "";
  const size_t end = html.find("</section>", start);
  return html.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// The first cell (column "window") and the last cell (the row total) of the row labelled
// `label`, or "" if there is no such row.
std::string FirstCell(const std::string& table, const std::string& label) {
  return Extract(table, "<tr><th scope=\"row\">" + label + "</th><td>([^<]*)</td>");
}
std::string RowTotal(const std::string& table, const std::string& label) {
  return Extract(table, "<tr><th scope=\"row\">" + label + "</th>(?:<td>[^<]*</td>)*<td>([^<]*)</td></tr>");
}

class ReportIndicatorsTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!a_.Start(GetParam())) return;
    // Reports need a city from [report]: reopen server A with one, then open B alike.
    a_.runtime.reset();
    a_.config.site.report.city = kCity;
    auto reopened = Runtime::Open(a_.config, a_.clock);
    ASSERT_TRUE(reopened.has_value()) << reopened.error().detail;
    a_.runtime = std::move(*reopened);
    AddOrganisation(*a_.runtime, "dehaven", "De Haven");
    totp_[Role::kAdvisor] = AddStaff(*a_.runtime, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    totp_[Role::kCoordinator] =
        AddStaff(*a_.runtime, "coordinator.dehaven", kPassword, Role::kCoordinator, "dehaven");
    auto b = Runtime::Open(a_.config, a_.clock);
    ASSERT_TRUE(b.has_value()) << b.error().detail;
    b_ = std::move(*b);
    auto pa = a_.runtime->Start();
    auto pb = b_->Start();
    ASSERT_TRUE(pa.has_value() && pb.has_value());
    port_a_ = *pa;
    port_b_ = *pb;
  }

  void TearDown() override {
    if (b_) b_->Stop();
    b_.reset();  // before a_ drops the database
  }

  Client LoggedIn(uint16_t port, Role role) {
    static const std::map<Role, std::string> names = {{Role::kAdvisor, "advisor.dehaven"},
                                                      {Role::kCoordinator, "coordinator.dehaven"}};
    a_.clock.Advance(31);  // a fresh TOTP step: a code is accepted once
    Client c(port);
    c.extra_headers["Accept-Language"] = "en";
    HttpResult r = LogIn(c, names.at(role), kPassword, totp_[role], a_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    return c;
  }

  TestServer a_;
  std::unique_ptr<Runtime> b_;
  uint16_t port_a_ = 0, port_b_ = 0;
  std::map<Role, std::string> totp_;
};

TEST_P(ReportIndicatorsTest, ReportOnServerBCountsAnIndicatorAddedThroughServerA) {
  if (!a_.runtime || !b_) return;
  // Server B has served the coordinator before the new version exists.
  Client coord_b = LoggedIn(port_b_, Role::kCoordinator);
  ASSERT_EQ(coord_b.Get("/staff/reports").status, 200);
  ASSERT_FALSE(coord_b.csrf.empty());

  // Through server A: a new indicator in the "money" category, as version 2.
  Client coord_a = LoggedIn(port_a_, Role::kCoordinator);
  ASSERT_EQ(coord_a.Get("/staff/indicators").status, 200);
  HttpResult added = coord_a.Post("/staff/indicators", AddAdvanceIndicatorForm(coord_a.csrf));
  ASSERT_EQ(added.status, 303) << added.body.substr(0, 500);
  ASSERT_TRUE(store_test::ReadOne(a_.runtime->store(), &SettingsStore::Get, "indicator_list.v2")
                  ->has_value());

  // An advisor on A records a contact whose only indicator is the new one.
  Client advisor_a = LoggedIn(port_a_, Role::kAdvisor);
  ASSERT_EQ(advisor_a.Get("/staff/contacts/new").status, 200);
  const Form contact = {
      {"csrf", advisor_a.csrf}, {"month", "2026-12"}, {"channel", "outreach_visit"},
      {"location", "window"}, {"language", "hu"}, {"gender", "woman"},
      {"age_band", "18-24"}, {"region", "eu_other"}, {"topic", "health"},
      {"advice", "information"}, {"indicator", "fin.advance"}, {"assessment", "concern"},
      {"escalation", "unknown"}, {"escalation_basis", "unknown"},
      {"escalation_anonymous", "unknown"}, {"referral1_org", "none"},
      {"referral2_org", "none"}, {"referral3_org", "none"}, {"case_mode", "none"},
      {"case_code", ""}, {"notes", ""}};
  HttpResult made = advisor_a.Post("/staff/contacts/new", contact);
  ASSERT_EQ(made.status, 303) << made.body.substr(0, 500);
  const std::string contact_id = Extract(made.Header("location"), "/staff/contacts/([0-9]+)");
  ASSERT_FALSE(contact_id.empty());
  auto stored = ContactsInTx(a_.runtime->store()).Find(std::stoll(contact_id));
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->indicator_version, 2);
  ASSERT_EQ(stored->indicators, std::vector<std::string>{"fin.advance"});

  // Enough more such records that the noisy published count cannot be mistaken for zero.
  std::vector<ContactRecord> bulk(kBulkRecords, *stored);
  for (ContactRecord& c : bulk) {
    c.id = 0;
    c.month = "2026-06";
    c.case_code.clear();
    c.referrals.clear();
  }
  ASSERT_TRUE(a_.runtime->store().InsertContactsBulk(bulk));
  const int64_t exact = kBulkRecords + 1;

  // Server B prepares the year's report: the records of version 2 count under "money".
  HttpResult prepared = coord_b.Post("/staff/reports", {{"csrf", coord_b.csrf}, {"period", "2026"}});
  ASSERT_EQ(prepared.status, 303) << prepared.body.substr(0, 500);
  const std::string id = Extract(prepared.Header("location"), "^/staff/reports/([0-9]+)$");
  ASSERT_FALSE(id.empty());
  auto release = report::FindReleaseById(b_->store(), kCity, std::stoll(id));
  ASSERT_TRUE(release.has_value()) << release.error().detail;
  const report::PublishedTable* table = nullptr;
  for (const report::PublishedTable& t : release->tables) {
    if (t.spec.id == report::kTableIndicatorCategories) table = &t;
  }
  ASSERT_NE(table, nullptr);
  const std::vector<std::string>& categories = table->spec.dims[0].codes;
  const auto money = std::ranges::find(categories, "money");
  ASSERT_NE(money, categories.end());
  const size_t row = static_cast<size_t>(money - categories.begin());
  ASSERT_EQ(table->spec.dims[1].codes.front(), "window");  // where every record was made
  const size_t cell = row * table->spec.dims[1].codes.size();
  ASSERT_LT(cell, table->cells.size());
  // One cell's noise has scale Δ/ε = 3/0.2 = 15: it moves the count by half (300) with
  // probability about 1e-9. Without these records the cell holds 0 plus noise.
  const report::PublishedCell& window = table->cells[cell];
  EXPECT_GT(window.noisy, exact / 2) << "B's report did not count records of the new indicator version";
  EXPECT_LT(window.noisy, exact * 3 / 2);

  // The preview on B shows that figure in the "Money and debts" row of the indicator table.
  HttpResult preview = coord_b.Get("/staff/reports/" + id);
  ASSERT_EQ(preview.status, 200);
  const std::string published = IndicatorTable(preview.body);
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(FirstCell(published, "Money and debts"), window.shown);

  // The coordinator's exact internal view on B: every one of the records, no more.
  HttpResult internal = coord_b.Get("/staff/reports/internal?period=2026");
  ASSERT_EQ(internal.status, 200);
  const std::string exact_table = IndicatorTable(internal.body);
  ASSERT_FALSE(exact_table.empty());
  EXPECT_EQ(FirstCell(exact_table, "Money and debts"), std::to_string(exact));
  EXPECT_EQ(RowTotal(exact_table, "Money and debts"), std::to_string(exact));
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportIndicatorsTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
