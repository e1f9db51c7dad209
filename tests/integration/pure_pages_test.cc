// Pages that depend only on the language (the landing page, the language picker) are
// rendered once per language and then served from memory. The cached copy must be the page
// a fresh render gives, in the visitor's language, and must carry nothing of the request
// that filled the cache (its request id, its anchor cookie or CSRF token).

#include <gtest/gtest.h>

#include <string>

#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

TEST(PurePagesTest, CachedPagesAreTheLanguagesOwnAndCarryNothingOfTheRequest) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());

  Client first(*port);
  const HttpResult nl1 = first.Get("/?lang=nl");
  ASSERT_EQ(nl1.status, 200);
  EXPECT_NE(nl1.body.find("lang=\"nl\""), std::string::npos);
  EXPECT_NE(nl1.body.find("aria-current=\"true\">Nederlands<"), std::string::npos);
  // The first request's anchor cookie must not be in any page.
  std::string cookie;
  for (const std::string& c : nl1.Headers("set-cookie")) {
    if (c.find("vd_a=") != std::string::npos) cookie = c;
  }
  ASSERT_FALSE(cookie.empty());
  const std::string anchor = cookie.substr(cookie.find('=') + 1, cookie.find(';') - cookie.find('=') - 1);
  ASSERT_GE(anchor.size(), 20u);

  Client second(*port);
  const HttpResult nl2 = second.Get("/?lang=nl");
  ASSERT_EQ(nl2.status, 200);
  EXPECT_EQ(nl1.body, nl2.body);
  EXPECT_EQ(nl2.body.find(anchor), std::string::npos);
  EXPECT_EQ(nl2.body.find("csrf"), std::string::npos);

  const HttpResult ro = second.Get("/?lang=ro");
  ASSERT_EQ(ro.status, 200);
  EXPECT_NE(ro.body.find("lang=\"ro\""), std::string::npos);
  EXPECT_NE(ro.body.find("aria-current=\"true\">Română<"), std::string::npos);
  EXPECT_NE(ro.body, nl2.body);

  const HttpResult picker_ro = second.Get("/language?lang=ro");
  const HttpResult picker_th = second.Get("/language?lang=th");
  ASSERT_EQ(picker_ro.status, 200);
  ASSERT_EQ(picker_th.status, 200);
  EXPECT_NE(picker_th.body.find("lang=\"th\""), std::string::npos);
  EXPECT_NE(picker_th.body.find("aria-current=\"true\">ไทย<"), std::string::npos);
  EXPECT_NE(picker_ro.body, picker_th.body);
  // Cached responses still carry the security headers and no-store.
  EXPECT_EQ(picker_th.Header("cache-control").rfind("no-store", 0), 0u);
  EXPECT_NE(picker_th.Header("content-security-policy").find("default-src 'none'"),
            std::string::npos);
}

}  // namespace
}  // namespace vd::testing
