#pragma once
// Pipeline: what every request passes through, in this order: language, CSRF anchor and token,
// method, static files, route match, form parsing (urlencoded, UTF-8), CSRF check, access
// (session, staff role), the handler, the staff audit entry, security headers, metrics and
// the access log (request id, method, route pattern, status, time; nothing that names a
// person). Errors become the error page here. Thread-safe once built.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "domain/audit.h"
#include "domain/staff.h"
#include "i18n/i18n.h"
#include "web/http.h"
#include "web/metrics.h"
#include "web/renderer.h"
#include "web/route.h"
#include "web/sessions.h"

namespace vd {

// The key for the throttles: the TCP peer, or X-Real-IP from `trusted_proxy`. Held in
// memory only, never logged or stored.
std::string ClientKey(const Request& req, const std::string& trusted_proxy);

struct PipelineParts {
  const Catalogs& catalogs;
  WebSessions& sessions;
  Staff& staff;
  AuditLog& audit;
  PageRenderer& page;
  const Router& router;
  Metrics* metrics = nullptr;
  bool secure_cookies = false;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineParts parts) : p_(std::move(parts)) {}

  // Reads the static files (css, js, svg) of `static_dir` into memory.
  Status LoadStatic(const std::string& static_dir);

  // The whole pipeline. kMemoryOnly answers only what needs no worker (static files, pure
  // pages already rendered) and returns nullopt for everything else.
  enum class Serving { kAll, kMemoryOnly };
  std::optional<Response> Serve(const Request& request, Serving serving);
  // The page for the HTTP server's own refusals.
  Response Refuse(const Request& request, ErrorCode code);

 private:
  struct StaticFile {
    std::string content_type;
    std::string body;
  };
  Response Dispatch(Ctx& ctx, const Route*& matched);
  std::optional<Response> FromMemory(Ctx& ctx, const Route*& matched);
  std::optional<Response> ServeStatic(std::string_view path) const;
  Status CheckAccess(Ctx& ctx, const Access& access);
  // Writes the audit entry for a staff route that ran (who, route, record id; no content).
  // Fails (and logs) when the entry could not be written.
  Status AuditStaff(Ctx& ctx, const Route& route, unsigned status);
  void Secure(Response& res, bool is_static) const;
  std::string Lang(const Request& req, std::vector<std::string>& cookies) const;

  PipelineParts p_;
  std::map<std::string, StaticFile, std::less<>> static_files_;
};

}  // namespace vd
