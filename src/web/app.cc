#include "web/app.h"
#include "web/app_internal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <kainjow/mustache.hpp>
#include <map>
#include <sstream>

#include "core/text.h"
#include "crypto/totp.h"
#include "web/errors.h"
#include "web/qr.h"

namespace vd {

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

namespace {

constexpr std::string_view kCsp =
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

}  // namespace

// ---------------------------------------------------------------------------------------
// Set-up

Status WebApp::Impl::LoadFiles() {
  namespace fs = std::filesystem;
  auto read = [](const fs::path& p) -> std::optional<std::string> {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config.templates_dir, ec)) {
    if (entry.path().extension() != ".mustache") continue;
    auto text = read(entry.path());
    if (!text) return Fail(ErrorCode::kInternal, "error.internal", "cannot read a template");
    mustache::mustache check(*text);
    if (!check.is_valid()) {
      return Fail(ErrorCode::kInternal, "error.internal",
                  "template " + entry.path().filename().string() + ": " + check.error_message());
    }
    templates[entry.path().stem().string()] = std::move(*text);
  }
  if (ec || !templates.contains("layout")) {
    return Fail(ErrorCode::kInternal, "error.internal", "templates folder has no layout");
  }
  Localize();
  // Static files are read once into memory and served by exact name only: no path from a
  // request ever reaches the file system.
  const std::map<std::string, std::string> types = {{".css", "text/css; charset=utf-8"},
                                                    {".js", "text/javascript; charset=utf-8"},
                                                    {".svg", "image/svg+xml"}};
  for (const auto& entry : fs::directory_iterator(config.static_dir, ec)) {
    auto type = types.find(entry.path().extension().string());
    if (type == types.end()) continue;
    auto text = read(entry.path());
    if (!text) return Fail(ErrorCode::kInternal, "error.internal", "cannot read a static file");
    static_files["/static/" + entry.path().filename().string()] = {type->second, std::move(*text)};
  }
  if (ec) return Fail(ErrorCode::kInternal, "error.internal", "static folder unreadable");
  return {};
}

void WebApp::Impl::Add(std::string method, std::string pattern, Access access, RouteFn fn) {
  Route r;
  r.method = std::move(method);
  for (std::string_view seg : Split(std::string_view(pattern).substr(1), '/')) {
    r.segments.emplace_back(seg);
  }
  r.pattern = std::move(pattern);
  r.access = std::move(access);
  r.fn = std::move(fn);
  routes.push_back(std::move(r));
}

void WebApp::Impl::Pure(std::string pattern, std::string page) {
  Get(std::move(pattern), Access::Public(), [this, page](Ctx& c) { return RenderPure(c, page); });
  routes.back().pure_page = std::move(page);
}

void WebApp::Impl::RegisterRoutes() {
  using R = Role;
  // Worker side: no account.
  Pure("/", "home");
  Get("/healthz", Access::Public(), [this](Ctx& c) { return Health(c); });
  Pure("/language", "language");
  Get("/start", Access::Public(), [this](Ctx& c) { return StartForm(c); });
  Post("/start", Access::Public(), [this](Ctx& c) { return StartPost(c); });
  Get("/open", Access::Public(), [this](Ctx& c) { return OpenForm(c); });
  Post("/open", Access::Public(), [this](Ctx& c) { return OpenPost(c); });
  Get("/exit", Access::Public(), [this](Ctx& c) { return Exit(c); });
  Get("/c", Access::Worker(), [this](Ctx& c) { return WorkerConversation(c); });
  Post("/c/reply", Access::Worker(), [this](Ctx& c) { return WorkerReply(c); });
  Post("/c/delete", Access::Worker(), [this](Ctx& c) { return WorkerDelete(c); });
  Post("/c/close", Access::Worker(), [this](Ctx& c) { return WorkerClose(c); });
  // Staff.
  Get("/staff/login", Access::Public(), [this](Ctx& c) { return StaffLoginForm(c); });
  Post("/staff/login", Access::Public(), [this](Ctx& c) { return StaffLoginPost(c); });
  Get("/staff/enrol", Access::Enrolling(), [this](Ctx& c) { return StaffEnrolForm(c); });
  Post("/staff/enrol", Access::Enrolling(), [this](Ctx& c) { return StaffEnrolPost(c); });
  const auto all_staff = Access::Staff({R::kAdvisor, R::kCoordinator, R::kAnalyst, R::kAdmin});
  Get("/staff", all_staff, [this](Ctx& c) { return StaffHome(c); });
  Post("/staff/logout", all_staff, [this](Ctx& c) { return StaffLogout(c); });
  Get("/staff/c/{id}", Access::Staff({R::kAdvisor}), [this](Ctx& c) { return StaffConversation(c); });
  Post("/staff/c/{id}/reply", Access::Staff({R::kAdvisor}), [this](Ctx& c) { return StaffReply(c); });
  RegisterHelpRoutes();
  RegisterContactRoutes();
  RegisterReportRoutes();
}

// ---------------------------------------------------------------------------------------
// Pipeline

