#include "report/disclosure.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vd::report {
namespace {

std::unexpected<Error> BadParameters(std::string detail) {
  return Fail(ErrorCode::kInvalidInput, "staff_error.report_parameters", std::move(detail));
}

// A table's shape: 1-D tables are handled as n rows of one column without column margins.
struct Shape {
  size_t rows = 0;
  size_t cols = 1;
  bool two_d = false;
  size_t size() const { return rows * cols; }
};

Result<Shape> ShapeOf(const TableSpec& spec) {
  if (spec.dims.empty() || spec.dims.size() > 2) return BadParameters("table needs 1 or 2 dims");
  Shape shape;
  shape.rows = spec.dims[0].codes.size();
  if (spec.dims.size() == 2) {
    shape.cols = spec.dims[1].codes.size();
    shape.two_d = true;
  }
  if (shape.size() == 0) return BadParameters("table has no cells");
  return shape;
}

Result<Shape> CheckedShape(const CountTable& table) {
  Result<Shape> shape = ShapeOf(table.spec);
  if (!shape) return shape;
  if (table.cells.size() != shape->size()) return BadParameters("cell count does not match dims");
  for (int64_t c : table.cells) {
    if (c < 0) return BadParameters("negative exact count");
  }
  return shape;
}

// Laplace display rule (post-processing): negatives as 0, small values as "< threshold".
PublishedCell NoisyCell(int64_t noisy, int64_t threshold) {
  PublishedCell cell;
  cell.noisy = noisy;
  if (noisy < 0) {
    cell.shown = "0";
  } else if (noisy < threshold) {
    cell.shown = "< " + std::to_string(threshold);
  } else {
    cell.shown = std::to_string(noisy);
  }
  return cell;
}

PublishedCell ExactCell(int64_t value, bool suppressed) {
  if (suppressed) return PublishedCell{0, true, kSuppressedMark};
  return PublishedCell{value, false, std::to_string(value)};
}

// Fills margins and total of a Laplace-mode table from its (unclamped) noisy inner cells, so
// that every published part adds up to its published margin.
void FillNoisyMargins(PublishedTable& out, const Shape& shape) {
  std::vector<int64_t> rows(shape.rows, 0), cols(shape.cols, 0);
  int64_t total = 0;
  for (size_t i = 0; i < shape.rows; ++i) {
    for (size_t j = 0; j < shape.cols; ++j) {
      const int64_t v = out.cells[i * shape.cols + j].noisy;
      rows[i] += v;
      cols[j] += v;
      total += v;
    }
  }
  out.row_margins.clear();
  out.col_margins.clear();
  if (shape.two_d) {
    for (int64_t v : rows) out.row_margins.push_back(NoisyCell(v, out.threshold));
    for (int64_t v : cols) out.col_margins.push_back(NoisyCell(v, out.threshold));
  }
  out.total = NoisyCell(total, out.threshold);
}

}  // namespace

int64_t CellHalfWidth90(int64_t eps_num, int64_t eps_den, int64_t sensitivity) {
  if (eps_num <= 0 || eps_den <= 0 || sensitivity < 1) return -1;
  const double q = std::exp(-static_cast<double>(eps_num) / (static_cast<double>(eps_den) * static_cast<double>(sensitivity)));
  // P(|Z| > k) = 2 q^(k+1) / (1 + q) <= 0.1: start from the real solution, then step to the
  // smallest integer that meets it (rounding in either direction is corrected).
  auto tail = [&](int64_t k) { return 2.0 * std::pow(q, static_cast<double>(k + 1)) / (1.0 + q); };
  int64_t k = std::max<int64_t>(0, static_cast<int64_t>(std::ceil(std::log(0.05 * (1.0 + q)) / std::log(q))) - 1);
  while (tail(k) > 0.1) ++k;
  while (k > 0 && tail(k - 1) <= 0.1) --k;
  return k;
}

