// Store conformance for schema 4 (report scan, bulk insert, release ledger, population
// estimates, first-reply counters): the same tests on SQLite and on PostgreSQL.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "store/contact_store_test_util.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::FailureOf;
using store_test::ReadOne;
using store_test::TestContact;
using store_test::WriteOne;

class ReportStoreTest : public store_test::FreshStoreTest,
                        public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    OpenFreshStore(GetParam(), "rstore", 2);
    if (IsSkipped() || HasFatalFailure()) return;
    org_ = AddOrganisation("dehaven", "De Haven");
    other_org_ = AddOrganisation("shop", "De Haven");
    advisor_ = AddUser("a1", org_);
    DirectoryEntry e;
    e.slug = "shop";
    e.name = "SHOP";
    e.updated_at = 5;
    dir1_ = WriteOne(*store_, &DirectoryStore::Insert, e).value_or(0);
    e.slug = "haven";
    dir2_ = WriteOne(*store_, &DirectoryStore::Insert, e).value_or(0);
  }
  // Prepares a release and spends the budget as one transaction: ReserveBudget, then
  // InsertRelease.
  Result<int64_t> ReleaseWithinBudget(const ReleaseRecord& r, int64_t cap_num, int64_t cap_den) {
    return store_->Write("release", [&](Tx& tx) -> Result<int64_t> {
      if (Status s = store_->reports().ReserveBudget(tx, r, cap_num, cap_den); !s) {
        return std::unexpected(s.error());
      }
      return store_->reports().InsertRelease(tx, r);
    });
  }
  ContactRecord Record(int64_t org, const std::string& month, int i) {
    ContactRecord c = TestContact(org, advisor_, month, i % 2 ? "phone" : "walk_in", "window", "ro",
                                  "woman", "25-34", "eu_other");
    c.case_code = i % 3 == 0 ? "K-0000-000" + std::to_string(i % 9) : "";
    c.created_at = c.updated_at = 1000 + i;
    // Record i has i % 4 topics, one advice (never scanned), i % 3 indicators, i % 2 referrals.
    const std::vector<std::string> topics = {"health", "housing", "safety"};
    for (int t = 0; t < i % 4; ++t) c.fields.many[FieldIndex("topic")].push_back(topics[static_cast<size_t>(t)]);
    c.fields.many[FieldIndex("advice")] = {"information"};
    const std::vector<std::string> ind = {"ctl.debt", "doc.withheld"};
    for (int t = 0; t < i % 3; ++t) c.indicators.push_back(ind[static_cast<size_t>(t)]);
    if (i % 2) {
      Referral r;
      r.directory_id = i % 4 == 1 ? dir1_ : dir2_;
      r.service = "legal";
      r.consent = "yes";
      r.kind = "warm";
      c.referrals.push_back(r);
    }
    return c;
  }

  int64_t org_ = 0, other_org_ = 0, advisor_ = 0, dir1_ = 0, dir2_ = 0;
};