std::string WebApp::Impl::Lang(const Request& req, std::vector<std::string>& cookies) const {
  const Catalogs& cat = deps.catalogs;
  if (auto q = req.Query("lang")) {
    std::string code = cat.Canonical(*q);
    if (!code.empty()) {
      cookies.push_back(sessions.CookieHeader("vd_lang", code));
      return code;
    }
  }
  if (auto c = RequestCookie(req, sessions.NamedCookie("vd_lang"))) {
    std::string code = cat.Canonical(*c);
    if (!code.empty()) return code;
  }
  return cat.Negotiate(req.Header("accept-language").value_or(""));
}

std::string WebApp::Impl::ClientKey(const Request& req) const {
  if (!config.trusted_proxy.empty() && req.client_address == config.trusted_proxy) {
    if (auto real = req.Header("x-real-ip"); real && !real->empty() && real->size() <= 64) {
      return ThrottleKey(*real);
    }
  }
  return ThrottleKey(req.client_address);
}

void WebApp::Impl::Secure(Response& res, bool is_static) const {
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
  if (config.sessions.secure_cookies) {
    res.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  }
}

Status WebApp::Impl::CheckAccess(Ctx& ctx, const Access& access) {
  if (access.kind == Access::Kind::kPublic) return {};
  Result<ActiveSession> s = sessions.Load(ctx.req);
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
      Result<StaffContext> staff = deps.staff.Context(*s->row.user_id, s->secret);
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

Response WebApp::Impl::Dispatch(Ctx& ctx, const Route*& matched) {
  const Request& req = ctx.req;
  const std::string method = req.method == "HEAD" ? "GET" : req.method;
  if (method != "GET" && method != "POST") {
    Response res = ErrorPage(ctx, Error{ErrorCode::kMethodNotAllowed, "error.method", "method"});
    res.Set("Allow", "GET, HEAD, POST");
    return res;
  }
  if (req.path.starts_with("/static/")) {
    std::optional<Response> file = method == "GET" ? ServeStatic(req.path) : std::nullopt;
    if (!file) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "static"});
    return std::move(*file);
  }

  bool path_known = false;
  matched = Match(method, req.path, ctx.params, path_known);
  if (!matched) {
    Error e = path_known ? Error{ErrorCode::kMethodNotAllowed, "error.method", "method"}
                         : Error{ErrorCode::kNotFound, "error.not_found", "no route"};
    Response res = ErrorPage(ctx, e);
    if (path_known) res.Set("Allow", "GET, HEAD, POST");
    return res;
  }

  if (method == "POST") {
    std::string_view type = req.Header("content-type").value_or("");
    type = Trim(type.substr(0, type.find(';')));
    if (type != "application/x-www-form-urlencoded") {
      return ErrorPage(ctx, Error{ErrorCode::kInvalidInput, "error.bad_form", "content type"});
    }
    Result<FormFields> form = ParseForm(req.body);
    if (!form) return ErrorPage(ctx, form.error());
    for (const auto& [name, value] : *form) {
      if (!IsValidUtf8(value) || !IsValidUtf8(name)) {
        return ErrorPage(ctx, Error{ErrorCode::kInvalidInput, "error.bad_encoding", "form utf-8"});
      }
    }
    ctx.form = std::move(*form);
    const std::string_view sent = FormValue(ctx.form, "csrf").value_or("");
    const bool anchored = RequestCookie(req, sessions.NamedCookie("vd_a")).has_value();
    if (!anchored || !ConstantTimeEqual(sent, ctx.csrf)) {
      return ErrorPage(ctx, Error{ErrorCode::kCsrf, "error.csrf", "csrf mismatch"});
    }
  }

  if (Status access = CheckAccess(ctx, matched->access); !access) {
    const Error& e = access.error();
    const bool staff_route = matched->access.kind == Access::Kind::kStaff ||
                             matched->access.kind == Access::Kind::kStaffEnrolling;
    if (staff_route && method == "GET" &&
        (e.code == ErrorCode::kUnauthorized || e.code == ErrorCode::kSessionExpired)) {
      return Redirect(ctx, "/staff/login");
    }
    Response denied = ErrorPage(ctx, e);
    if (ctx.staff && matched->access.kind == Access::Kind::kStaff) {
      AuditStaff(ctx, *matched, denied.status);
    }
    return denied;
  }
  Response res = matched->fn(ctx);
  if (matched->access.kind == Access::Kind::kStaff) AuditStaff(ctx, *matched, res.status);
  return res;
}

