// Issue 14, item 6, over HTTP on SQLite and PostgreSQL: the inbox cannot be flooded. One real
// conversation, then 150 newer ones (seeded through the store: the inbox never opens them):
// the real one is first on page 1 of the default view, the page links visit every
// conversation exactly once in both directions, and a coordinator marks it as spam from the
// inbox row without being able to read it. Spam leaves the inbox, stays counted, is audited,
// and "not spam" brings it back; another organisation's advisor and a form without CSRF
// change nothing.

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";
constexpr int kFlood = 150;

// Every conversation id a page names in its rows' spam forms, in order (coordinators' rows
// have no link to the conversation, so the forms are what every role sees).
std::vector<std::string> RowIds(const std::string& body) {
  static const std::regex form("action=\"/staff/c/([A-Za-z0-9_-]+)/(?:not-)?spam\"");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), form); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

std::string Unescape(std::string s) {
  for (size_t at; (at = s.find("&amp;")) != std::string::npos;) s.replace(at, 5, "&");
  return s;
}
std::string NextLink(const std::string& body) { return Unescape(Extract(body, "<a href=\"([^\"]+)\" rel=\"next\"")); }
std::string PrevLink(const std::string& body) { return Unescape(Extract(body, "<a href=\"([^\"]+)\" rel=\"prev\"")); }

class InboxHttpTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "dehaven", "De Haven");
    AddOrganisation(rt, "shop", "SHOP");
    totp_["advisor.dehaven"] = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    totp_["coordinator.dehaven"] =
        AddStaff(rt, "coordinator.dehaven", kPassword, Role::kCoordinator, "dehaven");
    totp_["advisor.shop"] = AddStaff(rt, "advisor.shop", kPassword, Role::kAdvisor, "shop");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client LoggedIn(const std::string& name) {
    server_.clock.Advance(31);  // a fresh TOTP step: a code is accepted once
    Client c(port_);
    c.extra_headers["Accept-Language"] = "en";
    HttpResult r = LogIn(c, name, kPassword, totp_.at(name), server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    c.Get("/staff");  // picks up the csrf value
    return c;
  }

  // One real conversation (through the worker's door), then the flood, each a second later.
  std::string Seed() {
    Runtime& rt = *server_.runtime;
    auto started = rt.conversations().Start("dehaven", "CANARY-real-question-5531", "en", {});
    EXPECT_TRUE(started.has_value());
    if (!started) return "";
    const int64_t org =
        store_test::ReadOne(rt.store(), &StaffStore::FindOrganisationBySlug, "dehaven")->id;
    const int64_t t = server_.clock.Now();
    for (int i = 0; i < kFlood; ++i) {
      Conversation c;
      c.public_id = "flood" + std::to_string(i);
      c.receipt_lookup = "lookup" + std::to_string(i);  // never opened: the inbox needs none
      c.organisation_id = org;
      c.public_key = c.receipt_wrapped_secret_key = c.org_sealed_secret_key = "x";
      c.language = "en";
      c.created_at = c.last_activity_at = t + 1 + i;
      c.expires_at = t + 86400 * 90;
      Message m;
      m.ciphertext = "x";
      m.created_at = c.created_at;
      EXPECT_TRUE(store_test::WriteOne(rt.store(), &ConversationStore::Insert, c, m).has_value());
    }
    server_.clock.Advance(kFlood + 1);
    return store_test::ReadOne(rt.store(), &ConversationStore::FindById, started->conversation_id)
        ->public_id;
  }

  // Every page of a view from `start`, following "next"; the ids in the order seen.
  std::vector<std::string> Walk(Client& c, const std::string& start, int* pages,
                                std::string* last_page = nullptr) {
    std::vector<std::string> seen;
    *pages = 0;
    for (std::string url = start; !url.empty() && *pages < 20; ++*pages) {
      HttpResult r = c.Get(url);
      EXPECT_EQ(r.status, 200) << url;
      const std::vector<std::string> ids = RowIds(r.body);
      EXPECT_LE(ids.size(), 50u);
      seen.insert(seen.end(), ids.begin(), ids.end());
      if (last_page) *last_page = url;
      url = NextLink(r.body);
    }
    return seen;
  }

  int64_t Conversations() {
    int64_t n = 0;
    auto counts = store_test::ReadOne(server_.runtime->store(), &ConversationStore::CountByStatus);
    for (const auto& [status, count] : *counts) n += count;
    return n;
  }

  TestServer server_;
  uint16_t port_ = 0;
  std::map<std::string, std::string> totp_;
};

