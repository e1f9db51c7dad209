// The table definitions: one entry per table, and the budget split derived from the stated
// shares gives every table exactly the ε it had when the split was a separate weight list
// (so stored releases and their ledger rows stay what they were).

#include "report/tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "report/release.h"

namespace vd::report {
namespace {

TEST(ReportTablesTest, SharesGiveEveryTableItsStatedEpsilon) {
  auto year = ParsePeriod("2026");
  ASSERT_TRUE(year);
  const Allocation a = ReleaseAllocation({2, 1}, *year, Periods::kYear);
  // ε = 2 for the year, split 3:2:2:1:2:1:1:3:2:1:1:1:1 (out of 21).
  const std::vector<std::tuple<std::string, int64_t, int64_t>> expected = {
      {kTableChannelLocation, 2, 7},  {kTableLanguage, 4, 21},  {kTableGender, 4, 21},
      {kTableAgeBand, 2, 21},         {kTableRegion, 4, 21},    {"contacts_by_how_found", 2, 21},
      {kTableTopics, 2, 21},          {kTableSignals, 2, 7},    {kTableIndicatorCategories, 4, 21},
      {kTableEscalations, 2, 21},     {kTableReferrals, 2, 21}, {kTableResponseTimes, 2, 21},
      {kTableRepeatContacts, 2, 21}};
  ASSERT_EQ(a.shares.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(a.shares[i].first, std::get<0>(expected[i]));
    EXPECT_EQ(a.shares[i].second.num, std::get<1>(expected[i])) << a.shares[i].first;
    EXPECT_EQ(a.shares[i].second.den, std::get<2>(expected[i])) << a.shares[i].first;
  }
  // Split up front, a quarter spends an eighth of the cap, in the same proportions.
  auto q = ParsePeriod("2026-Q3");
  ASSERT_TRUE(q);
  const Allocation qa = ReleaseAllocation({2, 1}, *q, Periods::kQuarters);
  EXPECT_EQ(qa.shares[0].second.num, 1);
  EXPECT_EQ(qa.shares[0].second.den, 28);
}

TEST(ReportTablesTest, EveryEntryIsComplete) {
  std::set<std::string_view> ids;
  for (const TableDef& t : ReportTables()) {
    EXPECT_TRUE(ids.insert(t.id).second) << "duplicate id " << t.id;
    EXPECT_TRUE(t.dims.size() == 1 || t.dims.size() == 2) << t.id;
    EXPECT_GE(t.sensitivity, 1) << t.id;
    EXPECT_EQ(t.title, "report.table." + std::string(t.id));
    if (t.source == Source::kDerived) {
      // Derived tables spend nothing and keep dims of their base.
      EXPECT_EQ(t.share, 0) << t.id;
      const TableDef* base = FindTableDef(t.derived_from);
      ASSERT_NE(base, nullptr) << t.id;
      for (const DimensionDef& d : t.dims) {
        EXPECT_TRUE(std::ranges::any_of(base->dims, [&](const DimensionDef& b) { return b.id == d.id; }))
            << t.id << " " << d.id;
      }
      continue;
    }
    EXPECT_GT(t.share, 0) << t.id;
    if (t.source == Source::kRecords && !t.tally) {
      // Counted at the cell of the record's field values: every dim is a field.
      for (const DimensionDef& d : t.dims) {
        EXPECT_TRUE(d.field != kNoField || d.column != nullptr) << t.id << " " << d.id;
      }
    }
    if (t.source == Source::kCases) {
      EXPECT_NE(t.case_cell, nullptr) << t.id;
    }
  }
}

TEST(ReportTablesTest, SectionsComeFromTheDefinition) {
  TableSpec spec;
  spec.id = kTableSignals;
  EXPECT_EQ(SectionOf(spec), Section::kSignals);
  spec.id = "contacts_by_location";
  EXPECT_EQ(SectionOf(spec), Section::kReach);
  spec.id = kTableTopics;
  EXPECT_EQ(SectionOf(spec), Section::kOther);
  // A table no definition knows (an older release): its base's section, else "other".
  spec.id = "escalations_by_destination";
  spec.derived_from = kTableSignals;
  EXPECT_EQ(SectionOf(spec), Section::kSignals);
  spec.derived_from.clear();
  EXPECT_EQ(SectionOf(spec), Section::kOther);
}

}  // namespace
}  // namespace vd::report
