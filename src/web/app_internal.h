#pragma once
// Internals of WebApp shared by the .cc files that implement its pages (app.cc and one
// file per area, e.g. contact records). Not for use outside src/web. Handlers are Impl
// methods; each area declares its handlers here and registers its routes in
// Impl::RegisterRoutes, where the role every route needs is stated.

#include <functional>
#include <kainjow/mustache.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "domain/audit.h"
#include "domain/contacts.h"
#include "domain/help_pages.h"
#include "domain/indicators.h"
#include "report/render.h"
#include "web/app.h"

namespace vd {

namespace mustache = kainjow::mustache;

std::string Replace(std::string text, std::string_view from, std::string_view to);

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

struct StaticFile {
  std::string content_type;
  std::string body;
};

// Everything one request carries through the pipeline.
struct Ctx {
  const Request& req;
  std::string lang;
  std::string csrf;
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
  // Set for pages that depend on the language only (RenderPure): once rendered they are
  // answered from memory, on the I/O thread, without a worker.
  std::string pure_page;
};

struct WebApp::Impl {
  Impl(WebDeps d, SiteConfig c)
      : deps(d),
        config(std::move(c)),
        sessions(d.store, d.clock, config.sessions),
        receipt_throttle(d.clock, config.receipt_per_client, config.receipt_global),
        login_throttle(d.clock, config.login_per_client, config.login_global),
        start_throttle(d.clock, config.start_per_client, config.start_global) {}

  WebDeps deps;
  SiteConfig config;
  Sessions sessions;
  Throttle receipt_throttle;
  Throttle login_throttle;
  Throttle start_throttle;
  std::string csrf_key;
  std::map<std::string, std::string, std::less<>> templates;
  // Each template with its {{#t}}msgid{{/t}} sections already translated, per language
  // ("nl/start"); page templates are wrapped in {{#page}}. Built once at start, so a request
  // renders pre-parsed templates instead of translating and re-parsing every section.
  std::map<std::string, std::string, std::less<>> localized;
  // The language picker's <li> items per current language, rendered at Localize().
  std::map<std::string, std::string, std::less<>> language_items;
  uint64_t generation = 0;  // tells this instance's parsed templates apart in thread caches
  void Localize();
  const std::string* LocalizedSource(const std::string& lang, std::string_view name) const;
  std::map<std::string, StaticFile, std::less<>> static_files;
  std::vector<Route> routes;
  HelpPages help{deps.store, deps.clock};
  // Contact records, indicator list, referral directory, audit (contact_pages.cc).
  IndicatorCatalog indicators;
  Contacts contacts{deps.store, deps.clock, indicators};
  AuditLog audit{deps.store, deps.clock};

  // --- set-up -------------------------------------------------------------------------
  Status LoadFiles();
  void RegisterRoutes();
  void Add(std::string method, std::string pattern, Access access, RouteFn fn);
  void Get(std::string pattern, Access access, RouteFn fn) {
    Add("GET", std::move(pattern), std::move(access), std::move(fn));
  }
  void Post(std::string pattern, Access access, RouteFn fn) {
    Add("POST", std::move(pattern), std::move(access), std::move(fn));
  }

  // A public GET page that depends on the language only: RenderPure(page).
  void Pure(std::string pattern, std::string page);

  // --- pipeline -----------------------------------------------------------------------
  // Handle's whole pipeline. With `memory_only` it answers only what needs no worker (static
  // files, pure pages already rendered) and returns nullopt for everything else.
  std::optional<Response> Serve(const Request& request, bool memory_only);
  Response RefusePage(const Request& request, ErrorCode code);
  Response Dispatch(Ctx& ctx, const Route*& matched);
  std::optional<Response> FromMemory(Ctx& ctx, const Route*& matched);
  // The route for `method` (HEAD counts as GET) and `path`, with its captured segments;
  // `path_known` tells whether another method would have matched.
  const Route* Match(std::string_view method, std::string_view path,
                     std::map<std::string, std::string>& params, bool& path_known) const;
  std::optional<Response> ServeStatic(std::string_view path) const;
  Status CheckAccess(Ctx& ctx, const Access& access);
  void Secure(Response& res, bool is_static) const;
  std::string Lang(const Request& req, std::vector<std::string>& cookies) const;
  // The key for the throttles: the TCP peer, or X-Real-IP from the trusted proxy. Held in
  // memory only, never logged or stored.
  std::string ClientKey(const Request& req) const;

