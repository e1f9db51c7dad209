// The whole anonymous conversation, end to end, against a real server on loopback, on
// SQLite and on PostgreSQL; then what a stolen database or log would reveal (nothing).

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

constexpr char kCanaryWorker[] = "CANARYworkerPHRASE-7b1e";
constexpr char kCanaryAdvisor[] = "CANARYadvisorPHRASE-93ac";
constexpr char kCanaryReply[] = "CANARYsecondWORKER-55d0";
constexpr char kCanaryIp[] = "203.0.113.77";
constexpr char kCanaryAgent[] = "CanaryAgent/9.9 (canary-ua)";
constexpr char kPassword[] = "correct horse battery staple";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class FlowTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "independent", "Onafhankelijke vertrouwenspersonen");
    AddOrganisation(rt, "shop", "SHOP");
    AddOrganisation(rt, "dehaven", "De Haven");
    haven_totp_ = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    shop_totp_ = AddStaff(rt, "advisor.shop", kPassword, Role::kAdvisor, "shop");
    AddStaff(rt, "advisor.independent", kPassword, Role::kAdvisor, "independent");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client Worker() {
    Client c(port_);
    c.extra_headers["X-Forwarded-For"] = kCanaryIp;
    c.extra_headers["User-Agent"] = kCanaryAgent;
    c.extra_headers["Accept-Language"] = "en";
    return c;
  }

  Client LoggedIn(const std::string& username, const std::string& totp_b32) {
    Client c = Worker();
    HttpResult r = LogIn(c, username, kPassword, totp_b32, server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    EXPECT_EQ(r.Header("location"), "/staff");
    return c;
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::string haven_totp_, shop_totp_;
};

TEST_P(FlowTest, WorkerAndAdvisorConverseThenTheWorkerDeletesEverything) {
  if (!server_.runtime) return;
  // A worker starts a conversation with De Haven.
  Client worker = Worker();
  HttpResult form = worker.Get("/start");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("De Haven"), std::string::npos);
  HttpResult started = worker.Post("/start", {{"csrf", worker.csrf},
                                              {"organisation", "dehaven"},
                                              {"message", std::string("Hello, ") + kCanaryWorker},
                                              {"answer_language", "en"},
                                              {"age_band", "25-34"},
                                              {"work_setting", "unsaid"}});
  ASSERT_EQ(started.status, 200) << started.body;
  std::string receipt;
  for (const std::string& group : {Extract(started.body, "<span>([0-9]{4})</span> <span>"),
                                   Extract(started.body, "<span>[0-9]{4}</span> <span>([0-9]{4})"),
                                   Extract(started.body, "(?:<span>[0-9]{4}</span> ){2}<span>([0-9]{4})"),
                                   Extract(started.body, "(?:<span>[0-9]{4}</span> ){3}<span>([0-9]{4})")}) {
    receipt += group;
  }
  ASSERT_EQ(receipt.size(), 16u) << started.body;
  EXPECT_EQ(started.Header("cache-control").find("no-store"), 0u);

  // The advisor of De Haven logs in with TOTP, finds it, reads and replies.
  Client haven = LoggedIn("advisor.dehaven", haven_totp_);
  HttpResult inbox = haven.Get("/staff");
  ASSERT_EQ(inbox.status, 200);
  const std::string id = Extract(inbox.body, "href=\"/staff/c/([A-Za-z0-9_-]+)\"");
  ASSERT_FALSE(id.empty()) << inbox.body;
  HttpResult read = haven.Get("/staff/c/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_NE(read.body.find(kCanaryWorker), std::string::npos);
  HttpResult replied = haven.Post("/staff/c/" + id + "/reply",
                                  {{"csrf", haven.csrf}, {"message", std::string("Reply ") + kCanaryAdvisor}});
  EXPECT_EQ(replied.status, 303);
  server_.clock.Advance(31);  // next TOTP step for the next login

  // An advisor of SHOP may not open it.
  Client shop = LoggedIn("advisor.shop", shop_totp_);
  EXPECT_EQ(shop.Get("/staff/c/" + id).status, 403);
  HttpResult shop_inbox = shop.Get("/staff");
  EXPECT_EQ(shop_inbox.body.find(id), std::string::npos);
  EXPECT_EQ(shop.Post("/staff/c/" + id + "/reply", {{"csrf", shop.csrf}, {"message", "x"}}).status, 403);

  // The worker returns on another device with the receipt, reads the reply and replies.
  Client back = Worker();
  back.Get("/open");
  HttpResult opened = back.Post("/open", {{"csrf", back.csrf}, {"receipt", receipt.substr(0, 4) + " " + receipt.substr(4)}});
  ASSERT_EQ(opened.status, 303) << opened.body;
  HttpResult conv = back.Get("/c");
  ASSERT_EQ(conv.status, 200);
  EXPECT_NE(conv.body.find(kCanaryAdvisor), std::string::npos);
  EXPECT_NE(conv.body.find(kCanaryWorker), std::string::npos);
  EXPECT_EQ(back.Post("/c/reply", {{"csrf", back.csrf}, {"message", kCanaryReply}}).status, 303);
  EXPECT_NE(back.Get("/c").body.find(kCanaryReply), std::string::npos);
  EXPECT_NE(haven.Get("/staff/c/" + id).body.find(kCanaryReply), std::string::npos);

  // Canary check while the conversation exists: nothing readable at rest or in the log.
  auto scan = [&](const std::string& what, const std::string& haystack) {
    for (const std::string& needle :
         {std::string(kCanaryWorker), std::string(kCanaryAdvisor), std::string(kCanaryReply),
          std::string(kCanaryIp), std::string(kCanaryAgent), receipt,
          receipt.substr(0, 4) + " " + receipt.substr(4, 4)}) {
      EXPECT_EQ(haystack.find(needle), std::string::npos) << what << " contains " << needle;
    }
  };
  std::string at_rest;
  if (GetParam() == Backend::kSqlite) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      at_rest += ReadFile(server_.data_dir + "/vertrouwd.db" + suffix);
    }
    EXPECT_GT(at_rest.size(), 4096u);
  } else {
    std::string conninfo = std::getenv("VD_TEST_PG_URL");
    conninfo = conninfo.substr(3) + " dbname=" + server_.pg_dbname;
    const std::string dump = server_.data_dir + "/dump.sql";
    const std::string cmd = std::string(std::getenv("VD_TEST_PG_BIN")) + "/pg_dump '" + conninfo + "' > " + dump;
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    at_rest = ReadFile(dump);
    EXPECT_NE(at_rest.find("COPY public.messages"), std::string::npos);
  }
  scan("database", at_rest);
  // Every file the server left in its data folder (temp files included).
  for (const auto& entry : std::filesystem::recursive_directory_iterator(server_.data_dir)) {
    if (entry.is_regular_file()) scan(entry.path().string(), ReadFile(entry.path().string()));
  }
  scan("log", server_.log->str());
  // The operator's metrics: counts per route pattern, nothing about anyone.
  Client ops(server_.runtime->metrics_port());
  HttpResult metrics = ops.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("vertrouwd_http_requests_total{method=\"POST\",route=\"/start\",code=\"2xx\"} 1"),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("vertrouwd_conversations{status=\"waiting\"} 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("vertrouwd_argon2_in_use{capacity=\"2\"} 0"), std::string::npos);
  EXPECT_EQ(metrics.body.find(id), std::string::npos);
  scan("metrics", metrics.body);
  EXPECT_EQ(ops.Get("/healthz").body, "ok\n");
  EXPECT_EQ(Worker().Get("/healthz").status, 200);
  EXPECT_NE(server_.log->str().find("POST /start 200"), std::string::npos) << server_.log->str();

  // The worker deletes everything; the receipt then opens nothing.
  HttpResult deleted = back.Post("/c/delete", {{"csrf", back.csrf}, {"confirm", "yes"}});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_FALSE(deleted.Header("clear-site-data").empty());
  // Clearing site data drops the language cookie too; the way back keeps the language.
  EXPECT_NE(deleted.body.find("href=\"/?lang=en\""), std::string::npos) << deleted.body;
  EXPECT_EQ(haven.Get("/staff/c/" + id).status, 404);
  Client again = Worker();
  again.Get("/open");
  HttpResult gone = again.Post("/open", {{"csrf", again.csrf}, {"receipt", receipt}});
  EXPECT_EQ(gone.status, 404);
  EXPECT_NE(gone.body.find("does not open a conversation"), std::string::npos);
  EXPECT_EQ(back.Get("/c").status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, FlowTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing

namespace vd::testing {
namespace {

TEST(EnrolmentTest, FirstLoginShowsAQrCodeAndTheConfirmedCodeLogsIn) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  AddOrganisation(*server.runtime, "dehaven", "De Haven");
  NewUser u{"new.advisor", "a long enough password", Role::kAdvisor, "dehaven", false, std::nullopt};
  ASSERT_TRUE(server.runtime->staff().CreateUser(u).has_value());
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  Client c(*port);
  c.extra_headers["Accept-Language"] = "en";
  c.Get("/staff/login");
  HttpResult r = c.Post("/staff/login", {{"csrf", c.csrf}, {"username", "new.advisor"},
                                         {"password", "a long enough password"}, {"code", ""}});
  ASSERT_EQ(r.status, 303);
  ASSERT_EQ(r.Header("location"), "/staff/enrol");
  EXPECT_EQ(c.Get("/staff").status, 303);  // not logged in until the code is confirmed
  HttpResult page = c.Get("/staff/enrol");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<svg"), std::string::npos);
  EXPECT_NE(page.body.find("aria-label=\"QR code for your authenticator app\""), std::string::npos);
  std::string secret = Extract(page.body, "<code>([A-Z2-7 ]+)</code>");
  std::erase(secret, ' ');
  auto key = TotpSecretFromBase32(secret);
  ASSERT_TRUE(key.has_value()) << page.body;
  EXPECT_EQ(c.Post("/staff/enrol", {{"csrf", c.csrf}, {"code", "000000"}}).status, 400);
  r = c.Post("/staff/enrol", {{"csrf", c.csrf}, {"code", TotpCode(*key, server.clock.Now())}});
  ASSERT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/staff");
  EXPECT_EQ(c.Get("/staff").status, 200);
  // The next login needs the code, and the same code cannot be used twice.
  Client again(*port);
  again.extra_headers["Accept-Language"] = "en";
  again.Get("/staff/login");
  r = again.Post("/staff/login", {{"csrf", again.csrf}, {"username", "new.advisor"},
                                  {"password", "a long enough password"},
                                  {"code", TotpCode(*key, server.clock.Now())}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("already used"), std::string::npos) << r.body;
  server.clock.Advance(30);
  r = again.Post("/staff/login", {{"csrf", again.csrf}, {"username", "new.advisor"},
                                  {"password", "a long enough password"},
                                  {"code", TotpCode(*key, server.clock.Now())}});
  EXPECT_EQ(r.status, 303);
}

}  // namespace
}  // namespace vd::testing
