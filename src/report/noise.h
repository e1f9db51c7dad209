#pragma once
// Exact discrete-Laplace noise with integers only, after Canonne, Kamath and Steinke (2020),
// "The Discrete Gaussian for Differential Privacy", algorithms 1 and 2. No floating point is
// used anywhere in sampling, so the output distribution is exactly P(y) ∝ exp(-|y|·s/t) and
// cannot leak through rounding (Mironov 2012). Parameters that could overflow an integer
// product are refused. Not thread-safe: one RandomSource per thread.

#include <array>
#include <cstdint>
#include <vector>

#include "core/error.h"

namespace vd::report {

// Where the sampler's randomness comes from. Implementations return exact uniform values.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniform integer in [0, n); n >= 1.
  virtual uint32_t UniformBelow(uint32_t n) = 0;
  // A uniform integer in [0, n) for n up to 2^63, by rejection on 64 uniform bits built
  // from UniformBelow calls.
  uint64_t UniformBelow64(uint64_t n);
};

// Production randomness: libsodium's randombytes_uniform (rejection sampling, CSPRNG).
class SodiumRandom final : public RandomSource {
 public:
  SodiumRandom();  // calls sodium_init (idempotent); aborts if libsodium cannot start
  uint32_t UniformBelow(uint32_t n) override;
};

// A deterministic, repeatable stream for tests: blocks of randombytes_buf_deterministic
// output, block k keyed by BLAKE2b(seed, k), consumed as 32-bit words with rejection
// sampling so that every value below n is exactly equally likely.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(const std::array<unsigned char, 32>& seed);
  // Convenience for tests: the seed is the 8 little-endian bytes of `n`, zero-padded.
  static SeededRandom FromNumber(uint64_t n);
  uint32_t UniformBelow(uint32_t n) override;
  uint64_t words_used() const { return words_used_; }

 private:
  uint32_t NextWord();
  void Refill();

  std::array<unsigned char, 32> seed_;
  std::vector<unsigned char> buffer_;
  size_t pos_ = 0;
  uint64_t block_ = 0;
  uint64_t words_used_ = 0;
};

// The largest s, t (and b) the sampler accepts: keeps t·v, b·k and u + t·v far below 2^63.
inline constexpr int64_t kMaxNoiseParameter = (int64_t{1} << 32) - 1;

// True with probability p/q exactly. Requires 0 <= p <= q, 1 <= q <= 2^63 - 1.
bool Bernoulli(int64_t p, int64_t q, RandomSource& rng);

// True with probability exp(-a/b) exactly (CKS algorithm 1, including a/b > 1).
// Requires 0 <= a, 1 <= b <= kMaxNoiseParameter.
bool BernExp(int64_t a, int64_t b, RandomSource& rng);

// The discrete Laplace distribution on the integers with P(y) ∝ exp(-|y|·s/t), i.e. scale
// t/s. For noise at sensitivity Δ and privacy ε = n/d use s/t = n/(d·Δ).
class DiscreteLaplace {
 public:
  // Refuses (kInvalidInput, "staff_error.report_parameters") s or t outside
  // [1, kMaxNoiseParameter]. s/t is reduced by their gcd first.
  static Result<DiscreteLaplace> Create(int64_t s, int64_t t);
  // CKS algorithm 2.
  int64_t Sample(RandomSource& rng) const;
  int64_t s() const { return s_; }
  int64_t t() const { return t_; }

 private:
  DiscreteLaplace(int64_t s, int64_t t) : s_(s), t_(t) {}
  int64_t s_;
  int64_t t_;
};

}  // namespace vd::report
