// Disclosure control as an attacker sees it: published numbers below the threshold, suppressed
// cells recomputed from published margins (a small exact solver over the non-negative
// integers), two releases that differ by one record, budget refusal, derived tables.

#include "report/disclosure.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

namespace vd::report {
namespace {

Dimension Dim(std::string id, size_t n) {
  Dimension d{std::move(id), {}};
  for (size_t k = 0; k < n; ++k) d.codes.push_back("c" + std::to_string(k));
  return d;
}

CountTable Table1D(std::vector<int64_t> cells, int64_t sensitivity = 1) {
  return CountTable{TableSpec{"t1", {Dim("a", cells.size())}, sensitivity, ""}, std::move(cells)};
}

CountTable Table2D(size_t rows, size_t cols, std::vector<int64_t> cells) {
  return CountTable{TableSpec{"t2", {Dim("a", rows), Dim("b", cols)}, 1, ""}, std::move(cells)};
}

// Every number a release shows, in a fixed order: cells, row margins, column margins, total.
std::vector<std::string> AllShown(const PublishedTable& p) {
  std::vector<std::string> out;
  for (const auto* part : {&p.cells, &p.row_margins, &p.col_margins}) {
    for (const PublishedCell& c : *part) out.push_back(c.shown);
  }
  out.push_back(p.total.shown);
  return out;
}

// --- The attacker's solver ---------------------------------------------------------------

// Unknowns are the suppressed inner cells (non-negative integers); every published margin and
// the published total give one equation over them.
struct Equation {
  std::vector<size_t> vars;
  int64_t rhs = 0;
};

struct Attack {
  size_t vars = 0;
  std::vector<size_t> var_of_cell;  // cell index -> var, or SIZE_MAX if published
  std::vector<Equation> equations;
  int64_t bound = 0;  // search cap for otherwise unbounded unknowns
};

constexpr size_t kKnown = SIZE_MAX;

Attack BuildAttack(const PublishedTable& p) {
  Attack a;
  const size_t cols = p.spec.dims.size() == 2 ? p.spec.dims[1].codes.size() : 1;
  int64_t published_sum = 0;
  for (const PublishedCell& c : p.cells) {
    a.var_of_cell.push_back(c.suppressed ? a.vars++ : kKnown);
    if (!c.suppressed) published_sum += c.noisy;
  }
  auto line = [&](const PublishedCell& margin, auto in_line) {
    if (margin.suppressed) return;
    Equation e{{}, margin.noisy};
    for (size_t k = 0; k < p.cells.size(); ++k) {
      if (!in_line(k / cols, k % cols)) continue;
      if (a.var_of_cell[k] == kKnown) e.rhs -= p.cells[k].noisy;
      else e.vars.push_back(a.var_of_cell[k]);
    }
    a.equations.push_back(e);
  };
  for (size_t i = 0; i < p.row_margins.size(); ++i) {
    line(p.row_margins[i], [&](size_t r, size_t) { return r == i; });
  }
  for (size_t j = 0; j < p.col_margins.size(); ++j) {
    line(p.col_margins[j], [&](size_t, size_t c) { return c == j; });
  }
  line(p.total, [](size_t, size_t) { return true; });
  a.bound = published_sum + 100;
  return a;
}

// Depth-first search for a non-negative integer solution extending x[0..k) (x[v] >= 0 on
// entry fixes v). A variable that is the last open one of an equation is forced to the
// remainder; `budget` caps the nodes visited (running out counts as "no solution", which
// makes the checks below fail rather than pass).
bool Solve(const Attack& a, std::vector<int64_t>& x, size_t k, int64_t& budget) {
  if (--budget < 0) return false;
  int64_t low = 0, high = a.bound;
  for (const Equation& e : a.equations) {
    int64_t sum = 0;
    bool has_k = false, open_after_k = false;
    for (size_t v : e.vars) {
      if (v < k) sum += x[v];
      has_k = has_k || v == k;
      open_after_k = open_after_k || v > k;
    }
    if (sum > e.rhs) return false;
    if (!has_k) {
      if (!open_after_k && sum != e.rhs) return false;
      continue;
    }
    high = std::min(high, e.rhs - sum);
    if (!open_after_k) low = std::max(low, e.rhs - sum);  // k closes this equation
  }
  if (k == a.vars) return true;
  if (x[k] >= 0) {
    if (x[k] < low || x[k] > high) return false;
    return Solve(a, x, k + 1, budget);
  }
  for (int64_t v = low; v <= high; ++v) {
    x[k] = v;
    if (Solve(a, x, k + 1, budget)) return true;
  }
  x[k] = -1;
  return false;
}

std::optional<std::vector<int64_t>> Solution(const Attack& a, std::vector<int64_t> fixed) {
  int64_t budget = 2'000'000;
  if (!Solve(a, fixed, 0, budget)) return std::nullopt;
  return fixed;
}

// Whether the sum over `vars` (one suppressed cell, or the suppressed part of a margin) can
// take at least two values. The row, column and total equations form two laminar families,
// a totally unimodular system, so the feasible values of such a sum are an interval of
// integers: checking the neighbours w1 - 1 and w1 + 1 of one feasible value w1 suffices.
bool Ambiguous(Attack a, const std::vector<size_t>& vars) {
  auto first = Solution(a, std::vector<int64_t>(a.vars, -1));
  if (!first) return false;
  int64_t w1 = 0;
  for (size_t v : vars) w1 += (*first)[v];
  a.equations.push_back(Equation{vars, 0});
  for (int64_t w : {w1 - 1, w1 + 1}) {
    if (w < 0) continue;
    a.equations.back().rhs = w;
    if (Solution(a, std::vector<int64_t>(a.vars, -1))) return true;
  }
  return false;
}

// Every suppressed cell and every suppressed margin of a threshold-mode release can take at
// least two values consistent with everything published.
void ExpectNothingRecoverable(const PublishedTable& p) {
  const Attack a = BuildAttack(p);
  ASSERT_TRUE(Solution(a, std::vector<int64_t>(a.vars, -1))) << "published numbers inconsistent";
  for (size_t k = 0; k < p.cells.size(); ++k) {
    if (a.var_of_cell[k] != kKnown) {
      EXPECT_TRUE(Ambiguous(a, {a.var_of_cell[k]})) << "cell " << k << " is recoverable";
    }
  }
  const size_t cols = p.spec.dims.size() == 2 ? p.spec.dims[1].codes.size() : 1;
  auto margin_vars = [&](auto in_line) {
    std::vector<size_t> vars;
    for (size_t k = 0; k < p.cells.size(); ++k) {
      if (in_line(k / cols, k % cols) && a.var_of_cell[k] != kKnown) vars.push_back(a.var_of_cell[k]);
    }
    return vars;
  };
  for (size_t i = 0; i < p.row_margins.size(); ++i) {
    if (!p.row_margins[i].suppressed) continue;
    auto vars = margin_vars([&](size_t r, size_t) { return r == i; });
    EXPECT_TRUE(!vars.empty() && Ambiguous(a, vars)) << "row margin " << i << " is recoverable";
  }
  for (size_t j = 0; j < p.col_margins.size(); ++j) {
    if (!p.col_margins[j].suppressed) continue;
    auto vars = margin_vars([&](size_t, size_t c) { return c == j; });
    EXPECT_TRUE(!vars.empty() && Ambiguous(a, vars)) << "column margin " << j << " is recoverable";
  }
  if (p.total.suppressed) {
    EXPECT_TRUE(Ambiguous(a, margin_vars([](size_t, size_t) { return true; })));
  }
}

// No published number (cell, margin, total) lies below the minimum; zeros are never shown.
void ExpectNothingSmall(const PublishedTable& p, int64_t min) {
  for (const auto* part : {&p.cells, &p.row_margins, &p.col_margins}) {
    for (const PublishedCell& c : *part) {
      if (c.suppressed) {
        EXPECT_EQ(c.shown, "x");
      } else {
        EXPECT_GE(c.noisy, min) << c.shown;
      }
    }
  }
  if (!p.total.suppressed) { EXPECT_GE(p.total.noisy, min); }
}

// The classic rule, checked directly: a row or column whose margin is published has no
// suppressed cell or at least two.
void ExpectTwoPerPublishedLine(const PublishedTable& p) {
  if (p.spec.dims.size() != 2) return;
  const size_t rows = p.row_margins.size(), cols = p.col_margins.size();
  for (size_t i = 0; i < rows; ++i) {
    int n = 0;
    for (size_t j = 0; j < cols; ++j) n += p.cells[i * cols + j].suppressed ? 1 : 0;
    if (!p.row_margins[i].suppressed) { EXPECT_NE(n, 1) << "row " << i; }
  }
  for (size_t j = 0; j < cols; ++j) {
    int n = 0;
    for (size_t i = 0; i < rows; ++i) n += p.cells[i * cols + j].suppressed ? 1 : 0;
    if (!p.col_margins[j].suppressed) { EXPECT_NE(n, 1) << "column " << j; }
  }
}

// Random tables with a mix of zeros, small and large cells, from a fixed seed.
CountTable RandomTable(SeededRandom& rng) {
  const bool two_d = rng.UniformBelow(3) != 0;
  const size_t rows = 2 + rng.UniformBelow(two_d ? 4 : 7);
  const size_t cols = two_d ? 2 + rng.UniformBelow(4) : 1;
  std::vector<int64_t> cells;
  for (size_t k = 0; k < rows * cols; ++k) {
    const uint32_t kind = rng.UniformBelow(10);
    cells.push_back(kind < 2 ? 0 : kind < 5 ? 1 + rng.UniformBelow(9) : 10 + rng.UniformBelow(60));
  }
  return two_d ? Table2D(rows, cols, cells) : Table1D(cells);
}

// --- Threshold mode ------------------------------------------------------------------------

TEST(DisclosureThreshold, RandomTablesShowNothingSmallAndNothingRecoverable) {
  SeededRandom rng = SeededRandom::FromNumber(100);
  for (int round = 0; round < 300; ++round) {
    const CountTable t = RandomTable(rng);
    Result<PublishedTable> p = ProtectThreshold(t);
    ASSERT_TRUE(p);
    SCOPED_TRACE("round " + std::to_string(round));
    EXPECT_EQ(p->method, Method::kThreshold);
    ExpectNothingSmall(*p, 10);
    ExpectTwoPerPublishedLine(*p);
    ExpectNothingRecoverable(*p);
    for (size_t k = 0; k < t.cells.size(); ++k) {
      if (!p->cells[k].suppressed) { EXPECT_EQ(p->cells[k].noisy, t.cells[k]); }
    }
  }
}

// Two data sets that differ by one record in a small cell: the release without it is the same
// whichever small cell held it, and numbers published in both releases agree except the total.
TEST(DisclosureThreshold, RandomNeighboursRevealNoCell) {
  SeededRandom rng = SeededRandom::FromNumber(101);
  int compared = 0;
  for (int round = 0; round < 300; ++round) {
    const CountTable a = RandomTable(rng);
    std::vector<size_t> small;
    for (size_t k = 0; k < a.cells.size(); ++k) {
      if (a.cells[k] >= 1 && a.cells[k] < 10) small.push_back(k);
    }
    if (small.size() < 2) continue;
    Result<PublishedTable> pa = ProtectThreshold(a);
    ASSERT_TRUE(pa);
    std::optional<std::vector<std::string>> first;
    for (size_t k : small) {
      CountTable b = a;
      --b.cells[k];
      Result<PublishedTable> pb = ProtectThreshold(b);
      ASSERT_TRUE(pb);
      const std::vector<std::string> shown = AllShown(*pb);
      if (!first) first = shown;
      EXPECT_EQ(shown, *first) << "round " << round << ": removal from cell " << k << " shows";
      const std::vector<std::string> before = AllShown(*pa);
      for (size_t n = 0; n + 1 < shown.size(); ++n) {  // the total (last) may change
        if (shown[n] != "x" && before[n] != "x") { EXPECT_EQ(shown[n], before[n]); }
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
}

// A crafted 2-D table: region of origin × signal, with exactly one person in (th, strong).
TEST(DisclosureThreshold, UniquePersonHiddenIn2D) {
  const std::vector<int64_t> with = {40, 25, 12,   //
                                     30, 18, 11,   //
                                     22, 14, 4,    //
                                     15, 11, 1};   // the unique person: row 3, column 2
  std::vector<int64_t> without = with;
  without[11] = 0;
  Result<PublishedTable> a = ProtectThreshold(Table2D(4, 3, with));
  Result<PublishedTable> b = ProtectThreshold(Table2D(4, 3, without));
  ASSERT_TRUE(a && b);
  for (const PublishedTable* p : {&*a, &*b}) {
    EXPECT_TRUE(p->cells[11].suppressed);
    EXPECT_TRUE(p->row_margins[3].suppressed);  // 37 vs 36 would point at row 3
    EXPECT_TRUE(p->col_margins[2].suppressed);  // 38 vs 37 would point at column 2
    ExpectNothingSmall(*p, 10);
    ExpectNothingRecoverable(*p);
  }
  // The same release whichever small cell lost the record.
  std::vector<int64_t> other = with;
  other[8] -= 1;
  Result<PublishedTable> c = ProtectThreshold(Table2D(4, 3, other));
  ASSERT_TRUE(c);
  EXPECT_EQ(AllShown(*b), AllShown(*c));
  // Between the releases with and without the person only the total may differ.
  const auto sa = AllShown(*a), sb = AllShown(*b);
  for (size_t n = 0; n + 1 < sa.size(); ++n) EXPECT_EQ(sa[n], sb[n]) << n;
}

TEST(DisclosureThreshold, UniquePersonHiddenIn1D) {
  const std::vector<int64_t> with = {120, 45, 30, 1, 0, 12};  // one contact in Thai
  std::vector<int64_t> without = with;
  without[3] = 0;
  Result<PublishedTable> a = ProtectThreshold(Table1D(with));
  Result<PublishedTable> b = ProtectThreshold(Table1D(without));
  ASSERT_TRUE(a && b);
  for (const PublishedTable* p : {&*a, &*b}) {
    EXPECT_TRUE(p->cells[3].suppressed);
    EXPECT_TRUE(p->cells[4].suppressed);  // the zero looks like the one
    ExpectNothingSmall(*p, 10);
    ExpectNothingRecoverable(*p);
  }
  // Sum of the small cells is 1 or 0: a complement (the smallest large cell, 12) joins them.
  EXPECT_TRUE(a->cells[5].suppressed);
  const auto sa = AllShown(*a), sb = AllShown(*b);
  for (size_t n = 0; n + 1 < sa.size(); ++n) EXPECT_EQ(sa[n], sb[n]) << n;
}

TEST(DisclosureThreshold, SingleSmallCellGetsComplementIn1D) {
  Result<PublishedTable> p = ProtectThreshold(Table1D({50, 3, 20, 14}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->cells[1].suppressed);
  EXPECT_TRUE(p->cells[3].suppressed);  // next-smallest
  EXPECT_FALSE(p->cells[0].suppressed);
  EXPECT_FALSE(p->cells[2].suppressed);
  EXPECT_EQ(p->total.shown, "87");
  ExpectNothingRecoverable(*p);
}

TEST(DisclosureThreshold, NoSmallCellsPublishesEverything) {
  Result<PublishedTable> p = ProtectThreshold(Table2D(2, 2, {10, 20, 30, 40}));
  ASSERT_TRUE(p);
  EXPECT_EQ(AllShown(*p),
            (std::vector<std::string>{"10", "20", "30", "40", "30", "70", "40", "60", "100"}));
  EXPECT_EQ(p->eps_num, 0);
}

TEST(DisclosureThreshold, SmallTotalSuppressesEverything) {
  Result<PublishedTable> p = ProtectThreshold(Table2D(2, 2, {1, 2, 0, 3}));
  ASSERT_TRUE(p);
  for (const std::string& s : AllShown(*p)) EXPECT_EQ(s, "x");
}

TEST(DisclosureThreshold, RefusesMalformedTables) {
  EXPECT_FALSE(ProtectThreshold(Table2D(2, 2, {1, 2, 3})));
  EXPECT_FALSE(ProtectThreshold(Table1D({1, -2, 3})));
  EXPECT_FALSE(ProtectThreshold(Table1D({1, 2}), 0));
  EXPECT_EQ(ProtectThreshold(Table1D({})).error().user_message, "staff_error.report_parameters");
}

// The attacker's solver is not vacuous: a naive release that publishes all margins with a
// single suppressed cell is caught.
TEST(DisclosureThreshold, SolverCatchesNaiveSuppression) {
  Result<PublishedTable> p = ProtectThreshold(Table2D(2, 2, {10, 20, 30, 40}));
  ASSERT_TRUE(p);
  p->cells[0] = PublishedCell{0, true, "x"};
  const Attack a = BuildAttack(*p);
  EXPECT_FALSE(Ambiguous(a, {a.var_of_cell[0]}));
}

// --- Laplace mode --------------------------------------------------------------------------

TEST(DisclosureLaplace, PartsSumToMarginsAndDisplayRule) {
  SeededRandom rng = SeededRandom::FromNumber(200);
  const CountTable t = Table2D(3, 4, {0, 1, 5, 9, 10, 11, 50, 0, 3, 200, 7, 12});
  for (int run = 0; run < 50; ++run) {
    Result<PublishedTable> p = ProtectLaplace(t, 1, 2, rng);
    ASSERT_TRUE(p);
    int64_t total = 0;
    for (size_t i = 0; i < 3; ++i) {
      int64_t row = 0;
      for (size_t j = 0; j < 4; ++j) row += p->cells[i * 4 + j].noisy;
      EXPECT_EQ(p->row_margins[i].noisy, row);
      total += row;
    }
    for (size_t j = 0; j < 4; ++j) {
      int64_t col = 0;
      for (size_t i = 0; i < 3; ++i) col += p->cells[i * 4 + j].noisy;
      EXPECT_EQ(p->col_margins[j].noisy, col);
    }
    EXPECT_EQ(p->total.noisy, total);
    std::vector<PublishedCell> all = p->cells;
    all.insert(all.end(), p->row_margins.begin(), p->row_margins.end());
    all.push_back(p->total);
    for (const PublishedCell& c : all) {
      const std::string expected =
          c.noisy < 0 ? "0" : c.noisy < 10 ? "< 10" : std::to_string(c.noisy);
      EXPECT_EQ(c.shown, expected);
      EXPECT_FALSE(c.suppressed);
    }
  }
}

// Every cell, zeros included, gets noise; the noise has the scale Δ/ε.
TEST(DisclosureLaplace, NoisesEveryCellAtScaleDeltaOverEpsilon) {
  SeededRandom rng = SeededRandom::FromNumber(201);
  const CountTable t = Table1D(std::vector<int64_t>(20, 0), /*sensitivity=*/3);
  constexpr int kRuns = 5000;
  double sum2 = 0;
  int nonzero = 0;
  for (int run = 0; run < kRuns; ++run) {
    Result<PublishedTable> p = ProtectLaplace(t, 1, 1, rng);  // s/t = 1/3
    ASSERT_TRUE(p);
    for (const PublishedCell& c : p->cells) {
      sum2 += static_cast<double>(c.noisy) * c.noisy;
      nonzero += c.noisy != 0 ? 1 : 0;
    }
  }
  const double n = 20.0 * kRuns;
  const double q = std::exp(-1.0 / 3);
  const double var = 2 * q / ((1 - q) * (1 - q));  // 17.5: a scale of 1/1 would give 1.84
  EXPECT_NEAR(sum2 / n, var, 0.05 * var);
  EXPECT_NEAR(nonzero / n, 1 - (1 - q) / (1 + q), 0.01);
}

TEST(DisclosureLaplace, RefusesBadParameters) {
  SeededRandom rng = SeededRandom::FromNumber(202);
  const CountTable t = Table1D({1, 2});
  EXPECT_FALSE(ProtectLaplace(t, 0, 1, rng));
  EXPECT_FALSE(ProtectLaplace(t, 1, 0, rng));
  EXPECT_FALSE(ProtectLaplace(t, -1, 2, rng));
  EXPECT_FALSE(ProtectLaplace(Table1D({1, 2}, 0), 1, 1, rng));
  EXPECT_FALSE(ProtectLaplace(Table2D(2, 2, {1}), 1, 1, rng));
  EXPECT_TRUE(ProtectLaplace(t, 1, kMaxNoiseParameter, rng));  // t = 2^32 - 1: still exact
  EXPECT_FALSE(ProtectLaplace(Table1D({1}, 2), 1, kMaxNoiseParameter, rng));  // t too large
  Result<PublishedTable> ok = ProtectLaplace(t, 1, 4, rng);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->eps_num, 1);
  EXPECT_EQ(ok->eps_den, 4);
  EXPECT_EQ(ProtectLaplace(t, 0, 1, rng).error().code, ErrorCode::kInvalidInput);
}

// --- Derived tables ------------------------------------------------------------------------

TEST(DisclosureDerive, MarginalisesNoisyBaseWithoutBudget) {
  SeededRandom rng = SeededRandom::FromNumber(300);
  CountTable t = Table2D(3, 2, {5, 8, 0, 30, 12, 2});
  t.spec.id = "signals_by_location";
  Result<PublishedTable> base = ProtectLaplace(t, 1, 4, rng);
  ASSERT_TRUE(base);
  for (size_t k = 0; k < 2; ++k) {
    TableSpec spec{"by_dim" + std::to_string(k), {t.spec.dims[k]}, 1, ""};
    Result<PublishedTable> d = Derive(*base, spec);
    ASSERT_TRUE(d);
    const auto& margins = k == 0 ? base->row_margins : base->col_margins;
    ASSERT_EQ(d->cells.size(), margins.size());
    for (size_t n = 0; n < margins.size(); ++n) {
      EXPECT_EQ(d->cells[n].noisy, margins[n].noisy);
      EXPECT_EQ(d->cells[n].shown, margins[n].shown);
    }
    EXPECT_EQ(d->total.noisy, base->total.noisy);
    EXPECT_EQ(d->eps_num, 0);
    EXPECT_EQ(d->spec.derived_from, "signals_by_location");
    EXPECT_EQ(DescribeMethod(*d).msgid, "report.method.derived_short");
    EXPECT_EQ(DescribeMethod(*d).params.back(),
              (std::pair<std::string, std::string>{"base", "signals_by_location"}));
  }
  // A subset of codes in another order, and the transpose.
  TableSpec subset{"sub", {Dimension{"a", {"c2", "c0"}}}, 1, ""};
  Result<PublishedTable> s = Derive(*base, subset);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cells[0].noisy, base->row_margins[2].noisy);
  EXPECT_EQ(s->cells[1].noisy, base->row_margins[0].noisy);
  EXPECT_EQ(s->total.noisy, base->row_margins[0].noisy + base->row_margins[2].noisy);
  TableSpec transposed{"tr", {t.spec.dims[1], t.spec.dims[0]}, 1, ""};
  Result<PublishedTable> tr = Derive(*base, transposed);
  ASSERT_TRUE(tr);
  for (size_t i = 0; i < 3; ++i) {
    for (size_t j = 0; j < 2; ++j) EXPECT_EQ(tr->cells[j * 3 + i].noisy, base->cells[i * 2 + j].noisy);
  }
  EXPECT_FALSE(Derive(*base, TableSpec{"x", {Dimension{"nope", {"c0"}}}, 1, ""}));
  EXPECT_FALSE(Derive(*base, TableSpec{"x", {Dimension{"a", {"zz"}}}, 1, ""}));
  EXPECT_FALSE(Derive(*base, TableSpec{"x", {t.spec.dims[0], t.spec.dims[0]}, 1, ""}));
}

TEST(DisclosureDerive, ThresholdModeReusesPublishedMargins) {
  Result<PublishedTable> base = ProtectThreshold(Table2D(4, 3, {40, 25, 12, 30, 18, 11, 22, 14, 4, 15, 11, 1}));
  ASSERT_TRUE(base);
  TableSpec rows{"rows", {base->spec.dims[0]}, 1, ""};
  Result<PublishedTable> d = Derive(*base, rows);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->cells.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(d->cells[i].shown, base->row_margins[i].shown);
  EXPECT_EQ(d->total.shown, base->total.shown);
  EXPECT_EQ(d->method, Method::kThreshold);
  ExpectNothingRecoverable(*d);
  // A subset would publish a new sum: refused.
  EXPECT_FALSE(Derive(*base, TableSpec{"x", {Dimension{"a", {"c0", "c1"}}}, 1, ""}));
}

// --- Budget --------------------------------------------------------------------------------

TEST(DisclosureBudget, ExactRationalCap) {
  EXPECT_TRUE(CheckBudget({{1, 2}, {1, 4}}, {1, 4}));
  EXPECT_TRUE(CheckBudget({{1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}}, {1, 3}));  // exactly 2
  Status over = CheckBudget({{1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}, {1, 3}}, {1, 1'000'000});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kConflict);
  EXPECT_EQ(over.error().user_message, "staff_error.report_budget");
  EXPECT_FALSE(CheckBudget({{3, 2}}, {1, 1}, {2, 1}));
  EXPECT_TRUE(CheckBudget({}, {1, 1}, {1, 1}));
  EXPECT_TRUE(CheckBudget({}, {0, 1}, {0, 1}));
  EXPECT_EQ(CheckBudget({{1, 0}}, {1, 1}).error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(CheckBudget({{-1, 2}}, {1, 1}).error().code, ErrorCode::kInvalidInput);
  // Large coprime denominators stay exact (and do not overflow 128 bits).
  EXPECT_TRUE(CheckBudget({{1, 2147483647}, {1, 2147483629}}, {1, 2147483587}, {1, 1}));
}

TEST(DisclosureBudget, AllocationWithinCap) {
  Allocation ok{{2, 1}, {{"contacts_by_channel", {1, 4}}, {"signals", {1, 1}}, {"age", {3, 4}}}};
  EXPECT_TRUE(CheckAllocation(ok));
  Allocation over = ok;
  over.shares.push_back({"extra", {1, 100}});
  EXPECT_EQ(CheckAllocation(over).error().code, ErrorCode::kConflict);
  Allocation twice{{2, 1}, {{"a", {1, 4}}, {"a", {1, 4}}}};
  EXPECT_EQ(CheckAllocation(twice).error().code, ErrorCode::kInvalidInput);
  Result<Fraction> share = ShareOf(ok, "signals");
  ASSERT_TRUE(share);
  EXPECT_EQ(share->num, 1);
  EXPECT_FALSE(ShareOf(ok, "nope"));
}

// --- Method statements ---------------------------------------------------------------------

TEST(DisclosureMethod, StatesMethodAndParameters) {
  SeededRandom rng = SeededRandom::FromNumber(400);
  Result<PublishedTable> lap = ProtectLaplace(Table1D({1, 2}, 3), 2, 8, rng);
  ASSERT_TRUE(lap);
  MethodStatement m = DescribeMethod(*lap);
  EXPECT_EQ(m.msgid, "report.method.laplace_short");
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(m.params, (P{{"method", "discrete_laplace"}, {"eps", "1/4"}, {"delta", "3"},
                         {"threshold", "10"}}));
  Result<PublishedTable> thr = ProtectThreshold(Table1D({50, 60}), 11);
  ASSERT_TRUE(thr);
  m = DescribeMethod(*thr);
  EXPECT_EQ(m.msgid, "report.method.threshold_short");
  EXPECT_EQ(m.params, (P{{"method", "threshold"}, {"threshold", "11"}}));
}

// --- One total (issue 15, item 4) ------------------------------------------------------------

PublishedTable Noisy(std::vector<int64_t> noisy, int64_t eps_num, int64_t eps_den) {
  PublishedTable t;
  t.spec = Table1D(std::vector<int64_t>(noisy.size(), 0)).spec;
  t.eps_num = eps_num;
  t.eps_den = eps_den;
  for (int64_t v : noisy) t.cells.push_back(PublishedCell{v, false, ""});
  return t;
}

TEST(DisclosureReconcile, TablesOfTheSameRecordsGetOneTotalAndNoNegativeCell) {
  PublishedTable a = Noisy({-2, 5, 7}, 1, 2);
  PublishedTable b = Noisy({10, 10, 0}, 1, 2);
  ASSERT_TRUE(ReconcileTotals({&a, &b}));
  // Equal variances: the mean of 10 and 20. a: shifted by 1.5 with -2 cut at 0, 6.5 and
  // 8.5 rounded by largest remainder (the tie to the earlier cell); b: 10 - 2.5 twice.
  EXPECT_EQ(a.total.noisy, 15);
  EXPECT_EQ(b.total.noisy, 15);
  EXPECT_EQ((std::vector<int64_t>{a.cells[0].noisy, a.cells[1].noisy, a.cells[2].noisy}),
            (std::vector<int64_t>{0, 7, 8}));
  EXPECT_EQ((std::vector<int64_t>{b.cells[0].noisy, b.cells[1].noisy, b.cells[2].noisy}),
            (std::vector<int64_t>{8, 7, 0}));
  EXPECT_EQ(a.cells[0].shown, "< 10");
  // A table with less noise weighs more: its total is nearly kept.
  PublishedTable precise = Noisy({50, 50}, 4, 1);
  PublishedTable rough = Noisy({0, 0}, 1, 20);
  ASSERT_TRUE(ReconcileTotals({&precise, &rough}));
  EXPECT_GE(precise.total.noisy, 99);
  EXPECT_EQ(rough.total.noisy, precise.total.noisy);
  // 2-D: margins are the new cells' sums.
  PublishedTable two;
  two.spec = Table2D(2, 2, {0, 0, 0, 0}).spec;
  two.eps_num = 1;
  two.eps_den = 2;
  for (int64_t v : {-4, 9, 12, 3}) two.cells.push_back(PublishedCell{v, false, ""});
  PublishedTable one = Noisy({20, 0}, 1, 2);
  ASSERT_TRUE(ReconcileTotals({&two, &one}));
  EXPECT_EQ(two.total.noisy, one.total.noisy);
  int64_t sum = 0;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(two.row_margins[i].noisy, two.cells[i * 2].noisy + two.cells[i * 2 + 1].noisy);
    EXPECT_EQ(two.col_margins[i].noisy, two.cells[i].noisy + two.cells[2 + i].noisy);
  }
  for (const PublishedCell& c : two.cells) {
    EXPECT_GE(c.noisy, 0);
    sum += c.noisy;
  }
  EXPECT_EQ(sum, two.total.noisy);
  PublishedTable derived = Noisy({1}, 0, 1);
  EXPECT_FALSE(ReconcileTotals({&derived}));
}

// Over 200 seeded releases of seven tables of the same 2 000 records (the annual report's
// shares), the one total has a smaller error than any table's own total.
TEST(DisclosureReconcile, TheOneTotalIsCloserThanAnyTablesOwn) {
  const std::vector<std::pair<size_t, int64_t>> tables = {{63, 3}, {12, 2}, {6, 2}, {7, 1},
                                                          {8, 2}, {9, 1}, {28, 3}};  // cells, share
  double own = 0, reconciled = 0;
  constexpr int kReleases = 200;
  for (int seed = 0; seed < kReleases; ++seed) {
    SeededRandom rng = SeededRandom::FromNumber(9000 + static_cast<uint64_t>(seed));
    std::vector<PublishedTable> published;
    for (const auto& [cells, share] : tables) {
      std::vector<int64_t> exact(cells, 0);
      for (int64_t k = 0; k < 2000; ++k) ++exact[static_cast<size_t>(k * 7919) % cells];
      Result<PublishedTable> p = ProtectLaplace(Table1D(exact), 2 * share, 21, rng);
      ASSERT_TRUE(p);
      published.push_back(std::move(*p));
    }
    const double first = static_cast<double>(published[0].total.noisy - 2000);
    own += first * first;
    std::vector<PublishedTable*> all;
    for (PublishedTable& p : published) all.push_back(&p);
    ASSERT_TRUE(ReconcileTotals(all));
    const double one = static_cast<double>(published[0].total.noisy - 2000);
    reconciled += one * one;
  }
  own = std::sqrt(own / kReleases);
  reconciled = std::sqrt(reconciled / kReleases);
  std::printf("total of 2000 records: RMSE %.1f as the 63-cell table's own total, %.1f reconciled\n", own,
              reconciled);
  EXPECT_LT(reconciled, own / 2);
}

// --- 90 % intervals (issue 15, item 5) -----------------------------------------------------

// P(|Z| <= k) summed from the pmf P(y) = (1-q)/(1+q) q^|y|, q = e^(-ε/Δ).
double Coverage(double eps_over_delta, int64_t k) {
  const double q = std::exp(-eps_over_delta);
  double p = 0;
  for (int64_t y = -k; y <= k; ++y) p += (1 - q) / (1 + q) * std::pow(q, static_cast<double>(std::abs(y)));
  return p;
}

TEST(DisclosureInterval, HalfWidthIsTheSmallestThatCovers90PercentOfThePmf) {
  struct Case {
    int64_t num, den, delta;
  };
  for (const Case& c : {Case{2, 21, 1}, Case{2, 7, 1}, Case{4, 21, 3}, Case{1, 1, 1}, Case{2, 1, 1},
                        Case{1, 4, 1}, Case{20, 1, 1}, Case{1, 56, 3}}) {
    const double e = static_cast<double>(c.num) / static_cast<double>(c.den * c.delta);
    const int64_t k = CellHalfWidth90(c.num, c.den, c.delta);
    ASSERT_GE(k, 0);
    EXPECT_GE(Coverage(e, k), 0.9) << c.num << "/" << c.den << " Δ " << c.delta;
    if (k > 0) {
      EXPECT_LT(Coverage(e, k - 1), 0.9) << c.num << "/" << c.den << " Δ " << c.delta;
    }
  }
  // ε = 1, Δ = 1: q = 0.368, P(|Z| <= 1) = 0.80, too little; ± 2 covers 0.93.
  EXPECT_EQ(CellHalfWidth90(1, 1, 1), 2);
  EXPECT_EQ(CellHalfWidth90(0, 1, 1), -1);
  EXPECT_EQ(CellHalfWidth90(1, 0, 1), -1);
  EXPECT_EQ(CellHalfWidth90(1, 1, 0), -1);
}

// The done-when test: over 200 seeded releases the published intervals hold the exact
// count in about 90 % of cells, for the budget shares the annual report gives its tables.
TEST(DisclosureInterval, IntervalsCoverTheExactCountInAbout90PercentOfReleases) {
  std::vector<int64_t> exact;
  for (int64_t i = 0; i < 30; ++i) exact.push_back((i * 37) % 200);
  struct Case {
    int64_t num, den, delta;
  };
  for (const Case& c : {Case{2, 21, 1}, Case{2, 7, 1}, Case{4, 21, 3}, Case{1, 28, 1}}) {
    const CountTable table = Table1D(exact, c.delta);
    const int64_t k = CellHalfWidth90(c.num, c.den, c.delta);
    int64_t covered = 0, cells = 0;
    for (uint64_t seed = 0; seed < 200; ++seed) {
      SeededRandom rng = SeededRandom::FromNumber(7000 + seed);
      Result<PublishedTable> p = ProtectLaplace(table, c.num, c.den, rng);
      ASSERT_TRUE(p);
      for (size_t i = 0; i < exact.size(); ++i) {
        ++cells;
        if (std::abs(p->cells[i].noisy - exact[i]) <= k) ++covered;
      }
    }
    const double share = static_cast<double>(covered) / static_cast<double>(cells);
    std::printf("interval90: eps %lld/%lld delta %lld: +-%lld covered %lld of %lld cells (%.3f)\n",
                static_cast<long long>(c.num), static_cast<long long>(c.den), static_cast<long long>(c.delta),
                static_cast<long long>(k), static_cast<long long>(covered), static_cast<long long>(cells), share);
    EXPECT_GE(share, 0.88) << c.num << "/" << c.den << " Δ " << c.delta << " ± " << k;
    EXPECT_LE(share, 0.93) << c.num << "/" << c.den << " Δ " << c.delta << " ± " << k;
  }
}

}  // namespace
}  // namespace vd::report
