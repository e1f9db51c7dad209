// The report engine on a small hand-made data set whose counts were worked out by hand
// (see the comments): caps, period boundaries, the organisation filter, codes outside the
// codebook, and the period parser.

#include "report/engine.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "store/store_test_util.h"

namespace vd::report {
namespace {

using store_test::Backend;
using store_test::TestContact;
using store_test::WriteOne;

Codebook TestCodebook(int64_t dir1, int64_t dir2) {
  Codebook cb;
  cb.codes["channel"] = {"walk_in", "phone", "online_outreach", "unknown"};
  cb.codes["location"] = {"window", "club", "online", "unknown"};
  cb.codes["language"] = {"nl", "en", "ro", "unknown"};
  cb.codes["gender"] = {"woman", "man", "trans_woman", "unknown"};
  cb.codes["age_band"] = {"18-24", "25-34", "35-44", "unknown"};
  cb.codes["region"] = {"nl", "eu_other", "cee_non_eu", "asia", "unknown"};
  cb.codes["topic"] = {"health", "safety", "money_debts", "housing", "leaving", "violence", "unknown"};
  cb.codes["assessment"] = {"none", "concern", "strong", "unknown"};
  cb.codes["escalation"] = {"none", "comensha", "police", "unknown"};
  cb.codes["escalation_basis"] = {"none", "consent", "acute_danger", "unknown"};
  cb.codes["indicator_category"] = {"movement", "living", "money", "control", "violence"};
  cb.indicator_category = {{{1, "ctl.debt"}, "money"},
                           {{1, "doc.withheld"}, "control"},
                           {{1, "mov.restricted"}, "movement"},
                           {{1, "liv.employer_housing"}, "living"},
                           {{2, "new.code"}, "violence"}};
  cb.directory = {{dir1, "shop"}, {dir2, "haven"}};
  cb.codes["referral_service"] = {"health", "legal", "debt", "other"};
  return cb;
}

class ReportEngineTest : public store_test::FreshStoreTest {
 protected:
  void SetUp() override {
    OpenFreshStore(Backend::kSqlite, "engine", 1);
    if (HasFatalFailure()) return;
    org_a_ = AddOrganisation("a", "A");
    org_b_ = AddOrganisation("b", "A");
    advisor_ = AddUser("adv", org_a_);
    DirectoryEntry e;
    for (const char* slug : {"shop", "haven", "elsewhere"}) {
      e.slug = e.name = slug;
      dirs_.push_back(WriteOne(*store_, &DirectoryStore::Insert, e).value_or(0));
    }
    codebook_ = TestCodebook(dirs_[0], dirs_[1]);
    Seed();
  }

  ContactRecord Rec(int64_t org, const std::string& month, const std::string& channel,
                    const std::string& location, const std::string& language,
                    const std::string& gender, const std::string& age, const std::string& region) {
    return TestContact(org, advisor_, month, channel, location, language, gender, age, region);
  }
  Referral Ref(size_t dir, const std::string& service) {
    Referral r;
    r.directory_id = dirs_[dir];
    r.service = service;
    r.consent = "yes";
    r.kind = "warm";
    return r;
  }

