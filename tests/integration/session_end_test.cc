// Sessions end where they should (issue 16 item 3): a form's CSRF token works only in the
// session its page was shown in, for workers and staff; closing a conversation ends the
// worker's session on the server, so a copied cookie opens nothing afterwards. On SQLite and
// on PostgreSQL.

#include <gtest/gtest.h>

#include <string>

#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

class SessionEndTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "dehaven", "De Haven");
    ann_totp_ = AddStaff(rt, "ann.dehaven", kPassword, Role::kAdvisor, "dehaven");
    bob_totp_ = AddStaff(rt, "bob.dehaven", kPassword, Role::kAdvisor, "dehaven");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client English() {
    Client c(port_);
    c.extra_headers["Accept-Language"] = "en";
    return c;
  }

  // Starts a conversation from `c` and returns its receipt (16 digits); `c` then holds the
  // session the start began.
  std::string Start(Client& c, const std::string& message) {
    c.Get("/start");
    HttpResult started =
        c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", message}});
    EXPECT_EQ(started.status, 200) << started.body;
    std::string receipt;
    const std::string g = "[0-9]{4}", cap = "([0-9]{4})", sep = "</span> <span>";
    for (const std::string& d :
         {cap + sep + g + sep + g + sep + g, g + sep + cap + sep + g + sep + g,
          g + sep + g + sep + cap + sep + g, g + sep + g + sep + g + sep + cap}) {
      receipt += Extract(started.body, d);
    }
    EXPECT_EQ(receipt.size(), 16u) << started.body;
    return receipt;
  }

  // What the conversation page shows to `c` (empty unless it is the conversation page).
  std::string Conversation(Client& c) {
    HttpResult r = c.Get("/c");
    return r.status == 200 ? r.body : std::string();
  }

  // Logs `c` in (a fresh TOTP step each time) and loads the staff home page, whose forms
  // carry the new session's token.
  void StaffIn(Client& c, const std::string& username, const std::string& totp) {
    server_.clock.Advance(31);
    HttpResult in = LogIn(c, username, kPassword, totp, server_.clock.Now());
    ASSERT_EQ(in.status, 303) << in.body;
    ASSERT_EQ(c.Get("/staff").status, 200);
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::string ann_totp_, bob_totp_;
};

TEST_P(SessionEndTest, AWorkersFormTokenWorksOnlyInTheSessionItWasShownIn) {
  if (!server_.runtime) return;
  Client w = English();
  w.Get("/start");
  const std::string before = w.csrf;  // the start form's token, before any session
  const std::string receipt = Start(w, "first message");
  ASSERT_FALSE(Conversation(w).empty());
  const std::string mine = w.csrf;
  EXPECT_NE(mine, before);

  // The token from before the session does not work in it.
  EXPECT_EQ(w.Post("/c/reply", {{"csrf", before}, {"message", "pre-session token"}}).status, 403);
  // Another worker's session in the same browser profile (the anonymous anchor cookie
  // shared): her token is not valid there, and her own is.
  Client other = English();
  other.cookies = w.cookies;
  other.cookies.erase("vd_session");
  Start(other, "second conversation");
  ASSERT_FALSE(Conversation(other).empty());
  ASSERT_EQ(other.cookies.at("vd_a"), w.cookies.at("vd_a"));
  EXPECT_NE(other.csrf, mine);
  EXPECT_EQ(other.Post("/c/reply", {{"csrf", mine}, {"message", "crossed token"}}).status, 403);
  EXPECT_EQ(w.Post("/c/reply", {{"csrf", other.csrf}, {"message", "crossed back"}}).status, 403);
  EXPECT_EQ(w.Post("/c/reply", {{"csrf", mine}, {"message", "own token"}}).status, 303);

  // Closed and opened again in the same browser: a new session, so the old token is stale.
  ASSERT_EQ(w.Post("/c/close", {{"csrf", mine}}).status, 200);
  w.Get("/open");
  ASSERT_EQ(w.Post("/open", {{"csrf", w.csrf}, {"receipt", receipt}}).status, 303);
  const std::string page = Conversation(w);
  ASSERT_FALSE(page.empty());
  EXPECT_NE(w.csrf, mine);
  EXPECT_EQ(w.Post("/c/reply", {{"csrf", mine}, {"message", "old session token"}}).status, 403);
  EXPECT_EQ(w.Post("/c/reply", {{"csrf", w.csrf}, {"message", "new session token"}}).status, 303);

  const std::string shown = Conversation(w);
  for (const char* refused :
       {"pre-session token", "crossed token", "crossed back", "old session token"}) {
    EXPECT_EQ(shown.find(refused), std::string::npos) << refused;
  }
  EXPECT_NE(shown.find("own token"), std::string::npos);
  EXPECT_NE(shown.find("new session"), std::string::npos);
  EXPECT_EQ(Conversation(other).find("crossed token"), std::string::npos);
}

