// What a coordinator's Markdown can and cannot put on a worker's page.

#include "web/markdown.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(MarkdownTest, RendersPlainMarkdown) {
  const std::string html = RenderMarkdown("# Health\n\nFree **tests** at the [GGD](https://www.ggd.nl/).\n\n- one\n- two\n");
  EXPECT_NE(html.find("<h1>Health</h1>"), std::string::npos);
  EXPECT_NE(html.find("<strong>tests</strong>"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"https://www.ggd.nl/\">GGD</a>"), std::string::npos);
  EXPECT_NE(html.find("<li>two</li>"), std::string::npos);
}

TEST(MarkdownTest, DropsRawHtml) {
  const std::string html = RenderMarkdown(
      "<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> and <b>bold</b>.\n\n"
      "<div onclick=\"x()\">block</div>\n");
  EXPECT_EQ(html.find("<script"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("onerror"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>"), std::string::npos) << html;
  EXPECT_EQ(html.find("<div"), std::string::npos) << html;
  EXPECT_NE(html.find("Text"), std::string::npos);
}

TEST(MarkdownTest, KeepsOnlySafeLinksAndNoImages) {
  const std::string html = RenderMarkdown(
      "[a](javascript:alert(1)) [b](data:text/html,x) [c](//evil.example/) [d](/\\evil.example)"
      " [e](vbscript:x) [f](/help/health) [g](#top) [h](mailto:x@example.org) "
      "![pic](https://tracker.example/p.png) [i](HTTPS://example.org/)");
  EXPECT_EQ(html.find("javascript"), std::string::npos) << html;
  EXPECT_EQ(html.find("data:"), std::string::npos) << html;
  EXPECT_EQ(html.find("evil"), std::string::npos) << html;
  EXPECT_EQ(html.find("vbscript"), std::string::npos) << html;
  EXPECT_EQ(html.find("mailto"), std::string::npos) << html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("tracker"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"/help/health\">f</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"#top\">g</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"HTTPS://example.org/\">i</a>"), std::string::npos) << html;
  // The text of a dropped link or image stays readable.
  EXPECT_NE(html.find("a "), std::string::npos);
  EXPECT_NE(html.find("pic"), std::string::npos);
}

TEST(MarkdownTest, EscapesTextAndAttributes) {
  const std::string html = RenderMarkdown("[x](/a\"onmouseover=\"y) 5 < 6 & \"q\"");
  EXPECT_EQ(html.find("\"onmouseover"), std::string::npos) << html;
  EXPECT_NE(html.find("5 &lt; 6 &amp;"), std::string::npos) << html;
}

TEST(MarkdownTest, SafeLinkTargets) {
  EXPECT_TRUE(IsSafeLinkTarget("https://ugly-mugs.nl/"));
  EXPECT_TRUE(IsSafeLinkTarget("/help"));
  EXPECT_FALSE(IsSafeLinkTarget("https://"));
  EXPECT_FALSE(IsSafeLinkTarget("help"));
  EXPECT_FALSE(IsSafeLinkTarget("/ok\n"));
}

TEST(MarkdownTest, TelLinksOnlyWithAPhoneNumber) {
  EXPECT_TRUE(IsSafeLinkTarget("tel:+31201234567"));
  EXPECT_TRUE(IsSafeLinkTarget("tel:0800-0123"));
  EXPECT_TRUE(IsSafeLinkTarget("TEL:+31 (0)20 123 45 67"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:+-( )"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:javascript:alert(1)"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112;ext=1"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112?body=x"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112#x"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112/../x"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112%0a"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112\n"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112\\"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:112\"onclick=\"x"));
  EXPECT_FALSE(IsSafeLinkTarget("tel:\xef\xbc\x91\xef\xbc\x91\xef\xbc\x92"));  // full-width digits
  EXPECT_FALSE(IsSafeLinkTarget("tel:" + std::string(41, '1')));
  EXPECT_FALSE(IsSafeLinkTarget(" tel:112"));
  EXPECT_FALSE(IsSafeLinkTarget("tel :112"));
  EXPECT_FALSE(IsSafeLinkTarget("telx:112"));
  EXPECT_FALSE(IsSafeLinkTarget("sms:112"));
  EXPECT_FALSE(IsSafeLinkTarget("callto:112"));

  const std::string html = RenderMarkdown(
      "[call](tel:+31201234567) [space](<tel:+31 20 123 4567>) [bad](tel:javascript:alert(1)) "
      "[bad2](tel:1%22onclick=x) [bad3](tel:1&#10;2) <tel:0800-0123>");
  EXPECT_NE(html.find("<a href=\"tel:+31201234567\">call</a>"), std::string::npos) << html;
  EXPECT_NE(html.find("<a href=\"tel:+31%2020%20123%204567\">space</a>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<a href=\"tel:0800-0123\">tel:0800-0123</a>"), std::string::npos) << html;
  EXPECT_EQ(html.find("javascript"), std::string::npos) << html;
  EXPECT_EQ(html.find("onclick"), std::string::npos) << html;
  EXPECT_EQ(html.find("href=\"tel:1"), std::string::npos) << html;
  EXPECT_NE(html.find("bad2"), std::string::npos) << html;  // text stays readable
}

}  // namespace
}  // namespace vd