const Route* WebApp::Impl::Match(std::string_view method, std::string_view path,
                                 std::map<std::string, std::string>& params,
                                 bool& path_known) const {
  if (method == "HEAD") method = "GET";
  const auto path_segments = Split(path.substr(path.empty() ? 0 : 1), '/');
  path_known = false;
  for (const Route& r : routes) {
    if (r.segments.size() != path_segments.size()) continue;
    std::map<std::string, std::string> captured;
    bool ok = true;
    for (size_t i = 0; i < r.segments.size() && ok; ++i) {
      const std::string& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        if (path_segments[i].empty()) ok = false;
        captured[seg.substr(1, seg.size() - 2)] = std::string(path_segments[i]);
      } else if (seg != path_segments[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    path_known = true;
    if (r.method != method) continue;
    params = std::move(captured);
    return &r;
  }
  return nullptr;
}

std::optional<Response> WebApp::Impl::ServeStatic(std::string_view path) const {
  auto it = static_files.find(std::string(path));
  if (it == static_files.end()) return std::nullopt;
  Response res;
  res.Set("Content-Type", it->second.content_type);
  res.body = it->second.body;
  return res;
}

// What can be answered without a worker: static files and pure pages already rendered.
// Anything else (a miss, an error page, a form) is left to Dispatch on a worker.
std::optional<Response> WebApp::Impl::FromMemory(Ctx& ctx, const Route*& matched) {
  const Request& req = ctx.req;
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  if (req.path.starts_with("/static/")) return ServeStatic(req.path);
  bool path_known = false;
  const Route* route = Match(req.method, req.path, ctx.params, path_known);
  if (!route || route->pure_page.empty()) return std::nullopt;
  std::optional<Response> page = CachedPure(ctx.lang, route->pure_page);
  if (page) matched = route;
  return page;
}

// ---------------------------------------------------------------------------------------
// Rendering

mustache::data WebApp::Impl::Base(const Ctx& ctx, bool staff_page) const {
  // Built in place and moved, never copied: kainjow copies a data tree deeply, and these
  // copies were most of the landing page's cost.
  mustache::data d;
  const std::string& lang = ctx.lang;
  d["lang"] = Replace(lang, "_", "-");
  d["csrf"] = ctx.csrf;
  d["exit_url"] = config.exit_url;
  d["staff"] = mustache::data(staff_page);
  d["request_id"] = ctx.req.request_id;
  if (auto it = language_items.find(lang); it != language_items.end()) {
    d["language_items"] = it->second;
  }
  for (const Language& l : deps.catalogs.languages()) {
    if (l.code == lang) d["rtl"] = mustache::data(l.rtl);
  }
  return d;
}

void WebApp::Impl::Localize() {
  static std::atomic<uint64_t> generations{0};
  generation = ++generations;
  static const std::string open = "{{#t}}", close = "{{/t}}";
  for (const Language& lang : deps.catalogs.languages()) {
    for (const auto& [name, source] : templates) {
      std::string out;
      out.reserve(source.size() + 64);
      if (name != "layout") out += "{{#page}}";
      size_t pos = 0;
      while (true) {
        const size_t a = source.find(open, pos);
        const size_t b = a == std::string::npos ? a : source.find(close, a + open.size());
        if (b == std::string::npos) {
          out.append(source, pos, std::string::npos);
          break;
        }
        out.append(source, pos, a - pos);
        out += deps.catalogs.Translate(lang.code, source.substr(a + open.size(), b - a - open.size()));
        pos = b + close.size();
      }
      if (name != "layout") out += "{{/page}}";
      localized[lang.code + "/" + name] = std::move(out);
    }
  }
  // The language picker's items depend only on the current language: rendered once here
  // (escaped by mustache) and inserted unescaped with {{{language_items}}}.
  mustache::mustache items_tmpl(
      "{{#languages}}<li><a href=\"/?lang={{code}}\" lang=\"{{tag}}\" hreflang=\"{{tag}}\""
      "{{#current}} aria-current=\"true\"{{/current}}>{{name}}</a></li>\n{{/languages}}");
  language_items.clear();
  {
    std::unique_lock lock(pure_mu);
    pure_pages.clear();
  }
  for (const Language& current : deps.catalogs.languages()) {
    mustache::data list{mustache::data::type::list};
    for (const Language& l : deps.catalogs.languages()) {
      mustache::data item;
      item["code"] = l.code;
      item["name"] = l.native_name;
      item["tag"] = Replace(l.code, "_", "-");
      item["current"] = mustache::data(l.code == current.code);
      list.push_back(item);
    }
    mustache::data d;
    d["languages"] = std::move(list);
    language_items[current.code] = items_tmpl.render(d);
  }
}

const std::string* WebApp::Impl::LocalizedSource(const std::string& lang, std::string_view name) const {
  auto it = localized.find(lang + "/" + std::string(name));
  if (it == localized.end()) it = localized.find(deps.catalogs.default_language() + "/" + std::string(name));
  return it == localized.end() ? nullptr : &it->second;
}

namespace {

// Parsed templates per thread: kainjow's render() is not const, so each worker thread keeps
// its own parsed copy, keyed by the WebApp instance and the localized source.
mustache::mustache& Parsed(uint64_t generation, const std::string* source) {
  thread_local std::map<std::pair<uint64_t, const std::string*>, std::unique_ptr<mustache::mustache>> cache;
  auto& slot = cache[{generation, source}];
  if (!slot) slot = std::make_unique<mustache::mustache>(*source);
  return *slot;
}

}  // namespace

Response WebApp::Impl::Render(Ctx& ctx, std::string_view name, mustache::data data,
                              bool staff_page, unsigned status) {
  const std::string* page = LocalizedSource(ctx.lang, name);
  const std::string* layout = LocalizedSource(ctx.lang, "layout");
  Response res;
  res.status = status;
  if (!page || !layout) {
    spdlog::error("req {} missing template {}", ctx.req.request_id, name);
    res.status = 500;
    res.body = "Internal error. Reference: " + ctx.req.request_id;
    res.Set("Content-Type", "text/plain; charset=utf-8");
    return res;
  }
  // The page template runs inside a {{#page}} section, so it sees its own fields first and
  // the base fields (csrf, language_items...) behind them. Moved in, not copied.
  mustache::data merged = Base(ctx, staff_page);
  merged["page"] = std::move(data);
  std::string body = Parsed(generation, page).render(merged);
  merged["content"] = std::move(body);
  merged["title"] = staff_page ? std::string("vertrouwd") : config.neutral_title;
  res.body = Parsed(generation, layout).render(merged);
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response WebApp::Impl::ErrorPage(Ctx& ctx, const Error& error) {
  const unsigned status = HttpStatusFor(error.code);
  if (status >= 500) {
    spdlog::error("req {} {}: {}", ctx.req.request_id, ErrorCodeName(error.code), error.detail);
  }
  mustache::data d;
  std::string message = error.user_message.empty() ? "error.internal" : error.user_message;
  if (status >= 500) message = error.code == ErrorCode::kUnavailable ? "error.busy" : "error.internal";
  d.set("message", T(ctx, message));
  d.set("status", std::to_string(status));
  const bool staff_page = ctx.req.path.starts_with("/staff");
  d.set("back", staff_page ? "/staff" : "/");
  Response res = Render(ctx, "error", d, staff_page, status);
  if (error.code == ErrorCode::kTooManyRequests) res.Set("Retry-After", "60");
  return res;
}

Response WebApp::Impl::Redirect(Ctx& ctx, std::string_view location) const {
  Response res;
  res.status = 303;
  res.Set("Location", location);
  res.Set("Content-Type", "text/plain; charset=utf-8");
  return res;
}

// ---------------------------------------------------------------------------------------
// Worker handlers

Response WebApp::Impl::Health(Ctx& ctx) {
  // Healthy means the database answers; nothing else is revealed.
  Response res;
  res.Set("Content-Type", "text/plain; charset=utf-8");
  if (auto v = deps.store.SchemaVersion(); !v) {
    res.status = 503;
    res.body = "unavailable\n";
    return res;
  }
  res.body = "ok\n";
  return res;
}

std::optional<Response> WebApp::Impl::CachedPure(std::string_view lang, std::string_view name) {
  const std::string key = std::string(lang) + "/" + std::string(name);
  Response res;
  {
    std::shared_lock lock(pure_mu);
    auto it = pure_pages.find(key);
    if (it == pure_pages.end()) return std::nullopt;
    res.body = it->second;
  }
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response WebApp::Impl::RenderPure(Ctx& ctx, std::string_view name) {
  if (std::optional<Response> cached = CachedPure(ctx.lang, name)) return std::move(*cached);
  const std::string key = ctx.lang + "/" + std::string(name);
  // Rendered without the request's CSRF token and id, so nothing of this request can end
  // up in another's page (a template that needs them must not use RenderPure).
  Request blank = ctx.req;
  blank.request_id.clear();
  Ctx pure{blank, {}, {}, {}, {}, {}, {}, {}, {}};
  pure.lang = ctx.lang;
  Response res = Render(pure, name, mustache::data{});
  if (res.status == 200) {
    std::unique_lock lock(pure_mu);
    pure_pages.try_emplace(key, res.body);
  }
  return res;
}

Response WebApp::Impl::StartForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  Result<std::vector<Organisation>> orgs = deps.store.ListOrganisations();
  if (!orgs) return ErrorPage(ctx, orgs.error());
  const std::string chosen(FormValue(ctx.form, "organisation").value_or(""));
  mustache::data list{mustache::data::type::list};
  for (const Organisation& o : *orgs) {
    if (o.public_key.empty()) continue;  // nobody can read it yet
    mustache::data item;
    item.set("slug", o.slug);
    item.set("name", o.name);
    item.set("independent", o.slug == "independent");
    item.set("checked", chosen.empty() ? o.slug == "independent" : chosen == o.slug);
    list.push_back(item);
  }
  d.set("organisations", list);
  d.set("message", std::string(FormValue(ctx.form, "message").value_or("")));
  auto options = [&](const std::vector<std::string>& codes, std::string_view field,
                     std::string_view prefix) {
    mustache::data l{mustache::data::type::list};
    const std::string_view current = FormValue(ctx.form, field).value_or("");
    for (const std::string& code : codes) {
      mustache::data item;
      item.set("code", code);
      item.set("label", T(ctx, std::string(prefix) + code));
      item.set("selected", current == code);
      l.push_back(item);
    }
    return l;
  };
  d.set("age_bands", options(AgeBandCodes(), "age_band", "age."));
  d.set("work_settings", options(WorkSettingCodes(), "work_setting", "setting."));
  mustache::data langs{mustache::data::type::list};
  for (const Language& l : deps.catalogs.languages()) {
    mustache::data item;
    item.set("code", l.code);
    item.set("name", l.native_name);
    langs.push_back(item);
  }
  d.set("answer_languages", langs);
  d.set("max_chars", std::to_string(deps.conversations.policy().max_message_chars));
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "start", d, false, status);
}

Response WebApp::Impl::StartPost(Ctx& ctx) {
  if (!start_throttle.Allow(ClientKey(ctx.req))) {
    return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many", "start throttled"});
  }
  const std::string organisation(FormValue(ctx.form, "organisation").value_or(""));
  const std::string_view message = FormValue(ctx.form, "message").value_or("");
  StartAnswers answers;
  answers.language = std::string(FormValue(ctx.form, "answer_language").value_or(""));
  if (!answers.language.empty() && answers.language != "unsaid" &&
      deps.catalogs.Canonical(answers.language).empty()) {
    Error e{ErrorCode::kInvalidInput, "error.bad_form", "answer language"};
    return StartForm(ctx, &e);
  }
  answers.age_band = std::string(FormValue(ctx.form, "age_band").value_or(""));
  answers.work_setting = std::string(FormValue(ctx.form, "work_setting").value_or(""));
  if (organisation.empty()) {
    Error e{ErrorCode::kInvalidInput, "error.choose_organisation", "no organisation"};
    return StartForm(ctx, &e);
  }
  Result<StartedConversation> started =
      deps.conversations.Start(organisation, message, ctx.lang, answers);
  if (!started) {
    if (started.error().code == ErrorCode::kInvalidInput ||
        started.error().code == ErrorCode::kTooLarge) {
      return StartForm(ctx, &started.error());
    }
    return ErrorPage(ctx, started.error());
  }
  Result<std::string> token = sessions.Create(SessionKind::kWorker, std::nullopt,
                                              started->conversation_id, 1, started->secret_key,
                                              SecretBytes());
  if (!token) return ErrorPage(ctx, token.error());
  ctx.cookies.push_back(sessions.SetCookieHeader(*token));
  mustache::data d;
  mustache::data groups{mustache::data::type::list};
  for (size_t i = 0; i < 16; i += 4) groups.push_back(mustache::data(started->receipt.substr(i, 4)));
  d.set("groups", groups);
  d.set("receipt", GroupReceipt(started->receipt));
  d.set("expires", FormatDate(started->expires_at));
  d.set("retention_days", std::to_string(deps.conversations.policy().retention_days));
  return Render(ctx, "receipt", d);
}

Response WebApp::Impl::OpenForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "open", d, false, status);
}

