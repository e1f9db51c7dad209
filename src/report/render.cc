#include "report/render.h"

#include <cstdio>
#include <ctime>

#include "report/charts.h"
#include "report/render_text.h"

namespace vd::report {
namespace internal {

std::string EpsString(int64_t num, int64_t den) {
  if (den <= 0) return "0";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(num) / static_cast<double>(den));
  std::string s = buf;
  while (s.ends_with("0")) s.pop_back();
  if (s.ends_with(".")) s.pop_back();
  return s;
}

std::string MethodName(Method m) { return m == Method::kThreshold ? "threshold" : "laplace"; }

std::string Date(int64_t epoch) {
  if (epoch <= 0) return "";
  const time_t t = static_cast<time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string CodeLabel(const Labels& l, const Dimension& d, const std::string& code) {
  return l.code ? l.code(d.id, code) : code;
}

}  // namespace internal
namespace {

using internal::CodeLabel;
using internal::Date;
using internal::EpsString;
using internal::MethodName;

void JsonCell(std::string& out, const PublishedCell& c) {
  out += "{\"shown\":" + JsonString(c.shown) + ",\"suppressed\":" + (c.suppressed ? "true" : "false") + ",\"value\":";
  // The numeric value only where a number is shown: "< 10" and "x" give null.
  const double v = ShownValue(c.shown);
  out += (c.suppressed || v < 0) ? "null" : std::to_string(static_cast<int64_t>(v));
  out += "}";
}

void JsonCells(std::string& out, const std::vector<PublishedCell>& cells) {
  out += "[";
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i) out += ",";
    JsonCell(out, cells[i]);
  }
  out += "]";
}

}  // namespace

std::string CsvCell(std::string_view value) {
  std::string v(value);
  // A spreadsheet must not run a cell as a formula (OWASP CSV injection).
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r')) {
    v.insert(v.begin(), '\'');
  }
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string JsonString(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '<': out += "\\u003c"; break;  // safe inside HTML too
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += "\"";
  return out;
}

std::string RenderCsv(const Release& r, const Labels& l) {
  std::string out = "table,method,epsilon,sensitivity,row_dimension,row_code,row_label,column_dimension,"
                    "column_code,column_label,value\r\n";
  auto line = [&](const PublishedTable& t, const std::vector<std::string>& f) {
    out += CsvCell(t.spec.id) + "," + CsvCell(MethodName(t.method)) + "," + CsvCell(EpsString(t.eps_num, t.eps_den)) +
           "," + std::to_string(t.spec.sensitivity);
    for (const std::string& s : f) out += "," + CsvCell(s);
    out += "\r\n";
  };
  const std::string total = l.text("report.total");
  for (const PublishedTable& t : r.tables) {
    const TableSpec& s = t.spec;
    if (s.dims.empty()) continue;
    const Dimension& rows = s.dims[0];
    if (s.dims.size() == 1) {
      for (size_t i = 0; i < rows.codes.size() && i < t.cells.size(); ++i) {
        line(t, {rows.id, rows.codes[i], CodeLabel(l, rows, rows.codes[i]), "", "", "", t.cells[i].shown});
      }
      line(t, {rows.id, "total", total, "", "", "", t.total.shown});
      continue;
    }
    const Dimension& cols = s.dims[1];
    for (size_t i = 0; i < rows.codes.size(); ++i) {
      for (size_t j = 0; j < cols.codes.size(); ++j) {
        const size_t k = i * cols.codes.size() + j;
        if (k >= t.cells.size()) continue;
        line(t, {rows.id, rows.codes[i], CodeLabel(l, rows, rows.codes[i]), cols.id, cols.codes[j],
                 CodeLabel(l, cols, cols.codes[j]), t.cells[k].shown});
      }
      if (i < t.row_margins.size()) {
        line(t, {rows.id, rows.codes[i], CodeLabel(l, rows, rows.codes[i]), cols.id, "total", total,
                 t.row_margins[i].shown});
      }
    }
    for (size_t j = 0; j < cols.codes.size() && j < t.col_margins.size(); ++j) {
      line(t, {rows.id, "total", total, cols.id, cols.codes[j], CodeLabel(l, cols, cols.codes[j]),
               t.col_margins[j].shown});
    }
    line(t, {rows.id, "total", total, cols.id, "total", total, t.total.shown});
  }
  return out;
}

