#include "web/app.h"
#include "web/app_internal.h"

namespace vd {

WebApp::Impl::Impl(WebDeps d, SiteConfig c)
    : deps(std::move(d)),
      config(std::move(c)),
      sessions(deps.sessions, config.sessions.secure_cookies, deps.csrf_key),
      page(deps.catalogs, config.neutral_title, config.exit_url),
      pipeline(PipelineParts{deps.catalogs, sessions, deps.staff, deps.audit, page, router,
                             deps.metrics, config.sessions.secure_cookies}) {}

void WebApp::Impl::RegisterRoutes() {
  worker.Register(router);
  staff_auth.Register(router);
  advisor.Register(router);
  coordinator.Register(router);
  admin.Register(router);
  reports.Register(router);
}

WebApp::WebApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebApp::~WebApp() = default;

Result<std::unique_ptr<WebApp>> WebApp::Create(WebDeps deps, SiteConfig config) {
  if (deps.csrf_key.size() != 32) {
    return Fail(ErrorCode::kInternal, "error.internal", "csrf key setting is malformed");
  }
  auto impl = std::make_unique<Impl>(std::move(deps), std::move(config));
  if (Status s = impl->page.Load(impl->config.templates_dir); !s) return std::unexpected(s.error());
  if (Status s = impl->pipeline.LoadStatic(impl->config.static_dir); !s) {
    return std::unexpected(s.error());
  }
  if (Status s = impl->worker.Load(); !s) return std::unexpected(s.error());
  impl->RegisterRoutes();
  return std::unique_ptr<WebApp>(new WebApp(std::move(impl)));
}

Response WebApp::Handle(const Request& request) { return *impl_->pipeline.Serve(request, Pipeline::Serving::kAll); }

std::optional<Response> WebApp::HandleFromMemory(const Request& request) {
  return impl_->pipeline.Serve(request, Pipeline::Serving::kMemoryOnly);
}

Placement WebApp::Place(const Request& request) const {
  Placement place{Lane::kGeneral, ClientKey(request, impl_->config.trusted_proxy)};
  if (request.method != "POST") return place;  // only forms hash
  std::map<std::string, std::string> params;
  bool path_known = false;
  if (const Route* route = impl_->router.Match(request.method, request.path, params, path_known)) {
    place.lane = route->lane;
  }
  return place;
}

Response WebApp::Refuse(const Request& request, ErrorCode code) {
  return impl_->pipeline.Refuse(request, code);
}

std::vector<WebApp::RouteInfo> WebApp::RouteTable() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->router.routes()) {
    out.push_back({r.method, r.pattern, r.access.kind == Access::Kind::kStaff, r.access.roles});
  }
  return out;
}

}  // namespace vd
