#include "i18n/i18n.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

std::unique_ptr<Catalogs> LoadAll() {
  auto c = Catalogs::Load(std::string(VD_BINARY_DIR) + "/locale", "nl");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().detail);
  return c ? std::move(*c) : nullptr;
}

TEST(I18nTest, LoadsCatalogsWithNativeNames) {
  auto c = LoadAll();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Has("nl"));
  ASSERT_TRUE(c->Has("en"));
  for (const auto& lang : c->languages()) {
    EXPECT_NE(lang.native_name, "language.native_name") << lang.code;
  }
  EXPECT_EQ(c->Translate("nl", "language.native_name"), "Nederlands");
  EXPECT_EQ(c->Translate("en", "language.native_name"), "English");
}

TEST(I18nTest, NegotiatesByQualityThenPrimaryTag) {
  auto c = LoadAll();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Negotiate("en-GB,en;q=0.9"), "en");
  EXPECT_EQ(c->Negotiate("fr;q=1, en;q=0.5, nl;q=0.8"), "nl");
  EXPECT_EQ(c->Negotiate("xx, yy"), "nl");
  EXPECT_EQ(c->Negotiate(""), "nl");
  EXPECT_EQ(c->Negotiate("en;q=0"), "nl");
  EXPECT_EQ(c->Negotiate(std::string(5000, ',')), "nl");
  EXPECT_EQ(c->Canonical("EN"), "en");
  EXPECT_EQ(c->Canonical("../etc"), "");
}

TEST(I18nTest, UnknownLanguageFallsBackToDefault) {
  auto c = LoadAll();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->Translate("xx", "language.native_name"), "Nederlands");
}

TEST(I18nTest, PluralFormsFollowTheCatalog) {
  auto c = LoadAll();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->TranslatePlural("en", "{{n}} message", "{{n}} messages", 1), "{{n}} message");
  EXPECT_EQ(c->TranslatePlural("en", "{{n}} message", "{{n}} messages", 3), "{{n}} messages");
  EXPECT_EQ(c->TranslatePlural("nl", "{{n}} message", "{{n}} messages", 1), "{{n}} bericht");
  EXPECT_EQ(c->TranslatePlural("nl", "{{n}} message", "{{n}} messages", 2), "{{n}} berichten");
}

}  // namespace
}  // namespace vd
