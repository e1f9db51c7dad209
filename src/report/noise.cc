#include "report/noise.h"

#include <sodium.h>

#include <cstdlib>
#include <numeric>

namespace vd::report {
namespace {

// Broken preconditions are bugs in the caller (parameters are validated at the API edge).
void Require(bool ok) {
  if (!ok) std::abort();
}

// a·b, or abort: only reachable with probability far below 2^-1000 once the parameters are
// bounded by kMaxNoiseParameter (it needs a geometric count in the billions).
int64_t CheckedMul(int64_t a, int64_t b) {
  int64_t out = 0;
  Require(!__builtin_mul_overflow(a, b, &out));
  return out;
}

int64_t CheckedAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  Require(!__builtin_add_overflow(a, b, &out));
  return out;
}

constexpr size_t kSeededBlockBytes = 64 * 1024;

}  // namespace

uint64_t RandomSource::UniformBelow64(uint64_t n) {
  Require(n >= 1);
  if (n <= UINT32_MAX) return UniformBelow(static_cast<uint32_t>(n));
  // 2^64 mod n: values below it are rejected so the accepted range is a multiple of n.
  const uint64_t min = (0 - n) % n;
  for (;;) {
    uint64_t x = UniformBelow(1u << 31);
    x = (x << 31) | UniformBelow(1u << 31);
    x = (x << 2) | UniformBelow(4);
    if (x >= min) return x % n;
  }
}

SodiumRandom::SodiumRandom() { Require(sodium_init() >= 0); }

uint32_t SodiumRandom::UniformBelow(uint32_t n) {
  Require(n >= 1);
  return randombytes_uniform(n);
}

SeededRandom::SeededRandom(const std::array<unsigned char, 32>& seed) : seed_(seed) {
  Require(sodium_init() >= 0);
  static_assert(randombytes_SEEDBYTES == 32);
}

SeededRandom SeededRandom::FromNumber(uint64_t n) {
  std::array<unsigned char, 32> seed{};
  for (int i = 0; i < 8; ++i) seed[i] = static_cast<unsigned char>(n >> (8 * i));
  return SeededRandom(seed);
}

// Each block gets its own key so the stream is as long as needed; ChaCha20 under a fresh
// BLAKE2b-derived key per block.
void SeededRandom::Refill() {
  unsigned char counter[8];
  for (int i = 0; i < 8; ++i) counter[i] = static_cast<unsigned char>(block_ >> (8 * i));
  unsigned char block_seed[randombytes_SEEDBYTES];
  crypto_generichash(block_seed, sizeof block_seed, counter, sizeof counter, seed_.data(),
                     seed_.size());
  buffer_.resize(kSeededBlockBytes);
  randombytes_buf_deterministic(buffer_.data(), buffer_.size(), block_seed);
  ++block_;
  pos_ = 0;
}

uint32_t SeededRandom::NextWord() {
  if (pos_ + 4 > buffer_.size()) Refill();
  const unsigned char* p = buffer_.data() + pos_;
  pos_ += 4;
  ++words_used_;
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint32_t SeededRandom::UniformBelow(uint32_t n) {
  Require(n >= 1);
  const uint32_t min = (0u - n) % n;  // 2^32 mod n, as randombytes_uniform does
  for (;;) {
    const uint32_t w = NextWord();
    if (w >= min) return w % n;
  }
}

bool Bernoulli(int64_t p, int64_t q, RandomSource& rng) {
  Require(q >= 1 && p >= 0 && p <= q);
  return rng.UniformBelow64(static_cast<uint64_t>(q)) < static_cast<uint64_t>(p);
}

// CKS algorithm 1. For gamma = a/b <= 1: K <- 1; while Bernoulli(gamma/K): K <- K+1; return K
// odd. For gamma > 1, exp(-gamma) = exp(-1)^floor(gamma) · exp(-(gamma - floor(gamma))).
bool BernExp(int64_t a, int64_t b, RandomSource& rng) {
  Require(a >= 0 && b >= 1 && b <= kMaxNoiseParameter);
  while (a > b) {
    if (!BernExp(1, 1, rng)) return false;
    a -= b;
  }
  int64_t k = 1;
  while (Bernoulli(a, CheckedMul(b, k), rng)) k = CheckedAdd(k, 1);
  return k % 2 == 1;
}

Result<DiscreteLaplace> DiscreteLaplace::Create(int64_t s, int64_t t) {
  if (s < 1 || t < 1 || s > kMaxNoiseParameter || t > kMaxNoiseParameter) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.report_parameters",
                "discrete Laplace parameters out of range");
  }
  const int64_t g = std::gcd(s, t);
  return DiscreteLaplace(s / g, t / g);
}

// CKS algorithm 2: U uniform below t accepted with probability exp(-U/t) and V geometric
// with P(V = v) ∝ exp(-v) give X = U + t·V geometric with parameter exp(-1/t); Y = floor(X/s)
// is then geometric with parameter exp(-s/t), and a random sign (rejecting -0) makes it
// two-sided.
int64_t DiscreteLaplace::Sample(RandomSource& rng) const {
  for (;;) {
    const int64_t u = static_cast<int64_t>(rng.UniformBelow64(static_cast<uint64_t>(t_)));
    if (!BernExp(u, t_, rng)) continue;
    int64_t v = 0;
    while (BernExp(1, 1, rng)) v = CheckedAdd(v, 1);
    const int64_t x = CheckedAdd(u, CheckedMul(t_, v));
    const int64_t y = x / s_;
    const bool negative = Bernoulli(1, 2, rng);
    if (negative && y == 0) continue;
    return negative ? -y : y;
  }
}

}  // namespace vd::report