Response WebApp::Impl::OpenPost(Ctx& ctx) {
  if (!receipt_throttle.Allow(ClientKey(ctx.req))) {
    return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many", "receipt throttled"});
  }
  Result<OpenedConversation> opened =
      deps.conversations.Open(FormValue(ctx.form, "receipt").value_or(""));
  if (!opened) {
    const ErrorCode code = opened.error().code;
    if (code == ErrorCode::kInvalidInput || code == ErrorCode::kNotFound) {
      return OpenForm(ctx, &opened.error());
    }
    return ErrorPage(ctx, opened.error());
  }
  // A fresh session id whenever a receipt is accepted.
  if (auto old = RequestCookie(ctx.req, sessions.cookie_name())) (void)sessions.End(*old);
  Result<std::string> token = sessions.Create(SessionKind::kWorker, std::nullopt,
                                              opened->conversation_id, 1, opened->secret_key,
                                              SecretBytes());
  if (!token) return ErrorPage(ctx, token.error());
  ctx.cookies.push_back(sessions.SetCookieHeader(*token));
  return Redirect(ctx, "/c");
}

Response WebApp::Impl::WorkerConversation(Ctx& ctx, const Error* error) {
  const int64_t id = *ctx.session->row.conversation_id;
  Result<ConversationView> view = deps.conversations.ReadAsWorker(id, ctx.session->secret);
  if (!view) {
    Error e = view.error();
    if (e.code == ErrorCode::kNotFound) e.user_message = "error.conversation_gone";
    return ErrorPage(ctx, e);
  }
  mustache::data d;
  mustache::data list{mustache::data::type::list};
  for (const PlainMessage& m : view->messages) {
    mustache::data item;
    item.set("mine", m.author == Author::kWorker);
    item.set("text", m.text);
    item.set("when", FormatDateTime(m.created_at));
    list.push_back(item);
  }
  d.set("messages", list);
  d.set("organisation", WorkerOrganisationName(ctx, view->organisation_slug, view->organisation_name));
  d.set("expires", FormatDate(view->meta.expires_at));
  d.set("answered", view->meta.status == ConversationStatus::kAnswered);
  d.set("max_chars", std::to_string(deps.conversations.policy().max_message_chars));
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    d.set("draft", std::string(FormValue(ctx.form, "message").value_or("")));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "conversation", d, false, status);
}

