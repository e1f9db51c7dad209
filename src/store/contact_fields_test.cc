// The contact field table's own promises: names and codes unique, "unknown" offered, caps
// that fit the choice. Reports rely on the codes being fixed and distinct.

#include "store/contact_fields.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace vd {
namespace {

TEST(ContactFieldsTest, NamesAndCodesAreUniqueAndUnknownIsOffered) {
  std::set<std::string_view> names;
  for (const ContactField& f : kContactFields) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    std::set<std::string_view> codes(f.codes.begin(), f.codes.end());
    EXPECT_EQ(codes.size(), f.codes.size()) << f.name << ": a code twice";
    EXPECT_TRUE(codes.contains("unknown")) << f.name;
    EXPECT_FALSE(f.label.empty()) << f.name;
    EXPECT_TRUE(f.prefix.starts_with("c.") && f.prefix.ends_with(".")) << f.name;
    EXPECT_GE(f.cap, 1) << f.name;
    if (f.choice == Choice::kOne) {
      EXPECT_EQ(f.cap, 1) << f.name;
    }
    for (std::string_view c : f.codes) {
      // Codes go into SQL values, URLs of nothing, msgids and CSV cells: keep them plain.
      EXPECT_EQ(c.find_first_of(" ,;\\\"'<>&\n"), std::string_view::npos) << f.name << ": " << c;
    }
  }
}

TEST(ContactFieldsTest, CompileTimeLookupFindsTheField) {
  static_assert(FieldNamed("region").choice == Choice::kOne);
  static_assert(kContactFields[FieldIndex("topic")].cap == 3);
  EXPECT_EQ(FieldNamed("age_band").prefix, "c.age.");
}

}  // namespace
}  // namespace vd
