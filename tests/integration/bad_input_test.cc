// Bad input gets a clear page in the user's language with the right 4xx status, and
// nothing is half-written. Also: headers and the quick exit on worker pages.

#include <gtest/gtest.h>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.Start(Backend::kSqlite)) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "dehaven", "De Haven");
    totp_ = AddStaff(rt, "advisor.dehaven", "correct horse battery staple", Role::kAdvisor, "dehaven");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
    org_id_ = store_test::ReadOne(rt.store(), &StaffStore::FindOrganisationBySlug, "dehaven")->id;
  }

  Client Dutch() {
    Client c(port_);
    c.extra_headers["Accept-Language"] = "nl-NL,nl;q=0.9,en;q=0.5";
    return c;
  }

  size_t Conversations() {
    auto inbox = store_test::ReadOne(server_.runtime->store(), &ConversationStore::Inbox, org_id_,
                                     std::nullopt, 1000);
    EXPECT_TRUE(inbox.has_value());
    return inbox ? inbox->size() : 0;
  }

  TestServer server_;
  uint16_t port_ = 0;
  int64_t org_id_ = 0;
  std::string totp_;
};

TEST_F(BadInputTest, MalformedFormIsRefusedInTheWorkersLanguage) {
  if (!server_.runtime) return;
  Client c = Dutch();
  c.Get("/start");
  HttpResult r = c.PostRaw("/start", "csrf=" + UrlEncode(c.csrf) + "&organisation=dehaven&message=%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("Het formulier is niet goed ingevuld"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("href=\"/exit\""), std::string::npos);
  r = c.PostRaw("/start", "csrf=" + UrlEncode(c.csrf) + "&message=hi", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Conversations(), 0u);
}

