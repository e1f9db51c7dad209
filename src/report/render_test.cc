#include "report/render.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "report/charts.h"

namespace vd::report {
namespace {

using vd::PopulationEstimate;

// msgid -> msgstr of a catalog (single-line entries, as the report's are).
std::map<std::string, std::string> ReadPo(const std::string& lang) {
  std::ifstream in(std::string(VD_SOURCE_DIR) + "/locales/" + lang + ".po");
  std::map<std::string, std::string> out;
  std::string line, id;
  auto unquote = [](const std::string& l) {
    const size_t a = l.find('"'), b = l.rfind('"');
    std::string s;
    for (size_t i = a + 1; i < b; ++i) {
      if (l[i] == '\\' && i + 1 < b) ++i;
      s += l[i];
    }
    return s;
  };
  while (std::getline(in, line)) {
    if (line.starts_with("msgid ")) id = unquote(line);
    if (line.starts_with("msgstr ")) out[id] = unquote(line);
  }
  return out;
}

struct Catalog {
  explicit Catalog(std::string lang) : lang(std::move(lang)), po(ReadPo(this->lang)) {}
  Labels MakeLabels() {
    Labels l;
    l.lang = lang;
    l.text = [this](std::string_view id) {
      used.insert(std::string(id));
      auto it = po.find(std::string(id));
      return it == po.end() || it->second.empty() ? std::string(id) : it->second;
    };
    l.code = [](std::string_view dim, std::string_view code) {
      return std::string(dim) + ":" + std::string(code);
    };
    return l;
  }
  std::string lang;
  std::map<std::string, std::string> po;
  std::set<std::string> used;
};

PublishedCell C(int64_t v) {
  PublishedCell c;
  c.noisy = v;
  c.shown = v < 0 ? "0" : v < 10 ? "< 10" : std::to_string(v);
  return c;
}

PublishedTable OneDim(std::string id, std::string dim, std::vector<std::string> codes, std::vector<int64_t> values,
                      int64_t eps_num = 1, int64_t eps_den = 4) {
  PublishedTable t;
  t.spec.id = std::move(id);
  t.spec.dims = {{std::move(dim), std::move(codes)}};
  t.eps_num = eps_num;
  t.eps_den = eps_den;
  int64_t total = 0;
  for (int64_t v : values) {
    t.cells.push_back(C(v));
    total += v;
  }
  t.total = C(total);
  return t;
}

Release Sample() {
  Release r;
  r.id = 7;
  r.city = "Den Haag";
  r.period = {"2026", "2026-01", "2026-12"};
  r.status = "published";
  r.code_version = "0.1.0";
  r.created_at = 1798675200;  // 2027-01-01
  r.tables.push_back(OneDim("contacts_by_channel", "channel", {"outreach_visit", "walk_in", "platform", "phone"},
                            {412, 120, 4, -2}));
  r.tables.push_back(OneDim("contacts_by_gender", "gender", {"woman", "man", "trans_woman", "unknown"},
                            {300, 60, 150, 24}));
  r.tables.push_back(OneDim("contacts_by_assessment", "assessment", {"none", "concern", "strong"}, {400, 90, 44}));
  // Signals by setting: location x assessment, with margins that are sums of noisy cells.
  PublishedTable s;
  s.spec.id = "signals_by_location";
  s.spec.dims = {{"assessment", {"none", "concern", "strong"}}, {"location", {"window", "club"}}};
  s.eps_num = 1;
  s.eps_den = 4;
  const std::vector<int64_t> v = {200, 100, 40, 7, 12, -1};
  for (int64_t x : v) s.cells.push_back(C(x));
  s.row_margins = {C(300), C(47), C(11)};
  s.col_margins = {C(252), C(106)};
  s.total = C(358);
  r.tables.push_back(s);
  PublishedTable d = OneDim("escalations_by_destination", "escalation", {"comensha", "police"}, {15, 3}, 0, 1);
  d.spec.derived_from = "signals_by_location";
  r.tables.push_back(d);
  return r;
}

std::vector<PopulationEstimate> Population() {
  auto e = [](std::string code, int64_t per_mille) {
    PopulationEstimate p;
    p.city = "Den Haag";
    p.year = 2025;
    p.dimension = "gender";
    p.code = std::move(code);
    p.per_mille = per_mille;
    p.source = "GGD Haaglanden estimate";
    return p;
  };
  return {e("woman", 600), e("man", 100), e("trans_woman", 150)};
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportRenderTest, HtmlAnswersBothQuestionsWithChartsAndTables) {
  Catalog en("en");
  HtmlOptions o;
  o.population = Population();
  const std::string html = RenderHtml(Sample(), en.MakeLabels(), o);
  EXPECT_TRUE(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
  EXPECT_TRUE(html.ends_with("</html>\n"));
  EXPECT_NE(html.find("<section id=\"q1\""), std::string::npos);
  EXPECT_NE(html.find("<section id=\"q2\""), std::string::npos);
  EXPECT_NE(html.find(en.po["report.q1.title"]), std::string::npos);
  EXPECT_NE(html.find(en.po["report.q2.title"]), std::string::npos);
  // One chart per table plus the coverage chart and the signal share by setting; each table
  // is also a table.
  EXPECT_EQ(Count(html, "<svg "), 7);
  EXPECT_EQ(Count(html, "role=\"img\""), 7);
  // Signals by setting: window (40 + 12) / 252; club has a "< 10" part, so no share.
  const size_t shares = html.find("id=\"share-setting\"");
  ASSERT_NE(shares, std::string::npos);
  const std::string share_block = html.substr(shares, html.find("</section>", shares) - shares);
  EXPECT_NE(share_block.find(">20.6 %<"), std::string::npos) << share_block;
  EXPECT_NE(share_block.find(">—<"), std::string::npos);
  EXPECT_EQ(Count(html, "<table>"), 6);
  // Two-way table: grouped chart with patterns, margins in the table foot.
  EXPECT_NE(html.find("url(#c-signals_by_location-s1)"), std::string::npos);
  EXPECT_NE(html.find("<td>252</td>"), std::string::npos);
  // Small values appear only as "< 10", negatives as 0.
  EXPECT_NE(html.find("<td>&lt; 10</td>"), std::string::npos);
  EXPECT_EQ(html.find("<td>-"), std::string::npos);
  EXPECT_EQ(html.find("<td>4</td>"), std::string::npos);
  // Shares of contacts: concern 90 of 534.
  EXPECT_NE(html.find("16.9 %"), std::string::npos);
  // No script, no inline style attribute; the stylesheet (with print rules) is embedded.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find(" style="), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("page-break-before: always"), std::string::npos);
}

TEST(ReportRenderTest, CoverageRatiosAndLeastReachedComeFromTheData) {
  Catalog en("en");
  HtmlOptions o;
  o.population = Population();
  const std::string html = RenderHtml(Sample(), en.MakeLabels(), o);
  // Total 534: woman 300/534 = 56.2 % vs 60 % -> 0.94; man 60/534 = 11.2 % vs 10 % -> 1.12;
  // trans woman 150/534 = 28.1 % vs 15 % -> 1.87.
  EXPECT_NE(html.find("<td>56.2 %</td><td>60.0 %</td><td>0.94</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>1.12</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>1.87</td>"), std::string::npos);
  // The least reached: only the woman group is below 1.
  const size_t least = html.find(en.po["report.q2.least_reached"]);
  ASSERT_NE(least, std::string::npos);
  const std::string after = html.substr(least, html.find("</ul>", least) - least);
  EXPECT_NE(after.find("gender:woman"), std::string::npos) << after;
  EXPECT_EQ(after.find("gender:man"), std::string::npos);
  EXPECT_NE(html.find("GGD Haaglanden estimate (2025)"), std::string::npos);
  // Without estimates the report says so instead of inventing ratios.
  const std::string none = RenderHtml(Sample(), en.MakeLabels(), HtmlOptions{});
  EXPECT_NE(none.find(en.po["report.q2.no_population"]), std::string::npos);
  EXPECT_EQ(none.find("<td>0.94</td>"), std::string::npos);
}

TEST(ReportRenderTest, DutchReportUsesDutchTextAndDecimalCommas) {
  Catalog nl("nl");
  HtmlOptions o;
  o.population = Population();
  const std::string html = RenderHtml(Sample(), nl.MakeLabels(), o);
  EXPECT_TRUE(html.starts_with("<!doctype html>\n<html lang=\"nl\">"));
  EXPECT_NE(html.find(nl.po["report.q1.title"]), std::string::npos);
  EXPECT_NE(html.find("<td>0,94</td>"), std::string::npos);
  EXPECT_NE(html.find("16,9 %"), std::string::npos);
  EXPECT_NE(nl.po["report.q1.title"], Catalog("en").po["report.q1.title"]);
}

TEST(ReportRenderTest, MethodSectionStatesParametersInPlainWords) {
  Catalog en("en");
  const std::string html = RenderHtml(Sample(), en.MakeLabels(), HtmlOptions{});
  EXPECT_NE(html.find("ε = 0.25"), std::string::npos);
  EXPECT_NE(html.find("Δ = 1"), std::string::npos);
  EXPECT_NE(html.find(en.po["report.method.persons"]), std::string::npos);  // m·ε
  EXPECT_NE(html.find(XmlEscape(en.po["report.method.small"])), std::string::npos);    // what "< 10" means
  // Budget of the release: four tables at 1/4, the derived one at 0.
  EXPECT_NE(html.find("ε = 1 "), std::string::npos) << html.substr(html.find("id=\"method\""));
  Release th = Sample();
  th.method = Method::kThreshold;
  for (PublishedTable& t : th.tables) {
    t.method = Method::kThreshold;
    t.eps_num = 0;
    for (PublishedCell& c : t.cells) {
      if (c.shown == "< 10") c = PublishedCell{0, true, "x"};
    }
  }
  const std::string thtml = RenderHtml(th, en.MakeLabels(), HtmlOptions{});
  EXPECT_NE(thtml.find(en.po["report.method.threshold"]), std::string::npos);
  EXPECT_EQ(thtml.find(en.po["report.method.persons"]), std::string::npos);
  EXPECT_NE(thtml.find("<td>x</td>"), std::string::npos);
}

// Issue 15: the guarantee per person (records per case bounded) and each table's 90 % interval.
TEST(ReportRenderTest, MethodSectionStatesThePersonBoundAndCellIntervals) {
  Catalog en("en");
  HtmlOptions o;
  o.person_cap = 2;
  const std::string html = RenderHtml(Sample(), en.MakeLabels(), o);
  std::string persons = en.po["report.method.persons_capped"];
  ASSERT_FALSE(persons.empty());
  for (auto [from, to] : {std::pair<std::string, std::string>{"{{cap}}", "2"}, {"{{eps}}", "2"}}) {
    for (size_t p = persons.find(from); p != std::string::npos; p = persons.find(from)) persons.replace(p, from.size(), to);
  }
  EXPECT_NE(html.find(XmlEscape(persons)), std::string::npos);  // 2 records · ε 1 of the release
  EXPECT_EQ(html.find(en.po["report.method.persons"]), std::string::npos);
  // ε = 1/4, Δ = 1: ± 9 holds 90 % (P(|Z| > 9) = 2 q^10 / (1 + q) = 0.093, q = e^-1/4).
  EXPECT_NE(html.find("its value ± 9."), std::string::npos);
  // Releases from before the bound state records only.
  const std::string old = RenderHtml(Sample(), en.MakeLabels(), HtmlOptions{});
  EXPECT_NE(old.find(en.po["report.method.persons"]), std::string::npos);
}

TEST(ReportRenderTest, DraftAndInternalViewsAreMarked) {
  Catalog en("en");
  Release draft = Sample();
  draft.status = "draft";
  EXPECT_NE(RenderHtml(draft, en.MakeLabels(), {}).find(en.po["report.draft_banner"]), std::string::npos);
  EXPECT_EQ(RenderHtml(Sample(), en.MakeLabels(), {}).find(en.po["report.draft_banner"]), std::string::npos);
  ExactReport exact;
  exact.period = {"2026", "2026-01", "2026-12"};
  exact.organisation_id = 3;
  CountTable ct;
  ct.spec.id = "signals_by_location";
  ct.spec.dims = {{"location", {"window", "club"}}, {"assessment", {"none", "strong"}}};
  ct.cells = {5, 1, 2, 0};
  exact.tables.push_back(ct);
  const Release internal = ExactAsRelease(exact, "Den Haag");
  ASSERT_EQ(internal.tables.size(), 1u);
  EXPECT_EQ(internal.tables[0].row_margins[0].shown, "6");
  EXPECT_EQ(internal.tables[0].col_margins[1].shown, "1");
  EXPECT_EQ(internal.tables[0].total.shown, "8");
  HtmlOptions o;
  o.internal = true;
  o.stylesheet_href = "/staff/reports/report.css";
  const std::string html = RenderHtml(internal, en.MakeLabels(), o);
  EXPECT_NE(html.find(en.po["report.internal_banner"]), std::string::npos);
  EXPECT_EQ(html.find(en.po["report.draft_banner"]), std::string::npos);
  EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/staff/reports/report.css\">"), std::string::npos);
  EXPECT_EQ(html.find("<style>"), std::string::npos);
}

TEST(ReportRenderTest, HostileTextIsEscapedEverywhere) {
  Catalog en("en");
  Labels l = en.MakeLabels();
  l.code = [](std::string_view, std::string_view code) {
    return code == "walk_in" ? std::string("<script>alert(1)</script>") : std::string("=HYPERLINK(\"x\",\"y\")");
  };
  Release r = Sample();
  r.city = "<img src=x onerror=alert(1)>";
  std::vector<PopulationEstimate> pop = Population();
  pop[0].source = "</p><script>x</script>";
  HtmlOptions o;
  o.population = pop;
  const std::string html = RenderHtml(r, l, o);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  const std::string csv = RenderCsv(r, l);
  EXPECT_NE(csv.find(",\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\","), std::string::npos) << csv.substr(0, 600);
  const std::string json = RenderJson(r, pop);
  EXPECT_EQ(json.find("<"), std::string::npos);
  EXPECT_NE(json.find("\\u003c/p\\u003e\\u003cscript\\u003e"), std::string::npos);
}

TEST(ReportRenderTest, CsvFollowsRfc4180AndBlocksFormulas) {
  EXPECT_EQ(CsvCell("plain"), "plain");
  EXPECT_EQ(CsvCell("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvCell("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvCell("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvCell("=1+1"), "'=1+1");
  EXPECT_EQ(CsvCell("+31"), "'+31");
  EXPECT_EQ(CsvCell("-5"), "'-5");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("< 10"), "< 10");
  Catalog en("en");
  const std::string csv = RenderCsv(Sample(), en.MakeLabels());
  EXPECT_TRUE(csv.starts_with("table,method,epsilon,sensitivity,row_dimension,row_code,row_label,"));
  // Every line has the same number of fields and ends in CRLF.
  std::istringstream in(csv);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ASSERT_TRUE(line.ends_with("\r")) << line;
    EXPECT_EQ(Count(line, ","), 10) << line;
    ++lines;
  }
  // 4+1 + 4+1 + 3+1 + (6 cells + 2 row margins + 3 col margins + total) + 2+1, plus the header.
  EXPECT_EQ(lines, 1 + 5 + 5 + 4 + 12 + 3);
  EXPECT_NE(csv.find("contacts_by_channel,laplace,0.25,1,channel,platform,channel:platform,,,,< 10\r\n"),
            std::string::npos);
  EXPECT_NE(csv.find("signals_by_location,laplace,0.25,1,assessment,total,Total,location,window,location:window,252\r\n"),
            std::string::npos)
      << csv;
}

TEST(ReportRenderTest, JsonHasEveryTableWithMethodParametersAndMargins) {
  const std::string json = RenderJson(Sample(), Population());
  EXPECT_TRUE(json.starts_with("{\"city\":\"Den Haag\",\"period\":{\"label\":\"2026\""));
  EXPECT_EQ(Count(json, "\"sensitivity\":"), 5);
  EXPECT_NE(json.find("\"epsilon\":{\"numerator\":1,\"denominator\":4,\"value\":0.25}"), std::string::npos);
  EXPECT_NE(json.find("\"derived_from\":\"signals_by_location\""), std::string::npos);
  // Every table states its cells' 90 % interval; a derived table's cells are sums: none.
  EXPECT_EQ(Count(json, "\"cell_interval90_half_width\":"), 5);
  EXPECT_NE(json.find("\"value\":0.25},\"sensitivity\":1,\"cell_interval90_half_width\":9,"), std::string::npos);
  EXPECT_NE(json.find("\"cell_interval90_half_width\":null,\"derived_from\":\"signals_by_location\""), std::string::npos);
  EXPECT_NE(json.find("\"column_margins\":[{\"shown\":\"252\",\"suppressed\":false,\"value\":252}"), std::string::npos);
  // "< 10" carries no number; negatives are shown as 0.
  EXPECT_NE(json.find("{\"shown\":\"\\u003c 10\",\"suppressed\":false,\"value\":null}"), std::string::npos);
  EXPECT_NE(json.find("{\"shown\":\"0\",\"suppressed\":false,\"value\":0}"), std::string::npos);
  EXPECT_NE(json.find("\"per_mille\":600"), std::string::npos);
  // Balanced brackets outside strings.
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    if (in_string) {
      if (json[i] == '\\') ++i;
      else if (json[i] == '"') in_string = false;
    } else if (json[i] == '"') {
      in_string = true;
    } else if (json[i] == '{' || json[i] == '[') {
      ++depth;
    } else if (json[i] == '}' || json[i] == ']') {
      --depth;
      ASSERT_GE(depth, 0);
    }
  }
  EXPECT_EQ(depth, 0);
  EXPECT_FALSE(in_string);
}

TEST(ReportRenderTest, EveryReportStringIsInTheDutchAndEnglishCatalogs) {
  for (const char* lang : {"nl", "en"}) {
    Catalog cat(lang);
    HtmlOptions o;
    o.population = Population();
    o.links = {{"/x.csv", "report.download.csv"}};
    Release r = Sample();
    r.status = "draft";
    RenderHtml(r, cat.MakeLabels(), o);
    o.internal = true;
    RenderHtml(r, cat.MakeLabels(), o);
    Release th = Sample();
    th.method = Method::kThreshold;
    for (PublishedTable& t : th.tables) t.method = Method::kThreshold;
    RenderHtml(th, cat.MakeLabels(), HtmlOptions{});
    RenderCsv(r, cat.MakeLabels());
    ASSERT_GT(cat.used.size(), 40u);
    for (const std::string& id : cat.used) {
      if (id.starts_with("report.table.")) continue;  // optional: titles fall back to dimensions
      auto it = cat.po.find(id);
      EXPECT_TRUE(it != cat.po.end() && !it->second.empty()) << lang << ": " << id;
    }
  }
}

}  // namespace
}  // namespace vd::report
