#include "report/charts.h"

#include <algorithm>
#include <cstdio>
#include <string_view>

namespace vd::report {
namespace {

constexpr int kWidth = 400;      // viewBox width; the SVG scales to its container
constexpr int kStub = 8;         // length of a "< 10" stub
constexpr double kSmall = -1;    // ShownValue of "< 10"
constexpr double kOther = -2;    // ShownValue of "x" and anything not a number
constexpr const char* kInk = "#111111";
constexpr const char* kBarFill = "#1f4e79";  // 9.4:1 on white

// Pattern fills per series: the first solid, the rest distinguishable without colour.
constexpr int kPatterns = 5;

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s;
}

// Shortens a label that would not fit into `max_chars` (counted in code points).
std::string Fit(std::string_view text, size_t max_chars) {
  size_t count = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == max_chars) break;
      ++count;
    }
  }
  if (i >= text.size()) return std::string(text);
  return std::string(text.substr(0, i)) + "…";
}

void Defs(std::string& out, const std::string& id) {
  const std::string p = XmlEscape(id);
  out += "<defs>";
  // The "< 10" stub: diagonal hatch, dark on white.
  out += "<pattern id=\"" + p + "-small\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"4\" height=\"4\" fill=\"#ffffff\"/>"
         "<rect width=\"2\" height=\"4\" fill=\"" + std::string(kInk) + "\"/></pattern>";
  // Series patterns 1..4 (0 is a solid fill).
  out += "<pattern id=\"" + p + "-s1\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\"/>"
         "<rect width=\"3\" height=\"6\" fill=\"#7a2e0e\"/></pattern>";
  out += "<pattern id=\"" + p + "-s2\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\">"
         "<rect width=\"5\" height=\"5\" fill=\"#ffffff\"/><circle cx=\"2.5\" cy=\"2.5\" r=\"1.6\" "
         "fill=\"#14532d\"/></pattern>";
  out += "<pattern id=\"" + p + "-s3\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
         "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><path d=\"M0 3H6M3 0V6\" stroke=\"#4a1d6e\" "
         "stroke-width=\"1.6\"/></pattern>";
  out += "<pattern id=\"" + p + "-s4\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
         "<rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><path d=\"M0 1.5H6M0 4.5H6\" stroke=\"#333333\" "
         "stroke-width=\"1.4\"/></pattern>";
  out += "</defs>";
}

std::string SeriesFill(const std::string& id, size_t series) {
  const size_t k = series % kPatterns;
  if (k == 0) return kBarFill;
  return "url(#" + XmlEscape(id) + "-s" + std::to_string(k) + ")";
}

std::string Open(const std::string& id, const std::string& title, const std::string& desc, int height) {
  const std::string p = XmlEscape(id);
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" viewBox=\"0 0 " +
                    std::to_string(kWidth) + " " + std::to_string(height) + "\" width=\"100%\" "
                    "preserveAspectRatio=\"xMinYMin meet\" aria-labelledby=\"" + p + "-t " + p + "-d\" "
                    "font-family=\"sans-serif\" font-size=\"13\">";
  out += "<title id=\"" + p + "-t\">" + XmlEscape(title) + "</title>";
  out += "<desc id=\"" + p + "-d\">" + XmlEscape(desc) + "</desc>";
  return out;
}

double BarValue(const Bar& b) {
  if (b.shown.starts_with("<")) return kSmall;
  return b.value >= 0 ? b.value : ShownValue(b.shown);
}

double MaxValue(const std::vector<const Bar*>& bars) {
  double max = 0;
  for (const Bar* b : bars) max = std::max(max, BarValue(*b));
  return max;
}

