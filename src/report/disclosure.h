#pragma once
// Disclosure control: turns exact CountTables into PublishedTables that identify no one, by
// exact discrete-Laplace noise (the default, pure ε-DP) or by threshold suppression with
// secondary suppression (the alternative mode), plus the privacy-budget arithmetic and the
// plain-words method statement every published table carries. Pure functions; the ledger
// that persists spending lives in the store.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "report/noise.h"
#include "report/report.h"

namespace vd::report {

// What published tables show for suppressed cells and for small noisy values.
inline constexpr char kSuppressedMark[] = "x";
inline constexpr int64_t kDefaultThreshold = 10;

// Adds discrete-Laplace noise with scale Δ/ε (s/t = eps_num / (eps_den·Δ), Δ =
// table.spec.sensitivity) to every inner cell, zeros included. Margins and the total are
// sums of the unclamped noisy inner cells, so published parts add up. `shown`: negative ->
// "0", below display_threshold -> "< 10" (the threshold's value), else the number.
// Fails with kInvalidInput ("staff_error.report_parameters") for ε <= 0, Δ < 1, a cell count
// that does not match the dimensions, or parameters beyond the sampler's exact range.
Result<PublishedTable> ProtectLaplace(const CountTable& table, int64_t eps_num,
                                      int64_t eps_den, RandomSource& rng,
                                      int64_t display_threshold = kDefaultThreshold);

// The half-width k of a noisy inner cell's 90 % interval (post-processing, no budget): the
// smallest k >= 0 such that the discrete-Laplace noise of ProtectLaplace with ε = eps_num /
// eps_den and Δ = sensitivity has P(|Z| <= k) >= 0.9, from its pmf (P(|Z| > k) =
// 2q^(k+1)/(1+q), q = e^(-ε/Δ)), so [noisy - k, noisy + k] holds the exact count in at least
// 90 % of releases. -1 for invalid parameters.
int64_t CellHalfWidth90(int64_t eps_num, int64_t eps_den, int64_t sensitivity);

// Post-processing (no budget) for noisy tables that each count the same records once, so that
// their totals estimate one number (contacts by channel, by language, ...): one published
// total T*, the inverse-variance weighted mean of the tables' totals (a cell's noise variance
// is 2q/(1-q)², q = e^(-ε/Δ); a total sums its cells'), rounded and at least 0; then each
// table's cells become the least-squares nearest non-negative values summing to T* (shifted
// alike, negatives cut at 0: y = max(x - λ, 0)), rounded to integers by largest remainder so
// they still sum to T*; margins and the total are recomputed from them and shown by the
// display rule. Afterwards every table of `tables` has total T*, its parts add up to its
// margins, and no cell is negative. kInvalidInput for a table that is not noisy.
Status ReconcileTotals(const std::vector<PublishedTable*>& tables);

// Threshold suppression (min_count >= 1). Rule, applied to a fixed point:
//  1. Primary: every inner cell below min_count is suppressed, zeros included. (Publishing
//     some zeros would make the pattern differ between a small cell holding 0 and one holding
//     1, which two neighbouring releases would reveal; a zero also discloses a whole group.)
//  2. 2-D: the row and column margins of every row and column holding a suppressed cell are
//     suppressed, and so is every margin below min_count (its whole row or column then is).
//  3. The total is published only if the suppressed cells are at least two, lie in at least
//     two rows and two columns (2-D), and hold together at least min_count. Otherwise the
//     smallest published cells are added as complements (preferring a new row/column when
//     the span is short); if none is left, the total is suppressed.
// Guarantees (tested in disclosure_test.cc): no published number lies below min_count; what
// the published numbers say about the suppressed cells is at most their sum S >= min_count,
// so each suppressed cell and suppressed margin can take every value in [0, S]; and if two
// data sets differ by one record in a cell that is small in the one holding it, the release
// without it is the same whichever small cell held it (only the total, and complements
// chosen from the sum, change), so the difference of two releases points at no cell, row or
// column. Not guaranteed: a record in a published cell is visible to differencing (inherent
// to exact counts; use ProtectLaplace), and separately protected overlapping tables can be
// differenced — make related tables with Derive.
Result<PublishedTable> ProtectThreshold(const CountTable& table,
                                        int64_t min_count = kDefaultThreshold);

// A table derived from a published base table by summing its cells, spending no budget.
// derived_spec.dims must be base dims (matched by id). Laplace mode: any dims with codes
// drawn from the base dim's codes (a subset or reordering), summing the noisy inner cells
// over the dropped dims, margins recomputed, shown with the base threshold. Threshold mode:
// the base dims themselves or one of them (the published base margins become the cells), so
// no new number is disclosed. Fails with kInvalidInput otherwise.
Result<PublishedTable> Derive(const PublishedTable& base, const TableSpec& derived_spec);

// An exact non-negative rational ε = num/den.
struct Fraction {
  int64_t num = 0;
  int64_t den = 1;
};

// The privacy budget of one city and year split over the annual report's base tables.
struct Allocation {
  Fraction cap{2, 1};                                  // ε per city per calendar year
  std::vector<std::pair<std::string, Fraction>> shares;  // base table id -> ε
};

// OK if every share is a valid fraction and the shares sum to at most the cap; otherwise
// kInvalidInput ("staff_error.report_parameters") or kConflict ("staff_error.report_budget").
Status CheckAllocation(const Allocation& allocation);

// The ε the allocation gives a table, or kNotFound ("staff_error.report_parameters").
Result<Fraction> ShareOf(const Allocation& allocation, const std::string& table_id);

// Whether `request` may be spent on top of what the ledger already spent this year: OK when
// sum(spent) + request <= cap in exact rational arithmetic; kConflict with msgid
// "staff_error.report_budget" when it would exceed the cap; kInvalidInput
// ("staff_error.report_parameters") for negative numerators, non-positive denominators or
// sums beyond 128-bit range.
Status CheckBudget(const std::vector<Fraction>& spent, Fraction request,
                   Fraction cap = Fraction{2, 1});

// How a table was protected, as data the renderers translate (msgids of the catalogs, whose
// {{name}} placeholders take the params): "report.method.laplace_short" with method
// ("discrete_laplace"), eps ("1/4", reduced), delta ("3"), threshold ("10");
// "report.method.threshold_short" with method ("threshold"), threshold; and for tables
// derived from a noisy base "report.method.derived_short" with method, threshold and base
// (the base table id; the renderer shows its title).
struct MethodStatement {
  std::string msgid;
  std::vector<std::pair<std::string, std::string>> params;
};
MethodStatement DescribeMethod(const PublishedTable& table);

}  // namespace vd::report