TEST_P(InboxHttpTest, AFloodDoesNotPushARealConversationOffTheFirstPage) {
  if (!server_.runtime) return;
  const std::string real = Seed();
  ASSERT_FALSE(real.empty());
  Client advisor = LoggedIn("advisor.dehaven");

  // The default view: waiting for an answer, oldest first. The real one leads page 1.
  HttpResult home = advisor.Get("/staff");
  ASSERT_EQ(home.status, 200);
  std::vector<std::string> first = RowIds(home.body);
  ASSERT_EQ(first.size(), 50u);
  EXPECT_EQ(first[0], real);
  EXPECT_NE(home.body.find("href=\"/staff/c/" + real + "\""), std::string::npos);
  EXPECT_TRUE(PrevLink(home.body).empty());
  EXPECT_EQ(home.body.find("CANARY-real-question"), std::string::npos);  // no content in rows

  // Page after page: every conversation exactly once, 50 a page.
  int pages = 0;
  std::string last;
  std::vector<std::string> all = Walk(advisor, "/staff", &pages, &last);
  EXPECT_EQ(pages, 4);
  ASSERT_EQ(all.size(), static_cast<size_t>(kFlood + 1));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size());
  EXPECT_EQ(all[0], real);
  EXPECT_EQ(all[1], "flood0");
  EXPECT_EQ(all.back(), "flood149");
  // And back again from the last page with "previous": the same pages, reversed.
  std::vector<std::string> backward;
  int back_pages = 0;
  for (std::string url = last; !url.empty() && back_pages < 20; ++back_pages) {
    HttpResult r = advisor.Get(url);
    ASSERT_EQ(r.status, 200) << url;
    std::vector<std::string> ids = RowIds(r.body);
    backward.insert(backward.begin(), ids.begin(), ids.end());
    url = PrevLink(r.body);
  }
  EXPECT_EQ(back_pages, 4);
  EXPECT_EQ(backward, all);

  // The tab keeps its view in the page links; "all" is latest activity first.
  HttpResult everything = advisor.Get("/staff?view=all");
  ASSERT_EQ(everything.status, 200);
  EXPECT_EQ(RowIds(everything.body).at(0), "flood149");
  EXPECT_NE(NextLink(everything.body).find("view=all&after="), std::string::npos);
  EXPECT_NE(everything.body.find("href=\"/staff?view=all\" aria-current=\"page\""), std::string::npos);

  // Links edited by hand or gone stale: the first page, never an error.
  for (const char* bad : {"/staff?view=bogus", "/staff?after=x.y", "/staff?before=1.0",
                          "/staff?after=99999999999999999999999.1", "/staff?after=1.2&before=3.4",
                          "/staff?after=%00", "/staff?view=waiting&before=1.1"}) {
    HttpResult r = advisor.Get(bad);
    ASSERT_EQ(r.status, 200) << bad;
    std::vector<std::string> ids = RowIds(r.body);
    ASSERT_FALSE(ids.empty()) << bad;
    EXPECT_EQ(ids[0], real) << bad;
  }
  HttpResult past = advisor.Get("/staff?view=waiting&after=9999999999.1");
  ASSERT_EQ(past.status, 200);
  EXPECT_TRUE(RowIds(past.body).empty());
  EXPECT_NE(past.body.find("To the first page"), std::string::npos);
}