Status ReconcileTotals(const std::vector<PublishedTable*>& tables) {
  if (tables.empty()) return {};
  double weights = 0, weighted = 0;
  for (const PublishedTable* t : tables) {
    if (t->method != Method::kDiscreteLaplace || t->eps_num <= 0 || t->eps_den <= 0 || t->spec.sensitivity < 1 ||
        t->cells.empty()) {
      return BadParameters("reconcile: not a noisy table");
    }
    const double q = std::exp(-static_cast<double>(t->eps_num) /
                              (static_cast<double>(t->eps_den) * static_cast<double>(t->spec.sensitivity)));
    const double var = static_cast<double>(t->cells.size()) * 2 * q / ((1 - q) * (1 - q));
    double total = 0;
    for (const PublishedCell& c : t->cells) total += static_cast<double>(c.noisy);
    weights += 1 / var;
    weighted += total / var;
  }
  const int64_t target = std::max<int64_t>(0, std::llround(weighted / weights));
  for (PublishedTable* t : tables) {
    Result<Shape> shape = ShapeOf(t->spec);
    if (!shape || shape->size() != t->cells.size()) return BadParameters("reconcile: cell count");
    // λ such that Σ max(x - λ, 0) = target: the Euclidean projection onto that simplex.
    std::vector<double> x;
    for (const PublishedCell& c : t->cells) x.push_back(static_cast<double>(c.noisy));
    std::vector<double> sorted = x;
    std::ranges::sort(sorted, std::greater<>());
    double lambda = 0, sum = 0;
    for (size_t r = 0; r < sorted.size(); ++r) {
      sum += sorted[r];
      const double l = (sum - static_cast<double>(target)) / static_cast<double>(r + 1);
      if (sorted[r] - l > 0 || r == 0) lambda = l;
    }
    std::vector<int64_t> whole(x.size());
    std::vector<std::pair<double, size_t>> remainders;
    int64_t assigned = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const double y = std::max(x[i] - lambda, 0.0);
      whole[i] = static_cast<int64_t>(std::floor(y));
      assigned += whole[i];
      remainders.emplace_back(y - std::floor(y), i);
    }
    // Largest remainder first (ties: the earlier cell), so the parts sum to the target.
    std::ranges::sort(remainders, [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t k = 0; assigned < target && k < remainders.size(); ++k, ++assigned) ++whole[remainders[k].second];
    for (size_t k = remainders.size(); assigned > target && k-- > 0;) {
      if (whole[remainders[k].second] > 0) {
        --whole[remainders[k].second];
        --assigned;
      }
    }
    for (size_t i = 0; i < x.size(); ++i) t->cells[i] = NoisyCell(whole[i], t->threshold);
    FillNoisyMargins(*t, *shape);
  }
  return {};
}

namespace {

// --- Threshold suppression -------------------------------------------------------------

// Working state of the suppression rule over exact counts.
struct Suppression {
  Shape shape;
  const std::vector<int64_t>* counts = nullptr;
  int64_t min_count = kDefaultThreshold;
  std::vector<bool> cell;
  std::vector<bool> row;
  std::vector<bool> col;
  bool total = false;

