#include "web/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "crypto/crypto.h"
#include "web/errors.h"
#include "web/throttle.h"

namespace vd {
namespace {

constexpr std::string_view kCsp =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace

std::string ClientKey(const Request& req, const std::string& trusted_proxy) {
  if (!trusted_proxy.empty() && req.client_address == trusted_proxy) {
    if (auto real = req.Header("x-real-ip"); real && !real->empty() && real->size() <= 64) {
      return ThrottleKey(*real);
    }
  }
  return ThrottleKey(req.client_address);
}

Status Pipeline::LoadStatic(const std::string& static_dir) {
  namespace fs = std::filesystem;
  // Static files are read once into memory and served by exact name only: no path from a
  // request ever reaches the file system.
  const std::map<std::string, std::string> types = {{".css", "text/css; charset=utf-8"},
                                                    {".js", "text/javascript; charset=utf-8"},
                                                    {".svg", "image/svg+xml"}};
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(static_dir, ec)) {
    auto type = types.find(entry.path().extension().string());
    if (type == types.end()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Fail(ErrorCode::kInternal, "error.internal", "cannot read a static file");
    std::ostringstream text;
    text << in.rdbuf();
    static_files_["/static/" + entry.path().filename().string()] = {type->second, text.str()};
  }
  if (ec) return Fail(ErrorCode::kInternal, "error.internal", "static folder unreadable");
  return {};
}

std::string Pipeline::Lang(const Request& req, std::vector<std::string>& cookies) const {
  const Catalogs& cat = p_.catalogs;
  if (auto q = req.Query("lang")) {
    std::string code = cat.Canonical(*q);
    if (!code.empty()) {
      cookies.push_back(p_.sessions.CookieHeader("vd_lang", code));
      return code;
    }
  }
  if (auto c = RequestCookie(req, p_.sessions.NamedCookie("vd_lang"))) {
    std::string code = cat.Canonical(*c);
    if (!code.empty()) return code;
  }
  return cat.Negotiate(req.Header("accept-language").value_or(""));
}

void Pipeline::Secure(Response& res, bool is_static) const {
  res.Set("Content-Security-Policy", kCsp);
  res.Set("X-Content-Type-Options", "nosniff");
  res.Set("X-Frame-Options", "DENY");
  res.Set("Referrer-Policy", "no-referrer");
  res.Set("Cross-Origin-Opener-Policy", "same-origin");
  res.Set("Cross-Origin-Resource-Policy", "same-origin");
  res.Set("Permissions-Policy",
          "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
          "microphone=(), payment=(), usb=(), interest-cohort=()");
  // Nothing of the service should linger on a shared phone; static files are tiny.
  res.Set("Cache-Control", is_static ? "no-store" : "no-store, max-age=0");
  if (!is_static) res.Set("Pragma", "no-cache");
  if (p_.secure_cookies) {
    res.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  }
}

Status Pipeline::CheckAccess(Ctx& ctx, const Access& access) {
  if (access.kind == Access::Kind::kPublic) return {};
  Result<ActiveSession> s = p_.sessions.Load(ctx.req);
  if (!s) {
    Error e = s.error();
    if (access.kind == Access::Kind::kWorker) {
      e.code = ErrorCode::kSessionExpired;
      e.user_message = "error.worker_session_expired";
    }
    return std::unexpected(e);
  }
  const bool staff_session = s->row.kind == SessionKind::kStaff;
  switch (access.kind) {
    case Access::Kind::kWorker:
      if (staff_session || !s->row.conversation_id) {
        return Fail(ErrorCode::kSessionExpired, "error.worker_session_expired", "not a worker");
      }
      break;
    case Access::Kind::kStaffEnrolling:
      if (!staff_session || s->row.stage != 0 || !s->row.user_id) {
        return Fail(ErrorCode::kUnauthorized, "error.login_required", "not enrolling");
      }
      break;
    case Access::Kind::kStaff: {
      if (!staff_session || s->row.stage != 1 || !s->row.user_id) {
        return Fail(ErrorCode::kUnauthorized, "error.login_required", "no staff session");
      }
      Result<StaffContext> staff = p_.staff.Context(*s->row.user_id, s->secret);
      if (!staff) return std::unexpected(staff.error());
      if (std::ranges::find(access.roles, staff->user.role) == access.roles.end()) {
        ctx.staff = std::move(*staff);  // so that the refusal is audited under its user
        return Fail(ErrorCode::kForbidden, "error.forbidden", "role not allowed");
      }
      ctx.staff = std::move(*staff);
      break;
    }
    case Access::Kind::kPublic:
      break;
  }
  ctx.session = std::move(*s);
  return {};
}

Status Pipeline::AuditStaff(Ctx& ctx, const Route& route, unsigned status) {
  if (!ctx.staff) return {};
  std::string record = ctx.audit_record;
  if (record.empty()) {
    auto id = ctx.params.find("id");
    if (id != ctx.params.end() && id->second.size() <= 64) record = id->second;
  }
  // The action code is the route pattern (no values), with the outcome class.
  std::string action = route.method + " " + route.pattern;
  if (status >= 400) action += " " + std::to_string(status);
  Status s = p_.audit.Record(ctx.staff->user.id, action, record);
  if (!s) spdlog::error("req {} audit failed: {}", ctx.req.request_id, s.error().detail);
  return s;
}

Response Pipeline::Dispatch(Ctx& ctx, const Route*& matched) {
  const Request& req = ctx.req;
  PageRenderer& page = p_.page;
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  if (method != "GET" && method != "POST") {
    Response res = page.ErrorPage(ctx, Error{ErrorCode::kMethodNotAllowed, "error.method", "method"});
    res.Set("Allow", "GET, HEAD, POST");
    return res;
  }
  if (req.path.starts_with("/static/")) {
    std::optional<Response> file = method == "GET" ? ServeStatic(req.path) : std::nullopt;
    if (!file) return page.ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "static"});
    return std::move(*file);
  }

