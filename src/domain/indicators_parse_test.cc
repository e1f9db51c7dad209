// IndicatorCatalog::Parse on inputs the fuzzer (tests/fuzz/indicators_fuzz.cc) found or
// that are close to them: numbers that are not whole numbers are refused, never cast.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "domain/indicators.h"

namespace vd {
namespace {

std::string Read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(IndicatorParseTest, FloatsWhereWholeNumbersBelongAreRefused) {
  const std::string v1 = Read(std::filesystem::path(VD_SOURCE_DIR) / "data/indicators/v1.toml");
  ASSERT_TRUE(IndicatorCatalog::Parse(v1).has_value());
  for (const std::string version : {"1e300", "-1e300", "1.0", "nan", "inf"}) {
    auto r = IndicatorCatalog::Parse(Replace(v1, "version = 1", "version = " + version));
    ASSERT_FALSE(r.has_value()) << version;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << version;
  }
  for (const std::string ilo : {"1e300", "3.0", "-inf", "\"3\"", "true"}) {
    auto r = IndicatorCatalog::Parse(Replace(v1, "ilo = [", "ilo = [" + ilo + ", "));
    ASSERT_FALSE(r.has_value()) << ilo;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidInput) << ilo;
  }
  auto r = IndicatorCatalog::Parse(Replace(v1, "dutch = [", "dutch = [42, "));
  EXPECT_FALSE(r.has_value());
  // The fuzzer's own finding, kept as a seed.
  const std::filesystem::path seeds = std::filesystem::path(VD_SOURCE_DIR) / "tests/fuzz/corpus/indicators";
  for (const char* seed : {"regress-float-cast-ilo", "regress-float-cast-version"}) {
    const std::string text = Read(seeds / seed);
    ASSERT_FALSE(text.empty()) << seed;
    EXPECT_FALSE(IndicatorCatalog::Parse(text).has_value()) << seed;
  }
}

}  // namespace
}  // namespace vd
