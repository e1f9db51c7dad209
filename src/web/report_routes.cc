// Staff report pages (issue 4). Coordinators prepare a release for a period (noise is drawn
// once and the budget spent; the draft is stored in the ledger), preview and publish it, see
// their own organisation's exact figures (marked internal) and enter the city's population
// estimates. Analysts see published releases only (HTML, CSV, JSON). Advisors and admins
// have no access. The roles are stated in RegisterReportRoutes; audit records ids only.

#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>
#include <map>
#include <mutex>

#include "core/text.h"
#include "domain/contacts.h"
#include "report/release.h"
#include "report/render.h"
#include "web/app_internal.h"
#include "web/errors.h"
#include "web/report_pages.h"

#ifndef VD_VERSION
#define VD_VERSION "0.0.0"
#endif

namespace vd {
namespace {

using report::Release;

std::optional<int64_t> ReportId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

// Dimensions for which coordinators enter population estimates, with their code lists.
const std::vector<std::pair<std::string, std::vector<std::string>>>& PopulationDimensions() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> dims = {
      {"gender", ContactCodes::Genders()},     {"age_band", ContactCodes::AgeBands()},
      {"region", ContactCodes::Regions()},     {"language", ContactCodes::Languages()},
      {"location", ContactCodes::Locations()}};
  return dims;
}

Error Invalid(const char* msgid, const char* detail) { return Error{ErrorCode::kInvalidInput, msgid, detail}; }

}  // namespace

std::string ReportLanguage(std::string_view lang) { return lang == "en" ? "en" : "nl"; }

report::Labels ReportLabels(const Catalogs& catalogs, const IndicatorCatalog& indicators,
                            const std::vector<DirectoryEntry>& directory, const std::string& lang) {
  report::Labels l;
  l.lang = ReportLanguage(lang);
  const std::string code_lang = l.lang;
  l.text = [&catalogs, code_lang](std::string_view msgid) { return catalogs.Translate(code_lang, msgid); };
  std::map<std::string, std::string, std::less<>> orgs;
  for (const DirectoryEntry& d : directory) orgs[d.slug] = d.name;
  l.code = [&catalogs, &indicators, code_lang, orgs](std::string_view dim, std::string_view code) {
    static const std::map<std::string, std::string, std::less<>> prefixes = {
        {"channel", "c.channel."},   {"location", "c.location."}, {"language", "c.language."},
        {"gender", "c.gender."},     {"age_band", "c.age."},      {"region", "c.region."},
        {"topic", "c.topic."},       {"assessment", "c.assessment."}, {"escalation", "c.escalation."},
        {"escalation_basis", "c.basis."}, {"referral_service", "c.service."},
        {"response_band", "report.band."}, {"case_records", "report.case_records."}};
    if (dim == "referral_organisation") {
      auto it = orgs.find(code);
      if (it != orgs.end()) return it->second;
    } else if (dim == "indicator_category") {
      if (const IndicatorList* current = indicators.Current()) {
        std::string name = indicators.CategoryName(current->version, code, code_lang);
        if (!name.empty()) return name;
      }
    } else if (auto p = prefixes.find(dim); p != prefixes.end()) {
      const std::string msgid = p->second + std::string(code);
      std::string t = catalogs.Translate(code_lang, msgid);
      if (t != msgid) return t;
    }
    const std::string generic = "report.code." + std::string(code);
    std::string t = catalogs.Translate(code_lang, generic);
    return t != generic ? t : std::string(code);
  };
  return l;
}

void WebApp::Impl::RegisterReportRoutes() {
  using R = Role;
  const auto coordinator = Access::Staff({R::kCoordinator});
  const auto readers = Access::Staff({R::kCoordinator, R::kAnalyst});
  Get("/staff/reports", readers, [this](Ctx& c) { return ReportList(c); });
  Post("/staff/reports", coordinator, [this](Ctx& c) { return ReportPrepare(c); });
  Get("/staff/reports/report.css", readers, [](Ctx&) {
    Response res;
    res.Set("Content-Type", "text/css; charset=utf-8");
    res.body = report::ReportCss();
    return res;
  });
  Get("/staff/reports/internal", coordinator, [this](Ctx& c) { return ReportInternal(c); });
  Get("/staff/reports/{id}", readers, [this](Ctx& c) { return ReportShow(c, "html"); });
  Get("/staff/reports/{id}/csv", readers, [this](Ctx& c) { return ReportShow(c, "csv"); });
  Get("/staff/reports/{id}/json", readers, [this](Ctx& c) { return ReportShow(c, "json"); });
  Post("/staff/reports/{id}/publish", coordinator, [this](Ctx& c) { return ReportPublish(c); });
  Get("/staff/population", coordinator, [this](Ctx& c) { return PopulationPage(c); });
  Post("/staff/population", coordinator, [this](Ctx& c) { return PopulationPost(c); });
}