// One bar starting at x0 with at most `span` length; returns the SVG and the end x.
std::string DrawBar(const std::string& id, const Bar& bar, double max, int x0, int span, int y,
                    int h, const std::string& fill, const std::string& small_note,
                    const std::string& suppressed_note) {
  std::string out;
  const double v = BarValue(bar);
  double end = x0;
  std::string text = bar.shown;
  if (v == kSmall) {
    out += "<rect class=\"stub\" x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y) +
           "\" width=\"" + std::to_string(kStub) + "\" height=\"" + std::to_string(h) +
           "\" fill=\"url(#" + XmlEscape(id) + "-small)\" stroke=\"" + kInk + "\" stroke-width=\"1\"/>";
    end = x0 + kStub;
    if (!small_note.empty()) text += " (" + small_note + ")";
  } else if (v == kOther) {
    if (!suppressed_note.empty()) text += " (" + suppressed_note + ")";
  } else if (v > 0 && max > 0) {
    const double w = std::max(1.0, v / max * span);
    out += "<rect x=\"" + std::to_string(x0) + "\" y=\"" + std::to_string(y) + "\" width=\"" + Num(w) +
           "\" height=\"" + std::to_string(h) + "\" fill=\"" + fill + "\" stroke=\"" + kInk +
           "\" stroke-width=\"0.5\"/>";
    end = x0 + w;
  }
  out += "<text x=\"" + Num(end + 4) + "\" y=\"" + std::to_string(y + h - 3) + "\" fill=\"" + kInk + "\">" +
         XmlEscape(text) + "</text>";
  return out;
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

double ShownValue(std::string_view shown) {
  if (shown.starts_with("<")) return kSmall;
  double v = 0, scale = 0;
  bool digits = false;
  for (char c : shown) {
    if (c >= '0' && c <= '9') {
      if (scale > 0) {
        v += (c - '0') * scale;
        scale /= 10;
      } else {
        v = v * 10 + (c - '0');
      }
      digits = true;
    } else if (c == '.' && scale == 0) {
      scale = 0.1;
    } else if (c != ' ' && c != ',') {
      return kOther;
    }
  }
  return digits ? v : kOther;
}

std::string HorizontalBarChart(const BarChart& chart) {
  constexpr int kRow = 38, kTop = 6, kBarH = 14;
  const int height = kTop + static_cast<int>(chart.bars.size()) * kRow + 6;
  std::vector<const Bar*> all;
  for (const Bar& b : chart.bars) all.push_back(&b);
  double max = MaxValue(all);
  const int span = kWidth - 150;
  const bool ref = !chart.reference_label.empty();
  if (ref) max = std::max(max, chart.reference * 1.1);
  std::string out = Open(chart.id, chart.title, chart.desc, height + (ref ? 16 : 0));
  Defs(out, chart.id);
  const int y0 = kTop + (ref ? 16 : 0);
  for (size_t i = 0; i < chart.bars.size(); ++i) {
    const Bar& bar = chart.bars[i];
    const int y = y0 + static_cast<int>(i) * kRow;
    out += "<g class=\"bar\"><text x=\"0\" y=\"" + std::to_string(y + 12) + "\" fill=\"" + kInk + "\">" +
           XmlEscape(Fit(bar.label, 56)) + "</text>";
    out += DrawBar(chart.id, bar, max, 0, span, y + 16, kBarH, kBarFill, chart.small_note,
                   chart.suppressed_note);
    out += "</g>";
  }
  if (ref && max > 0) {
    const std::string x = Num(chart.reference / max * span);
    out += "<line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"14\" y2=\"" + std::to_string(height + 10) +
           "\" stroke=\"" + kInk + "\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>";
    out += "<text x=\"" + x + "\" y=\"11\" fill=\"" + kInk + "\" font-size=\"11\">" +
           XmlEscape(chart.reference_label) + "</text>";
  }
  out += "</svg>";
  return out;
}

std::string GroupedBarChart(const GroupedChart& chart) {
  constexpr int kGroupHead = 22, kRow = 18, kBarH = 13, kLegendRow = 18, kLabelW = 118;
  const int legend_h = static_cast<int>(chart.series.size()) * kLegendRow + 8;
  int height = legend_h;
  for (const BarGroup& g : chart.groups) height += kGroupHead + static_cast<int>(g.bars.size()) * kRow + 4;
  std::vector<const Bar*> all;
  for (const BarGroup& g : chart.groups) {
    for (const Bar& b : g.bars) all.push_back(&b);
  }
  const double max = MaxValue(all);
  const int span = kWidth - kLabelW - 110;
  std::string out = Open(chart.id, chart.title, chart.desc, height);
  Defs(out, chart.id);
  // Legend: a swatch with the series pattern and its name.
  out += "<g class=\"legend\">";
  for (size_t s = 0; s < chart.series.size(); ++s) {
    const int y = 4 + static_cast<int>(s) * kLegendRow;
    out += "<rect x=\"0\" y=\"" + std::to_string(y) + "\" width=\"22\" height=\"12\" fill=\"" +
           SeriesFill(chart.id, s) + "\" stroke=\"" + kInk + "\" stroke-width=\"0.5\"/>";
    out += "<text x=\"28\" y=\"" + std::to_string(y + 11) + "\" fill=\"" + kInk + "\">" +
           XmlEscape(Fit(chart.series[s], 50)) + "</text>";
  }
  out += "</g>";
  int y = legend_h;
  for (const BarGroup& g : chart.groups) {
    out += "<g class=\"group\"><text x=\"0\" y=\"" + std::to_string(y + 15) + "\" font-weight=\"bold\" fill=\"" +
           kInk + "\">" + XmlEscape(Fit(g.label, 50)) + "</text>";
    y += kGroupHead;
    for (size_t s = 0; s < g.bars.size(); ++s) {
      const Bar& bar = g.bars[s];
      out += "<text x=\"8\" y=\"" + std::to_string(y + 11) + "\" fill=\"" + kInk + "\" font-size=\"11\">" +
             XmlEscape(Fit(bar.label, 17)) + "</text>";
      out += DrawBar(chart.id, bar, max, kLabelW, span, y, kBarH, SeriesFill(chart.id, s),
                     chart.small_note, chart.suppressed_note);
      y += kRow;
    }
    y += 4;
    out += "</g>";
  }
  out += "</svg>";
  return out;
}

}  // namespace vd::report