TEST_P(InboxHttpTest, ACoordinatorMarksSpamWithoutReadingIt) {
  if (!server_.runtime) return;
  const std::string real = Seed();
  ASSERT_FALSE(real.empty());
  Runtime& rt = *server_.runtime;
  const int64_t before = Conversations();

  // The coordinator sees the rows (no links into them) and cannot open the conversation.
  Client coordinator = LoggedIn("coordinator.dehaven");
  HttpResult home = coordinator.Get("/staff");
  ASSERT_EQ(home.status, 200);
  ASSERT_EQ(RowIds(home.body).at(0), real);
  EXPECT_EQ(home.body.find("href=\"/staff/c/"), std::string::npos);
  HttpResult content = coordinator.Get("/staff/c/" + real);
  EXPECT_EQ(content.status, 403);
  EXPECT_EQ(content.body.find("CANARY-real-question"), std::string::npos);

  // Without the CSRF token, and from another organisation: nothing changes.
  EXPECT_EQ(coordinator.Post("/staff/c/" + real + "/spam", {{"view", "waiting"}}).status, 403);
  Client stranger = LoggedIn("advisor.shop");
  EXPECT_EQ(stranger.Post("/staff/c/" + real + "/spam", {{"csrf", stranger.csrf}}).status, 404);
  EXPECT_FALSE(store_test::ReadOne(rt.store(), &ConversationStore::FindByPublicId, real)->spam);
  EXPECT_TRUE(RowIds(stranger.Get("/staff").body).empty());

  // Marked from page 2 of the waiting view, she is sent back to that page.
  const std::string page2 = NextLink(home.body);
  ASSERT_FALSE(page2.empty());
  const std::string key = page2.substr(page2.find("after=") + 6);
  HttpResult marked = coordinator.Post("/staff/c/" + real + "/spam",
                                       {{"csrf", coordinator.csrf}, {"view", "waiting"}, {"after", key}});
  ASSERT_EQ(marked.status, 303) << marked.body;
  EXPECT_EQ(marked.Header("location"), page2);
  EXPECT_TRUE(store_test::ReadOne(rt.store(), &ConversationStore::FindByPublicId, real)->spam);

  // Out of every inbox view, into the spam view; still counted, still there.
  Client advisor = LoggedIn("advisor.dehaven");
  for (const char* view : {"/staff", "/staff?view=waiting", "/staff?view=answered", "/staff?view=all"}) {
    int pages = 0;
    std::vector<std::string> ids = Walk(advisor, view, &pages);
    EXPECT_EQ(std::count(ids.begin(), ids.end(), real), 0) << view;
  }
  EXPECT_EQ(RowIds(advisor.Get("/staff").body).at(0), "flood0");
  HttpResult spam = advisor.Get("/staff?view=spam");
  ASSERT_EQ(spam.status, 200);
  EXPECT_EQ(RowIds(spam.body), std::vector<std::string>{real});
  EXPECT_NE(spam.body.find("/staff/c/" + real + "/not-spam"), std::string::npos);
  EXPECT_EQ(Conversations(), before);
  // The operator's metrics count it by state as before, and as spam.
  Client ops(rt.metrics_port());
  HttpResult metrics = ops.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("vertrouwd_conversations{status=\"new\"} " + std::to_string(before)),
            std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("vertrouwd_conversations_spam " + std::to_string(1)), std::string::npos)
      << metrics.body;
  EXPECT_EQ(metrics.body.find(real), std::string::npos);
  EXPECT_EQ(advisor.Get("/staff/c/" + real).status, 200);  // an advisor can still read it

  // The audit log has the act and the conversation's public id, nothing of its content.
  auto audit = store_test::ReadOne(rt.store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(audit.has_value());
  const int64_t coordinator_id =
      store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "coordinator.dehaven")->id;
  int marks = 0;
  for (const AuditEntry& e : *audit) {
    if (e.action == "POST /staff/c/{id}/spam" && e.record == real && e.user_id == coordinator_id) ++marks;
    EXPECT_EQ(e.record.find("CANARY"), std::string::npos);
  }
  EXPECT_EQ(marks, 1);

  // "Not spam" (here by the advisor) puts it back at the head of the queue.
  HttpResult restored = advisor.Post("/staff/c/" + real + "/not-spam",
                                     {{"csrf", advisor.csrf}, {"view", "spam"}});
  ASSERT_EQ(restored.status, 303) << restored.body;
  EXPECT_EQ(restored.Header("location"), "/staff?view=spam");
  EXPECT_EQ(RowIds(advisor.Get("/staff").body).at(0), real);
  EXPECT_TRUE(RowIds(advisor.Get("/staff?view=spam").body).empty());
  for (const std::string& log : {server_.log->str()}) {
    EXPECT_EQ(log.find("CANARY"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, InboxHttpTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