Result<report::Codebook> WebApp::Impl::ReportCodebookNow() {
  if (!deps.report_codebook) {
    return std::unexpected(Error{ErrorCode::kInternal, "error.internal", "no report codebook"});
  }
  // Versions another server added since this one last looked count in the report too.
  RefreshIndicators();
  Result<std::vector<DirectoryEntry>> dir = deps.store.ListDirectory(false);
  if (!dir) return std::unexpected(dir.error());
  return deps.report_codebook(indicators, *dir);
}

report::Labels WebApp::Impl::ReportLabelsFor(const Ctx& ctx) {
  Result<std::vector<DirectoryEntry>> dir = deps.store.ListDirectory(false);
  return ReportLabels(deps.catalogs, indicators, dir ? *dir : std::vector<DirectoryEntry>{}, ctx.lang);
}

Response WebApp::Impl::ReportList(Ctx& ctx) {
  const bool coord = ctx.staff->user.role == Role::kCoordinator;
  const report::ReleaseSettings& rs = config.report;
  Result<std::vector<Release>> list = report::ListReleases(deps.store, rs.city, coord ? "" : "published");
  if (!list) return ErrorPage(ctx, list.error());
  mustache::data rows{mustache::data::type::list};
  for (const Release& r : *list) {
    mustache::data row;
    row.set("id", std::to_string(r.id));
    row.set("period", r.period.label);
    row.set("method", T(ctx, r.method == report::Method::kThreshold ? "Threshold suppression" : "Noise (discrete Laplace)"));
    row.set("draft", r.status != "published");
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("empty", list->empty());
  d.set("coordinator", coord);
  d.set("city", rs.city);
  return Render(ctx, "staff_reports", d, true);
}

Response WebApp::Impl::ReportPrepare(Ctx& ctx) {
  const std::string_view text = Trim(FormValue(ctx.form, "period").value_or(""));
  Result<report::Period> period = report::ParsePeriod(text);
  if (!period) return ErrorPage(ctx, period.error());
  if (config.report.city.empty()) {
    return ErrorPage(ctx, Invalid("staff_error.report_city", "no [report] city configured"));
  }
  Result<report::Codebook> codebook = ReportCodebookNow();
  if (!codebook) return ErrorPage(ctx, codebook.error());
  report::ReleaseSettings settings = config.report;
  settings.code_version = VD_VERSION;
  Result<Release> release;
  {
    // One preparation at a time in this server; the store's write transaction settles races
    // between servers (the second finds the first's release).
    std::lock_guard lock(report_mu);
    report::SodiumRandom rng;
    release = report::PrepareRelease(deps.store, *codebook, *period, settings, rng, deps.clock.Now());
  }
  if (!release) return ErrorPage(ctx, release.error());
  ctx.audit_record = std::to_string(release->id);
  return Redirect(ctx, "/staff/reports/" + std::to_string(release->id));
}

Response WebApp::Impl::ReportShow(Ctx& ctx, std::string_view format) {
  auto id = ReportId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "report id"});
  Result<Release> r = report::FindReleaseById(deps.store, config.report.city, *id);
  if (!r) return ErrorPage(ctx, r.error());
  // Analysts never see drafts: to them a draft does not exist.
  if (r->status != "published" && ctx.staff->user.role != Role::kCoordinator) {
    return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "draft"});
  }
  Result<std::vector<PopulationEstimate>> pop =
      deps.store.ListPopulationEstimates(config.report.city, r->period.year());
  if (!pop) return ErrorPage(ctx, pop.error());
  Response res;
  const std::string base = "vertrouwd-" + Replace(Replace(r->period.label, "..", "_"), "/", "_");
  if (format == "csv") {
    res.body = report::RenderCsv(*r, ReportLabelsFor(ctx));
    res.Set("Content-Type", "text/csv; charset=utf-8");
    res.Set("Content-Disposition", "attachment; filename=\"" + base + ".csv\"");
    return res;
  }
  if (format == "json") {
    res.body = report::RenderJson(*r, *pop);
    res.Set("Content-Type", "application/json");
    res.Set("Content-Disposition", "attachment; filename=\"" + base + ".json\"");
    return res;
  }
  report::HtmlOptions o;
  o.stylesheet_href = "/staff/reports/report.css";
  o.population = std::move(*pop);
  const std::string self = "/staff/reports/" + std::to_string(*id);
  o.links = {{"/staff/reports", "report.back"}, {self + "/csv", "report.download.csv"},
             {self + "/json", "report.download.json"}};
  res.body = report::RenderHtml(*r, ReportLabelsFor(ctx), o);
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response WebApp::Impl::ReportPublish(Ctx& ctx) {
  auto id = ReportId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "report id"});
  Result<Release> r = report::FindReleaseById(deps.store, config.report.city, *id);
  if (!r) return ErrorPage(ctx, r.error());
  if (r->status != "published") {
    if (Status s = deps.store.PublishRelease(*id, deps.clock.Now()); !s) return ErrorPage(ctx, s.error());
  }
  return Redirect(ctx, "/staff/reports/" + std::to_string(*id));
}

