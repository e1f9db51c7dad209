#include "web/qr.h"

#include <qrencode.h>

#include <climits>
#include <memory>

namespace vd {
namespace {

constexpr int kQuietZone = 4;        // modules of white border the QR specification requires
constexpr int kPixelsPerModule = 4;  // default rendered size; CSS may override width/height

struct QrFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

std::string EscapeAttribute(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string QrSvg(std::string_view text, std::string_view label) {
  if (text.empty() || text.size() > static_cast<size_t>(INT_MAX)) return {};
  std::unique_ptr<QRcode, QrFree> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M));
  if (!code) return {};

  const int width = code->width;
  const int side = width + 2 * kQuietZone;
  const std::string side_str = std::to_string(side);
  const std::string pixels = std::to_string(side * kPixelsPerModule);

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + side_str + " " +
                    side_str + "\" width=\"" + pixels + "\" height=\"" + pixels + "\" role=\"img\"";
  if (!label.empty()) svg += " aria-label=\"" + EscapeAttribute(label) + "\"";
  svg += " shape-rendering=\"crispEdges\"><rect width=\"" + side_str + "\" height=\"" + side_str +
         "\" fill=\"#fff\"/><path fill=\"#000\" d=\"";

  // One horizontal run of dark modules per sub-path keeps the path short.
  for (int y = 0; y < width; ++y) {
    const unsigned char* row = code->data + static_cast<size_t>(y) * width;
    for (int x = 0; x < width;) {
      if ((row[x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < width && (row[x + run] & 1) != 0) ++run;
      svg += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  svg += "\"/></svg>";
  return svg;
}

}  // namespace vd