  // --- rendering ----------------------------------------------------------------------
  std::string T(const Ctx& ctx, std::string_view msgid) const {
    return deps.catalogs.Translate(ctx.lang, msgid);
  }
  mustache::data Base(const Ctx& ctx, bool staff_page) const;
  Response Render(Ctx& ctx, std::string_view name, mustache::data data, bool staff_page = false,
                  unsigned status = 200);
  // For pages whose HTML depends only on the language and the configuration (no form, no
  // session, no database): rendered once per language and served from memory after that.
  Response RenderPure(Ctx& ctx, std::string_view name);
  // The page for `lang` once RenderPure has rendered it, as its response; else nullopt.
  std::optional<Response> CachedPure(std::string_view lang, std::string_view name);
  std::shared_mutex pure_mu;
  std::map<std::string, std::string, std::less<>> pure_pages;  // "lang/name" -> HTML
  Response ErrorPage(Ctx& ctx, const Error& error);
  Response Redirect(Ctx& ctx, std::string_view location) const;

  // --- handlers -----------------------------------------------------------------------
  Response Health(Ctx& ctx);
  Response Help(Ctx& ctx);
  Response StartForm(Ctx& ctx, const Error* error = nullptr);
  Response StartPost(Ctx& ctx);
  Response OpenForm(Ctx& ctx, const Error* error = nullptr);
  Response OpenPost(Ctx& ctx);
  Response WorkerConversation(Ctx& ctx, const Error* error = nullptr);
  Response WorkerReply(Ctx& ctx);
  Response WorkerDelete(Ctx& ctx);
  Response WorkerClose(Ctx& ctx);
  Response Exit(Ctx& ctx);
  Response StaffLoginForm(Ctx& ctx, const Error* error = nullptr);
  Response StaffLoginPost(Ctx& ctx);
  Response StaffEnrolForm(Ctx& ctx, const Error* error = nullptr);
  Response StaffEnrolPost(Ctx& ctx);
  Response StaffHome(Ctx& ctx);
  Response StaffConversation(Ctx& ctx, const Error* error = nullptr);
  Response StaffReply(Ctx& ctx);
  Response StaffLogout(Ctx& ctx);
  // Help pages (help_routes.cc): worker pages and the coordinators' editor.
  void RegisterHelpRoutes();
  Response HelpTopic(Ctx& ctx);
  Response StaffHelpIndex(Ctx& ctx);
  Response StaffHelpEdit(Ctx& ctx, const Error* error = nullptr);
  Response StaffHelpSave(Ctx& ctx);
  // Organisation names as workers see them, per language (<help_dir>/organisations.txt):
  // slug -> language -> name. An organisation or language missing there shows the stored name.
  std::map<std::string, std::map<std::string, std::string>, std::less<>> organisation_names;
  Status LoadOrganisationNames();
  std::string WorkerOrganisationName(const Ctx& ctx, std::string_view slug,
                                     const std::string& stored) const;
  // Contact records, directory, indicator list, users, audit (contact_pages.cc).
  Status LoadContactData();
  void RegisterContactRoutes();
  // Writes the audit entry for a staff route that ran (who, route, record id; no content).
  void AuditStaff(Ctx& ctx, const Route& route, unsigned status);
  void AddStaffHomeContacts(Ctx& ctx, mustache::data& d);
  Response ContactList(Ctx& ctx);
  Response ContactForm(Ctx& ctx, const Error* error = nullptr);
  Response ContactPost(Ctx& ctx);
  Response ContactShow(Ctx& ctx);
  Response FollowUpDonePost(Ctx& ctx);
  Response DirectoryPage(Ctx& ctx, const Error* error = nullptr);
  Response DirectoryPost(Ctx& ctx);
  Response DirectoryActivePost(Ctx& ctx);
  Response IndicatorsPage(Ctx& ctx, const Error* error = nullptr);
  Response IndicatorsPost(Ctx& ctx);
  // Picks up list versions another server saved (one settings lookup when there are none).
  void RefreshIndicators();
  Response UsersPage(Ctx& ctx, const Error* error = nullptr);
  Response UsersPost(Ctx& ctx);
  Response UserDisablePost(Ctx& ctx);
  Response AuditPage(Ctx& ctx);
  // Reports: releases, preview, publish, downloads, internal view, population estimates
  // (report_routes.cc).
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
