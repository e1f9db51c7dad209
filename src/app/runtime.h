#pragma once
// Runtime: the one place where the concrete pieces are wired together (store, catalogs,
// domain services, web app, HTTP server). Used by main() and by the integration tests,
// so tests run exactly what production runs.

#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "core/clock.h"
#include "domain/argon2_gate.h"
#include "domain/audit.h"
#include "domain/contacts.h"
#include "domain/conversations.h"
#include "domain/help_pages.h"
#include "domain/indicators.h"
#include "domain/sessions.h"
#include "domain/staff.h"
#include "i18n/i18n.h"
#include "store/store.h"
#include "web/app.h"
#include "web/http.h"
#include "web/metrics.h"

namespace vd {

class Runtime {
 public:
  // Opens the store (running migrations), loads catalogs and templates.
  static Result<std::unique_ptr<Runtime>> Open(const Config& config, const Clock& clock);
  ~Runtime();

  // Starts the HTTP server (and the metrics listener, if configured); returns the bound port.
  Result<uint16_t> Start();
  // The metrics listener's bound port (0 if none).
  uint16_t metrics_port() const { return metrics_port_; }
  Metrics& metrics() { return metrics_; }
  void Stop();
  void Wait();
  // Retention and session clean-up; run periodically. Runs once across all servers on one
  // database (an advisory lock); a server that finds it taken skips this round.
  Status Maintain();

  Store& store() { return *store_; }
  Staff& staff() { return *staff_; }
  Conversations& conversations() { return *conversations_; }
  AuditLog& audit() { return *audit_; }
  WebApp& web() { return *web_; }
  const Catalogs& catalogs() const { return *catalogs_; }
  const Config& config() const { return config_; }

 private:
  Runtime(const Config& config, const Clock& clock);
  Status MaintainNow();
  Config config_;
  const Clock& clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Catalogs> catalogs_;
  std::unique_ptr<Argon2Gate> gate_;
  std::unique_ptr<Conversations> conversations_;
  std::unique_ptr<Staff> staff_;
  std::unique_ptr<Sessions> sessions_;
  std::unique_ptr<IndicatorCatalog> indicator_catalog_;
  std::unique_ptr<IndicatorLists> indicators_;
  std::unique_ptr<Contacts> contacts_;
  std::unique_ptr<HelpPages> help_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<report::Reports> reports_;  // before web_, which refers to it
  std::unique_ptr<WebApp> web_;
  std::unique_ptr<HttpServer> server_;
  Metrics metrics_;
  std::unique_ptr<HttpServer> metrics_server_;
  uint16_t metrics_port_ = 0;
};

struct DemoLogin {
  std::string username;
  std::string password;
  std::string role;
  std::string organisation;
  std::string totp_base32;
};

// Seeds the three demo organisations and demo staff unless already present; returns the
// logins (kept in <data_dir>/demo-logins.txt so a restarted demo can print them again).
Result<std::vector<DemoLogin>> SeedDemo(Runtime& runtime, const std::string& data_dir);

}  // namespace vd
