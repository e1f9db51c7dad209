// Statistical tests of the exact discrete-Laplace sampler against its exact distribution
// (privacy-reporting.md, "Tests that prove it"). Fixed seeds make every run repeatable;
// thresholds sit at the 1 - 1e-6 quantile, and wrong or biased samplers are shown to fail.
// Doubles are used here, in the tests only, to compute expected frequencies.

#include "report/noise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "report/disclosure.h"

namespace vd::report {
namespace {

constexpr int kSamples = 1'000'000;
constexpr double kZ = 4.753;  // standard normal upper quantile for p = 1e-6

double Pmf(int64_t k, int64_t s, int64_t t) {
  const double q = std::exp(-static_cast<double>(s) / static_cast<double>(t));
  return (1 - q) / (1 + q) * std::pow(q, std::llabs(k));
}

// P(Y > k) for k >= 0 (one tail).
double Tail(int64_t k, int64_t s, int64_t t) {
  const double q = std::exp(-static_cast<double>(s) / static_cast<double>(t));
  return (1 - q) / (1 + q) * std::pow(q, k + 1) / (1 - q);
}

// Wilson–Hilferty approximation of the chi-square upper quantile for `df` degrees of freedom.
double ChiSquareCritical(int df, double z = kZ) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1 - a + z * std::sqrt(a), 3);
}

struct ChiSquare {
  double statistic = 0;
  double critical = 0;
  int df = 0;
  bool Passes() const { return statistic < critical; }
};

// Pearson's statistic of a histogram against the discrete Laplace pmf with s/t: single bins
// for |k| <= K and both tails pooled, K the largest with an expected tail count of >= 5.
ChiSquare TestFit(const std::map<int64_t, int64_t>& histogram, int64_t n, int64_t s, int64_t t) {
  int64_t k_max = 0;
  while (n * Tail(k_max + 1, s, t) >= 5) ++k_max;
  ChiSquare out;
  auto add = [&](double observed, double expected) {
    out.statistic += (observed - expected) * (observed - expected) / expected;
    ++out.df;
  };
  double low = 0, high = 0;
  for (const auto& [k, count] : histogram) {
    if (k < -k_max) low += count;
    if (k > k_max) high += count;
  }
  for (int64_t k = -k_max; k <= k_max; ++k) {
    auto it = histogram.find(k);
    add(it == histogram.end() ? 0 : it->second, n * Pmf(k, s, t));
  }
  add(low, n * Tail(k_max, s, t));
  add(high, n * Tail(k_max, s, t));
  out.df -= 1;
  out.critical = ChiSquareCritical(out.df);
  return out;
}

std::map<int64_t, int64_t> Histogram(const DiscreteLaplace& d, RandomSource& rng, int n) {
  std::map<int64_t, int64_t> h;
  for (int i = 0; i < n; ++i) ++h[d.Sample(rng)];
  return h;
}

struct Scale {
  int64_t s, t;
};

class NoiseFit : public ::testing::TestWithParam<Scale> {};

