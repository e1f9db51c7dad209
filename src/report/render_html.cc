#include "report/render.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "report/charts.h"
#include "report/render_text.h"
#include "report/tables.h"

namespace vd::report {
namespace {

using internal::CodeLabel;
using internal::Date;
using internal::EpsString;
using vd::PopulationEstimate;

std::string Sub(std::string text, std::string_view name, std::string_view value) {
  const std::string key = "{{" + std::string(name) + "}}";
  for (size_t p = text.find(key); p != std::string::npos; p = text.find(key, p + value.size())) {
    text.replace(p, key.size(), value);
  }
  return text;
}

bool Decimal(const Labels& l) { return l.lang.starts_with("en"); }

// A decimal number in the report's language: "0.85" in English, "0,85" in Dutch.
std::string Dec(const Labels& l, double v, int places) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", places, v);
  std::string s = buf;
  if (!Decimal(l)) std::replace(s.begin(), s.end(), '.', ',');
  return s;
}

std::string Percent(const Labels& l, double share) { return Dec(l, share * 100, 1) + " %"; }

std::string E(std::string_view s) { return XmlEscape(s); }

// Numeric value of a shown string, or nullopt for "< 10", "x" and the like.
std::optional<double> Value(const PublishedCell& c) {
  if (c.suppressed) return std::nullopt;
  const double v = ShownValue(c.shown);
  if (v < 0) return std::nullopt;
  return v;
}

std::string DimTitle(const Labels& l, const Dimension& d) {
  const std::string id = "report.dim." + d.id;
  std::string t = l.text(id);
  return t == id ? d.id : t;
}

// "werkplek" -> "Werkplek" for column headers (ASCII first letter only).
std::string Cap(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string TableTitle(const Labels& l, const TableSpec& spec) {
  const TableDef* def = FindTableDef(spec.id);
  const std::string id = def ? def->title : "report.table." + spec.id;
  std::string t = l.text(id);
  if (t != id) return t;
  std::string out = l.text("report.contacts_by");
  for (size_t i = 0; i < spec.dims.size(); ++i) {
    if (i) out += " × ";
    else out += " ";
    out += DimTitle(l, spec.dims[i]);
  }
  return out;
}

std::string Share(const Labels& l, const PublishedCell& part, const PublishedCell& whole) {
  auto p = Value(part);
  auto w = Value(whole);
  if (!p || !w || *w <= 0) return "—";
  return Percent(l, *p / *w);
}

std::string ShortMethod(const Labels& l, const PublishedTable& t, bool internal,
                        const std::map<std::string, std::string>& titles) {
  if (internal) return l.text("report.method.internal_short");
  if (t.method == Method::kThreshold) return l.text("report.method.threshold_short");
  if (!t.spec.derived_from.empty()) {
    auto it = titles.find(t.spec.derived_from);
    return Sub(l.text("report.method.derived_short"), "base",
               it == titles.end() ? t.spec.derived_from : it->second);
  }
  std::string text = Sub(Sub(l.text("report.method.laplace_short"), "eps", EpsString(t.eps_num, t.eps_den)),
                         "delta", std::to_string(t.spec.sensitivity));
  if (const int64_t k = CellHalfWidth90(t.eps_num, t.eps_den, t.spec.sensitivity); k >= 0) {
    text += " " + Sub(l.text("report.method.interval_short"), "k", std::to_string(k));
  }
  return text;
}

class HtmlWriter {
 public:
  HtmlWriter(const Release& r, const Labels& l, const HtmlOptions& o) : r_(r), l_(l), o_(o) {
    for (const PublishedTable& t : r.tables) titles_[t.spec.id] = TableTitle(l, t.spec);
  }

  std::string Render() {
    Head();
    Summary();
    Question1();
    Question2();
    Others();
    MethodSection();
    out_ += "</main><footer class=\"report-footer\"><p>" +
            E(Sub(Sub(T("report.footer"), "version", r_.code_version), "date",
                  Date(r_.published_at ? r_.published_at : r_.created_at))) +
            "</p></footer></body></html>\n";
    return std::move(out_);
  }

 private:
  std::string T(std::string_view id) const { return l_.text(id); }

  std::string Notes(std::string_view which) const {
    return which == "small" ? T("report.chart.small") : T("report.chart.suppressed");
  }

  void Head() {
    const std::string title = Sub(Sub(T("report.title"), "period", r_.period.label), "city", r_.city);
    out_ += "<!doctype html>\n<html lang=\"" + E(l_.lang) + "\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>" + E(title) + "</title>\n";
    if (o_.stylesheet_href.empty()) {
      out_ += "<style>\n" + ReportCss() + "</style>\n";
    } else {
      out_ += "<link rel=\"stylesheet\" href=\"" + E(o_.stylesheet_href) + "\">\n";
    }
    out_ += "</head>\n<body class=\"report\">\n<nav class=\"report-nav\" aria-label=\"" + E(T("report.contents")) +
            "\"><ul>";
    for (const auto& [href, label] : o_.links) {
      out_ += "<li><a href=\"" + E(href) + "\">" + E(T(label)) + "</a></li>";
    }
    out_ += "<li><a href=\"#q1\">" + E(T("report.q1.short")) + "</a></li><li><a href=\"#q2\">" +
            E(T("report.q2.short")) + "</a></li><li><a href=\"#other\">" + E(T("report.other.title")) +
            "</a></li><li><a href=\"#method\">" + E(T("report.method.title")) + "</a></li></ul></nav>\n";
    out_ += "<header class=\"report-header\"><p class=\"city\">" + E(r_.city) + "</p><h1>" + E(title) + "</h1>";
    if (o_.internal) {
      out_ += "<p class=\"banner internal\" role=\"note\"><strong>" + E(T("report.internal_banner")) +
              "</strong></p>";
    } else if (r_.status != "published") {
      out_ += "<p class=\"banner draft\" role=\"note\"><strong>" + E(T("report.draft_banner")) +
              "</strong></p>";
    }
    out_ += "<p class=\"lead\">" +
            E(Sub(Sub(T("report.lead"), "first", r_.period.first_month), "last", r_.period.last_month)) +
            "</p></header>\n<main>\n";
  }

  const PublishedTable* Find(std::string_view dim_id, bool one_dim) const {
    for (const PublishedTable& t : r_.tables) {
      if (one_dim && t.spec.dims.size() != 1) continue;
      for (const Dimension& d : t.spec.dims) {
        if (d.id == dim_id) return &t;
      }
    }
    return nullptr;
  }

  // The number of contact records in the release: the total of a single-valued 1-D table.
  const PublishedCell* Contacts() const {
    for (std::string_view dim : {"channel", "location", "gender", "age_band", "region", "language"}) {
      const PublishedTable* t = Find(dim, true);
      if (t && t->spec.sensitivity == 1) return &t->total;
    }
    return nullptr;
  }

  void Summary() {
    out_ += "<section id=\"summary\" class=\"summary\"><h2>" + E(T("report.summary.title")) + "</h2>";
    if (const PublishedCell* total = Contacts()) {
      out_ += "<p class=\"keyfigure\"><span class=\"figure\">" + E(total->shown) + "</span> " +
              E(T("report.summary.contacts")) + "</p>";
    }
    out_ += "<p>" + E(T("report.summary.text")) + "</p></section>\n";
  }

  // The published counts of one dimension: a 1-D table's cells, or a 2-D table's margins.
  struct Marginal {
    const Dimension* dim = nullptr;
    std::vector<PublishedCell> cells;
    PublishedCell total;
  };
  Marginal Margin(std::string_view dim_id) const {
    Marginal m;
    for (const PublishedTable& t : r_.tables) {
      if (t.spec.dims.size() == 1 && t.spec.dims[0].id == dim_id) return {&t.spec.dims[0], t.cells, t.total};
    }
    for (const PublishedTable& t : r_.tables) {
      if (t.spec.dims.size() != 2) continue;
      if (t.spec.dims[0].id == dim_id) return {&t.spec.dims[0], t.row_margins, t.total};
      if (t.spec.dims[1].id == dim_id) return {&t.spec.dims[1], t.col_margins, t.total};
    }
    return m;
  }

  // Sum of published cells of `codes`, or nullopt if one of them is not shown as a number.
  static std::optional<double> SumOf(const Marginal& m, const std::vector<std::string>& codes) {
    double sum = 0;
    for (size_t i = 0; i < m.dim->codes.size() && i < m.cells.size(); ++i) {
      if (std::find(codes.begin(), codes.end(), m.dim->codes[i]) == codes.end()) continue;
      auto v = Value(m.cells[i]);
      if (!v) return std::nullopt;
      sum += *v;
    }
    return sum;
  }

  // Key sentences: each of `codes` with its count and its share of `whole`.
  void KeyShares(const Marginal& m, const std::vector<std::string>& codes, std::optional<double> whole,
                 std::string_view msgid) {
    for (size_t i = 0; i < m.dim->codes.size() && i < m.cells.size(); ++i) {
      if (std::find(codes.begin(), codes.end(), m.dim->codes[i]) == codes.end()) continue;
      auto v = Value(m.cells[i]);
      const std::string share = v && whole && *whole > 0 ? Percent(l_, *v / *whole) : "—";
      out_ += "<li>" + E(Sub(Sub(Sub(T(msgid), "category", CodeLabel(l_, *m.dim, m.dim->codes[i])), "share", share),
                             "count", m.cells[i].shown)) +
              "</li>";
    }
  }

  void Question1() {
    out_ += "<section id=\"q1\" class=\"question\"><h2>" + E(T("report.q1.title")) + "</h2><p>" +
            E(T("report.q1.intro")) + "</p>";
    out_ += "<ul class=\"keypoints\">";
    if (Marginal a = Margin("assessment"); a.dim) {
      auto total = Value(a.total);
      auto any = SumOf(a, {"concern", "strong"});
      if (any && total && *total > 0) {
        out_ += "<li>" + E(Sub(T("report.q1.any_signal"), "share", Percent(l_, *any / *total))) + "</li>";
      }
      KeyShares(a, {"concern", "strong"}, total, "report.q1.assessment_share");
    }
    if (Marginal b = Margin("escalation_basis"); b.dim) {
      const std::vector<std::string> bases = {"consent", "acute_danger"};
      KeyShares(b, bases, SumOf(b, bases), "report.q1.basis_share");
    }
    // Free choice: how many different organisations received referrals.
    for (const PublishedTable& t : r_.tables) {
      if (t.spec.dims.empty() || t.spec.dims[0].id != "referral_organisation") continue;
      const std::vector<PublishedCell>& per_org = t.spec.dims.size() == 1 ? t.cells : t.row_margins;
      int orgs = 0;  // organisations of the directory ("other" is not one organisation)
      for (size_t i = 0; i < per_org.size() && i < t.spec.dims[0].codes.size(); ++i) {
        const PublishedCell& c = per_org[i];
        if (t.spec.dims[0].codes[i] == "other" || c.suppressed) continue;
        if (ShownValue(c.shown) > 0 || c.shown.starts_with("<")) ++orgs;
      }
      if (orgs > 0) {
        out_ += "<li>" + E(Sub(T("report.q1.organisations"), "count", std::to_string(orgs))) + "</li>";
      }
      break;
    }
    out_ += "<li>" + E(T("report.q1.free_choice")) + "</li></ul>";
    SignalShares();
    for (const PublishedTable& t : r_.tables) {
      if (SectionOf(t.spec) == Section::kSignals) Table(t);
    }
    out_ += "</section>\n";
  }

  // Shares of contacts with a signal per work setting and per signal category, from the
  // published counts; a share whose parts are not all shown as numbers is "—".
  void SignalShares() {
    auto bar = [&](std::string label, std::optional<double> part, std::optional<double> whole) {
      if (!part || !whole || *whole <= 0) return Bar{std::move(label), "—"};
      return Bar{std::move(label), Percent(l_, *part / *whole), *part / *whole * 100};
    };
    for (const PublishedTable& t : r_.tables) {
      const TableSpec& s = t.spec;
      if (s.dims.size() != 2 || s.dims[0].id != "assessment" || s.dims[1].id != "location") continue;
      const Dimension& a = s.dims[0];
      const Dimension& loc = s.dims[1];
      BarChart c;
      c.id = "share-setting";
      c.title = T("report.q1.share_by_setting");
      c.desc = T("report.q1.share_desc");
      for (size_t j = 0; j < loc.codes.size() && j < t.col_margins.size(); ++j) {
        std::optional<double> any = 0.0;
        for (size_t i = 0; i < a.codes.size(); ++i) {
          if (a.codes[i] != "concern" && a.codes[i] != "strong") continue;
          auto v = Value(t.cells[i * loc.codes.size() + j]);
          any = v && any ? std::optional<double>(*any + *v) : std::nullopt;
        }
        c.bars.push_back(bar(CodeLabel(l_, loc, loc.codes[j]), any, Value(t.col_margins[j])));
      }
      out_ += "<section class=\"table-block\" id=\"share-setting\"><h3>" + E(c.title) + "</h3><figure>" +
              HorizontalBarChart(c) + "<figcaption>" + E(c.desc) + "</figcaption></figure></section>";
      break;
    }
    const PublishedCell* contacts = Contacts();
    for (const PublishedTable& t : r_.tables) {
      const TableSpec& s = t.spec;
      if (s.dims.empty() || s.dims[0].id != "indicator_category" || !contacts) continue;
      const std::vector<PublishedCell>& per_cat = s.dims.size() == 1 ? t.cells : t.row_margins;
      BarChart c;
      c.id = "share-category";
      c.title = T("report.q1.share_by_category");
      c.desc = T("report.q1.share_category_desc");
      for (size_t i = 0; i < s.dims[0].codes.size() && i < per_cat.size(); ++i) {
        c.bars.push_back(bar(CodeLabel(l_, s.dims[0], s.dims[0].codes[i]), Value(per_cat[i]), Value(*contacts)));
      }
      out_ += "<section class=\"table-block\" id=\"share-category\"><h3>" + E(c.title) + "</h3><figure>" +
              HorizontalBarChart(c) + "<figcaption>" + E(c.desc) + "</figcaption></figure></section>";
      break;
    }
  }

  void Question2() {
    out_ += "<section id=\"q2\" class=\"question\"><h2>" + E(T("report.q2.title")) + "</h2><p>" +
            E(T("report.q2.intro")) + "</p>";
    std::map<std::string, std::vector<const PopulationEstimate*>> by_dim;
    for (const PopulationEstimate& p : o_.population) by_dim[p.dimension].push_back(&p);
    bool any = false;
    for (const auto& [dim, estimates] : by_dim) {
      Marginal m = Margin(dim);
      if (!m.dim) continue;
      any = true;
      Coverage(m, estimates);
    }
    if (!any) out_ += "<p class=\"note\">" + E(T("report.q2.no_population")) + "</p>";
    for (const PublishedTable& t : r_.tables) {
      if (SectionOf(t.spec) == Section::kReach) Table(t);
    }
    out_ += "</section>\n";
  }

  void Coverage(const Marginal& m, const std::vector<const PopulationEstimate*>& estimates) {
    const Dimension& d = *m.dim;
    const bool language = d.id == "language";
    const std::string title = Sub(T(language ? "report.q2.languages_title" : "report.q2.coverage_title"),
                                  "dimension", DimTitle(l_, d));
    const std::string chart_id = "cov-" + d.id;
    out_ += "<section class=\"table-block coverage\" id=\"" + E(chart_id) + "\"><h3>" + E(title) + "</h3>";
    struct Row {
      std::string label, shown, contact_share, population_share, ratio_text;
      std::optional<double> ratio;
      int64_t per_mille = 0;
    };
    std::vector<Row> rows;
    std::vector<std::string> sources;
    auto total = Value(m.total);
    for (const PopulationEstimate* p : estimates) {
      auto it = std::find(d.codes.begin(), d.codes.end(), p->code);
      if (it == d.codes.end()) continue;
      const size_t i = static_cast<size_t>(it - d.codes.begin());
      if (i >= m.cells.size()) continue;
      Row row;
      row.label = CodeLabel(l_, d, p->code);
      row.shown = m.cells[i].shown;
      row.per_mille = p->per_mille;
      row.population_share = Percent(l_, p->per_mille / 1000.0);
      auto v = Value(m.cells[i]);
      if (v && total && *total > 0) {
        row.contact_share = Percent(l_, *v / *total);
        if (p->per_mille > 0) {
          row.ratio = (*v / *total) / (p->per_mille / 1000.0);
          row.ratio_text = Dec(l_, *row.ratio, 2);
        } else {
          row.ratio_text = "—";
        }
      } else {
        row.contact_share = "—";
        row.ratio_text = "—";
      }
      rows.push_back(std::move(row));
      std::string src = p->source + (p->year ? " (" + std::to_string(p->year) + ")" : "");
      if (std::find(sources.begin(), sources.end(), src) == sources.end()) sources.push_back(src);
    }
    BarChart chart;
    chart.id = chart_id + "-chart";
    chart.title = title;
    chart.desc = T("report.q2.coverage_desc");
    chart.reference = 1;
    chart.reference_label = T("report.q2.reference");
    chart.small_note = T("report.q2.too_few");
    for (const Row& row : rows) {
      // A group with too few contacts for a ratio gets the "< 10" stub; no estimate, no bar.
      if (row.ratio) {
        chart.bars.push_back({row.label, row.ratio_text, *row.ratio});
      } else if (row.per_mille > 0) {
        chart.bars.push_back({row.label, "< 10"});
      }
    }
    out_ += "<figure>" + HorizontalBarChart(chart) + "<figcaption>" + E(T("report.q2.coverage_caption")) +
            "</figcaption></figure>";
    out_ += "<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">" + E(Cap(DimTitle(l_, d))) +
            "</th><th scope=\"col\">" + E(T("report.col.contacts")) + "</th><th scope=\"col\">" +
            E(T("report.col.contact_share")) + "</th><th scope=\"col\">" + E(T("report.col.population_share")) +
            "</th><th scope=\"col\">" + E(T("report.col.coverage")) + "</th></tr></thead><tbody>";
    for (const Row& row : rows) {
      out_ += "<tr><th scope=\"row\">" + E(row.label) + "</th><td>" + E(row.shown) + "</td><td>" +
              E(row.contact_share) + "</td><td>" + E(row.population_share) + "</td><td>" + E(row.ratio_text) +
              "</td></tr>";
    }
    out_ += "</tbody></table></div>";
    // The least reached: the lowest ratios below 1, and groups of the population with too
    // few contacts to compute a ratio.
    std::vector<const Row*> low;
    for (const Row& row : rows) {
      if (row.ratio && *row.ratio < 1) low.push_back(&row);
    }
    std::sort(low.begin(), low.end(), [](const Row* a, const Row* b) { return *a->ratio < *b->ratio; });
    if (low.size() > 3) low.resize(3);
    out_ += "<p><strong>" + E(T("report.q2.least_reached")) + "</strong></p><ul class=\"keypoints\">";
    bool listed = false;
    for (const Row* row : low) {
      out_ += "<li>" + E(Sub(Sub(Sub(T("report.q2.least_item"), "group", row->label), "ratio", row->ratio_text),
                             "population", row->population_share)) +
              "</li>";
      listed = true;
    }
    for (const Row& row : rows) {
      if (!row.ratio && row.per_mille >= 20) {
        out_ += "<li>" + E(Sub(Sub(T("report.q2.too_few_item"), "group", row.label), "population",
                               row.population_share)) +
                "</li>";
        listed = true;
      }
    }
    if (!listed) out_ += "<li>" + E(T("report.q2.none_below")) + "</li>";
    out_ += "</ul>";
    std::string src;
    for (const std::string& s : sources) src += (src.empty() ? "" : "; ") + s;
    out_ += "<p class=\"source\">" + E(Sub(T("report.q2.source"), "source", src)) + "</p></section>";
  }

  void Others() {
    out_ += "<section id=\"other\"><h2>" + E(T("report.other.title")) + "</h2>";
    for (const PublishedTable& t : r_.tables) {
      if (SectionOf(t.spec) == Section::kOther) Table(t);
    }
    out_ += "</section>\n";
  }

  std::string Chart(const PublishedTable& t, const std::string& title) {
    const TableSpec& s = t.spec;
    if (s.dims.size() == 1) {
      BarChart c;
      c.id = "c-" + s.id;
      c.title = title;
      c.desc = Sub(T("report.chart.desc"), "table", title);
      c.small_note = Notes("small");
      c.suppressed_note = Notes("x");
      for (size_t i = 0; i < s.dims[0].codes.size() && i < t.cells.size(); ++i) {
        c.bars.push_back({CodeLabel(l_, s.dims[0], s.dims[0].codes[i]), t.cells[i].shown});
      }
      return HorizontalBarChart(c);
    }
    const Dimension& rows = s.dims[0];
    const Dimension& cols = s.dims[1];
    if (cols.codes.size() <= 5 && t.cells.size() <= 48) {
      GroupedChart g;
      g.id = "c-" + s.id;
      g.title = title;
      g.desc = Sub(T("report.chart.desc"), "table", title);
      g.small_note = Notes("small");
      g.suppressed_note = Notes("x");
      for (const std::string& code : cols.codes) g.series.push_back(CodeLabel(l_, cols, code));
      for (size_t i = 0; i < rows.codes.size(); ++i) {
        BarGroup group{CodeLabel(l_, rows, rows.codes[i]), {}};
        for (size_t j = 0; j < cols.codes.size(); ++j) {
          const size_t k = i * cols.codes.size() + j;
          if (k < t.cells.size()) group.bars.push_back({g.series[j], t.cells[k].shown});
        }
        g.groups.push_back(std::move(group));
      }
      return GroupedBarChart(g);
    }
    // Too many columns for a readable grouped chart: chart the row totals; the full table follows.
    BarChart c;
    c.id = "c-" + s.id;
    c.title = Sub(T("report.chart.row_totals"), "table", title);
    c.desc = c.title;
    c.small_note = Notes("small");
    c.suppressed_note = Notes("x");
    for (size_t i = 0; i < rows.codes.size() && i < t.row_margins.size(); ++i) {
      c.bars.push_back({CodeLabel(l_, rows, rows.codes[i]), t.row_margins[i].shown});
    }
    return HorizontalBarChart(c);
  }

  void Table(const PublishedTable& t) {
    const TableSpec& s = t.spec;
    if (s.dims.empty() || s.dims.size() > 2) return;
    const std::string title = TableTitle(l_, s);
    out_ += "<section class=\"table-block\" id=\"t-" + E(s.id) + "\"><h3>" + E(title) + "</h3>";
    out_ += "<figure>" + Chart(t, title) + "</figure>";
    out_ += "<div class=\"table-wrap\"><table><caption>" + E(title) + "</caption><thead><tr>";
    const Dimension& rows = s.dims[0];
    if (s.dims.size() == 1) {
      out_ += "<th scope=\"col\">" + E(Cap(DimTitle(l_, rows))) + "</th><th scope=\"col\">" +
              E(T("report.col.contacts")) + "</th><th scope=\"col\">" + E(T("report.col.share")) +
              "</th></tr></thead><tbody>";
      for (size_t i = 0; i < rows.codes.size() && i < t.cells.size(); ++i) {
        out_ += "<tr><th scope=\"row\">" + E(CodeLabel(l_, rows, rows.codes[i])) + "</th><td>" +
                E(t.cells[i].shown) + "</td><td>" + E(Share(l_, t.cells[i], t.total)) + "</td></tr>";
      }
      out_ += "</tbody><tfoot><tr><th scope=\"row\">" + E(T("report.total")) + "</th><td>" + E(t.total.shown) +
              "</td><td>" + (s.sensitivity > 1 ? E(T("report.multi_valued")) : std::string("100 %")) +
              "</td></tr></tfoot>";
    } else {
      const Dimension& cols = s.dims[1];
      out_ += "<th scope=\"col\">" + E(Cap(DimTitle(l_, rows))) + " \\ " + E(DimTitle(l_, cols)) + "</th>";
      for (const std::string& code : cols.codes) out_ += "<th scope=\"col\">" + E(CodeLabel(l_, cols, code)) + "</th>";
      out_ += "<th scope=\"col\">" + E(T("report.total")) + "</th></tr></thead><tbody>";
      for (size_t i = 0; i < rows.codes.size(); ++i) {
        out_ += "<tr><th scope=\"row\">" + E(CodeLabel(l_, rows, rows.codes[i])) + "</th>";
        for (size_t j = 0; j < cols.codes.size(); ++j) {
          const size_t k = i * cols.codes.size() + j;
          out_ += "<td>" + (k < t.cells.size() ? E(t.cells[k].shown) : std::string()) + "</td>";
        }
        out_ += "<td>" + (i < t.row_margins.size() ? E(t.row_margins[i].shown) : std::string()) + "</td></tr>";
      }
      out_ += "</tbody><tfoot><tr><th scope=\"row\">" + E(T("report.total")) + "</th>";
      for (size_t j = 0; j < cols.codes.size(); ++j) {
        out_ += "<td>" + (j < t.col_margins.size() ? E(t.col_margins[j].shown) : std::string()) + "</td>";
      }
      out_ += "<td>" + E(t.total.shown) + "</td></tr></tfoot>";
    }
    out_ += "</table></div><p class=\"method-note\">" + E(ShortMethod(l_, t, o_.internal, titles_)) +
            "</p></section>\n";
  }

  void MethodSection() {
    out_ += "<section id=\"method\" class=\"method\"><h2>" + E(T("report.method.title")) + "</h2>";
    if (o_.internal) {
      out_ += "<p>" + E(T("report.method.internal")) + "</p></section>\n";
      return;
    }
    int64_t num = 0, den = 1;  // the budget of the release: the sum of the tables' fractions
    bool overflow = false;
    for (const PublishedTable& t : r_.tables) {
      if (t.eps_num <= 0 || t.eps_den <= 0) continue;
      int64_t n = 0, d = 0;
      if (__builtin_mul_overflow(num, t.eps_den, &n) || __builtin_mul_overflow(t.eps_num, den, &d) ||
          __builtin_add_overflow(n, d, &n) || __builtin_mul_overflow(den, t.eps_den, &d)) {
        overflow = true;
        break;
      }
      num = n;
      den = d;
    }
    if (r_.method == Method::kThreshold) {
      out_ += "<p>" + E(T("report.method.threshold")) + "</p>";
    } else {
      out_ += "<p>" + E(T("report.method.laplace")) + "</p>";
      if (!overflow) {
        out_ += "<p>" + E(Sub(T("report.method.budget"), "eps", EpsString(num, den))) + "</p>";
      }
      if (o_.person_cap > 0 && !overflow && !__builtin_mul_overflow(num, o_.person_cap, &num)) {
        out_ += "<p>" + E(Sub(Sub(T("report.method.persons_capped"), "cap", std::to_string(o_.person_cap)),
                              "eps", EpsString(num, den))) + "</p>";
      } else {
        out_ += "<p>" + E(T("report.method.persons")) + "</p>";
      }
      out_ += "<p>" + E(T("report.method.small")) + "</p>";
      out_ += "<p>" + E(T("report.method.consistent")) + "</p>";
    }
    out_ += "<p>" + E(T("report.method.codebook")) + "</p>";
    out_ += "<h3>" + E(T("report.method.per_table")) + "</h3><ul class=\"method-list\">";
    for (const PublishedTable& t : r_.tables) {
      out_ += "<li><a href=\"#t-" + E(t.spec.id) + "\">" + E(titles_[t.spec.id]) + "</a>: " +
              E(ShortMethod(l_, t, false, titles_)) + "</li>";
    }
    out_ += "</ul></section>\n";
  }

  const Release& r_;
  const Labels& l_;
  const HtmlOptions& o_;
  std::map<std::string, std::string> titles_;
  std::string out_;
};

}  // namespace

std::string RenderHtml(const Release& release, const Labels& labels, const HtmlOptions& options) {
  return HtmlWriter(release, labels, options).Render();
}

const std::string& ReportCss() {
  static const std::string css = R"css(:root { color-scheme: light; }
* { box-sizing: border-box; }
body.report { margin: 0 auto; max-width: 60rem; padding: 0 1rem 2rem; font: 1rem/1.5 system-ui, sans-serif;
  color: #111; background: #fff; }
.report-nav ul { list-style: none; margin: 0; padding: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem;
  border-bottom: 1px solid #767676; }
.report-nav a, .report a { color: #0b3d91; }
.report-header .city { margin: 1rem 0 0; font-weight: bold; text-transform: uppercase; letter-spacing: .05em; }
h1 { font-size: 1.6rem; line-height: 1.2; margin: .25rem 0 .5rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 .5rem; border-bottom: 2px solid #111; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.banner { padding: .5rem .75rem; border: 2px solid #111; background: #fff4c2; }
.banner.internal { background: #ffe0e0; }
.keyfigure .figure { font-size: 2rem; font-weight: bold; }
figure { margin: .5rem 0; max-width: 36rem; }
svg.chart { display: block; max-width: 100%; height: auto; }
.table-wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: .5rem 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid #767676; padding: .2rem .5rem; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; }
tfoot th, tfoot td { font-weight: bold; }
.method-note, .source, .report-footer { font-size: .9rem; color: #333; }
@media (max-width: 480px) {
  body.report { padding: 0 .5rem 1rem; }
  h1 { font-size: 1.35rem; }
  th, td { padding: .15rem .3rem; font-size: .85rem; }
}
@media print {
  .report-nav { display: none; }
  body.report { max-width: none; padding: 0; color: #000; background: #fff; font-size: 10.5pt; }
  .banner { background: #fff; }
  .question, #other, #method { break-before: page; page-break-before: always; }
  .table-block, figure, table { break-inside: avoid; page-break-inside: avoid; }
  .report a { color: #000; text-decoration: none; }
  .table-wrap { overflow: visible; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
)css";
  return css;
}

}  // namespace vd::report
