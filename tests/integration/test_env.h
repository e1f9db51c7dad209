#pragma once
// Shared set-up for integration tests: a temporary data folder, a fresh database on the
// requested backend (SQLite file, or a new database on the PostgreSQL server started by
// tests/pg/with_postgres.sh), and a running server on a loopback port with a fake clock.

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/runtime.h"
#include "core/clock.h"
#include "integration/http_client.h"

namespace vd::testing {

enum class Backend { kSqlite, kPostgres };
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// The database URL for a fresh, empty database, or "" (after GTEST_SKIP/ADD_FAILURE) when
// PostgreSQL is asked for but not available.
std::string FreshDatabase(Backend backend, const std::string& data_dir, std::string* pg_dbname);

struct TestServer {
  std::string data_dir;
  std::string database_url;
  std::string pg_dbname;
  FakeClock clock{1798761600};  // 2027-01-01T00:00:00Z
  Config config;
  std::unique_ptr<Runtime> runtime;
  uint16_t port = 0;
  std::shared_ptr<std::ostringstream> log;  // everything the server logged
  // Optional: adjusts the configuration after the test defaults, before the runtime opens.
  std::function<void(Config&)> configure;

  // Returns false (with a test failure or skip recorded) if the server could not start.
  bool Start(Backend backend);
  ~TestServer();
};

// Creates an organisation and returns nothing; aborts the test on failure.
void AddOrganisation(Runtime& rt, const std::string& slug, const std::string& name);
// Creates a staff member with TOTP enrolled; returns the base32 TOTP secret.
std::string AddStaff(Runtime& rt, const std::string& username, const std::string& password,
                     Role role, const std::string& org);

// Staff login through the real form: fetches /staff/login for the CSRF token, then posts
// the username, password and the TOTP code for `totp_b32` at `now`. Returns the POST's result
// (303 to /staff on success); the client keeps the session cookie.
HttpResult LogIn(Client& client, const std::string& username, const std::string& password,
                 const std::string& totp_b32, int64_t now);

// The indicator-list form (POST /staff/indicators) that adds "fin.advance" to the money
// category (ILO 9, debt bondage), named and explained in nl and en only.
std::vector<std::pair<std::string, std::string>> AddAdvanceIndicatorForm(const std::string& csrf);

// The headers every response must carry, whatever its route and status: CSP default-src
// 'none' without wildcards or inline code, nosniff, frame DENY, no referrer, no-store, a
// permissions policy, and no Server or X-Powered-By header. `what` names the request.
void ExpectSecureHeaders(const HttpResult& r, const std::string& what);

}  // namespace vd::testing
