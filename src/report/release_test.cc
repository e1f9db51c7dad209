// Releases through the real store (SQLite in a temp folder): prepared once and returned
// unchanged when asked again, refused past the yearly budget with nothing stored, derived
// tables consistent with their base, and an exact payload round trip.

#include "report/release.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace vd::report {
namespace {

using store_test::Backend;
using store_test::TestContact;

Codebook SmallCodebook() {
  Codebook cb;
  cb.codes["channel"] = {"walk_in", "phone", "unknown"};
  cb.codes["location"] = {"window", "club", "unknown"};
  cb.codes["language"] = {"nl", "ro", "unknown"};
  cb.codes["gender"] = {"woman", "man", "unknown"};
  cb.codes["age_band"] = {"18-24", "25-34", "unknown"};
  cb.codes["region"] = {"nl", "eu_other", "unknown"};
  cb.codes["topic"] = {"health", "safety", "unknown"};
  cb.codes["assessment"] = {"none", "concern", "strong", "unknown"};
  cb.codes["escalation"] = {"none", "police", "unknown"};
  cb.codes["escalation_basis"] = {"none", "consent", "acute_danger", "unknown"};
  cb.codes["indicator_category"] = {"money", "control"};
  cb.codes["referral_service"] = {"health", "other"};
  return cb;
}

class ReportReleaseTest : public store_test::FreshStoreTest {
 protected:
  void SetUp() override {
    OpenFreshStore(Backend::kSqlite, "release", 1);
    if (HasFatalFailure()) return;
    const int64_t org = AddOrganisation("a", "A");
    const int64_t advisor = AddUser("adv", org);
    std::vector<ContactRecord> all;
    for (int i = 0; i < 60; ++i) {
      ContactRecord c = TestContact(org, advisor, i % 2 ? "2026-03" : "2026-09",
                                    i % 3 ? "walk_in" : "phone", i % 4 ? "window" : "club",
                                    i % 5 ? "ro" : "nl", i % 7 ? "woman" : "man", "25-34",
                                    "eu_other");
      if (i % 6 == 0) c.fields.one[FieldIndex("assessment")] = "concern";
      all.push_back(c);
    }
    ASSERT_TRUE(store_->InsertContactsBulk(all));
    settings_.city = "Teststad";
    settings_.code_version = "test";
  }