  int64_t Count(size_t i, size_t j) const { return (*counts)[i * shape.cols + j]; }
  bool Cell(size_t i, size_t j) const { return cell[i * shape.cols + j]; }
  int64_t RowSum(size_t i) const {
    int64_t s = 0;
    for (size_t j = 0; j < shape.cols; ++j) s += Count(i, j);
    return s;
  }
  int64_t ColSum(size_t j) const {
    int64_t s = 0;
    for (size_t i = 0; i < shape.rows; ++i) s += Count(i, j);
    return s;
  }
};

// Rule 2: margins of lines holding a suppressed cell are suppressed; a margin below the
// minimum suppresses itself and its whole line. Returns whether a cell was newly suppressed.
bool SuppressMargins(Suppression& s) {
  bool changed = false;
  if (!s.shape.two_d) return false;
  for (size_t i = 0; i < s.shape.rows; ++i) {
    const bool small = s.RowSum(i) < s.min_count;
    bool any = false;
    for (size_t j = 0; j < s.shape.cols; ++j) {
      if (small && !s.Cell(i, j)) {
        s.cell[i * s.shape.cols + j] = true;
        changed = true;
      }
      any = any || s.Cell(i, j);
    }
    s.row[i] = any || small;
  }
  for (size_t j = 0; j < s.shape.cols; ++j) {
    const bool small = s.ColSum(j) < s.min_count;
    bool any = false;
    for (size_t i = 0; i < s.shape.rows; ++i) {
      if (small && !s.Cell(i, j)) {
        s.cell[i * s.shape.cols + j] = true;
        changed = true;
      }
      any = any || s.Cell(i, j);
    }
    s.col[j] = any || small;
  }
  return changed;
}

// What the published total would let an attacker compute about the suppressed cells.
struct SuppressedFootprint {
  size_t cells = 0;
  int64_t sum = 0;
  std::vector<bool> rows, cols;
  size_t row_count = 0, col_count = 0;
};

SuppressedFootprint Footprint(const Suppression& s) {
  SuppressedFootprint f;
  f.rows.assign(s.shape.rows, false);
  f.cols.assign(s.shape.cols, false);
  for (size_t i = 0; i < s.shape.rows; ++i) {
    for (size_t j = 0; j < s.shape.cols; ++j) {
      if (!s.Cell(i, j)) continue;
      ++f.cells;
      f.sum += s.Count(i, j);
      if (!f.rows[i]) ++f.row_count;
      if (!f.cols[j]) ++f.col_count;
      f.rows[i] = f.cols[j] = true;
    }
  }
  return f;
}

// Rule 3: the total reveals only S = sum of suppressed cells; safe when S >= min, the cells
// are at least two and (2-D) spread over two rows and two columns, so no cell, row or column
// of them is pinned down.
bool TotalSafe(const Suppression& s, const SuppressedFootprint& f) {
  if (f.cells == 0) return true;
  if (f.cells < 2 || f.sum < s.min_count) return false;
  return !s.shape.two_d || (f.row_count >= 2 && f.col_count >= 2);
}

// The smallest published cell to suppress next, preferring one that widens a short span (a
// new row and/or column). Ties go to the lowest index, so the choice depends only on the
// published values and the suppression pattern. Returns false when every cell is suppressed.
bool PickComplement(const Suppression& s, const SuppressedFootprint& f, size_t* pick) {
  const bool need_row = s.shape.two_d && f.row_count < 2;
  const bool need_col = s.shape.two_d && f.col_count < 2;
  int best_rank = -1;
  int64_t best_value = 0;
  for (size_t i = 0; i < s.shape.rows; ++i) {
    for (size_t j = 0; j < s.shape.cols; ++j) {
      if (s.Cell(i, j)) continue;
      // How many short sides (row span, column span) this cell widens: 0, 1 or 2.
      const int rank = (need_row && !f.rows[i] ? 1 : 0) + (need_col && !f.cols[j] ? 1 : 0);
      const int64_t v = s.Count(i, j);
      if (rank > best_rank || (rank == best_rank && v < best_value)) {
        best_rank = rank;
        best_value = v;
        *pick = i * s.shape.cols + j;
      }
    }
  }
  return best_rank >= 0;
}

// Runs rules 1-3 to a fixed point.
void RunSuppression(Suppression& s) {
  const size_t n = s.shape.size();
  s.cell.assign(n, false);
  s.row.assign(s.shape.rows, false);
  s.col.assign(s.shape.cols, false);
  for (size_t k = 0; k < n; ++k) s.cell[k] = (*s.counts)[k] < s.min_count;
  for (;;) {
    while (SuppressMargins(s)) {
    }
    const SuppressedFootprint f = Footprint(s);
    if (TotalSafe(s, f)) break;
    size_t pick = 0;
    if (!PickComplement(s, f, &pick)) {
      s.total = true;
      break;
    }
    s.cell[pick] = true;
  }
}

// --- Exact rationals for the budget ------------------------------------------------------

using Int = __int128;

Int Gcd(Int a, Int b) {
  if (a < 0) a = -a;
  if (b < 0) b = -b;
  while (b != 0) {
    const Int r = a % b;
    a = b;
    b = r;
  }
  return a;
}

struct Rational {
  Int num = 0;
  Int den = 1;
};

bool ValidFraction(const Fraction& f) { return f.num >= 0 && f.den >= 1; }

// a + b, reduced; false on 128-bit overflow.
bool AddRational(const Rational& a, const Rational& b, Rational* out) {
  Int x = 0, y = 0, num = 0, den = 0;
  if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y) ||
      __builtin_add_overflow(x, y, &num) || __builtin_mul_overflow(a.den, b.den, &den)) {
    return false;
  }
  const Int g = Gcd(num, den);
  *out = Rational{num / g, den / g};
  return true;
}

// Sets *exceeds to a > b; false on overflow.
bool Greater(const Rational& a, const Rational& b, bool* exceeds) {
  Int x = 0, y = 0;
  if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y)) {
    return false;
  }
  *exceeds = x > y;
  return true;
}

Status SumWithin(const std::vector<Fraction>& parts, Fraction cap, const char* what) {
  if (!ValidFraction(cap)) return BadParameters("invalid budget cap");
  Rational sum;
  for (const Fraction& f : parts) {
    if (!ValidFraction(f)) return BadParameters("invalid epsilon fraction");
    if (!AddRational(sum, Rational{f.num, f.den}, &sum)) return BadParameters("epsilon overflow");
  }
  bool exceeds = false;
  if (!Greater(sum, Rational{cap.num, cap.den}, &exceeds)) {
    return BadParameters("epsilon overflow");
  }
  if (exceeds) return Fail(ErrorCode::kConflict, "staff_error.report_budget", what);
  return {};
}