  // Period 2026: R1, R2, R3, R8 (organisation A), R4, R9, R10 (B). R5..R7 lie outside.
  void Seed() {
    std::vector<ContactRecord> all;
    ContactRecord r1 = Rec(org_a_, "2026-01", "phone", "window", "ro", "woman", "25-34",
                           "eu_other");
    r1.fields.many[FieldIndex("topic")] = {"health", "housing", "money_debts", "safety"};  // 4: housing is dropped
    r1.indicators = {"ctl.debt", "doc.withheld", "liv.employer_housing", "mov.restricted"};
    r1.fields.one[FieldIndex("assessment")] = "strong";
    r1.escalation = "police";
    r1.escalation_basis = "acute_danger";
    r1.escalation_anonymous = "no";
    r1.case_code = "K-A";
    r1.referrals = {Ref(0, "legal"), Ref(0, "legal"), Ref(1, "health"), Ref(0, "debt")};
    all.push_back(r1);
    ContactRecord r2 = Rec(org_a_, "2026-06", "walk_in", "club", "nl", "man", "18-24", "nl");
    r2.case_code = "K-A";
    all.push_back(r2);
    ContactRecord r3 = Rec(org_a_, "2026-12", "phone", "window", "ro", "trans_woman",
                           "unknown", "cee_non_eu");
    r3.fields.many[FieldIndex("topic")] = {"leaving"};
    r3.indicators = {"ctl.debt", "xx.unlisted"};
    r3.fields.one[FieldIndex("assessment")] = "concern";
    r3.escalation = "comensha";
    r3.escalation_basis = "consent";
    r3.escalation_anonymous = "yes";
    r3.case_code = "K-B";
    r3.referrals = {Ref(2, "legal")};  // not in the codebook's directory: "other"
    all.push_back(r3);
    ContactRecord r4 = Rec(org_b_, "2026-03", "online_outreach", "online", "en", "woman",
                           "35-44", "asia");
    r4.fields.many[FieldIndex("topic")] = {"violence"};
    r4.fields.one[FieldIndex("assessment")] = "unknown";
    r4.escalation = "unknown";
    all.push_back(r4);
    for (const char* month : {"2025-12", "2027-01", "unknown"}) {
      ContactRecord out = r1;
      out.month = month;
      all.push_back(out);  // R5, R6, R7
    }
    ContactRecord r8 = r2;
    r8.month = "2026-02";
    r8.indicator_version = 2;
    r8.indicators = {"new.code"};
    r8.fields.one[FieldIndex("assessment")] = "concern";
    all.push_back(r8);
    ContactRecord r9 = Rec(org_b_, "2026-03", "unknown", "unknown", "xx", "unknown", "unknown",
                           "unknown");
    r9.fields.one[FieldIndex("assessment")] = "unknown";
    r9.case_code = "K-C";
    all.push_back(r9);
    ContactRecord r10 = r9;
    r10.month = "2026-04";
    r10.fields.one[FieldIndex("language")] = "unknown";
    all.push_back(r10);
    ASSERT_TRUE(store_->InsertContactsBulk(all));

    // First replies: A 30 minutes (February), B 2 days (March).
    auto conversation = [&](int64_t org, const std::string& tag, int64_t at, int64_t reply) {
      Message m;
      m.conversation_id = StartConversation(org, tag, tag, at, at + 10000000);
      m.ciphertext = "x";
      m.author = Author::kAdvisor;
      m.author_user_id = advisor_;
      m.created_at = reply;
      ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, m,
                           ConversationStatus::kAnswered, reply + 1000000));
    };
    const int64_t feb = 1769904000, mar = 1772323200;  // 2026-02-01, 2026-03-01 UTC
    conversation(org_a_, "ca", feb + 50, feb + 50 + 1800);
    conversation(org_b_, "cb", mar + 50, mar + 50 + 2 * 86400);
  }

  ExactReport Build(const std::string& period, std::optional<int64_t> org) {
    auto p = ParsePeriod(period);
    EXPECT_TRUE(p.has_value());
    auto r = BuildExact(*store_, codebook_, *p, org);
    EXPECT_TRUE(r.has_value()) << r.error().detail;
    return r.value_or(ExactReport{});
  }
  static std::vector<int64_t> Cells(const ExactReport& r, const char* id) {
    const CountTable* t = FindTable(r, id);
    EXPECT_NE(t, nullptr) << id;
    return t ? t->cells : std::vector<int64_t>{};
  }
  // One cell of a two-dimensional table by its codes.
  static int64_t Cell(const ExactReport& r, const char* id, const std::string& a,
                      const std::string& b) {
    const CountTable* t = FindTable(r, id);
    if (!t) return -1;
    const auto& d0 = t->spec.dims[0].codes;
    const auto& d1 = t->spec.dims[1].codes;
    const size_t i = static_cast<size_t>(std::ranges::find(d0, a) - d0.begin());
    const size_t j = static_cast<size_t>(std::ranges::find(d1, b) - d1.begin());
    if (i == d0.size() || j == d1.size()) return -1;
    return t->cells[i * d1.size() + j];
  }
  static int64_t Sum(const std::vector<int64_t>& v) {
    int64_t s = 0;
    for (int64_t x : v) s += x;
    return s;
  }

  int64_t org_a_ = 0, org_b_ = 0, advisor_ = 0;
  std::vector<int64_t> dirs_;
  Codebook codebook_;
};