TEST_P(ReportStoreTest, ScanReturnsThePeriodsRecordsWithTheirChildrenInIdOrder) {
  // 16 000 records over three months and two organisations: two fetch chunks in the period.
  std::vector<ContactRecord> batch;
  const std::vector<std::string> months = {"2025-12", "2026-01", "2026-02"};
  for (int i = 0; i < 16000; ++i) {
    batch.push_back(Record(i % 5 == 0 ? other_org_ : org_, months[static_cast<size_t>(i % 3)], i));
  }
  batch.push_back(Record(org_, "unknown", 7));
  ASSERT_TRUE(store_->InsertContactsBulk(batch));
  // A record inserted singly between: same shape of rows.
  ASSERT_TRUE(ContactsInTx(*store_).Insert(Record(org_, "2026-01", 4)).has_value());

  auto check = [&](std::optional<int64_t> org) {
    // Expected: records with month in 2026-01..2026-02 (and the org), by insertion order.
    std::vector<ContactRecord> want;
    for (int i = 0; i < 16000; ++i) {
      const ContactRecord& r = batch[static_cast<size_t>(i)];
      if (r.month >= "2026-01" && r.month <= "2026-02" && (!org || r.organisation_id == *org)) {
        want.push_back(r);
      }
    }
    if (!org || *org == org_) want.push_back(Record(org_, "2026-01", 4));
    // Two parts where the backend splits (SQLite): each part in id order, part 0 below part 1.
    std::mutex mu;
    std::vector<std::vector<ContactRecord>> parts(2);
    std::vector<std::vector<long long>> ids(2);
    size_t chunks = 0;
    Status s = store_->ScanContacts("2026-01", "2026-02", org, 2, [&](int part, const ContactChunk& c) {
      ASSERT_GE(part, 0);
      ASSERT_LT(part, 2);
      constexpr size_t kChannel = FieldIndex("channel"), kTopic = FieldIndex("topic");
      ASSERT_EQ(c.many_begin[kTopic].size(), c.size + 1);
      std::lock_guard lock(mu);
      ++chunks;
      for (size_t i = 0; i < c.size; ++i) {
        ContactRecord r;
        r.organisation_id = c.organisation_id[i];
        r.month = c.month[i];
        r.fields.one[kChannel] = c.one[kChannel][i];
        r.case_code = c.case_code[i];
        r.fields.many[kTopic].assign(c.many[kTopic].begin() + c.many_begin[kTopic][i],
                                     c.many[kTopic].begin() + c.many_begin[kTopic][i + 1]);
        r.indicators.assign(c.indicators.begin() + c.indicator_begin[i],
                            c.indicators.begin() + c.indicator_begin[i + 1]);
        for (uint32_t k = c.referral_begin[i]; k < c.referral_begin[i + 1]; ++k) {
          Referral f;
          f.directory_id = c.referral_directory[k];
          f.service = c.referral_service[k];
          r.referrals.push_back(f);
        }
        parts[static_cast<size_t>(part)].push_back(r);
        ids[static_cast<size_t>(part)].push_back(c.id[i]);
      }
    });
    ASSERT_TRUE(s) << s.error().detail;
    std::vector<long long> all_ids = ids[0];
    all_ids.insert(all_ids.end(), ids[1].begin(), ids[1].end());
    EXPECT_TRUE(std::is_sorted(all_ids.begin(), all_ids.end()));
    EXPECT_EQ(std::adjacent_find(all_ids.begin(), all_ids.end()), all_ids.end());
    std::vector<ContactRecord> got = parts[0];
    got.insert(got.end(), parts[1].begin(), parts[1].end());
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      const ContactRecord& w = want[i];
      EXPECT_EQ(got[i].organisation_id, w.organisation_id);
      EXPECT_EQ(got[i].month, w.month);
      EXPECT_EQ(got[i].fields.one[FieldIndex("channel")], w.fields.one[FieldIndex("channel")]);
      EXPECT_EQ(got[i].case_code, w.case_code);
      EXPECT_EQ(got[i].fields.many[FieldIndex("topic")], w.fields.many[FieldIndex("topic")]);
      EXPECT_EQ(got[i].indicators, w.indicators);
      ASSERT_EQ(got[i].referrals.size(), w.referrals.size());
      if (!w.referrals.empty()) {
        EXPECT_EQ(got[i].referrals[0].directory_id, w.referrals[0].directory_id);
        EXPECT_EQ(got[i].referrals[0].service, "legal");
      }
    }
    EXPECT_GE(chunks, org ? 1u : 2u);  // 10 667 records without the filter
    if (GetParam() == Backend::kSqlite && !org) {
      EXPECT_FALSE(parts[1].empty());  // 16 000 ids: two parts of 8 000
    }
  };
  check(std::nullopt);
  check(other_org_);
  // An empty period calls nothing.
  int calls = 0;
  ASSERT_TRUE(store_->ScanContacts("2027-01", "2027-12", std::nullopt, 2,
                                   [&](int, const ContactChunk&) { ++calls; }));
  EXPECT_EQ(calls, 0);
}

