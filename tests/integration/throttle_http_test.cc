// Receipt guessing and staff logins are refused per client address once a small burst is
// used, and a forged X-Forwarded-For does not buy a fresh bucket.

#include <gtest/gtest.h>

#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

TEST(ThrottleHttpTest, AThousandWrongReceiptsCheckAtMostFive) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  Client c(*port);
  c.extra_headers["Accept-Language"] = "en";
  c.Get("/open");
  int checked = 0, refused = 0, other = 0;
  for (int i = 0; i < 1000; ++i) {
    c.extra_headers["X-Forwarded-For"] = "198.51.100." + std::to_string(i % 250);
    c.extra_headers["X-Real-IP"] = "192.0.2." + std::to_string(i % 250);  // no trusted proxy: ignored
    char receipt[32];
    std::snprintf(receipt, sizeof receipt, "%016d", 1000000 + i);
    HttpResult r = c.Post("/open", {{"csrf", c.csrf}, {"receipt", receipt}});
    if (r.status == 404) {
      ++checked;
    } else if (r.status == 429) {
      ++refused;
      if (i == 999) {
        EXPECT_NE(r.body.find("Too many attempts"), std::string::npos);
        EXPECT_EQ(r.Header("retry-after"), "60");
      }
    } else {
      ++other;
    }
  }
  EXPECT_LE(checked, 5);
  EXPECT_EQ(checked + refused, 1000);
  EXPECT_EQ(other, 0);
  // After 12 s one more try is allowed.
  server.clock.Advance(12);
  EXPECT_EQ(c.Post("/open", {{"csrf", c.csrf}, {"receipt", "0000000000000001"}}).status, 404);
}

TEST(ThrottleHttpTest, BehindATrustedProxyEachClientHasItsOwnBucket) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  server.runtime.reset();
  server.config.site.trusted_proxy = "127.0.0.1";
  auto rt = Runtime::Open(server.config, server.clock);
  ASSERT_TRUE(rt.has_value());
  server.runtime = std::move(*rt);
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  Client c(*port);
  c.Get("/open");
  auto attempt = [&](const std::string& client) {
    c.extra_headers["X-Real-IP"] = client;
    return c.Post("/open", {{"csrf", c.csrf}, {"receipt", "0000000000000002"}}).status;
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(attempt("192.0.2.1"), 404);
  EXPECT_EQ(attempt("192.0.2.1"), 429);
  EXPECT_EQ(attempt("192.0.2.2"), 404);
  // An IPv6 client cannot buy fresh buckets with new addresses from its own /64 ...
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(attempt("2001:db8:5:6::" + std::to_string(i)), 404);
  EXPECT_EQ(attempt("2001:db8:5:6:abcd::99"), 429);
  EXPECT_EQ(attempt("2001:db8:5:7::1"), 404);
  // ... while Tor circuits (one unique-local address each, all in one /64) stay apart.
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(attempt("fc00:dead:beef:4dad::1:1"), 404);
  EXPECT_EQ(attempt("fc00:dead:beef:4dad::1:1"), 429);
  EXPECT_EQ(attempt("fc00:dead:beef:4dad::1:2"), 404);
}

TEST(ThrottleHttpTest, StaffLoginsAreRefusedAfterABurst) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  Client c(*port);
  c.Get("/staff/login");
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    HttpResult r = c.Post("/staff/login", {{"csrf", c.csrf}, {"username", "nobody"},
                                           {"password", "wrong password"}, {"code", "123456"}});
    if (r.status == 429) ++refused;
  }
  EXPECT_EQ(refused, 20);
}

}  // namespace
}  // namespace vd::testing