// A field added to the field table is counted in its own table without engine code of its
// own: here "how they found the service", with one value outside its codes.
TEST_F(ReportEngineTest, HowTheyFoundTheServiceIsCountedInItsOwnTable) {
  std::vector<ContactRecord> more;
  for (const char* how : {"poster", "poster", "another_worker", "not-a-code"}) {
    ContactRecord r = Rec(org_a_, "2026-05", "phone", "window", "ro", "woman", "25-34", "nl");
    r.fields.one[FieldIndex("how_found")] = how;
    more.push_back(r);
  }
  ASSERT_TRUE(store_->InsertContactsBulk(more));
  const ExactReport r = Build("2026", std::nullopt);
  const CountTable* how = FindTable(r, "contacts_by_how_found");
  ASSERT_NE(how, nullptr);
  ASSERT_EQ(how->spec.dims.size(), 1u);
  EXPECT_EQ(how->spec.dims[0].id, "how_found");
  EXPECT_EQ(how->spec.sensitivity, 1);
  // outreach, another_worker, organisation, online, poster, other, unknown: the 7 seeded
  // records and the stray value are unknown.
  EXPECT_EQ(Cells(r, "contacts_by_how_found"), (std::vector<int64_t>{0, 1, 0, 0, 2, 0, 8}));
}