TEST_P(ReportStoreTest, BulkInsertRecordsCasesAndReadsBackLikeSingleInserts) {
  ASSERT_TRUE(store_->InsertContactsBulk({Record(org_, "2026-03", 3), Record(org_, "2026-03", 5)}));
  auto list = ContactsInTx(*store_).List(org_, std::nullopt, 10);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].fields.many[FieldIndex("topic")], (std::vector<std::string>{"health", "housing", "safety"}));
  EXPECT_EQ((*list)[1].fields.many[FieldIndex("advice")], (std::vector<std::string>{"information"}));
  EXPECT_EQ((*list)[0].referrals.size(), 1u);
  EXPECT_EQ(*ContactsInTx(*store_).FindCaseOrganisation("K-0000-0003"), org_);
}

ReleaseRecord Release(const std::string& label, int64_t num, int64_t den) {
  ReleaseRecord r;
  r.city = "den-haag";
  r.period_label = label;
  r.first_month = "2026-01";
  r.last_month = "2026-12";
  r.year = 2026;
  r.method = "laplace";
  r.status = "draft";
  r.eps_num = num;
  r.eps_den = den;
  r.code_version = "test";
  r.created_at = 100;
  r.payload = "{\"tables\":[]}";
  return r;
}

TEST_P(ReportStoreTest, TheLedgerRefusesAReleasePastTheCapAndADuplicate) {
  // Cap 2: 1/2 + 2/3 + 5/6 = 2 exactly fits; one more 1/1000 does not.
  auto a = ReleaseWithinBudget(Release("2026-Q1", 1, 2), 2, 1);
  ASSERT_TRUE(a.has_value()) << a.error().detail;
  ASSERT_TRUE(ReleaseWithinBudget(Release("2026-Q2", 2, 3), 2, 1).has_value());
  ASSERT_TRUE(ReleaseWithinBudget(Release("2026-Q3", 5, 6), 2, 1).has_value());
  auto over = ReleaseWithinBudget(Release("2026-Q4", 1, 1000), 2, 1);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code, ErrorCode::kConflict);
  EXPECT_EQ(over.error().user_message, "staff_error.report_budget");
  // Another year has its own budget; another city name has not (issue 15): every release
  // counts every record of the database, so the budget is the database's.
  ReleaseRecord next = Release("2027", 2, 1);
  next.year = 2027;
  EXPECT_TRUE(ReleaseWithinBudget(next, 2, 1).has_value());
  for (const char* city : {"utrecht", "den-haag ", "Den-Haag"}) {
    ReleaseRecord other = Release("2026", 1, 1000);
    other.city = city;
    auto refused = ReleaseWithinBudget(other, 2, 1);
    ASSERT_FALSE(refused.has_value()) << city;
    EXPECT_EQ(refused.error().user_message, "staff_error.report_budget") << city;
  }
  // One method per year, under any city name: exact counts next to noisy ones would undo
  // the noise.
  for (const char* city : {"den-haag", "leiden"}) {
    ReleaseRecord threshold = Release("2026-Q4", 0, 1);
    threshold.method = "threshold";
    threshold.city = city;
    auto mixed = ReleaseWithinBudget(threshold, 2, 1);
    ASSERT_FALSE(mixed.has_value()) << city;
    EXPECT_EQ(mixed.error().user_message, "staff_error.report_method_mixed") << city;
  }
  // Threshold mode spends nothing; a duplicate (city, label, method) is a conflict.
  ReleaseRecord threshold = Release("2028", 0, 1);
  threshold.year = 2028;
  threshold.method = "threshold";
  threshold.city = "leiden";
  EXPECT_TRUE(ReleaseWithinBudget(threshold, 2, 1).has_value());
  auto dup = ReleaseWithinBudget(threshold, 2, 1);
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

  auto spent = ReadOne(*store_, &ReportStore::ReleasesSpent, 2026);
  ASSERT_TRUE(spent.has_value());
  EXPECT_EQ(*spent, (std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {2, 3}, {5, 6}}));

  auto found = ReadOne(*store_, &ReportStore::FindRelease, "den-haag", "2026-Q1", "laplace");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, *a);
  EXPECT_EQ(found->payload, "{\"tables\":[]}");
  EXPECT_EQ(found->status, "draft");
  EXPECT_EQ(
      ReadOne(*store_, &ReportStore::FindRelease, "den-haag", "2026-Q4", "laplace").error().code,
      ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &ReportStore::PublishRelease, *a, 500));
  EXPECT_EQ(WriteOne(*store_, &ReportStore::PublishRelease, *a, 600).error().code,
            ErrorCode::kNotFound);
  auto published = ReadOne(*store_, &ReportStore::ListReleases, "den-haag", "published");
  ASSERT_TRUE(published.has_value());
  ASSERT_EQ(published->size(), 1u);
  EXPECT_EQ((*published)[0].published_at, 500);
  EXPECT_EQ(ReadOne(*store_, &ReportStore::ListReleases, "den-haag", "")->size(),
            4u);  // 2027's too
}