Response WebApp::Impl::ReportInternal(Ctx& ctx) {
  const std::optional<int64_t> org = ctx.staff->user.organisation_id;
  if (!org) return ErrorPage(ctx, Error{ErrorCode::kForbidden, "error.forbidden", "no organisation"});
  Result<report::Period> period = report::ParsePeriod(ctx.req.Query("period").value_or(""));
  if (!period) return ErrorPage(ctx, period.error());
  Result<report::Codebook> codebook = ReportCodebookNow();
  if (!codebook) return ErrorPage(ctx, codebook.error());
  // Exact figures of the coordinator's own organisation only: no noise, never stored.
  Result<report::ExactReport> exact = report::BuildExact(deps.store, *codebook, *period, *org);
  if (!exact) return ErrorPage(ctx, exact.error());
  report::HtmlOptions o;
  o.internal = true;
  o.stylesheet_href = "/staff/reports/report.css";
  o.links = {{"/staff/reports", "report.back"}};
  Response res;
  res.body = report::RenderHtml(report::ExactAsRelease(*exact, config.report.city), ReportLabelsFor(ctx), o);
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response WebApp::Impl::PopulationPage(Ctx& ctx) {
  const int64_t year = [&] {
    auto y = ParseInt(ctx.req.Query("year").value_or(""));
    if (y && *y >= 2000 && *y <= 2099) return *y;
    const time_t now = static_cast<time_t>(deps.clock.Now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    return static_cast<int64_t>(tm.tm_year) + 1900;
  }();
  Result<std::vector<PopulationEstimate>> stored = deps.store.ListPopulationEstimates(config.report.city, year);
  if (!stored) return ErrorPage(ctx, stored.error());
  report::Labels labels = ReportLabelsFor(ctx);
  mustache::data dims{mustache::data::type::list};
  for (const auto& [dim, codes] : PopulationDimensions()) {
    mustache::data d;
    d.set("id", dim);
    d.set("title", labels.text("report.dim." + dim));
    std::string source;
    mustache::data rows{mustache::data::type::list};
    for (const std::string& code : codes) {
      mustache::data row;
      row.set("code", code);
      row.set("label", labels.code(dim, code));
      std::string value;
      for (const PopulationEstimate& p : *stored) {
        if (p.dimension == dim && p.code == code) {
          value = std::to_string(p.per_mille);
          source = p.source;
        }
      }
      row.set("value", value);
      rows.push_back(row);
    }
    d.set("rows", rows);
    d.set("source", source);
    dims.push_back(d);
  }
  mustache::data d;
  d.set("dims", dims);
  d.set("year", std::to_string(year));
  d.set("city", config.report.city);
  return Render(ctx, "staff_population", d, true);
}

Response WebApp::Impl::PopulationPost(Ctx& ctx) {
  const std::string dim(FormValue(ctx.form, "dimension").value_or(""));
  const std::vector<std::string>* codes = nullptr;
  for (const auto& [id, list] : PopulationDimensions()) {
    if (id == dim) codes = &list;
  }
  if (!codes) return ErrorPage(ctx, Invalid("staff_error.population_dimension", "dimension"));
  auto year = ParseInt(Trim(FormValue(ctx.form, "year").value_or("")));
  if (!year || *year < 2000 || *year > 2099) {
    return ErrorPage(ctx, Invalid("staff_error.population_year", "year"));
  }
  const std::string source(Trim(FormValue(ctx.form, "source").value_or("")));
  if (source.empty() || CodePointCount(source) > 200 || HasForbiddenControl(source) || !IsValidUtf8(source)) {
    return ErrorPage(ctx, Invalid("staff_error.population_source", "source"));
  }
  std::vector<PopulationEstimate> estimates;
  int64_t sum = 0;
  for (const std::string& code : *codes) {
    const std::string_view raw = Trim(FormValue(ctx.form, "share_" + code).value_or(""));
    if (raw.empty()) continue;  // not estimated
    auto v = ParseInt(raw);
    if (!v || *v > 1000) return ErrorPage(ctx, Invalid("staff_error.population_share", "share"));
    sum += *v;
    PopulationEstimate p;
    p.city = config.report.city;
    p.year = *year;
    p.dimension = dim;
    p.code = code;
    p.per_mille = *v;
    p.source = source;
    p.updated_at = deps.clock.Now();
    estimates.push_back(std::move(p));
  }
  if (sum > 1000) return ErrorPage(ctx, Invalid("staff_error.population_sum", "sum"));
  if (estimates.empty()) return ErrorPage(ctx, Invalid("staff_error.population_empty", "empty"));
  // One transaction: the dimension's estimates are replaced whole or not at all.
  if (Status s = deps.store.ReplacePopulationEstimates(config.report.city, *year, dim, estimates); !s) {
    return ErrorPage(ctx, s.error());
  }
  return Redirect(ctx, "/staff/population?year=" + std::to_string(*year));
}

}  // namespace vd