  Result<Release> Prepare(const std::string& period, uint64_t seed, Method method = Method::kDiscreteLaplace) {
    auto p = ParsePeriod(period);
    if (!p) return std::unexpected(p.error());
    SeededRandom rng = SeededRandom::FromNumber(seed);
    ReleaseSettings s = settings_;
    s.method = method;
    return PrepareRelease(*store_, SmallCodebook(), *p, s, rng, 1'800'000'000);
  }

  ReleaseSettings settings_;
};

TEST_F(ReportReleaseTest, AllocationSplitsTheYearlyCapByPeriodLength) {
  auto year = ParsePeriod("2026");
  auto quarter = ParsePeriod("2026-Q2");
  ASSERT_TRUE(year && quarter);
  const Fraction y = ReleaseEpsilon({2, 1}, *year);
  EXPECT_EQ(y.num, 2);
  EXPECT_EQ(y.den, 1);
  const Fraction q = ReleaseEpsilon({2, 1}, *quarter);
  EXPECT_EQ(q.num, 1);
  EXPECT_EQ(q.den, 2);
  const Allocation a = ReleaseAllocation({2, 1}, *year);
  EXPECT_TRUE(CheckAllocation(a));
  // The shares add up to exactly the release's epsilon (weights out of 20).
  int64_t num = 0, den = 1;
  for (const auto& [id, f] : a.shares) {
    num = num * f.den + f.num * den;
    den *= f.den;
  }
  EXPECT_EQ(num * y.den, y.num * den);
  EXPECT_EQ(a.shares.size(), ReportSpecs(SmallCodebook()).size());
}

TEST_F(ReportReleaseTest, PreparedOnceThenTheStoredReleaseIsReturned) {
  Result<Release> first = Prepare("2026", 1);
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_GT(first->id, 0);
  EXPECT_EQ(first->status, "draft");
  // Other randomness, same answer: no new noise is drawn.
  Result<Release> again = Prepare("2026", 2);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(EncodeTables(again->tables), EncodeTables(first->tables));
  auto listed = ListReleases(*store_, "Teststad", "");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(EncodeTables((*listed)[0].tables), EncodeTables(first->tables));
}

TEST_F(ReportReleaseTest, DerivedTablesAddUpToTheirBase) {
  Result<Release> r = Prepare("2026", 3);
  ASSERT_TRUE(r) << r.error().detail;
  const PublishedTable* base = nullptr;
  const PublishedTable* channel = nullptr;
  for (const PublishedTable& t : r->tables) {
    if (t.spec.id == kTableChannelLocation) base = &t;
    if (t.spec.id == "contacts_by_channel") channel = &t;
  }
  ASSERT_TRUE(base && channel);
  EXPECT_EQ(channel->spec.derived_from, kTableChannelLocation);
  EXPECT_EQ(channel->eps_num, 0);
  EXPECT_EQ(channel->total.noisy, base->total.noisy);
  for (size_t i = 0; i < channel->cells.size(); ++i) EXPECT_EQ(channel->cells[i].noisy, base->row_margins[i].noisy);
}

TEST_F(ReportReleaseTest, BudgetExhaustionRefusesAndStoresNothing) {
  ASSERT_TRUE(Prepare("2026", 4));  // spends the whole yearly cap
  Result<Release> more = Prepare("2026-Q1", 5);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, ErrorCode::kConflict);
  EXPECT_EQ(more.error().user_message, "staff_error.report_budget");
  auto listed = ListReleases(*store_, "Teststad", "");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
  // Another year has its own budget.
  EXPECT_TRUE(Prepare("2027-Q1", 6));
}

TEST_F(ReportReleaseTest, ThresholdModeSuppressesSmallCells) {
  Result<Release> r = Prepare("2026", 7, Method::kThreshold);
  ASSERT_TRUE(r) << r.error().detail;
  EXPECT_EQ(r->method, Method::kThreshold);
  for (const PublishedTable& t : r->tables) {
    for (const PublishedCell& c : t.cells) {
      if (!c.suppressed) {
        EXPECT_GE(c.noisy, 10) << t.spec.id;
      }
    }
  }
}

TEST(ReportReleasePayloadTest, RoundTripsExactlyAndRejectsGarbage) {
  PublishedTable t;
  t.spec.id = "x";
  t.spec.dims = {{"d", {"a b", "c:d", "%"}}};
  t.spec.sensitivity = 3;
  t.eps_num = 1;
  t.eps_den = 7;
  t.cells = {{-3, false, "0"}, {4, false, "< 10"}, {0, true, "x"}};
  t.total = {1, false, "< 10"};
  const std::string payload = EncodeTables({t});
  auto back = DecodeTables(payload);
  ASSERT_TRUE(back) << back.error().detail;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].spec.dims[0].codes, t.spec.dims[0].codes);
  EXPECT_EQ((*back)[0].cells[1].shown, "< 10");
  EXPECT_EQ((*back)[0].cells[0].noisy, -3);
  EXPECT_TRUE((*back)[0].cells[2].suppressed);
  EXPECT_EQ(EncodeTables(*back), payload);
  EXPECT_FALSE(DecodeTables("garbage"));
  EXPECT_FALSE(DecodeTables("vdrelease 1\ncells 1:0:1\n"));
  std::string truncated = payload.substr(0, payload.size() - 4);
  EXPECT_FALSE(DecodeTables(truncated));
}

}  // namespace
}  // namespace vd::report