std::string FractionText(int64_t num, int64_t den) {
  const int64_t g = std::gcd(num, den);
  if (g > 0) {
    num /= g;
    den /= g;
  }
  return den == 1 ? std::to_string(num) : std::to_string(num) + "/" + std::to_string(den);
}

}  // namespace

Result<PublishedTable> ProtectLaplace(const CountTable& table, int64_t eps_num,
                                      int64_t eps_den, RandomSource& rng,
                                      int64_t display_threshold) {
  Result<Shape> shape = CheckedShape(table);
  if (!shape) return std::unexpected(shape.error());
  if (eps_num < 1 || eps_den < 1 || table.spec.sensitivity < 1 || display_threshold < 1) {
    return BadParameters("epsilon, sensitivity and threshold must be positive");
  }
  int64_t t = 0;
  if (__builtin_mul_overflow(eps_den, table.spec.sensitivity, &t)) {
    return BadParameters("noise scale overflows");
  }
  Result<DiscreteLaplace> noise = DiscreteLaplace::Create(eps_num, t);
  if (!noise) return std::unexpected(noise.error());

  PublishedTable out;
  out.spec = table.spec;
  out.method = Method::kDiscreteLaplace;
  out.eps_num = eps_num;
  out.eps_den = eps_den;
  out.threshold = display_threshold;
  for (int64_t c : table.cells) {
    int64_t noisy = 0;
    if (__builtin_add_overflow(c, noise->Sample(rng), &noisy)) {
      return BadParameters("noisy count overflows");
    }
    out.cells.push_back(NoisyCell(noisy, display_threshold));
  }
  FillNoisyMargins(out, *shape);
  return out;
}

Result<PublishedTable> ProtectThreshold(const CountTable& table, int64_t min_count) {
  Result<Shape> shape = CheckedShape(table);
  if (!shape) return std::unexpected(shape.error());
  if (min_count < 1) return BadParameters("minimum count must be positive");

  Suppression s;
  s.shape = *shape;
  s.counts = &table.cells;
  s.min_count = min_count;
  RunSuppression(s);

  PublishedTable out;
  out.spec = table.spec;
  out.method = Method::kThreshold;
  out.threshold = min_count;
  for (size_t k = 0; k < shape->size(); ++k) out.cells.push_back(ExactCell(table.cells[k], s.cell[k]));
  int64_t total = 0;
  for (int64_t c : table.cells) total += c;
  if (shape->two_d) {
    for (size_t i = 0; i < shape->rows; ++i) out.row_margins.push_back(ExactCell(s.RowSum(i), s.row[i]));
    for (size_t j = 0; j < shape->cols; ++j) out.col_margins.push_back(ExactCell(s.ColSum(j), s.col[j]));
  }
  out.total = ExactCell(total, s.total);
  return out;
}

namespace {

// For each derived dim, the base dim it comes from and, per base code, its derived position
// (-1: not in the derived table).
struct DimMap {
  size_t base_dim = 0;
  std::vector<int> position;
};

Result<std::vector<DimMap>> MapDims(const TableSpec& base, const TableSpec& derived) {
  std::vector<DimMap> maps;
  for (const Dimension& d : derived.dims) {
    auto it = std::find_if(base.dims.begin(), base.dims.end(),
                           [&](const Dimension& b) { return b.id == d.id; });
    if (it == base.dims.end()) return BadParameters("derived dim not in base table");
    DimMap map;
    map.base_dim = static_cast<size_t>(it - base.dims.begin());
    for (const DimMap& other : maps) {
      if (other.base_dim == map.base_dim) return BadParameters("derived dim repeated");
    }
    map.position.assign(it->codes.size(), -1);
    for (size_t k = 0; k < d.codes.size(); ++k) {
      auto code = std::find(it->codes.begin(), it->codes.end(), d.codes[k]);
      if (code == it->codes.end()) return BadParameters("derived code not in base dim");
      map.position[code - it->codes.begin()] = static_cast<int>(k);
    }
    maps.push_back(std::move(map));
  }
  return maps;
}

// Laplace mode: sums the base's noisy inner cells into the derived cells.
PublishedTable SumNoisyCells(const PublishedTable& base, const Shape& base_shape,
                             const Shape& shape, const std::vector<DimMap>& maps) {
  PublishedTable out;
  out.threshold = base.threshold;
  std::vector<int64_t> sums(shape.size(), 0);
  for (size_t i = 0; i < base_shape.rows; ++i) {
    for (size_t j = 0; j < base_shape.cols; ++j) {
      const size_t base_index[2] = {i, j};
      const int p0 = maps[0].position[base_index[maps[0].base_dim]];
      const int p1 = maps.size() == 2 ? maps[1].position[base_index[maps[1].base_dim]] : 0;
      if (p0 < 0 || p1 < 0) continue;
      const size_t target = static_cast<size_t>(p0) * shape.cols + static_cast<size_t>(p1);
      sums[target] += base.cells[i * base_shape.cols + j].noisy;
    }
  }
  for (int64_t v : sums) out.cells.push_back(NoisyCell(v, out.threshold));
  FillNoisyMargins(out, shape);
  return out;
}

bool SameDim(const Dimension& a, const Dimension& b) { return a.id == b.id && a.codes == b.codes; }

// Threshold mode: only numbers the base already publishes (or suppresses) may appear.
Result<PublishedTable> ReuseSuppressed(const PublishedTable& base, const TableSpec& spec) {
  const auto& bd = base.spec.dims;
  const auto& dd = spec.dims;
  PublishedTable out = base;
  if (dd.size() == bd.size() && std::equal(dd.begin(), dd.end(), bd.begin(), SameDim)) return out;
  if (bd.size() == 2 && dd.size() == 1) {
    for (size_t k = 0; k < 2; ++k) {
      if (!SameDim(dd[0], bd[k])) continue;
      out.cells = k == 0 ? base.row_margins : base.col_margins;
      out.row_margins.clear();
      out.col_margins.clear();
      return out;
    }
  }
  return BadParameters("threshold-mode tables derive only to their own margins");
}

}  // namespace