Response WebApp::Impl::WorkerReply(Ctx& ctx) {
  const int64_t id = *ctx.session->row.conversation_id;
  Status s = deps.conversations.WorkerReply(id, FormValue(ctx.form, "message").value_or(""));
  if (!s) {
    if (s.error().code == ErrorCode::kInvalidInput || s.error().code == ErrorCode::kTooLarge) {
      return WorkerConversation(ctx, &s.error());
    }
    Error e = s.error();
    if (e.code == ErrorCode::kNotFound) e.user_message = "error.conversation_gone";
    return ErrorPage(ctx, e);
  }
  return Redirect(ctx, "/c");
}

Response WebApp::Impl::WorkerDelete(Ctx& ctx) {
  if (FormValue(ctx.form, "confirm").value_or("") != "yes") {
    Error e{ErrorCode::kInvalidInput, "error.confirm_delete", "delete not confirmed"};
    return WorkerConversation(ctx, &e);
  }
  Status s = deps.conversations.Delete(*ctx.session->row.conversation_id);
  if (!s && s.error().code != ErrorCode::kNotFound) return ErrorPage(ctx, s.error());
  (void)sessions.End(ctx.session->token);  // usually gone already with the conversation
  ctx.cookies.push_back(sessions.ClearCookieHeader());
  Response res = Render(ctx, "deleted", mustache::data{});
  res.Set("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
  return res;
}

Response WebApp::Impl::WorkerClose(Ctx& ctx) {
  (void)sessions.End(ctx.session->token);
  ctx.cookies.push_back(sessions.ClearCookieHeader());
  Response res = Render(ctx, "closed", mustache::data{});
  res.Set("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
  return res;
}

Response WebApp::Impl::Exit(Ctx& ctx) {
  // A plain link that works without JavaScript. It changes nothing on the server (GET);
  // the browser drops the cookies, and an abandoned session idles out.
  ctx.cookies.push_back(sessions.ClearCookieHeader());
  ctx.cookies.push_back(sessions.ClearCookieHeader("vd_lang"));
  ctx.cookies.push_back(sessions.ClearCookieHeader("vd_a"));
  Response res = Redirect(ctx, config.exit_url);
  res.Set("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
  return res;
}

// ---------------------------------------------------------------------------------------
// Staff handlers

Response WebApp::Impl::StaffLoginForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  d.set("username", std::string(FormValue(ctx.form, "username").value_or("")));
  return Render(ctx, "staff_login", d, true, status);
}

Response WebApp::Impl::StaffLoginPost(Ctx& ctx) {
  if (!login_throttle.Allow(ClientKey(ctx.req))) {
    return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many", "login throttled"});
  }
  const std::string_view username = FormValue(ctx.form, "username").value_or("");
  const std::string_view password = FormValue(ctx.form, "password").value_or("");
  const std::string_view code = FormValue(ctx.form, "code").value_or("");
  Result<LoginOutcome> login = deps.staff.Login(username, password, code);
  if (!login) {
    const ErrorCode c = login.error().code;
    if (c == ErrorCode::kUnauthorized || c == ErrorCode::kLocked) {
      return StaffLoginForm(ctx, &login.error());
    }
    return ErrorPage(ctx, login.error());
  }
  if (auto old = RequestCookie(ctx.req, sessions.cookie_name())) (void)sessions.End(*old);
  Result<std::string> token = [&]() -> Result<std::string> {
    if (login->stage == LoginStage::kNeedsTotpEnrolment) {
      // Keep the password key and a fresh TOTP secret until the first code is confirmed.
      SecretBytes totp = NewTotpSecret();
      SecretBytes pending(login->wrap_key.size() + totp.size());
      std::copy_n(login->wrap_key.data(), login->wrap_key.size(), pending.data());
      std::copy_n(totp.data(), totp.size(), pending.data() + login->wrap_key.size());
      return sessions.Create(SessionKind::kStaff, login->user.id, std::nullopt, 0, SecretBytes(),
                             pending);
    }
    Result<StaffContext> staff = deps.staff.Context(login->user.id, login->user_secret_key,
                                                    Staff::Colleagues::kGrantWaiting);
    if (!staff) return std::unexpected(staff.error());
    return sessions.Create(SessionKind::kStaff, login->user.id, std::nullopt, 1,
                           login->user_secret_key, SecretBytes());
  }();
  if (!token) return ErrorPage(ctx, token.error());
  ctx.cookies.push_back(sessions.SetCookieHeader(*token));
  spdlog::info("req {} staff login user_id={}", ctx.req.request_id, login->user.id);
  if (login->stage == LoginStage::kLoggedIn) {
    if (Status s = audit.Record(login->user.id, "staff.login", ""); !s) {
      spdlog::error("req {} audit failed: {}", ctx.req.request_id, s.error().detail);
    }
  }
  return Redirect(ctx, login->stage == LoginStage::kNeedsTotpEnrolment ? "/staff/enrol" : "/staff");
}

Response WebApp::Impl::StaffEnrolForm(Ctx& ctx, const Error* error) {
  const SecretBytes& pending = ctx.session->pending;
  if (pending.size() != 32 + 20) {
    return ErrorPage(ctx, Error{ErrorCode::kSessionExpired, "error.session_expired", "enrol data"});
  }
  SecretBytes totp(pending.data() + 32, 20);
  Result<User> user = deps.store.FindUserById(*ctx.session->row.user_id);
  if (!user) return ErrorPage(ctx, user.error());
  mustache::data d;
  const std::string uri = OtpauthUri("vertrouwd", user->username, totp);
  d.set("qr", QrSvg(uri, T(ctx, "QR code for your authenticator app")));
  std::string secret = TotpSecretBase32(totp);
  std::string grouped;
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i && i % 4 == 0) grouped += ' ';
    grouped += secret[i];
  }
  d.set("secret", grouped);
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_enrol", d, true, status);
}

