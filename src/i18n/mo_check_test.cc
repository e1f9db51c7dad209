#include "i18n/mo_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace vd {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void PutWord(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

TEST(MoCheckTest, AcceptsTheBuiltCatalogs) {
  for (const char* code : {"en", "nl", "th"}) {
    const std::string mo = Read(std::string(VD_BINARY_DIR) + "/locale/" + code + "/LC_MESSAGES/vertrouwd.mo");
    ASSERT_GT(mo.size(), 28u) << code;
    EXPECT_TRUE(CheckMoFile(mo).has_value()) << code;
  }
}

TEST(MoCheckTest, RefusesWhatBoostLocaleWouldTrust) {
  const std::string good = Read(std::string(VD_BINARY_DIR) + "/locale/en/LC_MESSAGES/vertrouwd.mo");
  ASSERT_GT(good.size(), 28u);
  EXPECT_FALSE(CheckMoFile("").has_value());
  EXPECT_FALSE(CheckMoFile(good.substr(0, 27)).has_value());
  EXPECT_FALSE(CheckMoFile(good.substr(0, good.size() / 2)).has_value());
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_FALSE(CheckMoFile(bad).has_value());
  bad = good;
  PutWord(bad, 8, 0x10000000);  // string count far beyond the file
  EXPECT_FALSE(CheckMoFile(bad).has_value());
  bad = good;
  uint32_t originals = 0;
  for (int i = 0; i < 4; ++i) originals |= uint32_t{static_cast<unsigned char>(good[12 + i])} << (8 * i);
  PutWord(bad, originals + 4, 0xfffffff0);  // first string's offset out of the file
  EXPECT_FALSE(CheckMoFile(bad).has_value());
  bad = good;
  PutWord(bad, originals, 0x7fffffff);  // first string's length out of the file
  EXPECT_FALSE(CheckMoFile(bad).has_value());
  // The file fuzz_catalog found crashing Boost.Locale 1.81.
  const std::string found =
      Read(std::string(VD_SOURCE_DIR) + "/tests/fuzz/corpus/catalog/regress-boost-locale-segv.mo");
  ASSERT_FALSE(found.empty());
  EXPECT_FALSE(CheckMoFile(found).has_value());
}

}  // namespace
}  // namespace vd