std::string RenderJson(const Release& r, const std::vector<PopulationEstimate>& population) {
  std::string out = "{\"city\":" + JsonString(r.city) + ",\"period\":{\"label\":" + JsonString(r.period.label) +
                    ",\"first_month\":" + JsonString(r.period.first_month) +
                    ",\"last_month\":" + JsonString(r.period.last_month) + "},\"method\":" +
                    JsonString(MethodName(r.method)) + ",\"status\":" + JsonString(r.status) +
                    ",\"code_version\":" + JsonString(r.code_version) + ",\"created\":" +
                    JsonString(Date(r.created_at)) + ",\"published\":" + JsonString(Date(r.published_at)) +
                    ",\"display_threshold\":10,\"notes\":" +
                    JsonString("Values are published counts after disclosure control. \"< 10\": a value below "
                               "10 (value null); \"x\": suppressed; margins are sums of the protected inner "
                               "cells. Epsilon is the privacy budget a table spent; sensitivity is the "
                               "most one contact record changes the table (sum of absolute cell changes). An inner "
                               "cell's 90 % interval is its value plus or minus "
                               "cell_interval90_half_width, computed from the noise distribution.") +
                    ",\"tables\":[";
  for (size_t ti = 0; ti < r.tables.size(); ++ti) {
    const PublishedTable& t = r.tables[ti];
    if (ti) out += ",";
    out += "{\"id\":" + JsonString(t.spec.id) + ",\"method\":" + JsonString(MethodName(t.method)) +
           ",\"epsilon\":{\"numerator\":" + std::to_string(t.eps_num) + ",\"denominator\":" +
           std::to_string(t.eps_den) + ",\"value\":" + EpsString(t.eps_num, t.eps_den) +
           "},\"sensitivity\":" + std::to_string(t.spec.sensitivity) + ",\"cell_interval90_half_width\":" +
           [&] {
             const int64_t k = t.spec.derived_from.empty() && t.method == Method::kDiscreteLaplace
                                   ? CellHalfWidth90(t.eps_num, t.eps_den, t.spec.sensitivity)
                                   : -1;
             return k < 0 ? std::string("null") : std::to_string(k);
           }() +
           ",\"derived_from\":" +
           (t.spec.derived_from.empty() ? std::string("null") : JsonString(t.spec.derived_from)) + ",\"dimensions\":[";
    for (size_t d = 0; d < t.spec.dims.size(); ++d) {
      if (d) out += ",";
      out += "{\"id\":" + JsonString(t.spec.dims[d].id) + ",\"codes\":[";
      for (size_t c = 0; c < t.spec.dims[d].codes.size(); ++c) {
        if (c) out += ",";
        out += JsonString(t.spec.dims[d].codes[c]);
      }
      out += "]}";
    }
    out += "],\"cells\":";
    JsonCells(out, t.cells);
    out += ",\"row_margins\":";
    JsonCells(out, t.row_margins);
    out += ",\"column_margins\":";
    JsonCells(out, t.col_margins);
    out += ",\"total\":";
    JsonCell(out, t.total);
    out += "}";
  }
  out += "],\"population\":[";
  for (size_t i = 0; i < population.size(); ++i) {
    const PopulationEstimate& p = population[i];
    if (i) out += ",";
    out += "{\"dimension\":" + JsonString(p.dimension) + ",\"code\":" + JsonString(p.code) +
           ",\"per_mille\":" + std::to_string(p.per_mille) + ",\"source\":" + JsonString(p.source) +
           ",\"year\":" + std::to_string(p.year) + "}";
  }
  out += "]}\n";
  return out;
}

Release ExactAsRelease(const ExactReport& exact, std::string city) {
  Release r;
  r.city = std::move(city);
  r.period = exact.period;
  r.status = "internal";
  auto cell = [](int64_t v) { return PublishedCell{v, false, std::to_string(v)}; };
  for (const CountTable& ct : exact.tables) {
    PublishedTable t;
    t.spec = ct.spec;
    int64_t total = 0;
    for (int64_t v : ct.cells) {
      t.cells.push_back(cell(v));
      total += v;
    }
    if (ct.spec.dims.size() == 2) {
      const size_t nr = ct.spec.dims[0].codes.size(), nc = ct.spec.dims[1].codes.size();
      std::vector<int64_t> rows(nr, 0), cols(nc, 0);
      for (size_t i = 0; i < nr; ++i) {
        for (size_t j = 0; j < nc && i * nc + j < ct.cells.size(); ++j) {
          rows[i] += ct.cells[i * nc + j];
          cols[j] += ct.cells[i * nc + j];
        }
      }
      for (int64_t v : rows) t.row_margins.push_back(cell(v));
      for (int64_t v : cols) t.col_margins.push_back(cell(v));
    }
    t.total = cell(total);
    r.tables.push_back(std::move(t));
  }
  return r;
}

}  // namespace vd::report
