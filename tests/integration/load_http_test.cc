// Issue 16's two outages, replayed against the real application: one address holding every
// connection it can, and a flood of Argon2id receipt guesses from many addresses. Neither
// may slow down or refuse the pages a real worker needs.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

int64_t MsSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t0).count();
}

// A blocking loopback connection from `source`; -1 if it could not be made.
int ConnectFrom(const char* source, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(port);
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The server's metric `name` (a gauge without labels), or -1.
double Gauge(uint16_t metrics_port, const std::string& name) {
  Client m(metrics_port);
  HttpResult r = m.Get("/metrics");
  const std::string v = Extract(r.body, "\n" + name + " ([0-9.]+)");
  return v.empty() ? -1 : std::stod(v);
}

TEST(LoadHttpTest, OneAddressHoldingEveryConnectionItCanDoesNotSlowAnother) {
  // The hog and the server share this process's descriptors: leave the server plenty.
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);

  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  const size_t cap = static_cast<size_t>(server.config.connections_per_address);

  // The hog opens connection after connection from 127.0.0.2 and keeps every one the
  // server keeps; the ones the server turns away (with its 429 page) it closes and tries
  // again at once.
  std::atomic<bool> stop{false};
  std::atomic<int> refused{0}, opened{0};
  size_t kept = 0;  // connections the server still held once the hog stopped opening more
  std::string refusal_page;
  std::thread hog([&] {
    std::vector<int> held;
    auto sweep = [&](int wait_ms) {
      std::vector<pollfd> polls;
      for (int fd : held) polls.push_back({fd, POLLIN, 0});
      ::poll(polls.data(), polls.size(), wait_ms);
      std::vector<int> still;
      for (const pollfd& p : polls) {
        if (p.revents == 0) {
          still.push_back(p.fd);
          continue;
        }
        char buf[4096];
        const ssize_t n = ::recv(p.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0 && refusal_page.empty()) refusal_page.assign(buf, static_cast<size_t>(n));
        ++refused;
        ::close(p.fd);
      }
      held.swap(still);
    };
    while (!stop) {
      for (int i = 0; i < 16 && !stop; ++i) {
        const int fd = ConnectFrom("127.0.0.2", *port);
        if (fd >= 0) {
          held.push_back(fd);
          ++opened;
        }
      }
      sweep(20);  // whatever the server already answered or closed is a refusal
    }
    // What the server really keeps: the refusals still on their way have arrived by now.
    std::this_thread::sleep_for(milliseconds(500));
    sweep(0);
    kept = held.size();
    for (int fd : held) ::close(fd);
  });

  // Let the hog fill its share first.
  for (int i = 0; i < 500 && refused.load() == 0; ++i) std::this_thread::sleep_for(milliseconds(10));
  ASSERT_GT(refused.load(), 0) << "the hog was never refused";

  Client worker(*port);
  worker.source_address = "127.0.0.3";
  worker.extra_headers["Accept-Language"] = "en";
  int ok = 0;
  int64_t slowest = 0;
  for (int i = 0; i < 100; ++i) {
    const auto t0 = SteadyClock::now();
    HttpResult r = worker.Get("/");
    const int64_t ms = MsSince(t0);
    slowest = std::max(slowest, ms);
    EXPECT_EQ(r.status, 200) << "load " << i;
    EXPECT_LT(ms, 1000) << "load " << i << " took " << ms << " ms";
    if (r.status == 200 && ms < 1000) ++ok;
  }
  stop = true;
  hog.join();
  EXPECT_EQ(ok, 100);
  // The hog kept exactly its share: the server held every one up to the cap, no more.
  EXPECT_EQ(kept, cap) << "opened " << opened << ", refused " << refused;
  EXPECT_NE(refusal_page.find("HTTP/1.1 429 "), std::string::npos) << refusal_page.substr(0, 200);
  EXPECT_NE(refusal_page.find("Retry-After: 10"), std::string::npos);
  EXPECT_NE(refusal_page.find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  std::printf("hog opened %d connections, %d refused, %zu kept; slowest landing page %lld ms\n",
              opened.load(), refused.load(), kept, static_cast<long long>(slowest));
}

TEST(LoadHttpTest, AReceiptGuessingFloodFromManyAddressesDoesNotDelayAWorker) {
  TestServer server;
  // A real Argon2id cost, so that the flood is a flood: the gate does a few hashes a second.
  server.configure = [](Config& c) {
    c.pwhash.ops_limit = 2;
    c.pwhash.mem_limit = 64u << 20;
  };
  if (!server.Start(Backend::kSqlite)) return;
  AddOrganisation(*server.runtime, "dehaven", "De Haven");
  AddStaff(*server.runtime, "advisor.dehaven", "correct horse battery staple", Role::kAdvisor,
           "dehaven");  // makes the organisation's key
  auto port = server.runtime->Start();
  ASSERT_TRUE(port.has_value());
  const uint16_t metrics = server.runtime->metrics_port();

  // 200 guessers from 50 addresses, each with the form's token, released together.
  constexpr int kGuessers = 200;
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;
  std::vector<int> statuses(kGuessers, 0);
  std::vector<std::string> bodies(kGuessers);
  std::vector<std::thread> guessers;
  std::atomic<int> ready{0};
  for (int i = 0; i < kGuessers; ++i) {
    guessers.emplace_back([&, i] {
      Client c(*port);
      c.source_address = "127.0.2." + std::to_string(1 + i % 50);
      c.extra_headers["Accept-Language"] = "en";
      c.Get("/open");
      ++ready;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return go; });
      }
      char receipt[32];
      std::snprintf(receipt, sizeof receipt, "%016d", 4000000 + i);
      HttpResult r = c.Post("/open", {{"csrf", c.csrf}, {"receipt", receipt}});
      statuses[i] = r.status;
      bodies[i] = r.body;
    });
  }
  while (ready.load() < kGuessers) std::this_thread::sleep_for(milliseconds(5));
  {
    std::lock_guard lock(mu);
    go = true;
  }
  cv.notify_all();
  // The flood is really there: hashes are waiting in their lane.
  double depth = 0;
  for (int i = 0; i < 200 && depth < 10; ++i) {
    depth = std::max(depth, Gauge(metrics, "vertrouwd_hashing_queue_depth"));
    if (depth < 10) std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_GE(depth, 10) << "the guessing flood never queued";

  // A worker starts a conversation meanwhile, and then uses the service.
  Client worker(*port);
  worker.source_address = "127.0.0.3";
  worker.extra_headers["Accept-Language"] = "en";
  ASSERT_EQ(worker.Get("/start").status, 200);
  const auto t0 = SteadyClock::now();
  HttpResult started = worker.Post(
      "/start", {{"csrf", worker.csrf}, {"organisation", "dehaven"}, {"message", "hallo"}});
  const int64_t start_ms = MsSince(t0);
  EXPECT_EQ(started.status, 200) << started.body.substr(0, 300);
  EXPECT_LT(start_ms, 2000) << "starting took " << start_ms << " ms during the flood";
  const std::vector<std::string> pages = {"/", "/c", "/help", "/start", "/open"};
  int served = 0;
  for (int i = 0; i < 50; ++i) {
    HttpResult r = worker.Get(pages[static_cast<size_t>(i) % pages.size()]);
    EXPECT_NE(r.status, 503) << pages[static_cast<size_t>(i) % pages.size()];
    if (r.status == 200) ++served;
  }
  EXPECT_EQ(served, 50);
  const double still_queued = Gauge(metrics, "vertrouwd_hashing_queue_depth");
  for (auto& t : guessers) t.join();

  // Every guess was checked (404) or refused as "busy" or throttled (429): never a 503.
  int checked = 0, busy = 0;
  for (int i = 0; i < kGuessers; ++i) {
    EXPECT_TRUE(statuses[i] == 404 || statuses[i] == 429) << i << ": " << statuses[i];
    if (statuses[i] == 404) ++checked;
    if (statuses[i] == 429 && bodies[i].find("very busy") != std::string::npos) ++busy;
  }
  EXPECT_GT(busy, 0) << "the lane never filled, so this test proves nothing";
  std::printf("start took %lld ms; %d guesses checked, %d refused busy; lane depth %.0f at the "
              "peak, %.0f after the worker's 50 pages\n",
              static_cast<long long>(start_ms), checked, busy, depth, still_queued);
}

}  // namespace
}  // namespace vd::testing
