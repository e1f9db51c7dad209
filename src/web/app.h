#pragma once
// WebApp: the service's web layer, built from the domain services the app hands it (it
// builds none itself and never touches the store): the pipeline (web/pipeline.h), the page
// renderer (web/renderer.h) and the handlers grouped by role, each group registering its
// routes with the role each needs. Handle() is the HTTP server's handler and is
// thread-safe. Nothing it logs names a person: no address, no user agent, no receipt, no
// message text, no query string.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "domain/audit.h"
#include "domain/contacts.h"
#include "domain/conversations.h"
#include "domain/help_pages.h"
#include "domain/indicators.h"
#include "domain/sessions.h"
#include "domain/staff.h"
#include "i18n/i18n.h"
#include "report/release.h"
#include "report/reports.h"
#include "web/http.h"
#include "web/metrics.h"
#include "web/sessions.h"
#include "web/throttle.h"

namespace vd {

struct SiteConfig {
  std::string neutral_title = "Info";                 // <title> of every worker page
  std::string exit_url = "https://www.google.com/";   // where the quick exit goes
  // Address of a front proxy (nginx) whose X-Real-IP header names the client. Used only to
  // key the in-memory throttles; empty means the TCP peer is the client.
  std::string trusted_proxy;
  std::string templates_dir;
  std::string static_dir;
  std::string help_dir;  // shipped help pages: <help_dir>/<language>/<slug>.md
  SessionPolicy sessions;
  BucketSpec receipt_per_client{5, 1.0 / 12};   // 5 at once, then one per 12 s
  BucketSpec receipt_global{200, 20};
  BucketSpec login_per_client{10, 1.0 / 30};
  BucketSpec login_global{100, 5};
  BucketSpec start_per_client{10, 1.0 / 30};    // new conversations
  BucketSpec start_global{300, 10};
  // Reports (issue 4): the city, its yearly privacy budget (ε cap) and the disclosure method.
  report::ReleaseSettings report;
};

// Everything the web layer works with, built by the app (src/app/runtime.cc); each must
// outlive the WebApp.
struct WebDeps {
  const Clock& clock;
  const Catalogs& catalogs;
  Conversations& conversations;
  Staff& staff;
  Sessions& sessions;
  Contacts& contacts;
  HelpPages& help;
  AuditLog& audit;
  IndicatorLists& indicators;
  std::string csrf_key;            // 32 random bytes, the same on every server
  std::function<bool()> healthy;   // whether the database answers (/healthz)
  Metrics* metrics = nullptr;  // optional; request counts and latencies go here
  report::Reports& reports;    // the report service, wired by the app (app/report_domain.h)
};

class WebApp {
 public:
  static Result<std::unique_ptr<WebApp>> Create(WebDeps deps, SiteConfig config);
  ~WebApp();

  Response Handle(const Request& request);
  // The same answer Handle would give, for what can be answered from memory without
  // blocking (static files; the landing page and language picker once rendered), or
  // nullopt: then the request must go to Handle on a worker. Safe on the server's I/O
  // thread: no database, no Argon2id, no disk.
  std::optional<Response> HandleFromMemory(const Request& request);
  // For HttpOptions::placer: the lane of the request's route, keyed by ClientKey.
  Placement Place(const Request& request) const;
  // The page for the HTTP server's own refusals (bad request, too large, overloaded...).
  Response Refuse(const Request& request, ErrorCode code);

  // Every registered route with the roles it admits ("" roles for non-staff routes), for the
  // role-matrix test.
  struct RouteInfo {
    std::string method, pattern;
    bool staff = false;
    std::vector<Role> roles;
  };
  std::vector<RouteInfo> RouteTable() const;

 private:
  struct Impl;
  explicit WebApp(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vd
