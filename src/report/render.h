#pragma once
// Renderers for a release (report.h): one CSV with a table column (RFC 4180, safe against
// formula injection) and JSON of every table with its method, parameters and margins
// (render.cc), and the annual report as one self-contained HTML page with inline SVG charts
// that answers the council's two questions, each table in the section its definition names
// (tables.h; render_html.cc). Pure functions of their inputs; thread-safe.
//
// Text comes from the caller: report/ may not depend on i18n/ or domain/, so the caller
// passes a translation function (msgids "report.*", in locales/nl.po and en.po) and a
// function that names a category code of a dimension (labels.h builds both). Everything
// is escaped here.
//
// Only published (`shown`) strings are displayed. Shares and coverage ratios are computed
// from the shown numbers (post-processing of the protected release); a cell shown as
// "< 10" or "x" yields no share ("—"), so no derived figure tells how small it is.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "report/disclosure.h"
#include "report/report.h"
#include "store/report_rows.h"

namespace vd::report {

struct Labels {
  std::string lang = "nl";  // BCP 47 tag for <html lang>
  // msgid -> translated text (the msgid itself when untranslated).
  std::function<std::string(std::string_view msgid)> text;
  // (dimension id, code) -> display name of the category.
  std::function<std::string(std::string_view dimension, std::string_view code)> code;
};

struct HtmlOptions {
  // Empty: the stylesheet is embedded (<style>, for a standalone file). Otherwise a link to
  // it, for pages served under the CSP, which forbids inline style.
  std::string stylesheet_href;
  // An organisation's exact internal view (no disclosure control): marked on every page.
  bool internal = false;
  std::vector<vd::PopulationEstimate> population;
  // Records of one case (person) per period that the release counted (its year's terms);
  // 0 for releases made before contribution bounding, which protect records only.
  int64_t person_cap = 0;
  // Links shown above the report (downloads), already safe paths; empty for files.
  std::vector<std::pair<std::string, std::string>> links;  // (href, label msgid)
};

std::string RenderCsv(const Release& release, const Labels& labels);
std::string RenderJson(const Release& release, const std::vector<vd::PopulationEstimate>& population);
std::string RenderHtml(const Release& release, const Labels& labels, const HtmlOptions& options);

// The report's stylesheet (screen from 360 px, and print).
const std::string& ReportCss();

// An exact report as a release-shaped value for the internal view: every cell shown as its
// exact count, margins exact. Never stored, never published.
Release ExactAsRelease(const ExactReport& exact, std::string city);

// Exposed for tests.
std::string CsvCell(std::string_view value);
std::string JsonString(std::string_view value);

}  // namespace vd::report
