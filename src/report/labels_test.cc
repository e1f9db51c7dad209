// Labels: a code is named by the report's domain first, then by its dimension's msgid prefix
// (tables.h), then by "report.code.*", else it is shown as it is.

#include "report/labels.h"

#include <gtest/gtest.h>

#include <map>

namespace vd::report {
namespace {

TEST(ReportLabelsTest, NamesComeFromTheDomainThenTheDimensionThenTheGenericCodes) {
  const std::map<std::string, std::string, std::less<>> en = {
      {"c.channel.phone", "Phone"}, {"report.code.unknown", "Unknown"}, {"report.total", "Total"},
      {"c.age.18-24", "18 to 24"}};
  TranslateFn translate = [en](std::string_view lang, std::string_view msgid) {
    auto it = en.find(msgid);
    return lang == "en" && it != en.end() ? it->second : std::string(msgid);
  };
  CodeNameFn names = [](std::string_view dim, std::string_view code) -> std::optional<std::string> {
    if (dim == "referral_organisation" && code == "shop") return "SHOP Den Haag";
    return std::nullopt;
  };
  const Labels l = MakeLabels("en", translate, names);
  EXPECT_EQ(l.lang, "en");
  EXPECT_EQ(l.text("report.total"), "Total");
  EXPECT_EQ(l.code("channel", "phone"), "Phone");
  EXPECT_EQ(l.code("age_band", "18-24"), "18 to 24");            // prefix "c.age."
  EXPECT_EQ(l.code("channel", "unknown"), "Unknown");            // the generic code
  EXPECT_EQ(l.code("referral_organisation", "shop"), "SHOP Den Haag");
  EXPECT_EQ(l.code("referral_organisation", "gone"), "gone");    // as it is
  // Any language but English gives the Dutch report.
  EXPECT_EQ(MakeLabels("ro", translate, names).lang, "nl");
  EXPECT_EQ(MakeLabels("ro", translate, names).code("channel", "phone"), "phone");
}

}  // namespace
}  // namespace vd::report