Result<PublishedTable> Derive(const PublishedTable& base, const TableSpec& derived_spec) {
  Result<Shape> base_shape = ShapeOf(base.spec);
  Result<Shape> shape = ShapeOf(derived_spec);
  if (!base_shape) return std::unexpected(base_shape.error());
  if (!shape) return std::unexpected(shape.error());
  if (base.cells.size() != base_shape->size()) return BadParameters("base cells do not match");
  Result<std::vector<DimMap>> maps = MapDims(base.spec, derived_spec);
  if (!maps) return std::unexpected(maps.error());

  Result<PublishedTable> out = base.method == Method::kDiscreteLaplace
                                   ? SumNoisyCells(base, *base_shape, *shape, *maps)
                                   : ReuseSuppressed(base, derived_spec);
  if (!out) return out;
  out->spec = derived_spec;
  if (out->spec.derived_from.empty()) out->spec.derived_from = base.spec.id;
  out->method = base.method;
  out->threshold = base.threshold;
  out->eps_num = 0;
  out->eps_den = 1;
  return out;
}

Status CheckAllocation(const Allocation& allocation) {
  std::vector<Fraction> parts;
  for (size_t k = 0; k < allocation.shares.size(); ++k) {
    for (size_t l = 0; l < k; ++l) {
      if (allocation.shares[l].first == allocation.shares[k].first) {
        return BadParameters("table allocated twice");
      }
    }
    parts.push_back(allocation.shares[k].second);
  }
  return SumWithin(parts, allocation.cap, "allocation exceeds the yearly cap");
}

Result<Fraction> ShareOf(const Allocation& allocation, const std::string& table_id) {
  for (const auto& [id, share] : allocation.shares) {
    if (id == table_id) return share;
  }
  return Fail(ErrorCode::kNotFound, "staff_error.report_parameters", "table has no share");
}

Status CheckBudget(const std::vector<Fraction>& spent, Fraction request, Fraction cap) {
  std::vector<Fraction> parts = spent;
  parts.push_back(request);
  return SumWithin(parts, cap, "release would exceed the yearly privacy budget");
}

MethodStatement DescribeMethod(const PublishedTable& table) {
  MethodStatement st;
  if (table.method == Method::kThreshold) {
    st.msgid = "report.method.threshold_short";
    st.params = {{"method", "threshold"}, {"threshold", std::to_string(table.threshold)}};
  } else if (!table.spec.derived_from.empty()) {
    st.msgid = "report.method.derived_short";
    st.params = {{"method", "discrete_laplace"},
                 {"threshold", std::to_string(table.threshold)},
                 {"base", table.spec.derived_from}};
  } else {
    st.msgid = "report.method.laplace_short";
    st.params = {{"method", "discrete_laplace"},
                 {"eps", FractionText(table.eps_num, table.eps_den)},
                 {"delta", std::to_string(table.spec.sensitivity)},
                 {"threshold", std::to_string(table.threshold)}};
  }
  return st;
}

}  // namespace vd::report
