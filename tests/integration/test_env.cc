#include "integration/test_env.h"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>

#include "app/pepper.h"
#include "crypto/crypto.h"
#include "crypto/totp.h"

namespace vd::testing {

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::string FreshDatabase(Backend backend, const std::string& data_dir, std::string* pg_dbname) {
  if (backend == Backend::kSqlite) return "sqlite:" + data_dir + "/vertrouwd.db";
  const char* url = std::getenv("VD_TEST_PG_URL");
  const char* bin = std::getenv("VD_TEST_PG_BIN");
  if (!url || !bin) {
    if (const char* req = std::getenv("VD_REQUIRE_PG"); req && std::string(req) == "1") {
      ADD_FAILURE() << "PostgreSQL is required but VD_TEST_PG_URL/VD_TEST_PG_BIN are not set";
    } else {
      [] { GTEST_SKIP() << "no PostgreSQL (run through tests/pg/with_postgres.sh)"; }();
    }
    return "";
  }
  std::string conninfo = url;
  if (conninfo.starts_with("pg:")) conninfo = conninfo.substr(3);
  *pg_dbname = "vd_flow_" + HexEncode(RandomBytes(6));
  const std::string cmd = std::string(bin) + "/psql -q -X '" + conninfo + "' -c 'CREATE DATABASE " +
                          *pg_dbname + "' >/dev/null";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << "could not create a PostgreSQL test database";
    return "";
  }
  return "pg:" + conninfo + " dbname=" + *pg_dbname;
}

bool TestServer::Start(Backend backend) {
  EXPECT_TRUE(InitCrypto().has_value());
  data_dir = (std::filesystem::temp_directory_path() / ("vd-it-" + HexEncode(RandomBytes(6)))).string();
  std::filesystem::create_directories(data_dir);
  database_url = FreshDatabase(backend, data_dir, &pg_dbname);
  if (database_url.empty()) return false;

  log = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*log);
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  spdlog::set_level(spdlog::level::debug);

  config = DefaultConfig();
  config.data_dir = data_dir;
  config.database = database_url;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.pwhash = PwhashParams::Minimum();
  config.site.sessions.secure_cookies = false;  // plain http on loopback
  config.site.templates_dir = std::string(VD_SOURCE_DIR) + "/templates";
  config.site.static_dir = std::string(VD_SOURCE_DIR) + "/static";
  config.locale_dir = std::string(VD_BINARY_DIR) + "/locale";
  if (configure) configure(config);
  // The pepper in the temp folder (no configuration file: the data folder), as init makes it.
  if (!std::filesystem::exists(config.PepperPath()) && !CreatePepper(config.PepperPath())) {
    ADD_FAILURE() << "could not create the pepper file";
    return false;
  }
  auto rt = Runtime::Open(config, clock);
  if (!rt) {
    ADD_FAILURE() << "runtime: " << rt.error().detail;
    return false;
  }
  runtime = std::move(*rt);
  return true;
}

TestServer::~TestServer() {
  if (runtime) runtime->Stop();
  runtime.reset();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("null"));
  std::error_code ec;
  if (!data_dir.empty()) std::filesystem::remove_all(data_dir, ec);
  if (!pg_dbname.empty()) {
    std::string conninfo = std::getenv("VD_TEST_PG_URL");
    if (conninfo.starts_with("pg:")) conninfo = conninfo.substr(3);
    const std::string cmd = std::string(std::getenv("VD_TEST_PG_BIN")) + "/psql -q -X '" + conninfo +
                            "' -c 'DROP DATABASE IF EXISTS " + pg_dbname + " WITH (FORCE)' >/dev/null";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "could not drop the test database";
  }
}

void AddOrganisation(Runtime& rt, const std::string& slug, const std::string& name) {
  auto id = rt.staff().CreateOrganisation(slug, name);
  ASSERT_TRUE(id.has_value()) << id.error().detail;
}

std::string AddStaff(Runtime& rt, const std::string& username, const std::string& password,
                     Role role, const std::string& org) {
  NewUser u;
  u.username = username;
  u.password = password;
  u.role = role;
  u.organisation_slug = org;
  u.enroll_totp = true;
  auto created = rt.staff().CreateUser(u);
  EXPECT_TRUE(created.has_value()) << (created ? "" : created.error().detail);
  return created ? created->totp_base32 : "";
}

HttpResult LogIn(Client& client, const std::string& username, const std::string& password,
                 const std::string& totp_b32, int64_t now) {
  client.Get("/staff/login");
  auto secret = TotpSecretFromBase32(totp_b32);
  EXPECT_TRUE(secret.has_value()) << "bad TOTP secret in the test";
  if (!secret) return {};
  return client.Post("/staff/login", {{"csrf", client.csrf},
                                      {"username", username},
                                      {"password", password},
                                      {"code", TotpCode(*secret, now)}});
}

std::vector<std::pair<std::string, std::string>> AddAdvanceIndicatorForm(const std::string& csrf) {
  return {{"csrf", csrf},
          {"action", "add"},
          {"code", "fin.advance"},
          {"category", "money"},
          {"ilo", "9"},
          {"htcds", "debt_bondage"},
          {"name_nl", "Voorschot dat afbetaald moet worden"},
          {"explain_nl", "Ze kreeg geld vooraf."},
          {"name_en", "Advance to be paid back"},
          {"explain_en", "She was given money up front."}};
}

void ExpectSecureHeaders(const HttpResult& r, const std::string& what) {
  ASSERT_NE(r.status, 0) << what;
  const std::string csp = r.Header("content-security-policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << what;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what;
  EXPECT_NE(csp.find("base-uri 'none'"), std::string::npos) << what;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << what;
  EXPECT_EQ(csp.find("*"), std::string::npos) << what;
  EXPECT_EQ(r.Header("x-content-type-options"), "nosniff") << what;
  EXPECT_EQ(r.Header("x-frame-options"), "DENY") << what;
  EXPECT_EQ(r.Header("referrer-policy"), "no-referrer") << what;
  EXPECT_EQ(r.Header("cache-control").rfind("no-store", 0), 0u) << what;
  EXPECT_FALSE(r.Header("permissions-policy").empty()) << what;
  for (const auto& [name, value] : r.headers) {
    EXPECT_NE(name, "server") << what;
    EXPECT_NE(name, "x-powered-by") << what;
  }
}

}  // namespace vd::testing
