// Security headers on every route and every status the service answers with (200, 303,
// 400, 403, 404, 405, 413, 429, 431, 500): CSP default-src 'none', nosniff, frame DENY,
// no referrer, no-store, no Server header. The 500 comes from a real storage failure
// (a table renamed under the running server) and must show only a generic message and the
// request id, never the database's words.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <regex>
#include <set>
#include <string>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";


TEST(SecurityHeadersTest, EveryRouteAndStatusCarriesTheHeaders) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  Runtime& rt = *server.runtime;
  AddOrganisation(rt, "dehaven", "De Haven");
  AddOrganisation(rt, "shop", "SHOP");
  const std::string totp = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
  const std::string shop_totp = AddStaff(rt, "advisor.shop", kPassword, Role::kAdvisor, "shop");
  auto port = rt.Start();
  ASSERT_TRUE(port.has_value());
  std::set<int> statuses;
  auto check = [&](const HttpResult& r, const std::string& what) {
    statuses.insert(r.status);
    ExpectSecureHeaders(r, what);
  };

  // A worker walks every worker route.
  Client w(*port);
  w.extra_headers["Accept-Language"] = "en";
  for (const std::string path : {"/", "/language", "/help", "/start", "/open", "/exit", "/healthz",
                                 "/static/style.css", "/static/exit.js", "/c", "/nope", "/static/nope.css",
                                 "/staff/login", "/staff/enrol", "/staff", "/staff/c/abc"}) {
    check(w.Get(path), "GET " + path);
  }
  w.Get("/start");
  HttpResult started = w.Post("/start", {{"csrf", w.csrf}, {"organisation", "dehaven"}, {"message", "hello"}});
  EXPECT_EQ(started.status, 200);
  check(started, "POST /start");
  std::string receipt;
  for (const std::string& g : {Extract(started.body, "<span>([0-9]{4})</span> <span>"),
                               Extract(started.body, "<span>[0-9]{4}</span> <span>([0-9]{4})"),
                               Extract(started.body, "(?:<span>[0-9]{4}</span> ){2}<span>([0-9]{4})"),
                               Extract(started.body, "(?:<span>[0-9]{4}</span> ){3}<span>([0-9]{4})")}) {
    receipt += g;
  }
  ASSERT_EQ(receipt.size(), 16u);
  check(w.Get("/c"), "GET /c");
  HttpResult reply = w.Post("/c/reply", {{"csrf", w.csrf}, {"message", "again"}});
  EXPECT_EQ(reply.status, 303);
  check(reply, "POST /c/reply");
  check(w.Post("/c/reply", {{"csrf", "forged"}, {"message", "x"}}), "POST /c/reply forged csrf");
  check(w.Post("/c/close", {{"csrf", w.csrf}}), "POST /c/close");
  Client back(*port);
  back.Get("/open");
  HttpResult opened = back.Post("/open", {{"csrf", back.csrf}, {"receipt", receipt}});
  EXPECT_EQ(opened.status, 303);
  check(opened, "POST /open");
  check(back.Post("/c/delete", {{"csrf", back.csrf}}), "POST /c/delete");

  // Staff: login, enrolled pages, another organisation's conversation (403), logout.
  Client a(*port);
  a.Get("/staff/login");
  auto secret = TotpSecretFromBase32(totp);
  ASSERT_TRUE(secret.has_value());
  HttpResult login = a.Post("/staff/login", {{"csrf", a.csrf}, {"username", "advisor.dehaven"},
                                             {"password", kPassword}, {"code", TotpCode(*secret, server.clock.Now())}});
  check(login, "POST /staff/login");
  check(a.Get("/staff"), "GET /staff");
  Client w2(*port);
  w2.Get("/start");
  ASSERT_EQ(w2.Post("/start", {{"csrf", w2.csrf}, {"organisation", "dehaven"}, {"message", "hi"}}).status, 200);
  const std::string id = Extract(a.Get("/staff").body, "href=\"/staff/c/([A-Za-z0-9_-]+)\"");
  ASSERT_FALSE(id.empty());
  check(a.Get("/staff/c/" + id), "GET /staff/c/{id}");
  check(a.Post("/staff/c/" + id + "/reply", {{"csrf", a.csrf}, {"message", "answer"}}), "POST reply");
  server.clock.Advance(31);
  Client s(*port);
  s.Get("/staff/login");
  auto shop_secret = TotpSecretFromBase32(shop_totp);
  ASSERT_TRUE(shop_secret.has_value());
  s.Post("/staff/login", {{"csrf", s.csrf}, {"username", "advisor.shop"}, {"password", kPassword},
                          {"code", TotpCode(*shop_secret, server.clock.Now())}});
  HttpResult forbidden = s.Get("/staff/c/" + id);
  EXPECT_EQ(forbidden.status, 403);
  check(forbidden, "GET /staff/c/{id} other organisation");
  check(a.Post("/staff/logout", {{"csrf", a.csrf}}), "POST /staff/logout");

  // The server's own refusals.
  Client raw(*port);
  check(raw.Raw("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n"), "431");
  check(raw.Raw("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"), "400");
  check(raw.Raw("POST /start HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"), "413");
  check(raw.Raw("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), "405");

  // 429: wrong receipts until refused.
  Client guesser(*port);
  guesser.Get("/open");
  HttpResult last;
  for (int i = 0; i < 10; ++i) {
    last = guesser.Post("/open", {{"csrf", guesser.csrf}, {"receipt", "000000000000" + std::to_string(1000 + i)}});
    check(last, "POST /open wrong receipt");
  }
  EXPECT_EQ(last.status, 429);
  EXPECT_EQ(last.Header("retry-after"), "60");

  // 500: the store fails under the running server.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((server.data_dir + "/vertrouwd.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ASSERT_EQ(sqlite3_exec(db, "ALTER TABLE conversations RENAME TO conversations_gone", nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  Client f(*port);
  f.Get("/start");
  HttpResult failed = f.Post("/start", {{"csrf", f.csrf}, {"organisation", "dehaven"}, {"message", "lost"}});
  EXPECT_EQ(failed.status, 500);
  check(failed, "500");
  const std::string reference = Extract(failed.body, "class=\"meta\">[^<]*([0-9a-f]{16})</p>");
  EXPECT_EQ(reference.size(), 16u) << failed.body;
  EXPECT_NE(server.log->str().find(reference), std::string::npos);  // the id ties page to log
  for (const std::string leak : {"sqlite", "SQLITE", "no such table", "conversations", "INSERT", "soci"}) {
    EXPECT_EQ(failed.body.find(leak), std::string::npos) << leak << "\n" << failed.body;
  }

  for (int status : {200, 303, 400, 403, 404, 405, 413, 429, 431, 500}) {
    EXPECT_TRUE(statuses.contains(status)) << "no response with status " << status << " was checked";
  }
}

}  // namespace
}  // namespace vd::testing