Response WebApp::Impl::StaffEnrolPost(Ctx& ctx) {
  const SecretBytes& pending = ctx.session->pending;
  if (pending.size() != 32 + 20) {
    return ErrorPage(ctx, Error{ErrorCode::kSessionExpired, "error.session_expired", "enrol data"});
  }
  SecretBytes wrap_key(pending.data(), 32);
  SecretBytes totp(pending.data() + 32, 20);
  const int64_t user_id = *ctx.session->row.user_id;
  Result<SecretBytes> secret = deps.staff.CompleteEnrolment(
      user_id, wrap_key, totp, FormValue(ctx.form, "code").value_or(""));
  if (!secret) {
    if (secret.error().code == ErrorCode::kInvalidInput) return StaffEnrolForm(ctx, &secret.error());
    return ErrorPage(ctx, secret.error());
  }
  Result<StaffContext> staff =
      deps.staff.Context(user_id, *secret, Staff::Colleagues::kGrantWaiting);
  if (!staff) return ErrorPage(ctx, staff.error());
  (void)sessions.End(ctx.session->token);
  Result<std::string> token =
      sessions.Create(SessionKind::kStaff, user_id, std::nullopt, 1, *secret, SecretBytes());
  if (!token) return ErrorPage(ctx, token.error());
  ctx.cookies.push_back(sessions.SetCookieHeader(*token));
  return Redirect(ctx, "/staff");
}