  bool path_known = false;
  matched = p_.router.Match(method, req.path, ctx.params, path_known);
  if (!matched) {
    Error e = path_known ? Error{ErrorCode::kMethodNotAllowed, "error.method", "method"}
                         : Error{ErrorCode::kNotFound, "error.not_found", "no route"};
    Response res = page.ErrorPage(ctx, e);
    if (path_known) res.Set("Allow", "GET, HEAD, POST");
    return res;
  }

  if (method == "POST") {
    std::string_view type = req.Header("content-type").value_or("");
    type = Trim(type.substr(0, type.find(';')));
    if (type != "application/x-www-form-urlencoded") {
      return page.ErrorPage(ctx, Error{ErrorCode::kInvalidInput, "error.bad_form", "content type"});
    }
    Result<FormFields> form = ParseForm(req.body);
    if (!form) return page.ErrorPage(ctx, form.error());
    for (const auto& [name, value] : *form) {
      if (!IsValidUtf8(value) || !IsValidUtf8(name)) {
        return page.ErrorPage(ctx, Error{ErrorCode::kInvalidInput, "error.bad_encoding", "form utf-8"});
      }
    }
    ctx.form = std::move(*form);
    const std::string_view sent = FormValue(ctx.form, "csrf").value_or("");
    const bool anchored = RequestCookie(req, p_.sessions.NamedCookie("vd_a")).has_value();
    if (!anchored || !ConstantTimeEqual(sent, ctx.csrf)) {
      return page.ErrorPage(ctx, Error{ErrorCode::kCsrf, "error.csrf", "csrf mismatch"});
    }
  }

  if (Status access = CheckAccess(ctx, matched->access); !access) {
    const Error& e = access.error();
    const bool staff_route = matched->access.kind == Access::Kind::kStaff ||
                             matched->access.kind == Access::Kind::kStaffEnrolling;
    if (staff_route && method == "GET" &&
        (e.code == ErrorCode::kUnauthorized || e.code == ErrorCode::kSessionExpired)) {
      return page.Redirect("/staff/login");
    }
    Response denied = page.ErrorPage(ctx, e);
    if (ctx.staff && matched->access.kind == Access::Kind::kStaff) {
      (void)AuditStaff(ctx, *matched, denied.status);  // a refusal shows nothing either way
    }
    return denied;
  }
  Response res = matched->fn(ctx);
  if (matched->access.kind != Access::Kind::kStaff) return res;
  // No staff page leaves unaudited: when the entry cannot be written, whatever the page
  // would show (a conversation, a record, the inbox) is withheld. On a full disk this
  // outranks "reads go on" for staff: she could not answer either, and the worker's own
  // pages still read. A redirect shows nothing and may
  // follow a change already made, which a 503 would invite her to repeat; the page it
  // leads to is audited in its turn.
  if (Status audited = AuditStaff(ctx, *matched, res.status);
      !audited && (res.status < 300 || res.status >= 400)) {
    // The store's own error says why (a full disk, the database away), never the page.
    return page.ErrorPage(ctx, audited.error());
  }
  return res;
}

