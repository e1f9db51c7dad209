#pragma once
// Formatting shared by the renderers (render.h): the CSV and JSON writers in render.cc and
// the HTML report in render_html.cc. Internal to report/. Pure functions.

#include <cstdint>
#include <string>

#include "report/render.h"
#include "report/report.h"

namespace vd::report::internal {

// ε as a short decimal: "0.25", "2"; "0" for a non-positive denominator.
std::string EpsString(int64_t num, int64_t den);
// "laplace" / "threshold", as the CSV and JSON name the method.
std::string MethodName(Method m);
// "YYYY-MM-DD" in UTC; "" for 0.
std::string Date(int64_t epoch);
// The display name of `code` of dimension `d` (the code itself without a code function).
std::string CodeLabel(const Labels& l, const Dimension& d, const std::string& code);

}  // namespace vd::report::internal
