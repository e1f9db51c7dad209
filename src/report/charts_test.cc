#include "report/charts.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace vd::report {
namespace {

// A small well-formedness check: tags balance, attribute values are quoted, text holds no
// raw '<' and every '&' starts an entity. Returns "" or what is wrong.
std::string CheckXml(const std::string& s) {
  std::vector<std::string> stack;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '&') {
      static const std::regex entity("^&(amp|lt|gt|quot|#39);");
      if (!std::regex_search(s.substr(i, 8), entity)) return "bare & at " + std::to_string(i);
      ++i;
      continue;
    }
    if (s[i] != '<') {
      if (s[i] == '>') return "bare > at " + std::to_string(i);
      ++i;
      continue;
    }
    // A tag: find its end, honouring quoted attribute values.
    size_t j = i + 1;
    char quote = 0;
    for (; j < s.size(); ++j) {
      if (quote) {
        if (s[j] == quote) quote = 0;
        else if (s[j] == '<') return "< inside attribute at " + std::to_string(j);
      } else if (s[j] == '"' || s[j] == '\'') {
        quote = s[j];
      } else if (s[j] == '>') {
        break;
      } else if (s[j] == '<') {
        return "< inside tag at " + std::to_string(j);
      }
    }
    if (j >= s.size()) return "unterminated tag";
    const std::string tag = s.substr(i + 1, j - i - 1);
    if (tag.starts_with("/")) {
      if (stack.empty() || stack.back() != tag.substr(1)) return "mismatched </" + tag.substr(1) + ">";
      stack.pop_back();
    } else if (!tag.ends_with("/")) {
      stack.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = j + 1;
  }
  return stack.empty() ? "" : "unclosed <" + stack.back() + ">";
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

BarChart Sample() {
  BarChart c;
  c.id = "channel";
  c.title = "Contacts by channel";
  c.desc = "Outreach visits are the most frequent channel.";
  c.bars = {{"Outreach visit", "412"}, {"Walk-in", "120"}, {"Phone", "< 10"}, {"Other", "0"}};
  c.small_note = "fewer than 10";
  return c;
}

TEST(ReportChartsTest, BarChartIsWellFormedAndAccessible) {
  const std::string svg = HorizontalBarChart(Sample());
  EXPECT_EQ(CheckXml(svg), "") << svg;
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("aria-labelledby=\"channel-t channel-d\""), std::string::npos);
  EXPECT_NE(svg.find("<title id=\"channel-t\">Contacts by channel</title>"), std::string::npos);
  EXPECT_NE(svg.find("<desc id=\"channel-d\">"), std::string::npos);
  // Every label and value is text, not only a shape.
  for (const char* t : {">Outreach visit<", ">412<", ">Walk-in<", ">120<", ">0<"}) {
    EXPECT_NE(svg.find(t), std::string::npos) << t;
  }
  EXPECT_EQ(svg.find("style="), std::string::npos);  // CSP: no inline style
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

TEST(ReportChartsTest, BarLengthsFollowShownValues) {
  const std::string svg = HorizontalBarChart(Sample());
  // The largest bar spans the full width (250), the second is proportional; "0" draws none.
  EXPECT_NE(svg.find("width=\"250\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("width=\"72.8\""), std::string::npos) << svg;  // 120/412*250
  EXPECT_EQ(Count(svg, "<rect x="), 2);
}

TEST(ReportChartsTest, SmallValuesAreAHatchedStubWithTheirText) {
  const std::string svg = HorizontalBarChart(Sample());
  EXPECT_EQ(Count(svg, "class=\"stub\""), 1);
  EXPECT_NE(svg.find("fill=\"url(#channel-small)\""), std::string::npos);
  EXPECT_NE(svg.find("<pattern id=\"channel-small\""), std::string::npos);
  EXPECT_NE(svg.find(">&lt; 10 (fewer than 10)<"), std::string::npos) << svg;
  // The stub has a fixed length: it says "small", not how small.
  EXPECT_NE(svg.find("class=\"stub\" x=\"0\" y=\"98\" width=\"8\""), std::string::npos) << svg;
}

TEST(ReportChartsTest, SuppressedValuesHaveNoBar) {
  BarChart c = Sample();
  c.bars = {{"A", "50"}, {"B", "x"}};
  c.suppressed_note = "suppressed";
  const std::string svg = HorizontalBarChart(c);
  EXPECT_EQ(CheckXml(svg), "");
  EXPECT_EQ(Count(svg, "<rect x="), 1);
  EXPECT_NE(svg.find(">x (suppressed)<"), std::string::npos);
}

TEST(ReportChartsTest, HostileLabelsAreEscaped) {
  BarChart c;
  c.id = "t\"><script>alert(1)</script>";
  c.title = "</title><script>alert(1)</script>";
  c.desc = "a & b < c";
  c.bars = {{"<img src=x onerror=alert(1)>", "5 & 6"}, {"O'Brien \"quoted\"", "12"}};
  const std::string svg = HorizontalBarChart(c);
  EXPECT_EQ(CheckXml(svg), "") << svg;
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("<img"), std::string::npos);
  EXPECT_NE(svg.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(svg.find("O&#39;Brien &quot;quoted&quot;"), std::string::npos);
  GroupedChart g;
  g.id = "g<";
  g.title = "<b>";
  g.series = {"<s1>", "s2&"};
  g.groups = {{"<group>", {{"<s1>", "3"}, {"s2&", "< 10"}}}};
  const std::string gsvg = GroupedBarChart(g);
  EXPECT_EQ(CheckXml(gsvg), "") << gsvg;
  EXPECT_EQ(gsvg.find("<group>"), std::string::npos);
  EXPECT_EQ(gsvg.find("<s1>"), std::string::npos);
}

TEST(ReportChartsTest, GroupedChartHasLegendPatternsAndLabelledBars) {
  GroupedChart g;
  g.id = "signals";
  g.title = "Signals by setting";
  g.desc = "Share of contacts with signals, per setting.";
  g.series = {"Any signal", "Strong signal"};
  g.groups = {{"Window", {{"Any signal", "40"}, {"Strong signal", "< 10"}}},
              {"Club", {{"Any signal", "22"}, {"Strong signal", "11"}}}};
  g.small_note = "fewer than 10";
  const std::string svg = GroupedBarChart(g);
  EXPECT_EQ(CheckXml(svg), "") << svg;
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  // The second series is a pattern, not just another colour, both in the legend and bars.
  EXPECT_EQ(Count(svg, "fill=\"url(#signals-s1)\""), 2);
  EXPECT_EQ(Count(svg, ">Strong signal<"), 3);  // legend + one per group
  EXPECT_EQ(Count(svg, ">Window<"), 1);
  EXPECT_EQ(Count(svg, "class=\"stub\""), 1);
  EXPECT_NE(svg.find(">&lt; 10 (fewer than 10)<"), std::string::npos);
}

TEST(ReportChartsTest, ShownValueParsesOnlyPlainNumbers) {
  EXPECT_EQ(ShownValue("412"), 412);
  EXPECT_EQ(ShownValue("1 234"), 1234);
  EXPECT_DOUBLE_EQ(ShownValue("0.85"), 0.85);
  EXPECT_LT(ShownValue("< 10"), 0);
  EXPECT_LT(ShownValue("x"), 0);
  EXPECT_LT(ShownValue(""), 0);
  EXPECT_LT(ShownValue("12abc"), 0);
}

TEST(ReportChartsTest, FormattedValuesDrawFromTheirNumericValue) {
  BarChart c;
  c.id = "pct";
  c.title = "Shares";
  c.bars = {{"A", "50,0 %", 50}, {"B", "12,5 %", 12.5}, {"C", "—"}};
  const std::string svg = HorizontalBarChart(c);
  EXPECT_EQ(CheckXml(svg), "");
  EXPECT_NE(svg.find("width=\"250\""), std::string::npos);
  EXPECT_NE(svg.find("width=\"62.5\""), std::string::npos);
  EXPECT_NE(svg.find(">12,5 %<"), std::string::npos);
  EXPECT_EQ(Count(svg, "<rect x="), 2);  // "—": text only
}

TEST(ReportChartsTest, ReferenceLineIsDrawnAndLabelled) {
  BarChart c;
  c.id = "cov";
  c.title = "Coverage";
  c.bars = {{"A", "0.5"}, {"B", "2"}};
  c.reference = 1;
  c.reference_label = "1 = as in the population";
  const std::string svg = HorizontalBarChart(c);
  EXPECT_EQ(CheckXml(svg), "");
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find(">1 = as in the population<"), std::string::npos);
}

}  // namespace
}  // namespace vd::report
