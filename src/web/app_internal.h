#pragma once
// WebApp's insides: the parts it is made of (renderer, router, role groups, pipeline).
// Not for use outside src/web.

#include <mutex>
#include <optional>
#include <string>

#include "web/admin_pages.h"
#include "web/advisor_pages.h"
#include "web/app.h"
#include "web/coordinator_pages.h"
#include "web/pages.h"
#include "web/pipeline.h"
#include "web/report_pages.h"
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
  ReportPages reports{parts};
  Pipeline pipeline;

  // Every role's routes, in one place per role (each group's Register).
  void RegisterRoutes();
};

}  // namespace vd
