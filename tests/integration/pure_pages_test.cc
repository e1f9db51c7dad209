// Pages that depend only on the language (the landing page, the language picker) are
// rendered once per language and then served from memory. The cached copy must be the page
// a fresh render gives, in the visitor's language, and must carry nothing of the request
// that filled the cache (its request id, its anchor cookie or CSRF token).

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

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


// HandleFromMemory runs on the server's I/O thread, so it must answer only what needs no
// worker: pure pages once rendered and static files, with exactly Handle's response.
TEST(PurePagesTest, MemoryAnswersOnlyRenderedPurePagesAndStaticFiles) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  WebApp& web = server.runtime->web();
  auto request = [](std::string method, std::string path) {
    Request r;
    r.method = std::move(method);
    r.target = path;
    r.path = std::move(path);
    r.headers = {{"accept-language", "nl"}};
    r.client_address = "127.0.0.1";
    r.request_id = "0123456789abcdef";
    return r;
  };
  const Request home = request("GET", "/");
  EXPECT_FALSE(web.HandleFromMemory(home).has_value()) << "not rendered yet";
  const Response rendered = web.Handle(home);
  ASSERT_EQ(rendered.status, 200u);

  std::optional<Response> memory = web.HandleFromMemory(home);
  ASSERT_TRUE(memory.has_value());
  EXPECT_EQ(memory->status, 200u);
  EXPECT_EQ(memory->body, rendered.body);
  EXPECT_EQ(memory->Get("Cache-Control"), rendered.Get("Cache-Control"));
  EXPECT_EQ(memory->Get("Content-Security-Policy"), rendered.Get("Content-Security-Policy"));
  ASSERT_TRUE(memory->Get("Set-Cookie").has_value());  // a fresh visitor still gets an anchor
  EXPECT_NE(memory->Get("Set-Cookie"), rendered.Get("Set-Cookie"));
  EXPECT_TRUE(web.HandleFromMemory(request("HEAD", "/")).has_value());

  // Another language, or another pure page, is not in memory until a worker renders it.
  Request romanian = home;
  romanian.query = {{"lang", "ro"}};
  EXPECT_FALSE(web.HandleFromMemory(romanian).has_value());
  EXPECT_FALSE(web.HandleFromMemory(request("GET", "/language")).has_value());

  // Nothing that needs the database, a form, an account or an error page.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/"}, {"GET", "/healthz"}, {"GET", "/open"}, {"GET", "/start"},
           {"GET", "/c"}, {"GET", "/staff"}, {"GET", "/staff/login"}, {"GET", "/nowhere"},
           {"DELETE", "/"}, {"GET", "/static/missing.css"}, {"POST", "/static/style.css"}}) {
    EXPECT_FALSE(web.HandleFromMemory(request(method, path)).has_value()) << method << " " << path;
  }

  const Request css = request("GET", "/static/style.css");
  std::optional<Response> from_memory = web.HandleFromMemory(css);
  ASSERT_TRUE(from_memory.has_value());
  const Response from_worker = web.Handle(css);
  EXPECT_EQ(from_memory->status, 200u);
  EXPECT_EQ(from_memory->body, from_worker.body);
  EXPECT_EQ(from_memory->Get("Content-Type"), from_worker.Get("Content-Type"));
  EXPECT_EQ(from_memory->Get("Cache-Control"), from_worker.Get("Cache-Control"));
}

}  // namespace
}  // namespace vd::testing