Response WebApp::Impl::StaffHome(Ctx& ctx) {
  const StaffContext& staff = *ctx.staff;
  mustache::data d;
  d.set("username", staff.user.username);
  d.set("role", T(ctx, "role." + std::string(RoleName(staff.user.role))));
  const bool advisor = staff.user.role == Role::kAdvisor;
  d.set("coordinator", staff.user.role == Role::kCoordinator);
  d.set("advisor", advisor);
  if (advisor) {
    d.set("has_key", staff.org_key.has_value());
    if (staff.user.organisation_id) {
      if (auto org = deps.store.FindOrganisationById(*staff.user.organisation_id)) {
        d.set("organisation", org->name);
      }
    }
    std::optional<ConversationStatus> filter;
    std::string current = "all";
    if (auto q = ctx.req.Query("status")) {
      filter = ParseConversationStatus(*q);
      if (filter) current = std::string(*q);
    }
    mustache::data tabs{mustache::data::type::list};
    for (std::string_view s : {"all", "new", "waiting", "answered"}) {
      mustache::data tab;
      tab.set("code", std::string(s));
      tab.set("label", T(ctx, "inbox." + std::string(s)));
      tab.set("current", current == s);
      tabs.push_back(tab);
    }
    d.set("tabs", tabs);
    if (staff.org_key) {
      Result<std::vector<InboxEntry>> inbox = deps.conversations.Inbox(staff, filter);
      if (!inbox) return ErrorPage(ctx, inbox.error());
      mustache::data rows{mustache::data::type::list};
      std::map<int64_t, std::string> counts;  // plural forms, translated once per count
      for (const InboxEntry& e : *inbox) {
        mustache::data row;
        row.set("id", e.public_id);
        row.set("status", T(ctx, "inbox." + std::string(ConversationStatusName(e.status))));
        row.set("status_code", std::string(ConversationStatusName(e.status)));
        row.set("language", e.language);
        row.set("started", FormatDateTime(e.created_at));
        row.set("activity", FormatDateTime(e.last_activity_at));
        auto [count, fresh] = counts.try_emplace(e.message_count);
        if (fresh) {
          count->second = Replace(deps.catalogs.TranslatePlural(ctx.lang, "{{n}} message",
                                                                "{{n}} messages", e.message_count),
                                  "{{n}}", std::to_string(e.message_count));
        }
        row.set("count", count->second);
        rows.push_back(row);
      }
      d.set("rows", rows);
      d.set("empty", inbox->empty());
      d.set("full_page", inbox->size() >= static_cast<size_t>(kInboxPageSize));
    }
  }
  AddStaffHomeContacts(ctx, d);
  return Render(ctx, "staff_home", d, true);
}

Response WebApp::Impl::StaffConversation(Ctx& ctx, const Error* error) {
  const std::string& id = ctx.params["id"];
  Result<ConversationView> view = deps.conversations.ReadAsAdvisor(*ctx.staff, id);
  if (!view) return ErrorPage(ctx, view.error());
  mustache::data d;
  d.set("id", id);
  mustache::data list{mustache::data::type::list};
  for (const PlainMessage& m : view->messages) {
    mustache::data item;
    item.set("worker", m.author == Author::kWorker);
    item.set("text", m.text);
    item.set("when", FormatDateTime(m.created_at));
    list.push_back(item);
  }
  d.set("messages", list);
  d.set("status", T(ctx, "inbox." + std::string(ConversationStatusName(view->meta.status))));
  d.set("language", view->meta.language);
  auto answer = [&](const std::string& value, std::string_view prefix) {
    if (value.empty()) return T(ctx, "answer.not_asked");
    if (value == "unsaid") return T(ctx, "answer.unsaid");
    return prefix.empty() ? value : T(ctx, std::string(prefix) + value);
  };
  d.set("answer_language", answer(view->meta.answer_language, ""));
  d.set("answer_age", answer(view->meta.answer_age_band, "age."));
  d.set("answer_setting", answer(view->meta.answer_work_setting, "setting."));
  d.set("expires", FormatDate(view->meta.expires_at));
  if (error) {
    d.set("error", T(ctx, error->user_message));
    d.set("draft", std::string(FormValue(ctx.form, "message").value_or("")));
  }
  return Render(ctx, "staff_conversation", d, true, error ? HttpStatusFor(error->code) : 200);
}

Response WebApp::Impl::StaffReply(Ctx& ctx) {
  const std::string& id = ctx.params["id"];
  Status s = deps.conversations.AdvisorReply(*ctx.staff, id,
                                             FormValue(ctx.form, "message").value_or(""));
  if (!s) {
    if (s.error().code == ErrorCode::kInvalidInput || s.error().code == ErrorCode::kTooLarge) {
      return StaffConversation(ctx, &s.error());
    }
    return ErrorPage(ctx, s.error());
  }
  spdlog::info("req {} advisor reply user_id={}", ctx.req.request_id, ctx.staff->user.id);
  return Redirect(ctx, "/staff/c/" + id);
}