TEST_P(ReportStoreTest, TermsAreStoredOncePerYear) {
  EXPECT_FALSE(*ReadOne(*store_, &ReportStore::FindTerms, 2026));
  ReleaseTerms t{2026, "Den Haag", 2, 1, "laplace", "quarters", 2, "test", 77};
  ASSERT_TRUE(WriteOne(*store_, &ReportStore::InsertTerms, t));
  ReleaseTerms other = t;
  other.cap_num = 10;
  EXPECT_EQ(FailureOf(WriteOne(*store_, &ReportStore::InsertTerms, other)), ErrorCode::kConflict);
  std::optional<ReleaseTerms> back = *ReadOne(*store_, &ReportStore::FindTerms, 2026);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->city, "Den Haag");
  EXPECT_EQ(back->cap_num, 2);
  EXPECT_EQ(back->periods, "quarters");
  EXPECT_EQ(back->person_cap, 2);
  EXPECT_EQ(back->fixed_at, 77);
  EXPECT_FALSE(*ReadOne(*store_, &ReportStore::FindTerms, 2027));
}

TEST_P(ReportStoreTest, RecordsBeyondTheCaseCapAreTheLaterOnesOfEachCase) {
  // Case A: 5 records in the period (ids in insertion order), one outside it; case B: 2;
  // records without a case: never listed.
  std::vector<ContactRecord> all;
  auto add = [&](const std::string& month, const std::string& code) {
    ContactRecord c = Record(org_, month, 1);
    c.case_code = code;
    all.push_back(c);
  };
  for (int i = 0; i < 3; ++i) add("2026-02", "K-A");
  add("2025-12", "K-A");
  add("2026-03", "K-B");
  for (int i = 0; i < 2; ++i) add("2026-04", "K-A");
  add("2026-05", "K-B");
  for (int i = 0; i < 4; ++i) add("2026-05", "");
  ASSERT_TRUE(store_->InsertContactsBulk(all));
  std::vector<int64_t> ids;
  ASSERT_TRUE(store_->ScanContacts("2025-01", "2026-12", std::nullopt, [&](const ContactChunk& c) {
    for (size_t i = 0; i < c.size; ++i) ids.push_back(c.id[i]);
  }));
  ASSERT_EQ(ids.size(), all.size());
  // Cap 2: A keeps its first two records of 2026 (ids[0], ids[1]); ids[2], ids[5], ids[6]
  // are left out. B has two: none.
  auto beyond = ReadOne(*store_, &ReportStore::RecordsBeyondCaseCap, "2026-01", "2026-12", 2);
  ASSERT_TRUE(beyond.has_value());
  EXPECT_EQ(*beyond, (std::vector<int64_t>{ids[2], ids[5], ids[6]}));
  auto one = ReadOne(*store_, &ReportStore::RecordsBeyondCaseCap, "2026-01", "2026-12", 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(*one, (std::vector<int64_t>{ids[1], ids[2], ids[5], ids[6], ids[7]}));
  EXPECT_TRUE(ReadOne(*store_, &ReportStore::RecordsBeyondCaseCap, "2026-01", "2026-12", 5)->empty());
}

TEST_P(ReportStoreTest, ReleasesInOneTransactionShareTheBudget) {
  // The second reservation sees the first release of the same transaction: 3/2 + 1/2 fits
  // cap 2, a further 1/1000 does not, and its refusal rolls back both releases.
  Status s = store_->Write("releases", [&](Tx& tx) -> Status {
    ReportStore& reports = store_->reports();
    for (const ReleaseRecord& r :
         {Release("2026-H1", 3, 2), Release("2026-H2", 1, 2), Release("2026-Q4", 1, 1000)}) {
      if (Status ok = reports.ReserveBudget(tx, r, 2, 1); !ok) return ok;
      if (Result<int64_t> id = reports.InsertRelease(tx, r); !id)
        return std::unexpected(id.error());
    }
    return {};
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().user_message, "staff_error.report_budget");
  EXPECT_TRUE(ReadOne(*store_, &ReportStore::ReleasesSpent, 2026)->empty());
  EXPECT_EQ(
      FailureOf(ReadOne(*store_, &ReportStore::FindRelease, "den-haag", "2026-H1", "laplace")),
      ErrorCode::kNotFound);
}

TEST_P(ReportStoreTest, AFailureAfterTheReleaseLeavesNeitherReleaseNorSpend) {
  // Prepare a release and spend the budget, then fail (a duplicate release, which spoils the
  // transaction on PostgreSQL): nothing of the first release remains.
  ASSERT_TRUE(ReleaseWithinBudget(Release("2026-Q1", 1, 2), 2, 1).has_value());
  Result<int64_t> r = store_->Write("release", [&](Tx& tx) -> Result<int64_t> {
    ReportStore& reports = store_->reports();
    const ReleaseRecord fresh = Release("2026-Q2", 1, 2);
    if (Status ok = reports.ReserveBudget(tx, fresh, 2, 1); !ok) return std::unexpected(ok.error());
    Result<int64_t> id = reports.InsertRelease(tx, fresh);
    if (!id) return id;
    return reports.InsertRelease(tx, Release("2026-Q1", 1, 2));  // exists: conflict
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_EQ(
      FailureOf(ReadOne(*store_, &ReportStore::FindRelease, "den-haag", "2026-Q2", "laplace")),
      ErrorCode::kNotFound);
  EXPECT_EQ(*ReadOne(*store_, &ReportStore::ReleasesSpent, 2026),
            (std::vector<std::pair<int64_t, int64_t>>{{1, 2}}));
  // The budget left is unchanged: 3/2 more still fits cap 2.
  EXPECT_TRUE(ReleaseWithinBudget(Release("2026-H2", 3, 2), 2, 1).has_value());
}

TEST_P(ReportStoreTest, AReleaseStartedDuringAnotherSeesItsSpend) {
  // Two preparations against a cap that holds one of them: the first is inside its write
  // transaction, past its budget check, when the second begins. The second must wait and
  // then count the first's release, not the spend from before it (a check that does not
  // serialise the ledger lets both through: 2 + 1/2 of a cap of 2).
  std::thread second;
  Result<int64_t> later = std::unexpected(Error{ErrorCode::kInternal, "", "not run"});
  Result<int64_t> first = store_->Write("first", [&](Tx& tx) -> Result<int64_t> {
    const ReleaseRecord year = Release("2026", 2, 1);
    if (Status s = store_->reports().ReserveBudget(tx, year, 2, 1); !s) {
      return std::unexpected(s.error());
    }
    if (!second.joinable()) {  // once, should the body run again
      second = std::thread([&] { later = ReleaseWithinBudget(Release("2026-Q3", 1, 2), 2, 1); });
      // Long enough for the second to reach its BEGIN or its budget check.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    return store_->reports().InsertRelease(tx, year);
  });
  second.join();
  ASSERT_TRUE(first.has_value()) << first.error().detail;
  ASSERT_FALSE(later.has_value());
  EXPECT_EQ(later.error().code, ErrorCode::kConflict);
  EXPECT_EQ(later.error().user_message, "staff_error.report_budget");
  EXPECT_EQ(*ReadOne(*store_, &ReportStore::ReleasesSpent, 2026),
            (std::vector<std::pair<int64_t, int64_t>>{{2, 1}}));
}

TEST_P(ReportStoreTest, PopulationEstimatesAreReplacedPerDimension) {
  PopulationEstimate e;
  e.source = "Regioplan 2024";
  e.updated_at = 9;
  e.code = "ro";
  e.per_mille = 300;
  PopulationEstimate f = e;
  f.code = "hu";
  f.per_mille = 200;
  ASSERT_TRUE(WriteOne(*store_, &ReportStore::ReplacePopulationEstimates, "den-haag", 2026,
                       "language", {e, f}));
  PopulationEstimate g = e;
  g.code = "woman";
  g.per_mille = 800;
  ASSERT_TRUE(
      WriteOne(*store_, &ReportStore::ReplacePopulationEstimates, "den-haag", 2026, "gender", {g}));
  f.per_mille = 250;
  ASSERT_TRUE(WriteOne(*store_, &ReportStore::ReplacePopulationEstimates, "den-haag", 2026,
                       "language", {f}));
  auto list = ReadOne(*store_, &ReportStore::ListPopulationEstimates, "den-haag", 2026);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].dimension, "gender");
  EXPECT_EQ((*list)[1].code, "hu");
  EXPECT_EQ((*list)[1].per_mille, 250);
  EXPECT_EQ((*list)[1].source, "Regioplan 2024");
  EXPECT_TRUE(ReadOne(*store_, &ReportStore::ListPopulationEstimates, "den-haag", 2025)->empty());
  g.per_mille = 1001;
  EXPECT_FALSE(
      WriteOne(*store_, &ReportStore::ReplacePopulationEstimates, "den-haag", 2026, "gender", {g}));
  EXPECT_EQ(ReadOne(*store_, &ReportStore::ListPopulationEstimates, "den-haag", 2026)->size(),
            2u);  // rolled back
}

TEST_P(ReportStoreTest, OnlyTheFirstAdvisorReplyIsCountedInItsBand) {
  auto start = [&](const std::string& tag, int64_t at) {
    return StartConversation(org_, "pub-" + tag, "lookup-" + tag, at, at + 1000000);
  };
  auto reply = [&](int64_t conversation, Author who, int64_t at) {
    Message m;
    m.conversation_id = conversation;
    m.author = who;
    if (who == Author::kAdvisor) m.author_user_id = advisor_;
    m.ciphertext = "y";
    m.created_at = at;
    return WriteOne(*store_, &ConversationStore::AppendMessage, m, ConversationStatus::kAnswered,
                    at + 1000000);
  };
  const int64_t jan = 1767225600;  // 2026-01-01T00:00:00Z
  const int64_t a = start("a", jan + 100), b = start("b", jan + 200), c = start("c", jan - 100);
  ASSERT_TRUE(reply(a, Author::kWorker, jan + 200));               // worker: not a reply
  ASSERT_TRUE(reply(a, Author::kAdvisor, jan + 100 + 2 * 3600));   // 2 h -> 1-4h
  ASSERT_TRUE(reply(a, Author::kAdvisor, jan + 100 + 5 * 86400));  // not the first
  ASSERT_TRUE(reply(b, Author::kAdvisor, jan + 200 + 4 * 86400));  // 4 d -> >3d
  ASSERT_TRUE(reply(c, Author::kAdvisor, jan + 10));               // December 2025, < 1 h
  EXPECT_EQ(ReadOne(*store_, &ConversationStore::FindById, a)->first_reply_at,
            CoarseTime(jan + 100 + 2 * 3600));  // kept to the minute

  auto counts = ReadOne(*store_, &ReportStore::ResponseTimes, "2026-01", "2026-12", std::nullopt);
  ASSERT_TRUE(counts.has_value()) << counts.error().detail;
  std::vector<int64_t> got;
  for (const ResponseTimeCount& r : *counts) got.push_back(r.count);
  EXPECT_EQ(got, (std::vector<int64_t>{0, 1, 0, 0, 1}));
  EXPECT_EQ((*counts)[4].band, ">3d");
  auto dec = ReadOne(*store_, &ReportStore::ResponseTimes, "2025-12", "2025-12", org_);
  EXPECT_EQ((*dec)[0].count, 1);
  EXPECT_EQ(
      (*ReadOne(*store_, &ReportStore::ResponseTimes, "2026-01", "2026-12", other_org_))[1].count,
      0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd
