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
    const int64_t org = org_ = AddOrganisation("a", "A");
    const int64_t advisor = advisor_ = AddUser("adv", org);
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

  std::optional<ReleaseTerms> Terms(int64_t year) {
    auto t = ReadOne(*store_, &ReportStore::FindTerms, year);
    EXPECT_TRUE(t.has_value());
    return t ? *t : std::nullopt;
  }

  // A release as one stored before the ledger had terms: straight into the store.
  void StoreLegacyRelease(const std::string& city, const std::string& label, int64_t eps_num,
                          int64_t eps_den, const std::string& method = "laplace") {
    auto p = ParsePeriod(label);
    ASSERT_TRUE(p);
    ReleaseRecord rec;
    rec.city = city;
    rec.period_label = label;
    rec.first_month = p->first_month;
    rec.last_month = p->last_month;
    rec.year = p->year();
    rec.method = method;
    rec.status = "published";
    rec.eps_num = eps_num;
    rec.eps_den = eps_den;
    rec.code_version = "old";
    rec.created_at = 1'700'000'000;
    rec.payload = EncodeTables({});
    ASSERT_TRUE(store_test::WriteOne(*store_, &ReportStore::InsertRelease, rec));
  }

  ReleaseSettings settings_;
  int64_t org_ = 0, advisor_ = 0;
};

TEST_F(ReportReleaseTest, AllocationSplitsTheYearlyCapByTheYearsPeriods) {
  auto year = ParsePeriod("2026");
  auto quarter = ParsePeriod("2026-Q2");
  auto months = ParsePeriod("2026-04..2026-06");
  ASSERT_TRUE(year && quarter && months);
  auto eps = [](const Period& p, Periods periods) {
    const Fraction f = ReleaseEpsilon({2, 1}, p, periods);
    return std::pair{f.num, f.den};
  };
  // Released whole: the year spends the cap, and nothing else is released.
  EXPECT_EQ(eps(*year, Periods::kYear), (std::pair<int64_t, int64_t>{2, 1}));
  EXPECT_EQ(eps(*quarter, Periods::kYear), (std::pair<int64_t, int64_t>{0, 1}));
  // Split up front: half for the year, an eighth per quarter; together exactly the cap.
  EXPECT_EQ(eps(*year, Periods::kQuarters), (std::pair<int64_t, int64_t>{1, 1}));
  EXPECT_EQ(eps(*quarter, Periods::kQuarters), (std::pair<int64_t, int64_t>{1, 4}));
  // A month range is no period of a release, even one that spans a quarter.
  EXPECT_EQ(eps(*months, Periods::kQuarters), (std::pair<int64_t, int64_t>{0, 1}));
  const Fraction y = ReleaseEpsilon({2, 1}, *year, Periods::kYear);
  const Allocation a = ReleaseAllocation({2, 1}, *year, Periods::kYear);
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

// Issue 15, item 4: one published total of records, parts that add up to their margins,
// no negative cell, in every table that counts each record once (and those derived from them).
TEST_F(ReportReleaseTest, ThereIsOneTotalAndPartsSumToTheirMargins) {
  Result<Release> r = Prepare("2026", 61);
  ASSERT_TRUE(r) << r.error().detail;
  std::optional<int64_t> total;
  int tables = 0;
  for (const PublishedTable& t : r->tables) {
    const TableDef* def = FindTableDef(t.spec.id);
    const TableDef* base = def && def->source == Source::kDerived ? FindTableDef(def->derived_from) : def;
    if (!base || !base->one_cell_per_record) continue;
    ++tables;
    if (!total) total = t.total.noisy;
    EXPECT_EQ(t.total.noisy, *total) << t.spec.id;
    int64_t sum = 0;
    for (const PublishedCell& c : t.cells) {
      EXPECT_GE(c.noisy, 0) << t.spec.id;
      sum += c.noisy;
    }
    EXPECT_EQ(sum, t.total.noisy) << t.spec.id;
    const size_t cols = t.spec.dims.size() == 2 ? t.spec.dims[1].codes.size() : 1;
    for (size_t i = 0; i < t.row_margins.size(); ++i) {
      int64_t row = 0;
      for (size_t j = 0; j < cols; ++j) row += t.cells[i * cols + j].noisy;
      EXPECT_EQ(t.row_margins[i].noisy, row) << t.spec.id;
    }
    for (size_t j = 0; j < t.col_margins.size(); ++j) {
      int64_t col = 0;
      for (size_t i = 0; i < t.spec.dims[0].codes.size(); ++i) col += t.cells[i * cols + j].noisy;
      EXPECT_EQ(t.col_margins[j].noisy, col) << t.spec.id;
    }
  }
  EXPECT_EQ(tables, 10);  // eight base tables and the two derived from channel × location
}

TEST_F(ReportReleaseTest, BudgetExhaustionRefusesAndStoresNothing) {
  // A release made before the ledger had terms, under another spelling of the city's name,
  // spent the year's cap: it counts, since it counted the same records.
  StoreLegacyRelease("den Haag", "2026", 2, 1);
  Result<Release> more = Prepare("2026", 5);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().code, ErrorCode::kConflict);
  EXPECT_EQ(more.error().user_message, "staff_error.report_budget");
  auto listed = ListReleases(*store_, "Teststad", "");
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_FALSE(Terms(2026));  // a refused release fixes no terms either
  // Another year has its own budget.
  EXPECT_TRUE(Prepare("2027", 6));
}

TEST_F(ReportReleaseTest, ThresholdModeIsWithdrawnAndStoresNothing) {
  Result<Release> r = Prepare("2026", 7, Method::kThreshold);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(r.error().user_message, "staff_error.report_method_withdrawn");
  EXPECT_TRUE(ListReleases(*store_, "Teststad", "")->empty());
  EXPECT_FALSE(Terms(2026));
  // Nor can the method change after a noisy release: an exact threshold release stored
  // before the upgrade under another name makes the year's noisy one impossible.
  StoreLegacyRelease("teststad", "2026-Q1", 0, 1, "threshold");
  Result<Release> mixed = Prepare("2026", 8);
  ASSERT_FALSE(mixed);
  EXPECT_EQ(mixed.error().user_message, "staff_error.report_method_mixed");
  EXPECT_TRUE(ListReleases(*store_, "Teststad", "")->empty());
}

// Issue 15: the cap, the periods, the records per person and the city name are fixed by
// the year's first release; configuration can lower the cap (and the records per person),
// never raise them, and a refusal stores nothing.
TEST_F(ReportReleaseTest, TheCapIsFixedAtTheFirstReleaseAndCanOnlyBeLowered) {
  settings_.periods = Periods::kQuarters;
  Result<Release> q1 = Prepare("2026-Q1", 11);
  ASSERT_TRUE(q1) << q1.error().detail;
  settings_.cap = {10, 1};
  for (const char* period : {"2026-Q2", "2026", "2026-Q1"}) {
    Result<Release> raised = Prepare(period, 12);
    ASSERT_FALSE(raised) << period;
    EXPECT_EQ(raised.error().code, ErrorCode::kConflict);
    EXPECT_EQ(raised.error().user_message, "staff_error.report_cap_fixed");
    EXPECT_NE(raised.error().detail.find("fixed at epsilon 2 "), std::string::npos) << raised.error().detail;
  }
  EXPECT_EQ(ListReleases(*store_, "Teststad", "")->size(), 1u);
  std::optional<ReleaseTerms> terms = Terms(2026);
  ASSERT_TRUE(terms);
  EXPECT_EQ(terms->cap_num, 2);
  EXPECT_EQ(terms->cap_den, 1);
  // Lower is allowed: Q2 then spends an eighth of 1/2.
  settings_.cap = {1, 2};
  ASSERT_TRUE(Prepare("2026-Q2", 13));
  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent);
  EXPECT_EQ(*spent, (std::vector<std::pair<int64_t, int64_t>>{{1, 4}, {1, 16}}));
  EXPECT_EQ(Terms(2026)->cap_num, 2);  // the stored cap stays
  // The records per person likewise.
  settings_.cap = {2, 1};
  settings_.person_cap = kDefaultPersonCap + 1;
  Result<Release> more = Prepare("2026-Q3", 14);
  ASSERT_FALSE(more);
  EXPECT_EQ(more.error().user_message, "staff_error.report_person_cap_fixed");
  // And the periods the year is released in.
  settings_.person_cap = kDefaultPersonCap;
  settings_.periods = Periods::kYear;
  Result<Release> whole = Prepare("2026", 15);
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().user_message, "staff_error.report_periods_fixed");
  EXPECT_EQ(ListReleases(*store_, "Teststad", "")->size(), 2u);
}

TEST_F(ReportReleaseTest, AnotherSpellingOfTheCityCannotReleaseTheRecordsAgain) {
  ASSERT_TRUE(Prepare("2026", 21));
  for (const char* city : {"Teststad ", "teststad", "Utrecht"}) {
    settings_.city = city;
    for (const char* period : {"2026", "2026-Q1"}) {
      Result<Release> again = Prepare(period, 22);
      ASSERT_FALSE(again) << city << period;
      EXPECT_EQ(again.error().code, ErrorCode::kConflict);
      EXPECT_EQ(again.error().user_message, "staff_error.report_city_fixed");
      EXPECT_NE(again.error().detail.find("\"Teststad\""), std::string::npos);
    }
    EXPECT_TRUE(ListReleases(*store_, city, "")->empty()) << city;
  }
  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent);
  EXPECT_EQ(spent->size(), 1u);
}

TEST_F(ReportReleaseTest, ReleasedWholeTheYearRefusesQuartersAndMonthRanges) {
  ASSERT_TRUE(Prepare("2026", 31));
  Result<Release> quarter = Prepare("2026-Q3", 32);
  ASSERT_FALSE(quarter);
  EXPECT_EQ(quarter.error().code, ErrorCode::kConflict);
  EXPECT_EQ(quarter.error().user_message, "staff_error.report_period_mode");
  Result<Release> months = Prepare("2026-01..2026-03", 33);
  ASSERT_FALSE(months);
  EXPECT_EQ(months.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(months.error().user_message, "staff_error.report_period_release");
  EXPECT_EQ(ListReleases(*store_, "Teststad", "")->size(), 1u);
}

TEST_F(ReportReleaseTest, SplitUpFrontTheQuartersAndTheYearAllFitInTheCap) {
  settings_.periods = Periods::kQuarters;
  // Any order: a quarter first does not shut out the annual report, nor the other way round.
  for (const char* period : {"2026-Q2", "2026", "2026-Q1", "2026-Q4", "2026-Q3"}) {
    Result<Release> r = Prepare(period, 41);
    ASSERT_TRUE(r) << period << ": " << r.error().detail;
  }
  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent);
  std::vector<Fraction> fractions;
  for (const auto& [n, d] : *spent) fractions.push_back({n, d});
  EXPECT_TRUE(CheckBudget(fractions, {0, 1}, {2, 1}));
  EXPECT_FALSE(CheckBudget(fractions, {1, 1000}, {2, 1}));  // exactly the cap: 1 + 4 · 1/4
  EXPECT_EQ(Terms(2026)->periods, "quarters");
}

// Issue 15, persons: a case is one person, and counts with at most person_cap records per
// period in every table of records; records without a case count as persons of their own.
TEST_F(ReportReleaseTest, APersonWithTenLinkedRecordsCountsWithTwo) {
  std::vector<ContactRecord> ten;
  for (int i = 0; i < 10; ++i) {
    ContactRecord c = TestContact(org_, advisor_, i % 2 ? "2026-05" : "2026-11", "walk_in",
                                  "window", "ro", "unknown", "25-34", "eu_other");
    c.case_code = "K-2026-0001";
    ten.push_back(c);
  }
  ASSERT_TRUE(store_->InsertContactsBulk(ten));
  auto year = ParsePeriod("2026");
  ASSERT_TRUE(year);
  auto gender_unknown = [](const ExactReport& r) {
    const CountTable* t = FindTable(r, kTableGender);
    return t ? t->cells[2] : -1;  // {"woman", "man", "unknown"}
  };
  Result<ExactReport> all = BuildExact(*store_, SmallCodebook(), *year, std::nullopt);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->records, 70);
  EXPECT_EQ(gender_unknown(*all), 10);
  Result<ExactReport> bounded = BuildExact(*store_, SmallCodebook(), *year, std::nullopt, 2);
  ASSERT_TRUE(bounded);
  EXPECT_EQ(bounded->records, 62);
  EXPECT_EQ(gender_unknown(*bounded), 2);
  // The case still counts once among the cases of 6+ records.
  const CountTable* repeat = FindTable(*bounded, kTableRepeatContacts);
  ASSERT_NE(repeat, nullptr);
  EXPECT_EQ(repeat->cells[3], 1);
  // And a release counts the bounded records (so large a cap that the noise is 0 here).
  settings_.cap = {1000, 1};
  Result<Release> r = Prepare("2026", 51);
  ASSERT_TRUE(r) << r.error().detail;
  for (const PublishedTable& t : r->tables) {
    if (t.spec.id == kTableGender) {
      EXPECT_EQ(t.cells[2].noisy, 2);
      EXPECT_EQ(t.total.noisy, 62);
    }
  }
  EXPECT_EQ(Terms(2026)->person_cap, kDefaultPersonCap);
}

// The store, with each thread's first write transaction held back until every one of
// `threads` threads has reached its own, and its end until every one has ended its own (or
// 10 s passed). So the preparations have all looked for an existing release, scanned and
// drawn their noise when their writes begin, and none starts a second write before the
// others' first: a budget check in one transaction and the insert in another lets both in.
class RendezvousStore final : public store_test::ForwardingDatabase<Store> {
 public:
  RendezvousStore(Store& inner, int threads) : ForwardingDatabase(inner), threads_(threads) {}

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
  // Released by quarters, "2026" spends half the yearly cap and "2026-Q3" an eighth; a
  // release from before the ledger had terms spent the other half: one of them fits.
  ReleaseSettings settings;
  settings.city = "Teststad";
  settings.code_version = "test";
  settings.periods = Periods::kQuarters;
  ReleaseRecord legacy;
  legacy.city = "Teststad";
  legacy.period_label = "2026-01..2026-06";
  legacy.first_month = "2026-01";
  legacy.last_month = "2026-06";
  legacy.year = 2026;
  legacy.method = "laplace";
  legacy.status = "published";
  legacy.eps_num = 1;
  legacy.eps_den = 1;
  legacy.code_version = "old";
  legacy.payload = EncodeTables({});
  ASSERT_TRUE(store_test::WriteOne(*store_, &ReportStore::InsertRelease, legacy));
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
  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(spent->size(), 2u);  // the legacy release and one of ours
  auto listed = ListReleases(*store_, "Teststad", "");
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->size(), 2u);
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
