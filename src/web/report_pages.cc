#include "web/report_pages.h"

#include <ctime>

#include "core/text.h"
#include "domain/contacts.h"
#include "web/errors.h"

namespace vd {
namespace {

using report::Release;

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

void ReportPages::Register(Router& router) {
  using R = Role;
  const auto coordinator = Access::Staff({R::kCoordinator});
  const auto readers = Access::Staff({R::kCoordinator, R::kAnalyst});
  router.Get("/staff/reports", readers, [this](Ctx& c) { return ReportList(c); });
  router.Post("/staff/reports", coordinator, [this](Ctx& c) { return ReportPrepare(c); });
  router.Get(kReportCss, readers, [](Ctx&) {
    Response res;
    res.Set("Content-Type", "text/css; charset=utf-8");
    res.body = report::ReportCss();
    return res;
  });
  router.Get("/staff/reports/internal", coordinator, [this](Ctx& c) { return ReportInternal(c); });
  router.Get("/staff/reports/{id}", readers,
             [this](Ctx& c) { return ReportShow(c, report::Format::kHtml); });
  router.Get("/staff/reports/{id}/csv", readers,
             [this](Ctx& c) { return ReportShow(c, report::Format::kCsv); });
  router.Get("/staff/reports/{id}/json", readers,
             [this](Ctx& c) { return ReportShow(c, report::Format::kJson); });
  router.Post("/staff/reports/{id}/publish", coordinator,
              [this](Ctx& c) { return ReportPublish(c); });
  router.Get("/staff/population", coordinator, [this](Ctx& c) { return PopulationPage(c); });
  router.Post("/staff/population", coordinator, [this](Ctx& c) { return PopulationPost(c); });
}

Response ReportPages::ReportList(Ctx& ctx) {
  const report::Reader reader = ReaderOf(ctx);
  Result<std::vector<Release>> list = deps_.reports.List(reader);
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
  d.set("city", deps_.reports.settings().city);
  return Render(ctx, "staff_reports", d, Audience::kStaff);
}

Response ReportPages::ReportPrepare(Ctx& ctx) {
  Result<report::Period> period = report::ParsePeriod(Trim(FormValue(ctx.form, "period").value_or("")));
  if (!period) return ErrorPage(ctx, period.error());
  Result<Release> release = deps_.reports.Prepare(*period);
  if (!release) return ErrorPage(ctx, release.error());
  ctx.audit_record = std::to_string(release->id);
  return Redirect("/staff/reports/" + std::to_string(release->id));
}

Response ReportPages::ReportShow(Ctx& ctx, report::Format format) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "report id");
  const std::string self = "/staff/reports/" + std::to_string(*id);
  const report::PageOptions page{kReportCss, {{"/staff/reports", "report.back"},
                                              {self + "/csv", "report.download.csv"},
                                              {self + "/json", "report.download.json"}}};
  Result<report::Document> doc = deps_.reports.Show(*id, ReaderOf(ctx), format, ctx.lang, page);
  if (!doc) return ErrorPage(ctx, doc.error());
  return Served(std::move(*doc));
}

Response ReportPages::ReportPublish(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "report id");
  Result<Release> r = deps_.reports.Publish(*id);
  if (!r) return ErrorPage(ctx, r.error());
  return Redirect("/staff/reports/" + std::to_string(*id));
}

Response ReportPages::ReportInternal(Ctx& ctx) {
  const std::optional<int64_t> org = ctx.staff->user.organisation_id;
  if (!org) return ErrorPage(ctx, Error{ErrorCode::kForbidden, "error.forbidden", "no organisation"});
  Result<report::Period> period = report::ParsePeriod(ctx.req.Query("period").value_or(""));
  if (!period) return ErrorPage(ctx, period.error());
  // Exact figures of the coordinator's own organisation only: no noise, never stored.
  Result<report::Document> doc =
      deps_.reports.Internal(*period, *org, ctx.lang, {kReportCss, {{"/staff/reports", "report.back"}}});
  if (!doc) return ErrorPage(ctx, doc.error());
  return Served(std::move(*doc));
}

Response ReportPages::PopulationPage(Ctx& ctx) {
  const int64_t year = [&] {
    auto y = ParseInt(ctx.req.Query("year").value_or(""));
    if (y && *y >= 2000 && *y <= 2099) return *y;
    const time_t now = static_cast<time_t>(deps_.clock.Now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    return static_cast<int64_t>(tm.tm_year) + 1900;
  }();
  Result<std::vector<PopulationEstimate>> stored = deps_.reports.Population(year);
  if (!stored) return ErrorPage(ctx, stored.error());
  report::Labels labels = deps_.reports.LabelsFor(ctx.lang);
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
  d.set("city", deps_.reports.settings().city);
  return Render(ctx, "staff_population", d, Audience::kStaff);
}

Response ReportPages::PopulationPost(Ctx& ctx) {
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
    p.updated_at = deps_.clock.Now();
    estimates.push_back(std::move(p));
  }
  if (sum > 1000) return ErrorPage(ctx, Invalid("staff_error.population_sum", "sum"));
  if (estimates.empty()) return ErrorPage(ctx, Invalid("staff_error.population_empty", "empty"));
  // One transaction: the dimension's estimates are replaced whole or not at all.
  if (Status s = deps_.reports.ReplacePopulation(*year, dim, std::move(estimates)); !s) {
    return ErrorPage(ctx, s.error());
  }
  return Redirect("/staff/population?year=" + std::to_string(*year));
}

}  // namespace vd
