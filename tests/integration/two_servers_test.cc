// Several servers, one PostgreSQL database: the whole flow with every request going to the
// other server than the one before; periodic jobs run once across servers.

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "crypto/totp.h"
#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

// One browser whose every request goes to the other server than the one before.
class Alternating {
 public:
  Alternating(uint16_t a, uint16_t b) : ports_{a, b} {}
  HttpResult Get(const std::string& target) {
    Client c = Next();
    HttpResult r = c.Get(target);
    Keep(c);
    return r;
  }
  HttpResult Post(const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& form) {
    Client c = Next();
    HttpResult r = c.Post(target, form);
    Keep(c);
    return r;
  }
  // A separate client on one server with this browser's cookies (for concurrent requests).
  Client On(int server) const {
    Client c(ports_[server]);
    c.cookies = cookies_;
    c.csrf = csrf_;
    return c;
  }
  const std::string& csrf() const { return csrf_; }

 private:
  Client Next() {
    Client c(ports_[n_++ % 2]);
    c.cookies = cookies_;
    c.csrf = csrf_;
    return c;
  }
  void Keep(const Client& c) {
    cookies_ = c.cookies;
    csrf_ = c.csrf;
  }
  uint16_t ports_[2];
  int n_ = 0;
  std::map<std::string, std::string> cookies_;
  std::string csrf_;
};

TEST(TwoServersTest, TheWholeFlowSwitchingServersOnEveryRequest) {
  TestServer first;
  if (!first.Start(Backend::kPostgres)) return;
  AddOrganisation(*first.runtime, "dehaven", "De Haven");
  const std::string totp = AddStaff(*first.runtime, "advisor.dehaven", "correct horse battery staple",
                                    Role::kAdvisor, "dehaven");
  auto second = Runtime::Open(first.config, first.clock);
  ASSERT_TRUE(second.has_value()) << second.error().detail;
  auto pa = first.runtime->Start();
  auto pb = (*second)->Start();
  ASSERT_TRUE(pa && pb);

  Alternating worker(*pa, *pb);
  ASSERT_EQ(worker.Get("/start").status, 200);
  HttpResult started = worker.Post("/start", {{"csrf", worker.csrf()}, {"organisation", "dehaven"},
                                               {"message", "hello from two servers"}});
  ASSERT_EQ(started.status, 200) << started.body;
  std::string receipt;
  for (size_t pos = 0; (pos = started.body.find("<span>", pos)) != std::string::npos; pos += 6) {
    receipt += started.body.substr(pos + 6, 4);
  }
  ASSERT_EQ(receipt.size(), 16u);
  EXPECT_NE(worker.Get("/c").body.find("hello from two servers"), std::string::npos);

  Alternating advisor(*pa, *pb);
  advisor.Get("/staff/login");
  auto secret = TotpSecretFromBase32(totp);
  ASSERT_EQ(advisor.Post("/staff/login", {{"csrf", advisor.csrf()}, {"username", "advisor.dehaven"},
                                           {"password", "correct horse battery staple"},
                                           {"code", TotpCode(*secret, first.clock.Now())}}).status, 303);
  HttpResult inbox = advisor.Get("/staff");
  const std::string id = Extract(inbox.body, "href=\"/staff/c/([A-Za-z0-9_-]+)\"");
  ASSERT_FALSE(id.empty()) << inbox.body;
  EXPECT_NE(advisor.Get("/staff/c/" + id).body.find("hello from two servers"), std::string::npos);

  // Two advisor replies at the same moment, one through each server: neither is lost.
  Client via_a = advisor.On(0), via_b = advisor.On(1);
  auto f1 = std::async(std::launch::async, [&] {
    return via_a.Post("/staff/c/" + id + "/reply", {{"csrf", via_a.csrf}, {"message", "reply one"}}).status;
  });
  HttpResult r2 = via_b.Post("/staff/c/" + id + "/reply", {{"csrf", via_b.csrf}, {"message", "reply two"}});
  EXPECT_EQ(f1.get(), 303);
  EXPECT_EQ(r2.status, 303);

  Alternating back(*pa, *pb);
  back.Get("/open");
  ASSERT_EQ(back.Post("/open", {{"csrf", back.csrf()}, {"receipt", receipt}}).status, 303);
  HttpResult conv = back.Get("/c");
  EXPECT_NE(conv.body.find("reply one"), std::string::npos);
  EXPECT_NE(conv.body.find("reply two"), std::string::npos);
  ASSERT_EQ(back.Post("/c/delete", {{"csrf", back.csrf()}, {"confirm", "yes"}}).status, 200);
  EXPECT_EQ(back.Get("/c").status, 401);

  // Periodic jobs: while one server holds the maintenance lock, the other skips.
  std::promise<void> entered, release;
  auto holder = std::async(std::launch::async, [&] {
    return first.runtime->store().RunExclusive(42, [&]() -> Status {
      entered.set_value();
      release.get_future().wait();
      return {};
    });
  });
  entered.get_future().wait();
  std::atomic<int> ran{0};
  auto skipped = (*second)->store().RunExclusive(42, [&]() -> Status {
    ++ran;
    return {};
  });
  ASSERT_TRUE(skipped.has_value());
  EXPECT_FALSE(*skipped);
  release.set_value();
  EXPECT_TRUE(*holder.get());
  EXPECT_EQ(ran.load(), 0);
  auto after = (*second)->store().RunExclusive(42, [&]() -> Status {
    ++ran;
    return {};
  });
  EXPECT_TRUE(*after);
  EXPECT_EQ(ran.load(), 1);
  EXPECT_TRUE((*second)->Maintain());
  (*second)->Stop();
}

}  // namespace
}  // namespace vd::testing