TEST_P(SessionEndTest, AStaffFormTokenWorksOnlyInTheSessionItWasShownIn) {
  if (!server_.runtime) return;
  Client ann = English();
  ann.Get("/staff/login");
  const std::string before = ann.csrf;  // the login form's token
  ASSERT_NO_FATAL_FAILURE(StaffIn(ann, "ann.dehaven", ann_totp_));
  const std::string first = ann.csrf;
  EXPECT_NE(first, before);
  // The login page's token does not work after the login.
  EXPECT_EQ(ann.Post("/staff/logout", {{"csrf", before}}).status, 403);
  EXPECT_EQ(ann.Get("/staff").status, 200);

  // A colleague's session in the same browser profile (anchor shared): Ann's token is
  // refused there, so Bob stays logged in.
  Client bob = English();
  bob.cookies["vd_a"] = ann.cookies.at("vd_a");
  ASSERT_NO_FATAL_FAILURE(StaffIn(bob, "bob.dehaven", bob_totp_));
  ASSERT_EQ(bob.cookies.at("vd_a"), ann.cookies.at("vd_a"));
  EXPECT_NE(bob.csrf, first);
  EXPECT_EQ(bob.Post("/staff/logout", {{"csrf", first}}).status, 403);
  EXPECT_EQ(bob.Get("/staff").status, 200);

  // Ann logs out and in again: the first session's token is stale in the second.
  EXPECT_EQ(ann.Post("/staff/logout", {{"csrf", first}}).status, 303);
  ASSERT_NO_FATAL_FAILURE(StaffIn(ann, "ann.dehaven", ann_totp_));
  EXPECT_NE(ann.csrf, first);
  EXPECT_EQ(ann.Post("/staff/logout", {{"csrf", first}}).status, 403);
  EXPECT_EQ(ann.Get("/staff").status, 200);
  EXPECT_EQ(ann.Post("/staff/logout", {{"csrf", ann.csrf}}).status, 303);
  EXPECT_EQ(ann.Get("/staff").status, 303);  // logged out: to the login page
  EXPECT_EQ(bob.Post("/staff/logout", {{"csrf", bob.csrf}}).status, 303);
}

TEST_P(SessionEndTest, ClosingTheConversationEndsTheSessionForACopiedCookieToo) {
  if (!server_.runtime) return;
  Client w = English();
  Start(w, "Nobody may read this after I close it.");
  ASSERT_NE(Conversation(w).find("Nobody may read this after I close it."), std::string::npos);
  Client copy = English();
  copy.cookies = w.cookies;
  ASSERT_NE(Conversation(copy).find("Nobody may read this after I close it."), std::string::npos);
  const std::string copied_csrf = copy.csrf;

  HttpResult closed = w.Post("/c/close", {{"csrf", w.csrf}});
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_NE(closed.body.find("Your conversation is closed on this device"), std::string::npos);
  EXPECT_FALSE(closed.Header("clear-site-data").empty());
  EXPECT_EQ(w.cookies.count("vd_session"), 0u);

  // The copy's cookie, replayed, gets what a browser without a session gets: the page that
  // sends her back to the start, not the conversation.
  ASSERT_EQ(copy.cookies.count("vd_session"), 1u);
  HttpResult replayed = copy.Get("/c");
  HttpResult fresh = English().Get("/c");
  EXPECT_EQ(replayed.body.find("Nobody may read this"), std::string::npos);
  EXPECT_EQ(replayed.status, fresh.status);
  EXPECT_EQ(replayed.status, 401);
  EXPECT_NE(replayed.body.find("Back to the start"), std::string::npos) << replayed.body;
  EXPECT_NE(replayed.body.find("Open it again with your receipt"), std::string::npos);
  // Nor can it write into the conversation.
  HttpResult reply = copy.Post("/c/reply", {{"csrf", copied_csrf}, {"message", "from the copy"}});
  EXPECT_EQ(reply.status, 401);
  HttpResult start = copy.Get("/start");
  EXPECT_EQ(start.status, 200);
  EXPECT_NE(start.body.find("action=\"/start\""), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, SessionEndTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
