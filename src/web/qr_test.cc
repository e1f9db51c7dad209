#include "web/qr.h"

#include <gtest/gtest.h>
#include <qrencode.h>

#include <regex>
#include <string>
#include <vector>

namespace vd {
namespace {

std::string PathData(const std::string& svg) {
  const std::string marker = " d=\"";
  size_t start = svg.find(marker);
  if (start == std::string::npos) return {};
  start += marker.size();
  return svg.substr(start, svg.find('"', start) - start);
}

int ViewBoxSide(const std::string& svg) {
  std::smatch m;
  if (!std::regex_search(svg, m, std::regex("viewBox=\"0 0 (\\d+) (\\d+)\""))) return -1;
  if (m[1] != m[2]) return -2;
  return std::stoi(m[1]);
}

// Paints the path's runs ("Mx yhNv1h-Nz") back onto a grid of side x side modules.
std::vector<std::vector<bool>> Paint(const std::string& path, int side) {
  std::vector<std::vector<bool>> grid(side, std::vector<bool>(side, false));
  std::regex run("M(\\d+) (\\d+)h(\\d+)v1h-(\\d+)z");
  size_t covered = 0;
  for (auto it = std::sregex_iterator(path.begin(), path.end(), run); it != std::sregex_iterator();
       ++it) {
    int x = std::stoi((*it)[1]);
    int y = std::stoi((*it)[2]);
    int n = std::stoi((*it)[3]);
    EXPECT_EQ(n, std::stoi((*it)[4]));
    for (int i = 0; i < n; ++i) {
      if (y < side && x + i < side) grid[y][x + i] = true;
    }
    covered += it->length();
  }
  EXPECT_EQ(covered, path.size()) << "path has something other than runs";
  return grid;
}

const std::string kOtpauth =
    "otpauth://totp/Vertrouwd%20Hulp%20en%20Advies%20Amsterdam:advisor-with-a-long-name"
    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=Vertrouwd%20Hulp%20en%20Advies%20Amsterdam&digits=6";

TEST(QrTest, IsAnInlineSvg) {
  std::string svg = QrSvg("hello");
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << svg;
  EXPECT_TRUE(svg.ends_with("</svg>"));
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("shape-rendering=\"crispEdges\""), std::string::npos);
  EXPECT_NE(svg.find("fill=\"#fff\""), std::string::npos);
  EXPECT_NE(svg.find("<path fill=\"#000\""), std::string::npos);
  // Exactly one path and one rect, and nothing a CSP of default-src 'none' would block.
  EXPECT_EQ(svg.find("<path"), svg.rfind("<path"));
  EXPECT_EQ(svg.find("<rect"), svg.rfind("<rect"));
  for (const char* banned : {"style", "script", "href", "on", "url(", "<image", "<foreign"}) {
    std::string needle = banned == std::string("on") ? " on" : banned;
    EXPECT_EQ(svg.find(needle), std::string::npos) << banned;
  }
}

TEST(QrTest, HasAFourModuleQuietZone) {
  // "hello" fits a version 1 symbol: 21 modules, plus 4 on each side.
  std::string svg = QrSvg("hello");
  ASSERT_EQ(ViewBoxSide(svg), 29);
  // The top-left finder pattern starts right after the quiet zone: 7 dark modules.
  EXPECT_EQ(PathData(svg).rfind("M4 4h7v1h-7z", 0), 0u);
  auto grid = Paint(PathData(svg), 29);
  for (int i = 0; i < 29; ++i) {
    for (int q = 0; q < 4; ++q) {
      EXPECT_FALSE(grid[q][i] || grid[28 - q][i] || grid[i][q] || grid[i][28 - q]);
    }
  }
}

TEST(QrTest, PathMatchesTheEncodedSymbol) {
  std::string svg = QrSvg(kOtpauth);
  QRcode* code =
      QRcode_encodeData(static_cast<int>(kOtpauth.size()),
                        reinterpret_cast<const unsigned char*>(kOtpauth.data()), 0, QR_ECLEVEL_M);
  ASSERT_NE(code, nullptr);
  int side = code->width + 8;
  ASSERT_EQ(ViewBoxSide(svg), side);
  auto grid = Paint(PathData(svg), side);
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      bool dark = code->data[y * code->width + x] & 1;
      ASSERT_EQ(grid[y + 4][x + 4], dark) << x << "," << y;
    }
  }
  QRcode_free(code);
}

TEST(QrTest, HandlesALongOtpauthUri) {
  ASSERT_GE(kOtpauth.size(), 200u);
  std::string svg = QrSvg(kOtpauth);
  ASSERT_FALSE(svg.empty());
  EXPECT_GT(PathData(svg).size(), 1000u);
  EXPECT_GT(ViewBoxSide(svg), 29);
  // The encoded text itself never appears in the markup.
  EXPECT_EQ(svg.find("otpauth"), std::string::npos);
}

TEST(QrTest, IsDeterministicAndDependsOnTheText) {
  EXPECT_EQ(QrSvg(kOtpauth), QrSvg(kOtpauth));
  EXPECT_NE(QrSvg("hello"), QrSvg("hellp"));
  EXPECT_FALSE(PathData(QrSvg("hello")).empty());
}

TEST(QrTest, LabelIsEscaped) {
  std::string svg = QrSvg("hello", "Scan \"me\" <now> & 'go'");
  EXPECT_NE(svg.find("aria-label=\"Scan &quot;me&quot; &lt;now&gt; &amp; &#39;go&#39;\""),
            std::string::npos)
      << svg;
  EXPECT_EQ(svg.find("<now>"), std::string::npos);
  EXPECT_EQ(QrSvg("hello").find("aria-label"), std::string::npos);
}

TEST(QrTest, EmptyOrOversizedTextGivesNothing) {
  EXPECT_EQ(QrSvg(""), "");
  EXPECT_EQ(QrSvg(std::string(4000, 'x')), "");
  EXPECT_FALSE(QrSvg(std::string("a\0b", 3)).empty());  // any bytes are fine
}

}  // namespace
}  // namespace vd