Response WebApp::Impl::StaffLogout(Ctx& ctx) {
  (void)sessions.End(ctx.session->token);
  ctx.cookies.push_back(sessions.ClearCookieHeader());
  Response res = Redirect(ctx, "/staff/login");
  res.Set("Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
  return res;
}

// ---------------------------------------------------------------------------------------
// WebApp

WebApp::WebApp(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebApp::~WebApp() = default;

Result<std::unique_ptr<WebApp>> WebApp::Create(WebDeps deps, SiteConfig config) {
  auto impl = std::make_unique<Impl>(deps, std::move(config));
  if (Status s = impl->LoadFiles(); !s) return std::unexpected(s.error());
  Result<std::string> key = deps.store.GetOrCreateSetting("csrf_key", Base64Encode(RandomBytes(32)));
  if (!key) return std::unexpected(key.error());
  Result<std::string> raw = Base64Decode(*key);
  if (!raw || raw->size() != 32) {
    return Fail(ErrorCode::kInternal, "error.internal", "csrf key setting is malformed");
  }
  impl->csrf_key = std::move(*raw);
  std::vector<std::string> languages;
  for (const Language& l : deps.catalogs.languages()) languages.push_back(l.code);
  if (Result<int> loaded = impl->help.LoadShipped(impl->config.help_dir, languages); !loaded) {
    return std::unexpected(loaded.error());
  }
  if (Status s = impl->LoadContactData(); !s) return std::unexpected(s.error());
  if (Status s = impl->LoadOrganisationNames(); !s) return std::unexpected(s.error());
  impl->RegisterRoutes();
  return std::unique_ptr<WebApp>(new WebApp(std::move(impl)));
}

Response WebApp::Handle(const Request& request) { return *impl_->Serve(request, false); }

std::optional<Response> WebApp::HandleFromMemory(const Request& request) {
  return impl_->Serve(request, true);
}

std::optional<Response> WebApp::Impl::Serve(const Request& request, bool memory_only) {
  const auto started = std::chrono::steady_clock::now();
  Ctx ctx{request, {}, {}, {}, {}, {}, {}, {}, {}};
  const Route* matched = nullptr;
  Response res;
  try {
    ctx.lang = Lang(request, ctx.cookies);
    // The CSRF anchor: a random browser-session cookie; forms carry a keyed hash of it.
    std::optional<std::string> anchor = RequestCookie(request, sessions.NamedCookie("vd_a"));
    if (!anchor || anchor->size() < 20 || anchor->size() > 64) {
      anchor = RandomToken(24);
      ctx.cookies.push_back(sessions.CookieHeader("vd_a", *anchor));
    }
    if (memory_only) {
      // Pages served from memory carry no form, so they need no CSRF token.
      std::optional<Response> from_memory = FromMemory(ctx, matched);
      if (!from_memory) return std::nullopt;
      res = std::move(*from_memory);
    } else {
      ctx.csrf = Base64Encode(KeyedHash(csrf_key, "vd.csrf", *anchor));
      res = Dispatch(ctx, matched);
    }
  } catch (const std::exception& e) {
    if (memory_only) return std::nullopt;  // a worker tries again, and logs what it meets
    spdlog::error("req {} exception: {}", request.request_id, e.what());
    res = RefusePage(request, ErrorCode::kInternal);
  }
  for (const std::string& cookie : ctx.cookies) res.Add("Set-Cookie", cookie);
  Secure(res, request.path.starts_with("/static/"));
  const auto ms = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count() /
                  1000.0;
  if (deps.metrics) {
    deps.metrics->Observe(request.method == "GET" || request.method == "POST" || request.method == "HEAD"
                                 ? request.method
                                 : "other",
                             matched ? matched->pattern
                                     : (request.path.starts_with("/static/") ? "/static/*" : "(unmatched)"),
                             res.status, ms / 1000.0);
  }
  spdlog::info("req {} {} {} {} {:.1f}ms", request.request_id,
               request.method.size() <= 8 ? request.method : std::string("?"),
               matched ? matched->pattern : std::string(request.path.starts_with("/static/")
                                                            ? "/static/*"
                                                            : "(unmatched)"),
               res.status, ms);
  return res;
}

Response WebApp::Refuse(const Request& request, ErrorCode code) {
  return impl_->RefusePage(request, code);
}

Response WebApp::Impl::RefusePage(const Request& request, ErrorCode code) {
  Ctx ctx{request, {}, {}, {}, {}, {}, {}, {}, {}};
  Response res;
  try {
    ctx.lang = Lang(request, ctx.cookies);
    ctx.cookies.clear();
    std::string message = "error.internal";
    switch (code) {
      case ErrorCode::kTooLarge: message = "error.too_large"; break;
      case ErrorCode::kInvalidInput: message = "error.bad_request"; break;
      case ErrorCode::kUnavailable: message = "error.busy"; break;
      case ErrorCode::kTooManyRequests: message = "error.too_many"; break;
      default: break;
    }
    res = ErrorPage(ctx, Error{code, message, "refused by the HTTP layer"});
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