TEST_P(NoiseFit, ChiSquareMomentsSymmetryAndRatios) {
  const auto [s, t] = GetParam();
  SeededRandom rng = SeededRandom::FromNumber(1000 + s * 10 + t);
  Result<DiscreteLaplace> d = DiscreteLaplace::Create(s, t);
  ASSERT_TRUE(d);
  const std::map<int64_t, int64_t> h = Histogram(*d, rng, kSamples);

  const ChiSquare fit = TestFit(h, kSamples, s, t);
  EXPECT_TRUE(fit.Passes()) << "chi2 " << fit.statistic << " df " << fit.df << " crit "
                            << fit.critical;
  EXPECT_GE(fit.df, 4);

  // Mean 0 and variance 2q/(1-q)^2, within 5 standard errors (fourth moment from the pmf).
  const double q = std::exp(-static_cast<double>(s) / t);
  const double var = 2 * q / ((1 - q) * (1 - q));
  double m4 = 0;
  for (int64_t k = -2000; k <= 2000; ++k) m4 += Pmf(k, s, t) * std::pow(k, 4);
  double sum = 0, sum2 = 0;
  for (const auto& [k, c] : h) {
    sum += static_cast<double>(k) * c;
    sum2 += static_cast<double>(k) * k * c;
  }
  const double mean = sum / kSamples;
  EXPECT_LT(std::abs(mean), 5 * std::sqrt(var / kSamples));
  EXPECT_LT(std::abs(sum2 / kSamples - var), 5 * std::sqrt((m4 - var * var) / kSamples));

  // Symmetry P(k) = P(-k) and ratio P(k)/P(k+1) = e^(s/t), on well-populated bins.
  auto at = [&](int64_t k) {
    auto it = h.find(k);
    return it == h.end() ? 0.0 : static_cast<double>(it->second);
  };
  for (int64_t k = 1; at(k) >= 1000; ++k) {
    EXPECT_LT(std::abs(at(k) - at(-k)), 5 * std::sqrt(at(k) + at(-k))) << "k " << k;
  }
  for (int64_t k = 0; at(k + 1) >= 1000; ++k) {
    const double log_ratio = std::log(at(k) / at(k + 1));
    EXPECT_NEAR(log_ratio, static_cast<double>(s) / t, 5 * std::sqrt(1 / at(k) + 1 / at(k + 1)))
        << "k " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Noise, NoiseFit,
                         ::testing::Values(Scale{1, 1}, Scale{1, 2}, Scale{1, 4}, Scale{2, 1}),
                         [](const auto& info) {
                           return "s" + std::to_string(info.param.s) + "_t" +
                                  std::to_string(info.param.t);
                         });

// The chi-square test has teeth: samples at the wrong scale, and a plausibly buggy sampler
// that forgets to reject "-0" (so zero is twice as likely), both fail it.
TEST(NoiseChiSquare, WrongScaleFails) {
  SeededRandom rng = SeededRandom::FromNumber(7);
  Result<DiscreteLaplace> half = DiscreteLaplace::Create(1, 2);
  ASSERT_TRUE(half);
  const ChiSquare fit = TestFit(Histogram(*half, rng, kSamples), kSamples, 1, 1);
  EXPECT_FALSE(fit.Passes()) << "chi2 " << fit.statistic << " crit " << fit.critical;
}

TEST(NoiseChiSquare, BiasedSamplerFails) {
  SeededRandom rng = SeededRandom::FromNumber(8);
  // Magnitude geometric with ratio e^-1 and a fair sign without rejecting -0.
  std::map<int64_t, int64_t> h;
  for (int i = 0; i < kSamples; ++i) {
    int64_t m = 0;
    while (BernExp(1, 1, rng)) ++m;
    ++h[Bernoulli(1, 2, rng) ? -m : m];
  }
  const ChiSquare fit = TestFit(h, kSamples, 1, 1);
  EXPECT_FALSE(fit.Passes()) << "chi2 " << fit.statistic << " crit " << fit.critical;
}

TEST(NoiseChiSquare, CriticalValueMatchesTables) {
  // Published 0.999 quantiles (z = 3.0902): df 10 -> 29.588, df 30 -> 59.703.
  EXPECT_NEAR(ChiSquareCritical(10, 3.0902), 29.588, 0.3);
  EXPECT_NEAR(ChiSquareCritical(30, 3.0902), 59.703, 0.3);
}

TEST(NoiseBernExp, FrequenciesMatchExp) {
  SeededRandom rng = SeededRandom::FromNumber(11);
  const std::pair<int64_t, int64_t> cases[] = {{1, 1}, {1, 2}, {3, 4}, {3, 2}, {5, 2}, {7, 3}};
  constexpr int kTrials = 200'000;
  for (const auto& [a, b] : cases) {
    int hits = 0;
    for (int i = 0; i < kTrials; ++i) hits += BernExp(a, b, rng) ? 1 : 0;
    const double p = std::exp(-static_cast<double>(a) / b);
    EXPECT_NEAR(static_cast<double>(hits) / kTrials, p, 5 * std::sqrt(p * (1 - p) / kTrials))
        << a << "/" << b;
  }
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(BernExp(0, 5, rng));
}

TEST(NoiseBernoulli, FrequenciesMatch) {
  SeededRandom rng = SeededRandom::FromNumber(12);
  constexpr int kTrials = 200'000;
  int hits = 0;
  for (int i = 0; i < kTrials; ++i) hits += Bernoulli(3, 7, rng) ? 1 : 0;
  const double p = 3.0 / 7;
  EXPECT_NEAR(static_cast<double>(hits) / kTrials, p, 5 * std::sqrt(p * (1 - p) / kTrials));
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(Bernoulli(0, 9, rng));
    EXPECT_TRUE(Bernoulli(9, 9, rng));
  }
}

// Chi-square of UniformBelow(n) over its n values, and of UniformBelow64 for an n above 2^32
// over 8 equal slices.
TEST(NoiseUniform, UniformBelowIsUniform) {
  SeededRandom rng = SeededRandom::FromNumber(13);
  for (uint32_t n : {2u, 3u, 7u, 10u, 1000u}) {
    const int draws = 200 * static_cast<int>(n) + 100'000;
    std::vector<int64_t> counts(n, 0);
    for (int i = 0; i < draws; ++i) {
      const uint32_t x = rng.UniformBelow(n);
      ASSERT_LT(x, n);
      ++counts[x];
    }
    double chi2 = 0;
    const double expected = static_cast<double>(draws) / n;
    for (int64_t c : counts) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, ChiSquareCritical(static_cast<int>(n) - 1)) << "n " << n;
  }
  const uint64_t big = (uint64_t{3} << 32) + 12345;
  std::vector<int64_t> slices(8, 0);
  constexpr int kDraws = 160'000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = rng.UniformBelow64(big);
    ASSERT_LT(x, big);
    ++slices[x / (big / 8 + 1)];
  }
  double chi2 = 0;
  for (int64_t c : slices) chi2 += (c - kDraws / 8.0) * (c - kDraws / 8.0) / (kDraws / 8.0);
  EXPECT_LT(chi2, ChiSquareCritical(7));
}