TEST_F(ReportEngineTest, TheYearCountsEveryTableAsWorkedOutByHand) {
  const ExactReport r = Build("2026", std::nullopt);
  EXPECT_EQ(r.records, 7);  // R5 (2025-12), R6 (2027-01), R7 (unknown month) are outside
  EXPECT_EQ(r.tables.size(), 13u);

  EXPECT_EQ(Cell(r, kTableChannelLocation, "phone", "window"), 2);          // R1, R3
  EXPECT_EQ(Cell(r, kTableChannelLocation, "walk_in", "club"), 2);          // R2, R8
  EXPECT_EQ(Cell(r, kTableChannelLocation, "online_outreach", "online"), 1);  // R4
  EXPECT_EQ(Cell(r, kTableChannelLocation, "unknown", "unknown"), 2);       // R9, R10
  EXPECT_EQ(Sum(Cells(r, kTableChannelLocation)), 7);

  // "xx" is not in the codebook: counted under "unknown".
  EXPECT_EQ(Cells(r, kTableLanguage), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_EQ(Cells(r, kTableGender), (std::vector<int64_t>{2, 2, 1, 2}));
  EXPECT_EQ(Cells(r, kTableAgeBand), (std::vector<int64_t>{2, 1, 1, 3}));
  EXPECT_EQ(Cells(r, kTableRegion), (std::vector<int64_t>{2, 1, 1, 1, 2}));
  // How they found the service: not recorded for any of them, so all under "unknown" (the
  // last of the field's own codes, which the codebook does not list).
  EXPECT_EQ(Cells(r, "contacts_by_how_found"), (std::vector<int64_t>{0, 0, 0, 0, 0, 0, 7}));

  // R1's four topics are capped at the first three in codebook order (housing dropped);
  // R2, R8, R9, R10 have none: "unknown".
  EXPECT_EQ(Cells(r, kTableTopics), (std::vector<int64_t>{1, 1, 1, 0, 1, 1, 4}));
  EXPECT_EQ(FindTable(r, kTableTopics)->spec.sensitivity, 3);

  EXPECT_EQ(Cell(r, kTableSignals, "strong", "window"), 1);
  EXPECT_EQ(Cell(r, kTableSignals, "concern", "window"), 1);
  EXPECT_EQ(Cell(r, kTableSignals, "concern", "club"), 1);
  EXPECT_EQ(Cell(r, kTableSignals, "none", "club"), 1);
  EXPECT_EQ(Cell(r, kTableSignals, "unknown", "online"), 1);
  EXPECT_EQ(Cell(r, kTableSignals, "unknown", "unknown"), 2);
  EXPECT_EQ(Sum(Cells(r, kTableSignals)), 7);

  // R1 has four categories, capped at movement, living, money; "control" is dropped. R3's
  // unlisted code is not counted; R8's version-2 code is.
  EXPECT_EQ(Cell(r, kTableIndicatorCategories, "movement", "window"), 1);
  EXPECT_EQ(Cell(r, kTableIndicatorCategories, "living", "window"), 1);
  EXPECT_EQ(Cell(r, kTableIndicatorCategories, "money", "window"), 2);
  EXPECT_EQ(Cell(r, kTableIndicatorCategories, "control", "window"), 0);
  EXPECT_EQ(Cell(r, kTableIndicatorCategories, "violence", "club"), 1);
  EXPECT_EQ(Sum(Cells(r, kTableIndicatorCategories)), 5);

  EXPECT_EQ(Cell(r, kTableEscalations, "none", "none"), 4);
  EXPECT_EQ(Cell(r, kTableEscalations, "police", "acute_danger"), 1);
  EXPECT_EQ(Cell(r, kTableEscalations, "comensha", "consent"), 1);
  EXPECT_EQ(Cell(r, kTableEscalations, "unknown", "none"), 1);

  // R1's fourth referral (shop, debt) is over the cap; R3's goes to "other".
  EXPECT_EQ(Cell(r, kTableReferrals, "shop", "legal"), 2);
  EXPECT_EQ(Cell(r, kTableReferrals, "haven", "health"), 1);
  EXPECT_EQ(Cell(r, kTableReferrals, "shop", "debt"), 0);
  EXPECT_EQ(Cell(r, kTableReferrals, "other", "legal"), 1);
  EXPECT_EQ(Sum(Cells(r, kTableReferrals)), 4);

  EXPECT_EQ(Cells(r, kTableResponseTimes), (std::vector<int64_t>{1, 0, 0, 1, 0}));
  // K-A: 3 records (3-5); K-B: 1; K-C: 2; R4 without a case: 1.
  EXPECT_EQ(Cells(r, kTableRepeatContacts), (std::vector<int64_t>{2, 1, 1, 0}));
  EXPECT_EQ(FindTable(r, kTableRepeatContacts)->spec.sensitivity, 2);
}

TEST_F(ReportEngineTest, AnOrganisationSeesOnlyItsOwnRecords) {
  const ExactReport a = Build("2026", org_a_);
  EXPECT_EQ(a.records, 4);
  EXPECT_EQ(a.organisation_id, org_a_);
  EXPECT_EQ(Cells(a, kTableLanguage), (std::vector<int64_t>{2, 0, 2, 0}));
  EXPECT_EQ(Cells(a, kTableRepeatContacts), (std::vector<int64_t>{1, 0, 1, 0}));
  EXPECT_EQ(Cells(a, kTableResponseTimes), (std::vector<int64_t>{1, 0, 0, 0, 0}));
  const ExactReport b = Build("2026", org_b_);
  EXPECT_EQ(b.records, 3);
  EXPECT_EQ(Cells(b, kTableRepeatContacts), (std::vector<int64_t>{1, 1, 0, 0}));
  EXPECT_EQ(Cells(b, kTableResponseTimes), (std::vector<int64_t>{0, 0, 0, 1, 0}));
  EXPECT_EQ(Sum(Cells(b, kTableReferrals)), 0);
}

TEST_F(ReportEngineTest, PeriodsIncludeTheirFirstAndLastMonthOnly) {
  EXPECT_EQ(Build("2026-Q1", std::nullopt).records, 4);  // R1, R8, R4, R9
  EXPECT_EQ(Build("2026-Q4", std::nullopt).records, 1);  // R3 (December)
  EXPECT_EQ(Build("2026-04..2026-06", std::nullopt).records, 2);  // R10, R2
  EXPECT_EQ(Build("2025", std::nullopt).records, 1);              // R5
  EXPECT_EQ(Build("2027-01..2027-01", std::nullopt).records, 1);  // R6
  const ExactReport empty = Build("2024", std::nullopt);
  EXPECT_EQ(empty.records, 0);
  EXPECT_EQ(Sum(Cells(empty, kTableChannelLocation)), 0);
  EXPECT_EQ(Cells(empty, kTableChannelLocation).size(), 16u);  // every cell, zeros included
}

TEST(ReportPeriodTest, ParsesYearsQuartersAndMonthRangesOnly) {
  auto year = ParsePeriod("2026");
  ASSERT_TRUE(year.has_value());
  EXPECT_EQ(year->first_month, "2026-01");
  EXPECT_EQ(year->last_month, "2026-12");
  EXPECT_EQ(year->year(), 2026);
  auto q2 = ParsePeriod("2026-Q2");
  ASSERT_TRUE(q2.has_value());
  EXPECT_EQ(q2->first_month, "2026-04");
  EXPECT_EQ(q2->last_month, "2026-06");
  EXPECT_EQ(ParsePeriod("2026-Q4")->first_month, "2026-10");
  auto range = ParsePeriod("2026-01..2026-06");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->label, "2026-01..2026-06");
  EXPECT_EQ(range->last_month, "2026-06");
  for (const char* bad : {"", "26", "20266", "1999", "2026-Q0", "2026-Q5", "2026-q1",
                          "2026-13..2026-14", "2026-06..2026-01", "2025-12..2026-01",
                          "2026-01", "2026-01..2026-6", " 2026", "2026 ", "2026-01.2026-02"}) {
    auto p = ParsePeriod(bad);
    ASSERT_FALSE(p.has_value()) << bad;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidInput);
    EXPECT_EQ(p.error().user_message, "staff_error.report_period");
  }
}

}  // namespace
}  // namespace vd::report
