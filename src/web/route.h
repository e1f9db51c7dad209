#pragma once
// Routes: who may use a route (Access), what one request carries through the pipeline
// (Ctx), and the table the role groups register into (Router). Registration happens once at
// start; after that the table is read-only and shared by every thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/sessions.h"
#include "domain/staff.h"
#include "web/http.h"

namespace vd {

// Who may use a route. Declared where the route is registered; checked before the handler.
struct Access {
  enum class Kind { kPublic, kWorker, kStaffEnrolling, kStaff };
  Kind kind = Kind::kPublic;
  std::vector<Role> roles;  // kStaff: roles allowed

  static Access Public() { return {Kind::kPublic, {}}; }
  static Access Worker() { return {Kind::kWorker, {}}; }
  static Access Enrolling() { return {Kind::kStaffEnrolling, {}}; }
  static Access Staff(std::vector<Role> roles) { return {Kind::kStaff, std::move(roles)}; }
};

// Everything one request carries through the pipeline.
struct Ctx {
  explicit Ctx(const Request& request) : req(request) {}
  const Request& req;
  std::string lang;
  std::string anchor;  // the CSRF anchor cookie's value (a new one if the browser had none)
  std::string csrf;    // the token the page's forms carry (WebSessions::CsrfToken)
  std::vector<std::string> cookies;  // Set-Cookie values to send
  FormFields form;
  std::map<std::string, std::string> params;
  std::optional<ActiveSession> session;
  std::optional<StaffContext> staff;
  std::string audit_record;  // a handler may name the record it created, for the audit log
};

using RouteFn = std::function<Response(Ctx&)>;

struct Route {
  std::string method;
  std::vector<std::string> segments;  // "{name}" captures one segment
  std::string pattern;                // for logs
  Access access;
  RouteFn fn;
  // kHashing / kHashingFirst for routes that run Argon2id: they wait in the hashing lane,
  // not the worker pool (see HttpOptions).
  Lane lane = Lane::kGeneral;
  // Set for pages that depend on the language only (PageRenderer::RenderPure): once
  // rendered they are answered from memory, on the I/O thread, without a worker.
  std::string pure_page;
};

class Router {
 public:
  void Get(std::string pattern, Access access, RouteFn fn) {
    Add("GET", std::move(pattern), std::move(access), std::move(fn));
  }
  void Post(std::string pattern, Access access, RouteFn fn, Lane lane = Lane::kGeneral) {
    Add("POST", std::move(pattern), std::move(access), std::move(fn));
    routes_.back().lane = lane;
  }
  // A public GET page that depends on the language only; `fn` renders `page` pure.
  void Pure(std::string pattern, std::string page, RouteFn fn);

  // The route for `method` (HEAD counts as GET) and `path`, with its captured segments;
  // `path_known` tells whether another method would have matched.
  const Route* Match(std::string_view method, std::string_view path,
                     std::map<std::string, std::string>& params, bool& path_known) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  void Add(std::string method, std::string pattern, Access access, RouteFn fn);
  std::vector<Route> routes_;
};

}  // namespace vd