TEST_F(BadInputTest, MissingOrForgedCsrfIsRefused) {
  if (!server_.runtime) return;
  Client c = Dutch();
  c.Get("/start");
  HttpResult r = c.Post("/start", {{"organisation", "dehaven"}, {"message", "hallo"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("Dit formulier was te oud"), std::string::npos);
  r = c.Post("/start", {{"csrf", "forged"}, {"organisation", "dehaven"}, {"message", "hallo"}});
  EXPECT_EQ(r.status, 403);
  Client fresh = Dutch();  // no cookies at all, token copied from another browser
  r = fresh.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", "hallo"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Conversations(), 0u);
}

TEST_F(BadInputTest, WrongAndHalfReceipts) {
  if (!server_.runtime) return;
  Client c = Dutch();
  c.Get("/open");
  HttpResult half = c.Post("/open", {{"csrf", c.csrf}, {"receipt", "1234 5678"}});
  EXPECT_EQ(half.status, 400);
  EXPECT_NE(half.body.find("precies 16 cijfers"), std::string::npos);
  HttpResult letters = c.Post("/open", {{"csrf", c.csrf}, {"receipt", "1234 5678 abcd 9012"}});
  EXPECT_EQ(letters.status, 400);
  HttpResult wrong = c.Post("/open", {{"csrf", c.csrf}, {"receipt", "1234 5678 9012 3456"}});
  EXPECT_EQ(wrong.status, 404);
  EXPECT_NE(wrong.body.find("opent geen gesprek"), std::string::npos);
  EXPECT_TRUE(c.cookies.find("vd_session") == c.cookies.end());
}

TEST_F(BadInputTest, OversizedMessagesAndBodies) {
  if (!server_.runtime) return;
  Client c = Dutch();
  c.Get("/start");
  HttpResult r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", std::string(5001, 'a')}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("Je bericht is te lang"), std::string::npos);
  // The form comes back with what was typed, so nothing is lost.
  EXPECT_NE(r.body.find(std::string(100, 'a')), std::string::npos);
  r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", std::string(70000, 'a')}});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("te groot"), std::string::npos) << r.body;
  EXPECT_EQ(Conversations(), 0u);
  r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", std::string(5000, 'a')}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Conversations(), 1u);
}

TEST_F(BadInputTest, InvalidUtf8AndControlCharacters) {
  if (!server_.runtime) return;
  Client c = Dutch();
  c.Get("/start");
  for (const char* bad : {"%C0%AF", "abc%FF", "%ED%A0%80", "nul%00byte", "esc%1B%5B31m"}) {
    HttpResult r = c.PostRaw("/start", "csrf=" + UrlEncode(c.csrf) + "&organisation=dehaven&message=" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("tekens die niet kunnen"), std::string::npos) << bad;
  }
  EXPECT_EQ(Conversations(), 0u);
}

TEST_F(BadInputTest, ExpiredSessionsGetAClearPage) {
  if (!server_.runtime) return;
  Client w = Dutch();
  w.Get("/start");
  ASSERT_EQ(w.Post("/start", {{"csrf", w.csrf}, {"organisation", "dehaven"}, {"message", "hallo"}}).status, 200);
  EXPECT_EQ(w.Get("/c").status, 200);
  server_.clock.Advance(21 * 60);
  HttpResult r = w.Get("/c");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("Open het opnieuw met je bonnummer"), std::string::npos);
  r = w.Post("/c/reply", {{"csrf", w.csrf}, {"message", "nog iets"}});
  EXPECT_EQ(r.status, 401);

  Client s = Dutch();
  s.Get("/staff/login");
  auto secret = TotpSecretFromBase32(totp_);
  ASSERT_EQ(s.Post("/staff/login", {{"csrf", s.csrf}, {"username", "advisor.dehaven"},
                                    {"password", "correct horse battery staple"},
                                    {"code", TotpCode(*secret, server_.clock.Now())}}).status, 303);
  EXPECT_EQ(s.Get("/staff").status, 200);
  server_.clock.Advance(31 * 60);
  r = s.Get("/staff");
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/staff/login");
  r = s.Post("/staff/logout", {{"csrf", s.csrf}});
  EXPECT_EQ(r.status, 401);
}

TEST_F(BadInputTest, WorkerPagesCarryHeadersAndTheQuickExit) {
  if (!server_.runtime) return;
  Client c = Dutch();
  for (const char* path : {"/", "/language", "/help", "/start", "/open", "/nope", "/c"}) {
    HttpResult r = c.Get(path);
    EXPECT_NE(r.status, 0) << path;
    EXPECT_EQ(r.Header("cache-control").rfind("no-store", 0), 0u) << path;
    EXPECT_NE(r.Header("content-security-policy").find("default-src 'none'"), std::string::npos) << path;
    EXPECT_NE(r.Header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("x-frame-options"), "DENY");
    EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
    EXPECT_NE(r.body.find("class=\"quick-exit\" id=\"quick-exit\" href=\"/exit\""), std::string::npos) << path;
    EXPECT_EQ(r.body.find("<script>"), std::string::npos);
    EXPECT_EQ(r.body.find("style=\""), std::string::npos);
    EXPECT_EQ(r.body.find("http://"), std::string::npos) << path;
    EXPECT_EQ(r.Header("server"), "");
  }
  HttpResult exit = c.Get("/exit");
  EXPECT_EQ(exit.status, 303);
  EXPECT_EQ(exit.Header("location").rfind("https://", 0), 0u);
  EXPECT_FALSE(exit.Header("clear-site-data").empty());
  EXPECT_EQ(c.Get("/?lang=en").body.find("Talk to a confidential advisor") != std::string::npos, true);
  EXPECT_NE(c.Get("/").body.find("Talk to a confidential advisor"), std::string::npos);  // cookie kept it
  HttpResult put = c.Raw("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(put.status, 405);
  EXPECT_EQ(c.Get("/static/../CMakeLists.txt").status, 404);
  EXPECT_EQ(c.Get("/static/style.css").status, 200);
}

// The quick exit ends the worker's session on the server: the cookie, replayed from a copy,
// opens nothing (issue 16 item 3).
TEST_F(BadInputTest, TheQuickExitEndsTheSessionForACopiedCookieToo) {
  if (!server_.runtime) return;
  Client w = Dutch();
  w.Get("/start");
  HttpResult started = w.Post("/start", {{"csrf", w.csrf}, {"organisation", "dehaven"},
                                         {"message", "Nobody may read this after I leave."}});
  ASSERT_EQ(started.status, 200) << started.body;
  ASSERT_NE(w.Get("/c").body.find("Nobody may read this after I leave."), std::string::npos);
  Client copy = Dutch();
  copy.cookies = w.cookies;
  ASSERT_NE(copy.Get("/c").body.find("Nobody may read this after I leave."), std::string::npos);

  EXPECT_EQ(w.Get("/exit").status, 303);
  HttpResult replayed = copy.Get("/c");
  EXPECT_EQ(replayed.body.find("Nobody may read this after I leave."), std::string::npos);
  HttpResult fresh = Dutch().Get("/c");
  EXPECT_EQ(replayed.status, fresh.status);
  EXPECT_EQ(replayed.Header("location"), fresh.Header("location"));
}

}  // namespace
}  // namespace vd::testing