// The uniformity check has teeth: values taken modulo 10 from 16 (no rejection) fail it.
TEST(NoiseUniform, ChiSquareCatchesBias) {
  SeededRandom rng = SeededRandom::FromNumber(14);
  std::vector<int64_t> counts(10, 0);
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) ++counts[rng.UniformBelow(16) % 10];  // modulo bias
  double chi2 = 0;
  for (int64_t c : counts) chi2 += (c - kDraws / 10.0) * (c - kDraws / 10.0) / (kDraws / 10.0);
  EXPECT_GT(chi2, ChiSquareCritical(9));
}

TEST(NoiseRandom, SeededIsRepeatableAndSeedsDiffer) {
  SeededRandom a = SeededRandom::FromNumber(42), b = SeededRandom::FromNumber(42);
  SeededRandom c = SeededRandom::FromNumber(43);
  int same_c = 0;
  for (int i = 0; i < 50'000; ++i) {  // crosses several 64 KiB blocks
    const uint32_t x = a.UniformBelow(1u << 30);
    ASSERT_EQ(x, b.UniformBelow(1u << 30));
    same_c += x == c.UniformBelow(1u << 30) ? 1 : 0;
  }
  EXPECT_LT(same_c, 3);
}

TEST(NoiseRandom, SodiumRandomInRangeAndCoversValues) {
  SodiumRandom rng;
  std::vector<int> seen(10, 0);
  for (int i = 0; i < 2000; ++i) {
    const uint32_t x = rng.UniformBelow(10);
    ASSERT_LT(x, 10u);
    ++seen[x];
  }
  for (int c : seen) EXPECT_GT(c, 100);
  Result<DiscreteLaplace> d = DiscreteLaplace::Create(1, 1);
  ASSERT_TRUE(d);
  int nonzero = 0;
  for (int i = 0; i < 1000; ++i) nonzero += d->Sample(rng) != 0 ? 1 : 0;
  EXPECT_GT(nonzero, 400);  // P(0) = (1-q)/(1+q) = 0.46 at s/t = 1
  EXPECT_LT(nonzero, 700);
}

TEST(NoiseParameters, RefusesOutOfRangeAndReduces) {
  EXPECT_FALSE(DiscreteLaplace::Create(0, 1));
  EXPECT_FALSE(DiscreteLaplace::Create(1, 0));
  EXPECT_FALSE(DiscreteLaplace::Create(-1, 1));
  EXPECT_FALSE(DiscreteLaplace::Create(1, kMaxNoiseParameter + 1));
  Result<DiscreteLaplace> big = DiscreteLaplace::Create(3, kMaxNoiseParameter);
  ASSERT_TRUE(big);
  SeededRandom rng = SeededRandom::FromNumber(15);
  for (int i = 0; i < 100; ++i) big->Sample(rng);  // huge scale: no overflow, no abort
  Result<DiscreteLaplace> reduced = DiscreteLaplace::Create(6, 8);
  ASSERT_TRUE(reduced);
  EXPECT_EQ(reduced->s(), 3);
  EXPECT_EQ(reduced->t(), 4);
  EXPECT_EQ(DiscreteLaplace::Create(0, 1).error().code, ErrorCode::kInvalidInput);
}

// Neighbouring data through the full mechanism: a one-cell table with count c and c + 1.
// For every output value the ratio of the two output frequencies stays within e^ε (plus
// sampling tolerance), and the bound is tight for outputs at or below c.
TEST(NoiseNeighbours, OutputRatiosWithinExpEpsilon) {
  constexpr int64_t kC = 20;
  constexpr int kRuns = 400'000;
  const int64_t eps_num = 1, eps_den = 2;
  TableSpec spec{"one", {Dimension{"d", {"a"}}}, 1, ""};
  SeededRandom rng = SeededRandom::FromNumber(16);
  std::map<int64_t, int64_t> h0, h1;
  for (int64_t c : {kC, kC + 1}) {
    CountTable table{spec, {c}};
    for (int i = 0; i < kRuns; ++i) {
      Result<PublishedTable> p = ProtectLaplace(table, eps_num, eps_den, rng);
      ASSERT_TRUE(p);
      ++(c == kC ? h0 : h1)[p->cells[0].noisy];
    }
  }
  const double eps = static_cast<double>(eps_num) / eps_den;
  int checked = 0, tight = 0;
  for (const auto& [z, a] : h0) {
    auto it = h1.find(z);
    if (a < 2000 || it == h1.end() || it->second < 2000) continue;
    const double b = static_cast<double>(it->second);
    const double log_ratio = std::abs(std::log(a / b));
    const double tol = 5 * std::sqrt(1.0 / a + 1.0 / b);
    EXPECT_LE(log_ratio, eps + tol) << "output " << z;
    if (z <= kC) tight += std::abs(log_ratio - eps) <= tol ? 1 : 0;
    ++checked;
  }
  EXPECT_GE(checked, 10);
  EXPECT_GE(tight, 4);
}

}  // namespace
}  // namespace vd::report