std::optional<Response> Pipeline::ServeStatic(std::string_view path) const {
  auto it = static_files_.find(path);
  if (it == static_files_.end()) return std::nullopt;
  Response res;
  res.Set("Content-Type", it->second.content_type);
  res.body = it->second.body;
  return res;
}

// What can be answered without a worker: static files and pure pages already rendered.
// Anything else (a miss, an error page, a form) is left to Dispatch on a worker.
std::optional<Response> Pipeline::FromMemory(Ctx& ctx, const Route*& matched) {
  const Request& req = ctx.req;
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  if (req.path.starts_with("/static/")) return ServeStatic(req.path);
  bool path_known = false;
  const Route* route = p_.router.Match(req.method, req.path, ctx.params, path_known);
  if (!route || route->pure_page.empty()) return std::nullopt;
  std::optional<Response> page = p_.page.CachedPure(ctx.lang, route->pure_page);
  if (page) matched = route;
  return page;
}

std::optional<Response> Pipeline::Serve(const Request& request, Serving serving) {
  const bool memory_only = serving == Serving::kMemoryOnly;
  const auto started = std::chrono::steady_clock::now();
  Ctx ctx(request);
  const Route* matched = nullptr;
  Response res;
  try {
    ctx.lang = Lang(request, ctx.cookies);
    // The CSRF anchor: a random browser-session cookie, which the forms shown before any
    // session are bound to (WebSessions::CsrfToken).
    std::optional<std::string> anchor = RequestCookie(request, p_.sessions.NamedCookie("vd_a"));
    if (!anchor || anchor->size() < 20 || anchor->size() > 64) {
      anchor = RandomToken(24);
      ctx.cookies.push_back(p_.sessions.CookieHeader("vd_a", *anchor));
    }
    ctx.anchor = std::move(*anchor);
    if (memory_only) {
      // Pages served from memory carry no form, so they need no CSRF token.
      std::optional<Response> from_memory = FromMemory(ctx, matched);
      if (!from_memory) return std::nullopt;
      res = std::move(*from_memory);
    } else {
      ctx.csrf = p_.sessions.CsrfToken(request, ctx.anchor);
      res = Dispatch(ctx, matched);
    }
  } catch (const std::exception& e) {
    if (memory_only) return std::nullopt;  // a worker tries again, and logs what it meets
    spdlog::error("req {} exception: {}", request.request_id, e.what());
    res = Refuse(request, ErrorCode::kInternal);
  }
  for (const std::string& cookie : ctx.cookies) res.Add("Set-Cookie", cookie);
  Secure(res, request.path.starts_with("/static/"));
  const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count() /
                  1000.0;
  const std::string pattern =
      matched ? matched->pattern
              : std::string(request.path.starts_with("/static/") ? "/static/*" : "(unmatched)");
  if (p_.metrics) {
    const bool known = request.method == "GET" || request.method == "POST" || request.method == "HEAD";
    p_.metrics->Observe(known ? request.method : "other", pattern, res.status, ms / 1000.0);
  }
  spdlog::info("req {} {} {} {} {:.1f}ms", request.request_id,
               request.method.size() <= 8 ? request.method : std::string("?"), pattern,
               res.status, ms);
  return res;
}

Response Pipeline::Refuse(const Request& request, ErrorCode code) {
  Ctx ctx(request);
  Response res;
  try {
    ctx.lang = Lang(request, ctx.cookies);
    ctx.cookies.clear();
    std::string message = "error.internal";
    switch (code) {
      case ErrorCode::kTooLarge: message = "error.too_large"; break;
      case ErrorCode::kInvalidInput: message = "error.bad_request"; break;
      case ErrorCode::kUnavailable: message = "error.busy"; break;
      case ErrorCode::kBusy: message = "error.busy"; break;
      case ErrorCode::kTooManyRequests: message = "error.too_many"; break;
      default: break;
    }
    res = p_.page.ErrorPage(ctx, Error{code, message, "refused by the HTTP layer"});
  } catch (...) {
    res = Response{};
    res.status = HttpStatusFor(code);
    res.Set("Content-Type", "text/plain; charset=utf-8");
    res.body = "Error " + std::to_string(res.status) + ". Reference: " + request.request_id;
  }
  Secure(res, false);
  return res;
}

}  // namespace vd
