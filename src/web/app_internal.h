#pragma once
// WebApp's insides: the parts it is made of (renderer, router, role groups, pipeline) and,
// until they become a role group of their own, the report pages (report_pages.cc), which
// are Impl methods with the few renderer shortcuts they use. Not for use outside src/web.

#include <mutex>
#include <optional>
#include <string>

#include "report/render.h"
#include "web/admin_pages.h"
#include "web/advisor_pages.h"
#include "web/app.h"
#include "web/coordinator_pages.h"
#include "web/pages.h"
#include "web/pipeline.h"
#include "web/staff_auth_pages.h"
#include "web/worker_pages.h"

namespace vd {

struct WebApp::Impl {
  Impl(WebDeps d, SiteConfig c);

  WebDeps deps;
  SiteConfig config;
  WebSessions sessions;
  PageRenderer page;
  Router router;
  WebParts parts{deps, config, page, sessions};
  WorkerPages worker{parts};
  StaffAuthPages staff_auth{parts};
  AdvisorPages advisor{parts};
  CoordinatorPages coordinator{parts};
  AdminPages admin{parts};
  Pipeline pipeline;

  // Every role's routes, in one place per role (each group's Register).
  void RegisterRoutes();

  // --- report pages (report_pages.cc) -------------------------------------------------
  std::string T(const Ctx& ctx, std::string_view msgid) const { return page.T(ctx, msgid); }
  Response Render(Ctx& ctx, std::string_view name, mustache::data data, bool staff_page) {
    return page.Render(ctx, name, std::move(data), staff_page ? Audience::kStaff : Audience::kWorker);
  }
  Response ErrorPage(Ctx& ctx, const Error& error) { return page.ErrorPage(ctx, error); }
  Response Redirect(Ctx&, std::string_view location) const { return page.Redirect(location); }
  void Get(std::string pattern, Access access, RouteFn fn) {
    router.Get(std::move(pattern), std::move(access), std::move(fn));
  }
  void Post(std::string pattern, Access access, RouteFn fn) {
    router.Post(std::move(pattern), std::move(access), std::move(fn));
  }
  void RegisterReportRoutes();
  Response ReportList(Ctx& ctx);
  Response ReportPrepare(Ctx& ctx);
  Response ReportShow(Ctx& ctx, report::Format format);
  Response ReportPublish(Ctx& ctx);
  Response ReportInternal(Ctx& ctx);
  Response PopulationPage(Ctx& ctx);
  Response PopulationPost(Ctx& ctx);
};

}  // namespace vd
