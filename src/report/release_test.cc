// Releases through the real store (SQLite in a temp folder): prepared once and returned
// unchanged when asked again, refused past the yearly budget with nothing stored, derived
// tables consistent with their base, and an exact payload round trip.

#include "report/release.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "store/store_test_util.h"

namespace vd::report {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::ReadOne;
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

// The store, with each thread's first write transaction held back until every one of
// `threads` threads has reached its own, and its end until every one has ended its own (or
// 10 s passed). So the preparations have all looked for an existing release, scanned and
// drawn their noise when their writes begin, and none starts a second write before the
// others' first: a budget check in one transaction and the insert in another lets both in.
class RendezvousStore final : public Store {
 public:
  RendezvousStore(Store& inner, int threads) : inner_(inner), threads_(threads) {}

  Status Migrate() override { return inner_.Migrate(); }
  Result<int> SchemaVersion() override { return inner_.SchemaVersion(); }
  Result<bool> RunExclusive(int64_t lock_key, const std::function<Status()>& job) override {
    return inner_.RunExclusive(lock_key, job);
  }
  Status ScanContacts(const std::string& first_month, const std::string& last_month,
                      std::optional<int64_t> organisation_id, int parts,
                      const std::function<void(int, const ContactChunk&)>& chunk) override {
    return inner_.ScanContacts(first_month, last_month, organisation_id, parts, chunk);
  }
  Status InsertContactsBulk(const std::vector<ContactRecord>& contacts) override {
    return inner_.InsertContactsBulk(contacts);
  }
  SettingsStore& settings() override { return inner_.settings(); }
  StaffStore& staff() override { return inner_.staff(); }
  SessionStore& sessions() override { return inner_.sessions(); }
  ConversationStore& conversations() override { return inner_.conversations(); }
  ContactStore& contacts() override { return inner_.contacts(); }
  DirectoryStore& directory() override { return inner_.directory(); }
  AuditStore& audit() override { return inner_.audit(); }
  HelpStore& help() override { return inner_.help(); }
  ReportStore& reports() override { return inner_.reports(); }

 protected:
  Status Run(TxKind kind, const char* what, const std::function<Status(Tx&)>& body) override {
    if (kind == TxKind::kRead) return inner_.Read(what, body);
    std::unique_lock lock(mu_);
    const bool first = writers_.insert(std::this_thread::get_id()).second;
    if (!first) {
      lock.unlock();
      return inner_.Write(what, body);
    }
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(10),
                      [&] { return static_cast<int>(writers_.size()) >= threads_; });
    lock.unlock();
    Status s = inner_.Write(what, body);
    lock.lock();
    ++ended_;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_ >= threads_; });
    return s;
  }

 private:
  Store& inner_;
  const int threads_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::set<std::thread::id> writers_;  // threads that began their first write
  int ended_ = 0;                      // first writes ended
};

// Preparations at once, on SQLite and on PostgreSQL (servers sharing one database).
class ReportReleaseRaceTest : public store_test::FreshStoreTest,
                              public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    OpenFreshStore(GetParam(), "release_race", 6);
    if (IsSkipped() || HasFatalFailure()) return;
    const int64_t org = AddOrganisation("a", "A");
    const int64_t advisor = AddUser("adv", org);
    std::vector<ContactRecord> all;
    for (int i = 0; i < 20; ++i) {
      all.push_back(TestContact(org, advisor, i % 2 ? "2026-03" : "2026-09", "walk_in", "window",
                                "ro", "woman", "25-34", "eu_other"));
    }
    ASSERT_TRUE(store_->InsertContactsBulk(all));
  }
};

TEST_P(ReportReleaseRaceTest, TwoPreparationsAtOnceSpendTheYearsBudgetOnce) {
  // "2026" spends the whole yearly cap and "2026-Q3" a quarter of it: one of them fits.
  ReleaseSettings settings;
  settings.city = "Teststad";
  settings.code_version = "test";
  RendezvousStore both(*store_, 2);
  const std::array<const char*, 2> periods = {"2026", "2026-Q3"};
  std::array<std::optional<Result<Release>>, 2> results;
  std::array<std::thread, 2> threads;
  for (size_t i = 0; i < threads.size(); ++i) {
    threads[i] = std::thread([&, i] {
      SeededRandom rng = SeededRandom::FromNumber(i + 1);
      Result<Period> period = ParsePeriod(periods[i]);
      results[i] =
          period ? PrepareRelease(both, SmallCodebook(), *period, settings, rng, 1'800'000'000)
                 : Result<Release>(std::unexpected(period.error()));
    });
  }
  for (std::thread& t : threads) t.join();

  int prepared = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const Result<Release>& r = *results[i];
    if (r) {
      ++prepared;
      continue;
    }
    EXPECT_EQ(r.error().code, ErrorCode::kConflict) << periods[i] << ": " << r.error().detail;
    EXPECT_EQ(r.error().user_message, "staff_error.report_budget") << periods[i];
  }
  EXPECT_EQ(prepared, 1);
  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, "Teststad", 2026);
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(spent->size(), 1u);
  auto listed = ListReleases(*store_, "Teststad", "");
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportReleaseRaceTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

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
