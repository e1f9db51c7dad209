// Crash safety: the real `vertrouwd serve` binary on SQLite is killed with SIGKILL while 8
// clients are starting conversations, then started again on the same data. Every receipt
// the server handed out must still open its conversation with its full text, and no
// conversation may exist without its first message.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "app/runtime.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "integration/child_process.h"
#include "integration/http_client.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

namespace fs = std::filesystem;

const std::string& kBinary = VertrouwdBinary();

struct Handed {
  std::string receipt;
  std::string text;
};

TEST(CrashSafetyTest, SigkillWhileStartingConversationsLosesNothingHandedOut) {
  ASSERT_TRUE(InitCrypto().has_value());
  ASSERT_TRUE(fs::exists(kBinary)) << kBinary;
  const fs::path dir = fs::temp_directory_path() / ("vd-crash-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  const std::string data = (dir / "data").string();
  const std::string config_file = (dir / "vertrouwd.toml").string();
  {
    std::ofstream cfg(config_file);
    cfg << "[server]\nlisten = \"127.0.0.1:0\"\nmetrics_listen = \"\"\nworker_threads = 4\n"
        << "[storage]\ndata_dir = \"" << data << "\"\n"
        << "[crypto]\nargon2_mem_mib = 8\nargon2_ops = 1\nargon2_concurrency = 4\n"
        << "[site]\nsecure_cookies = false\ntemplates_dir = \"" << VD_SOURCE_DIR << "/templates\"\n"
        << "static_dir = \"" << VD_SOURCE_DIR << "/static\"\n"
        << "locale_dir = \"" << VD_BINARY_DIR << "/locale\"\n"
        << "[log]\nlevel = \"info\"\n";
  }
  const std::string cli_log = (dir / "cli.log").string();
  ASSERT_EQ(RunCli({"--config", config_file, "pepper"}, cli_log), 0) << std::ifstream(cli_log).rdbuf();
  ASSERT_EQ(RunCli({"--config", config_file, "org", "add", "--slug", "dehaven", "--name", "De Haven"}, cli_log), 0)
      << std::ifstream(cli_log).rdbuf();
  // An organisation takes conversations once it has an advisor (its key pair), who sets her
  // password with the enrolment code the command printed (below, once the server runs).
  ASSERT_EQ(RunCli({"--config", config_file, "user", "add", "--username", "advisor.dehaven", "--role", "advisor",
                    "--org", "dehaven"},
                   cli_log),
            0)
      << std::ifstream(cli_log).rdbuf();
  std::stringstream cli_out;
  cli_out << std::ifstream(cli_log).rdbuf();
  const std::string enrolment_code = Extract(cli_out.str(), "enrolment code: +([0-9A-Z-]{39})");
  ASSERT_FALSE(enrolment_code.empty()) << cli_out.str();

  // First run: 8 clients start conversations until the server dies under them.
  std::vector<Handed> handed;
  std::mutex mu;
  {
    Child server;
    server.output_file = (dir / "serve1.log").string();
    ASSERT_TRUE(server.Spawn({"--config", config_file, "serve"}));
    const uint16_t port = server.WaitForPort();
    ASSERT_NE(port, 0) << server.Output();
    {
      Client advisor(port);
      advisor.Get("/staff/welcome");
      HttpResult welcomed = advisor.Post("/staff/welcome", {{"csrf", advisor.csrf},
                                                            {"username", "advisor.dehaven"},
                                                            {"code", enrolment_code},
                                                            {"password", "a long enough password"},
                                                            {"password2", "a long enough password"}});
      ASSERT_EQ(welcomed.status, 200) << welcomed.body;
    }
    std::atomic<bool> stop{false};
    std::atomic<int> attempts{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&, t] {
        for (int i = 0; !stop; ++i) {
          Client c(port);
          // Each client its own address, so the per-address start limit (10 at once) is
          // not what ends the run.
          c.source_address = "127.0.0." + std::to_string(10 + t);
          c.extra_headers["Accept-Language"] = "en";
          if (c.Get("/start").status != 200) continue;
          const std::string text = "crash-test client " + std::to_string(t) + " message " + std::to_string(i) +
                                   ": " + std::string(200 + 37 * t, 'a' + static_cast<char>(t));
          ++attempts;
          HttpResult r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", text}});
          if (r.status != 200) {
            if (i == 0) std::printf("crash test: client %d got %d\n", t, r.status);
            continue;
          }
          const std::string receipt = ReceiptFrom(r.body);
          if (receipt.size() != 16) continue;
          std::lock_guard lock(mu);
          handed.push_back({receipt, text});
        }
      });
    }
    // Kill once a few conversations were handed out and more are surely in flight.
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu);
        if (handed.size() >= 24) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(kill(server.pid, SIGKILL), 0);
    server.Wait();
    stop = true;
    for (auto& c : clients) c.join();
    std::printf("crash test: %d attempts, %zu receipts handed out before SIGKILL\n", attempts.load(),
                handed.size());
  }
  ASSERT_GE(handed.size(), 1u);

  // Second run on the same data: the first receipts open over HTTP (the receipt throttle
  // allows five tries per client address).
  {
    Child server;
    server.output_file = (dir / "serve2.log").string();
    ASSERT_TRUE(server.Spawn({"--config", config_file, "serve"}));
    const uint16_t port = server.WaitForPort();
    ASSERT_NE(port, 0) << server.Output();
    for (size_t i = 0; i < std::min<size_t>(handed.size(), 5); ++i) {
      Client c(port);
      c.extra_headers["Accept-Language"] = "en";
      c.Get("/open");
      HttpResult opened = c.Post("/open", {{"csrf", c.csrf}, {"receipt", handed[i].receipt}});
      ASSERT_EQ(opened.status, 303) << "receipt " << i << " does not open after the restart";
      HttpResult conv = c.Get("/c");
      EXPECT_EQ(conv.status, 200);
      EXPECT_NE(conv.body.find(handed[i].text), std::string::npos) << "text lost for receipt " << i;
    }
    kill(server.pid, SIGTERM);
    server.Wait();
  }

  // All of them, and the no-orphan check, through the same Runtime the server runs.
  Config config = DefaultConfig();
  ASSERT_TRUE(ApplyTomlFile(config_file, config).has_value());
  SystemClock clock;
  auto rt = Runtime::Open(config, clock);
  ASSERT_TRUE(rt.has_value()) << rt.error().detail;
  for (const Handed& h : handed) {
    auto opened = (*rt)->conversations().Open(h.receipt);
    ASSERT_TRUE(opened.has_value()) << "a handed-out receipt does not open";
    auto view = (*rt)->conversations().ReadAsWorker(opened->conversation_id, opened->secret_key);
    ASSERT_TRUE(view.has_value());
    ASSERT_FALSE(view->messages.empty());
    EXPECT_EQ(view->messages.front().text, h.text);
  }
  auto org = store_test::ReadOne((*rt)->store(), &StaffStore::FindOrganisationBySlug, "dehaven");
  ASSERT_TRUE(org.has_value());
  auto inbox =
      store_test::ReadOne((*rt)->store(), &ConversationStore::Inbox, org->id, std::nullopt, 100000);
  ASSERT_TRUE(inbox.has_value());
  EXPECT_GE(inbox->size(), handed.size());
  for (const InboxEntry& e : *inbox) EXPECT_GE(e.message_count, 1) << "a conversation without its first message";
  auto counts = store_test::ReadOne((*rt)->store(), &ConversationStore::CountByStatus);
  ASSERT_TRUE(counts.has_value());
  int64_t total = 0;
  for (const auto& [status, n] : *counts) total += n;
  EXPECT_EQ(total, static_cast<int64_t>(inbox->size()));
}

}  // namespace
}  // namespace vd::testing
