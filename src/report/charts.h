#pragma once
// Inline SVG charts for the annual report: horizontal bar charts and grouped bar charts for
// two-way tables. Pure functions, thread-safe; no JavaScript, no external resources, no
// style attributes (the service's CSP forbids inline style), every text escaped.
//
// Accessibility: each chart is <svg role="img" aria-labelledby> with a <title> and <desc>;
// every bar carries its label and its value as text, so nothing depends on colour. Series
// of a grouped chart differ by fill pattern (solid, diagonal hatch, dots, cross-hatch...)
// as well as by shade, and each bar repeats its series name. Colours are dark on white
// (contrast above 7:1).
//
// Values are drawn from their published `shown` strings, never from a hidden exact value:
// a bar whose value is shown as "< 10" is drawn as a short hatched stub of fixed length
// (its length says only "small", not how small), a suppressed value ("x") gets no bar and
// the text "x", and the axis scale uses only the values shown as numbers.

#include <cstdint>
#include <string>
#include <vector>

namespace vd::report {

struct Bar {
  std::string label;  // already translated
  std::string shown;  // "123", "< 10", "x", "0", or a ratio like "0.85"
  // The length to draw when `shown` is formatted for reading ("12,5 %", "0,94"); negative:
  // parse `shown`. Never set for "< 10" or "x" bars (they have no length).
  double value = -1;
};

struct BarChart {
  std::string id;     // unique in the page: ids of the title and desc elements derive from it
  std::string title;  // short, already translated
  std::string desc;   // one sentence for screen readers, already translated
  std::vector<Bar> bars;
  std::string small_note;       // text after a "< 10" stub, e.g. "fewer than 10" (may be empty)
  std::string suppressed_note;  // text after "x", e.g. "suppressed" (may be empty)
  // Optional reference line (e.g. coverage ratio 1 = reached as often as in the
  // population); drawn when reference_label is not empty.
  double reference = 0;
  std::string reference_label;
};

struct BarGroup {
  std::string label;
  std::vector<Bar> bars;  // one per series, in the order of GroupedChart::series
};

struct GroupedChart {
  std::string id;
  std::string title;
  std::string desc;
  std::vector<std::string> series;  // legend names, already translated
  std::vector<BarGroup> groups;
  std::string small_note;
  std::string suppressed_note;
};

// Escapes & < > " ' for XML/HTML text and attribute values.
std::string XmlEscape(std::string_view text);

// The numeric value of a shown string for drawing: "1 234"/"1234" -> 1234, "0.85" -> 0.85;
// nullopt-like -1 for "< 10", "x" and anything else that is not a plain number.
double ShownValue(std::string_view shown);

std::string HorizontalBarChart(const BarChart& chart);
std::string GroupedBarChart(const GroupedChart& chart);

}  // namespace vd::report
