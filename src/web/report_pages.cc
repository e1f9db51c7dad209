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
#include "report/reports.h"
#include "web/app_internal.h"
#include "web/errors.h"

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

constexpr char kReportCss[] = "/staff/reports/report.css";

report::Reader ReaderOf(const Ctx& ctx) {
  return ctx.staff->user.role == Role::kCoordinator ? report::Reader::kCoordinator
                                                    : report::Reader::kAnalyst;
}

Response Served(report::Document doc) {
  Response res;
  res.body = std::move(doc.body);
  res.Set("Content-Type", doc.content_type);
  if (!doc.filename.empty()) res.Set("Content-Disposition", "attachment; filename=\"" + doc.filename + "\"");
  return res;
}

}  // namespace

void WebApp::Impl::RegisterReportRoutes() {
  using R = Role;
  const auto coordinator = Access::Staff({R::kCoordinator});
  const auto readers = Access::Staff({R::kCoordinator, R::kAnalyst});
  Get("/staff/reports", readers, [this](Ctx& c) { return ReportList(c); });
  Post("/staff/reports", coordinator, [this](Ctx& c) { return ReportPrepare(c); });
  Get(kReportCss, readers, [](Ctx&) {
    Response res;
    res.Set("Content-Type", "text/css; charset=utf-8");
    res.body = report::ReportCss();
    return res;
  });
  Get("/staff/reports/internal", coordinator, [this](Ctx& c) { return ReportInternal(c); });
  Get("/staff/reports/{id}", readers, [this](Ctx& c) { return ReportShow(c, report::Format::kHtml); });
  Get("/staff/reports/{id}/csv", readers, [this](Ctx& c) { return ReportShow(c, report::Format::kCsv); });
  Get("/staff/reports/{id}/json", readers, [this](Ctx& c) { return ReportShow(c, report::Format::kJson); });
  Post("/staff/reports/{id}/publish", coordinator, [this](Ctx& c) { return ReportPublish(c); });
  Get("/staff/population", coordinator, [this](Ctx& c) { return PopulationPage(c); });
  Post("/staff/population", coordinator, [this](Ctx& c) { return PopulationPost(c); });
}

Response WebApp::Impl::ReportList(Ctx& ctx) {
  const report::Reader reader = ReaderOf(ctx);
  Result<std::vector<Release>> list = deps.reports.List(reader);
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
  d.set("coordinator", reader == report::Reader::kCoordinator);
  d.set("city", deps.reports.settings().city);
  return Render(ctx, "staff_reports", d, true);
}

Response WebApp::Impl::ReportPrepare(Ctx& ctx) {
  Result<report::Period> period = report::ParsePeriod(Trim(FormValue(ctx.form, "period").value_or("")));
  if (!period) return ErrorPage(ctx, period.error());
  Result<Release> release = deps.reports.Prepare(*period);
  if (!release) return ErrorPage(ctx, release.error());
  ctx.audit_record = std::to_string(release->id);
  return Redirect(ctx, "/staff/reports/" + std::to_string(release->id));
}

Response WebApp::Impl::ReportShow(Ctx& ctx, report::Format format) {
  auto id = ReportId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "report id"});
  const std::string self = "/staff/reports/" + std::to_string(*id);
  const report::PageOptions page{kReportCss, {{"/staff/reports", "report.back"},
                                              {self + "/csv", "report.download.csv"},
                                              {self + "/json", "report.download.json"}}};
  Result<report::Document> doc = deps.reports.Show(*id, ReaderOf(ctx), format, ctx.lang, page);
  if (!doc) return ErrorPage(ctx, doc.error());
  return Served(std::move(*doc));
}

Response WebApp::Impl::ReportPublish(Ctx& ctx) {
  auto id = ReportId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "report id"});
  Result<Release> r = deps.reports.Publish(*id);
  if (!r) return ErrorPage(ctx, r.error());
  return Redirect(ctx, "/staff/reports/" + std::to_string(*id));
}

Response WebApp::Impl::ReportInternal(Ctx& ctx) {
  const std::optional<int64_t> org = ctx.staff->user.organisation_id;
  if (!org) return ErrorPage(ctx, Error{ErrorCode::kForbidden, "error.forbidden", "no organisation"});
  Result<report::Period> period = report::ParsePeriod(ctx.req.Query("period").value_or(""));
  if (!period) return ErrorPage(ctx, period.error());
  // Exact figures of the coordinator's own organisation only: no noise, never stored.
  Result<report::Document> doc =
      deps.reports.Internal(*period, *org, ctx.lang, {kReportCss, {{"/staff/reports", "report.back"}}});
  if (!doc) return ErrorPage(ctx, doc.error());
  return Served(std::move(*doc));
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
  Result<std::vector<PopulationEstimate>> stored = deps.reports.Population(year);
  if (!stored) return ErrorPage(ctx, stored.error());
  report::Labels labels = deps.reports.LabelsFor(ctx.lang);
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
  d.set("city", deps.reports.settings().city);
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
  if (Status s = deps.reports.ReplacePopulation(*year, dim, std::move(estimates)); !s) {
    return ErrorPage(ctx, s.error());
  }
  return Redirect(ctx, "/staff/population?year=" + std::to_string(*year));
}

}  // namespace vd
