// The bare Argon2id rate at production settings: the baseline that receipt opening is
// compared against. Threads = the server's Argon2 concurrency (2 by default).

#include <benchmark/benchmark.h>

#include "crypto/crypto.h"

namespace {

void BM_Argon2idProduction(benchmark::State& state) {
  (void)vd::InitCrypto();
  const vd::PwhashParams params;  // the production defaults
  const std::string salt = vd::NewSalt();
  for (auto _ : state) {
    auto key = vd::Argon2id("1234567890123456", salt, params);
    benchmark::DoNotOptimize(key);
  }
}
BENCHMARK(BM_Argon2idProduction)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace
