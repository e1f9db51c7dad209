#include "core/text.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(TextTest, Utf8AcceptsValidAndRejectsBroken) {
  EXPECT_TRUE(IsValidUtf8("hallo"));
  EXPECT_TRUE(IsValidUtf8("Ro\xC8\x99u"));           // ș
  EXPECT_TRUE(IsValidUtf8("\xE0\xB8\xAA"));          // Thai
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));      // emoji
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));             // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));         // surrogate
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("abc\xE0\xB8"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));     // > U+10FFFF
}

TEST(TextTest, ControlCharacters) {
  EXPECT_FALSE(HasForbiddenControl("a\tb\r\nc"));
  EXPECT_TRUE(HasForbiddenControl(std::string_view("a\0b", 3)));
  EXPECT_TRUE(HasForbiddenControl("a\x1b[31m"));
}

TEST(TextTest, ParseIntIsStrict) {
  EXPECT_EQ(ParseInt("42"), 42);
  EXPECT_EQ(ParseInt(""), std::nullopt);
  EXPECT_EQ(ParseInt("-1"), std::nullopt);
  EXPECT_EQ(ParseInt("4 2"), std::nullopt);
  EXPECT_EQ(ParseInt("99999999999999999999"), std::nullopt);
}

TEST(TextTest, NewlinesAndTrim) {
  EXPECT_EQ(NormalizeNewlines("a\r\nb\rc\n"), "a\nb\nc\n");
  EXPECT_EQ(Trim("  x y \n"), "x y");
  EXPECT_EQ(CodePointCount("\xE0\xB8\xAA" "a"), 2u);
}

}  // namespace
}  // namespace vd
