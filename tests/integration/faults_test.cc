// Faults survived (issue 16): the real `vertrouwd serve` binary while its database fails
// under it and comes back.
//
// - PostgreSQL stopped for 10 s and started again, while 8 clients start conversations and
//   2 advisors reply: meanwhile every answer is a 503 with the clear "cannot reach our
//   records" page (never a 500, never a detail), the server reconnects by itself, and every
//   receipt and reply it acknowledged is there afterwards. The test runs a PostgreSQL server
//   of its own (initdb in a temporary folder, a unix socket only, as the `postgres` user when
//   run as root), so that stopping it does not touch the server other tests share.
// - The disk fills under SQLite: the data folder is a tmpfs of 8 MiB, filled to the last
//   block by a filler file. New writes get a 503 with the "cannot save anything new" page,
//   reads go on, and once the filler is gone writes work again; every acknowledged write is
//   there, nothing is half-written (integrity check, no conversation without its first
//   message). A tmpfs gives the ENOSPC a real full disk gives (SQLite's SQLITE_FULL);
//   RLIMIT_FSIZE would give EFBIG, which SQLite reports as a different error (an I/O error),
//   and it limits each file rather than the space they share. Mounting needs root, which
//   the test suite has on a Debian machine (scripts/test.sh); without it the test skips.

#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
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
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kPassword[] = "a long enough password";
constexpr char kUnreachable[] = "We cannot reach our records right now.";
constexpr char kFull[] = "We cannot save anything new right now.";

std::string Quote(const std::string& s) { return "'" + s + "'"; }

std::string Slurp(const std::string& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A temporary folder, removed with everything in it.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& prefix)
      : path(fs::temp_directory_path() / (prefix + HexEncode(RandomBytes(6)))) {
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void WriteConfig(const std::string& file, const std::string& data, const std::string& database) {
  std::ofstream cfg(file);
  cfg << "[server]\nlisten = \"127.0.0.1:0\"\nmetrics_listen = \"\"\nworker_threads = 4\n"
      << "[storage]\ndata_dir = \"" << data << "\"\n";
  if (!database.empty()) cfg << "database = \"" << database << "\"\n";
  cfg << "[crypto]\nargon2_mem_mib = 8\nargon2_ops = 1\nargon2_concurrency = 4\n"
      << "[site]\nsecure_cookies = false\ntrusted_proxy = \"127.0.0.1\"\n"
      << "templates_dir = \"" << VD_SOURCE_DIR << "/templates\"\n"
      << "static_dir = \"" << VD_SOURCE_DIR << "/static\"\n"
      << "locale_dir = \"" << VD_BINARY_DIR << "/locale\"\n"
      << "[log]\nlevel = \"info\"\n";
}

Config LoadConfig(const std::string& file) {
  Config config = DefaultConfig();
  EXPECT_TRUE(ApplyTomlFile(file, config).has_value());
  return config;
}

// The organisation and its advisors, made through a Runtime of the test's own before the
// server starts (the pepper file first, as `vertrouwd init` would). Returns their TOTP secrets.
std::vector<std::string> Prepare(const std::string& config_file, const std::string& log, int advisors) {
  EXPECT_EQ(RunCli({"--config", config_file, "pepper"}, log), 0) << Slurp(log);
  SystemClock clock;
  auto rt = Runtime::Open(LoadConfig(config_file), clock);
  EXPECT_TRUE(rt.has_value()) << (rt ? "" : rt.error().detail);
  if (!rt) return {};
  AddOrganisation(**rt, "dehaven", "De Haven");
  std::vector<std::string> secrets;
  for (int a = 0; a < advisors; ++a) {
    secrets.push_back(AddStaff(**rt, "advisor" + std::to_string(a), kPassword, Role::kAdvisor, "dehaven"));
  }
  return secrets;
}

Client Worker(uint16_t port, const std::string& address) {
  Client c(port);
  c.extra_headers["Accept-Language"] = "en";
  c.extra_headers["X-Real-IP"] = address;
  return c;
}

// A worker address of its own for every new conversation, so that the per-address start
// limit (10, then one per 30 s) is not what refuses them.
std::string WorkerAddress(int client, int i) {
  return "10." + std::to_string(client + 1) + "." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

struct Handed {
  std::string receipt;
  std::string text;
};

struct Reply {
  std::string conversation;  // the public id in /staff/c/ID
  std::string text;
};

// Every answer the clients got, and what was wrong with any of them.
struct Ledger {
  std::mutex mu;
  std::map<int, int> statuses;
  std::vector<std::string> problems;
  int clear_503 = 0;

  // `clear` is the text a 503 must carry.
  void Note(const HttpResult& r, const std::string& what, const char* clear) {
    std::lock_guard lock(mu);
    ++statuses[r.status];
    auto problem = [&](const std::string& p) {
      if (problems.size() < 20) problems.push_back(what + ": " + p);
    };
    if (r.status == 0) problem("no answer");
    if (r.status >= 500 && r.status != 503) problem("status " + std::to_string(r.status));
    if (r.status == 503) {
      if (r.body.find(clear) == std::string::npos) problem("a 503 without the clear message");
      if (r.Header("retry-after").empty()) problem("a 503 without Retry-After");
      for (const char* leak : {"sqlstate", "SQLSTATE", "connection lost", "sqlite", "disk full", "soci"}) {
        if (r.body.find(leak) != std::string::npos) problem(std::string("a 503 naming ") + leak);
      }
      ++clear_503;
    }
  }
};

// A private PostgreSQL server: initdb in a temporary folder, a unix socket in that folder
// only (no TCP), run as the `postgres` user when the test runs as root (initdb and postgres
// refuse root).
class PrivatePostgres {
 public:
  // "" if there are no PostgreSQL server binaries.
  static std::string FindBin() {
    if (const char* b = std::getenv("VD_TEST_PG_BIN"); b && *b && fs::exists(fs::path(b) / "initdb")) return b;
    std::string best;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
      const fs::path bin = e.path() / "bin";
      if (fs::exists(bin / "initdb") && bin.string() > best) best = bin.string();
    }
    return best;
  }

  explicit PrivatePostgres(std::string bin) : bin_(std::move(bin)), dir_("vd-pgfault-") {}
  ~PrivatePostgres() {
    if (running_ && !Ctl("-m fast -w stop")) Ctl("-m immediate -w stop");
  }

  std::string dir() const { return dir_.path.string(); }
  const std::string& user() const { return user_; }

  bool Init() {
    const bool root = geteuid() == 0;
    if (root) {
      if (std::system(("chown postgres:postgres " + Quote(dir())).c_str()) != 0) return false;
      user_ = "root";
    } else {
      const passwd* pw = getpwuid(geteuid());
      if (!pw) return false;
      user_ = pw->pw_name;
    }
    fs::permissions(dir_.path, fs::perms::owner_all, fs::perm_options::replace);
    if (!AsPostgres(bin_ + "/initdb -D " + Quote(dir() + "/data") +
                    " --no-sync -A trust -U postgres -E UTF8 --locale=C.UTF-8 >" + Quote(dir() + "/initdb.log") +
                    " 2>&1")) {
      return false;
    }
    if (!Start()) return false;
    const std::string psql = bin_ + "/psql -q -X -v ON_ERROR_STOP=1 -h " + Quote(dir()) + " -U postgres -d postgres";
    if (root && !AsPostgres(psql + " -c 'CREATE ROLE root SUPERUSER LOGIN' >/dev/null")) return false;
    return AsPostgres(psql + " -c 'CREATE DATABASE vd OWNER \"" + user_ + "\"' >/dev/null");
  }

  bool Start() {
    running_ = true;
    return Ctl("-l " + Quote(dir() + "/server.log") + " -w -t 60 -o \"-c listen_addresses='' " +
               "-c unix_socket_directories='" + dir() + "' -c fsync=off -c max_connections=50\" start");
  }
  // A fast shutdown, as `systemctl stop postgresql` does: open connections are ended.
  bool Stop() {
    const bool ok = Ctl("-m fast -w stop");
    running_ = !ok;
    return ok;
  }

  std::string Url() const { return "pg:host=" + dir() + " dbname=vd user=" + user_; }
  std::string Log() const { return Slurp(dir() + "/server.log") + Slurp(dir() + "/initdb.log"); }

 private:
  bool AsPostgres(const std::string& cmd) const {
    const std::string in_dir = "cd " + Quote(dir()) + " && ";
    const std::string full = geteuid() == 0 ? in_dir + "runuser -u postgres -- " + cmd : in_dir + cmd;
    return std::system(full.c_str()) == 0;
  }
  bool Ctl(const std::string& args) const {
    return AsPostgres(bin_ + "/pg_ctl -D " + Quote(dir() + "/data") + " " + args + " >/dev/null 2>&1");
  }

  std::string bin_;
  TempDir dir_;
  std::string user_;
  bool running_ = false;
};

// Every handed-out receipt opens its conversation with its first message, through a Runtime
// on the same database.
void ExpectReceiptsOpen(const std::string& config_file, const std::vector<Handed>& handed) {
  SystemClock clock;
  auto rt = Runtime::Open(LoadConfig(config_file), clock);
  ASSERT_TRUE(rt.has_value()) << rt.error().detail;
  int missing = 0;
  for (const Handed& h : handed) {
    auto opened = (*rt)->conversations().Open(h.receipt);
    if (!opened) {
      ++missing;
      continue;
    }
    auto view = (*rt)->conversations().ReadAsWorker(opened->conversation_id, opened->secret_key);
    if (!view || view->messages.empty() || view->messages.front().text != h.text) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << handed.size() << " acknowledged conversations";
  // Nothing half-written: every conversation has its first message, and every one is counted.
  auto org = store_test::ReadOne((*rt)->store(), &StaffStore::FindOrganisationBySlug, "dehaven");
  ASSERT_TRUE(org.has_value());
  auto inbox = store_test::ReadOne((*rt)->store(), &ConversationStore::Inbox, org->id, std::nullopt, 100000);
  ASSERT_TRUE(inbox.has_value());
  EXPECT_GE(inbox->size(), handed.size());
  for (const InboxEntry& e : *inbox) EXPECT_GE(e.message_count, 1) << "a conversation without its first message";
  auto counts = store_test::ReadOne((*rt)->store(), &ConversationStore::CountByStatus);
  ASSERT_TRUE(counts.has_value());
  int64_t total = 0;
  for (const auto& [status, n] : *counts) total += n;
  EXPECT_EQ(total, static_cast<int64_t>(inbox->size()));
}

TEST(FaultsTest, PostgresStoppedForTenSecondsAnswers503ThenReconnectsAndLosesNothing) {
  ASSERT_TRUE(InitCrypto().has_value());
  ASSERT_TRUE(fs::exists(VertrouwdBinary())) << VertrouwdBinary();
  const std::string bin = PrivatePostgres::FindBin();
  if (bin.empty()) {
    if (std::getenv("VD_REQUIRE_PG")) FAIL() << "no PostgreSQL server binaries under /usr/lib/postgresql";
    GTEST_SKIP() << "no PostgreSQL server binaries (apt-get install postgresql)";
  }
  PrivatePostgres pg(bin);
  ASSERT_TRUE(pg.Init()) << pg.Log();

  TempDir dir("vd-pgfault-app-");
  const std::string config_file = (dir.path / "vertrouwd.toml").string();
  WriteConfig(config_file, (dir.path / "data").string(), pg.Url());
  const std::vector<std::string> totp = Prepare(config_file, (dir.path / "cli.log").string(), 2);
  ASSERT_EQ(totp.size(), 2u);

  Child server;
  server.output_file = (dir.path / "serve.log").string();
  ASSERT_TRUE(server.Spawn({"--config", config_file, "serve"}));
  const uint16_t port = server.WaitForPort();
  ASSERT_NE(port, 0) << server.Output();

  std::vector<Client> advisors;
  for (int a = 0; a < 2; ++a) {
    advisors.push_back(Worker(port, "192.0.2." + std::to_string(a + 1)));
    HttpResult in = LogIn(advisors.back(), "advisor" + std::to_string(a), kPassword, totp[a], SystemClock().Now());
    ASSERT_EQ(in.status, 303) << in.body;
  }

  Ledger ledger;
  std::mutex mu;
  std::vector<Handed> handed;
  std::vector<Reply> replies;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> restarted_at{0};  // steady-clock ms once PostgreSQL is back
  std::atomic<int> starts_after{0}, replies_after{0};
  auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        Client c = Worker(port, WorkerAddress(t, i));
        const int64_t began = now_ms();
        HttpResult form = c.Get("/start");
        ledger.Note(form, "GET /start", kUnreachable);
        if (form.status == 200) {
          const std::string text = "fault client " + std::to_string(t) + " message " + std::to_string(i);
          HttpResult r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", text}});
          ledger.Note(r, "POST /start", kUnreachable);
          const std::string receipt = ReceiptFrom(r.body);
          if (r.status == 200 && receipt.size() == 16) {
            std::lock_guard lock(mu);
            handed.push_back({receipt, text});
            if (restarted_at && began > restarted_at) ++starts_after;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
      }
    });
  }
  for (int a = 0; a < 2; ++a) {
    threads.emplace_back([&, a] {
      Client& c = advisors[a];
      for (int i = 0; !stop; ++i) {
        const int64_t began = now_ms();
        HttpResult inbox = c.Get("/staff");
        ledger.Note(inbox, "GET /staff", kUnreachable);
        std::vector<std::string> ids;
        const std::regex link("href=\"/staff/c/([A-Za-z0-9_-]+)\"");
        for (std::sregex_iterator m(inbox.body.begin(), inbox.body.end(), link), end; m != end; ++m) {
          ids.push_back((*m)[1]);
        }
        if (inbox.status == 200 && !ids.empty()) {
          const std::string id = ids[static_cast<size_t>(i) % ids.size()];
          HttpResult page = c.Get("/staff/c/" + id);
          ledger.Note(page, "GET /staff/c/ID", kUnreachable);
          if (page.status == 200) {
            const std::string text = "advisor " + std::to_string(a) + " reply " + std::to_string(i);
            HttpResult r = c.Post("/staff/c/" + id + "/reply", {{"csrf", c.csrf}, {"message", text}});
            ledger.Note(r, "POST /staff/c/ID/reply", kUnreachable);
            if (r.status == 303) {
              std::lock_guard lock(mu);
              replies.push_back({id, text});
              if (restarted_at && began > restarted_at) ++replies_after;
            }
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
      }
    });
  }
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } joiner{stop, threads};

  auto wait_for = [&](auto done, int seconds) {
    for (int i = 0; i < seconds * 20 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return done();
  };
  ASSERT_TRUE(wait_for(
      [&] {
        std::lock_guard lock(mu);
        return handed.size() >= 16 && replies.size() >= 4;
      },
      30))
      << "no traffic before the fault";

  ASSERT_TRUE(pg.Stop()) << pg.Log();
  const int before_503 = [&] {
    std::lock_guard lock(ledger.mu);
    return ledger.clear_503;
  }();
  std::this_thread::sleep_for(std::chrono::seconds(10));
  int during_503 = 0;
  {
    std::lock_guard lock(ledger.mu);
    during_503 = ledger.clear_503 - before_503;
  }
  // Meanwhile the landing page, which needs no database, is still served, and /healthz
  // tells the load balancer.
  EXPECT_EQ(Worker(port, "192.0.2.9").Get("/").status, 200);
  EXPECT_EQ(Worker(port, "192.0.2.9").Get("/healthz").status, 503);
  ASSERT_TRUE(pg.Start()) << pg.Log();
  restarted_at = now_ms();
  const bool reconnected = wait_for([&] { return starts_after >= 8 && replies_after >= 2; }, 20);
  std::printf("postgres fault: %d clear 503s during the outage; back after %lld ms\n", during_503,
              static_cast<long long>(now_ms() - restarted_at));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // and it stays back
  stop = true;
  for (auto& t : threads) t.join();
  threads.clear();

  EXPECT_GT(during_503, 0) << "no 503 while PostgreSQL was down";
  EXPECT_TRUE(reconnected) << "the server did not start conversations and take replies again within 20 s";
  EXPECT_EQ(Worker(port, "192.0.2.9").Get("/healthz").body, "ok\n");
  {
    std::lock_guard lock(ledger.mu);
    std::string seen;
    for (const auto& [status, n] : ledger.statuses) seen += " " + std::to_string(status) + "x" + std::to_string(n);
    std::printf("postgres fault: answers%s; %zu conversations and %zu replies acknowledged\n", seen.c_str(),
                handed.size(), replies.size());
    for (const std::string& p : ledger.problems) ADD_FAILURE() << p;
  }
  // Every acknowledged reply is in its conversation, read back through the same server.
  Client& reader = advisors[0];
  std::map<std::string, std::string> pages;
  int missing = 0;
  for (const Reply& r : replies) {
    auto [it, fresh] = pages.try_emplace(r.conversation);
    if (fresh) {
      HttpResult page = reader.Get("/staff/c/" + r.conversation);
      ASSERT_EQ(page.status, 200) << "conversation " << r.conversation;
      it->second = page.body;
    }
    if (it->second.find(r.text) == std::string::npos) ++missing;
  }
  EXPECT_EQ(missing, 0) << "of " << replies.size() << " acknowledged replies";
  ExpectReceiptsOpen(config_file, handed);
  kill(server.pid, SIGTERM);
  server.Wait();
}

// Fills the file system at `dir` to the last block; returns the filler's path.
std::string Fill(const fs::path& dir) {
  const std::string filler = (dir / "filler").string();
  FILE* f = std::fopen(filler.c_str(), "ab");
  if (!f) return filler;
  std::setvbuf(f, nullptr, _IONBF, 0);
  std::vector<char> block(64 * 1024, 'f');
  for (size_t size : {64 * 1024, 4096, 512, 1}) {
    while (std::fwrite(block.data(), 1, size, f) == size) {
    }
    std::clearerr(f);
  }
  std::fclose(f);
  return filler;
}

TEST(FaultsTest, DiskFullRefusesWritesKeepsReadsAndLosesNothing) {
  ASSERT_TRUE(InitCrypto().has_value());
  ASSERT_TRUE(fs::exists(VertrouwdBinary())) << VertrouwdBinary();
  if (geteuid() != 0) GTEST_SKIP() << "mounting a size-limited tmpfs needs root";
  TempDir dir("vd-diskfull-");
  const fs::path data = dir.path / "data";
  fs::create_directories(data);
  if (mount("vd-diskfull", data.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=0700") != 0) {
    if (errno == EPERM) GTEST_SKIP() << "no permission to mount a tmpfs (a container without CAP_SYS_ADMIN)";
    FAIL() << "mount tmpfs: " << std::strerror(errno);
  }
  struct Unmount {
    fs::path at;
    ~Unmount() { umount2(at.c_str(), MNT_DETACH); }
  } unmount{data};

  const std::string config_file = (dir.path / "vertrouwd.toml").string();
  WriteConfig(config_file, data.string(), "");
  const std::vector<std::string> totp = Prepare(config_file, (dir.path / "cli.log").string(), 1);
  ASSERT_EQ(totp.size(), 1u);
  Child server;
  server.output_file = (dir.path / "serve.log").string();
  ASSERT_TRUE(server.Spawn({"--config", config_file, "serve"}));
  const uint16_t port = server.WaitForPort();
  ASSERT_NE(port, 0) << server.Output();

  Ledger ledger;
  std::vector<Handed> handed;
  int next_address = 0;
  // Starts a conversation; returns the answer's status (200 with a receipt is recorded).
  auto start = [&](const std::string& text, Client* keep = nullptr) {
    Client c = Worker(port, WorkerAddress(0, next_address++));
    HttpResult form = c.Get("/start");
    ledger.Note(form, "GET /start", kFull);
    if (form.status != 200) return form.status;
    HttpResult r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", text}});
    ledger.Note(r, "POST /start", kFull);
    const std::string receipt = ReceiptFrom(r.body);
    if (r.status == 200 && receipt.size() == 16) {
      handed.push_back({receipt, text});
      if (keep) *keep = c;
    }
    return r.status;
  };
  // Before: a worker in her conversation, an advisor logged in who has answered her.
  Client worker(port);
  ASSERT_EQ(start("the first message, before the disk fills", &worker), 200);
  ASSERT_EQ(worker.Get("/c").status, 200);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(start("before the disk fills " + std::to_string(i)), 200);
  Client advisor = Worker(port, "192.0.2.1");
  ASSERT_EQ(LogIn(advisor, "advisor0", kPassword, totp[0], SystemClock().Now()).status, 303);
  HttpResult inbox = advisor.Get("/staff");
  ASSERT_EQ(inbox.status, 200);
  const std::string id = Extract(inbox.body, "href=\"/staff/c/([A-Za-z0-9_-]+)\"");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(advisor.Get("/staff/c/" + id).status, 200);
  ASSERT_EQ(advisor.Post("/staff/c/" + id + "/reply", {{"csrf", advisor.csrf}, {"message", "a reply before"}}).status,
            303);

  // The disk fills. Writes are refused with the clear page (one may still land in room the
  // write-ahead log already holds: then it is acknowledged and must be there later).
  const std::string filler = Fill(data);
  int refused = 0;
  std::vector<std::string> worker_replies;
  for (int i = 0; i < 60 && refused < 5; ++i) {
    const int status = start("while the disk is full " + std::to_string(i) + " " + std::string(3000, 'z'));
    if (status == 503) ++refused;
    const std::string text = "a worker reply while full " + std::to_string(i);
    HttpResult r = worker.Post("/c/reply", {{"csrf", worker.csrf}, {"message", text}});
    ledger.Note(r, "POST /c/reply", kFull);
    if (r.status == 303) worker_replies.push_back(text);
  }
  EXPECT_GE(refused, 5) << "new conversations were not refused on a full disk";
  // Reads go on: the landing page, the worker's conversation. Staff pages do not: a staff
  // read that cannot be audited is withheld (issue 14), with the disk-full page.
  EXPECT_EQ(Worker(port, "192.0.2.7").Get("/").status, 200);
  HttpResult conv = worker.Get("/c");
  ledger.Note(conv, "GET /c", kFull);
  EXPECT_EQ(conv.status, 200);
  EXPECT_NE(conv.body.find("the first message, before the disk fills"), std::string::npos);
  EXPECT_NE(conv.body.find("a reply before"), std::string::npos);
  HttpResult full_inbox = advisor.Get("/staff");
  ledger.Note(full_inbox, "GET /staff", kFull);
  EXPECT_EQ(full_inbox.status, 503);
  EXPECT_EQ(full_inbox.body.find("<table"), std::string::npos) << full_inbox.body;
  HttpResult refusal = worker.Post("/c/reply", {{"csrf", worker.csrf}, {"message", "one more while full"}});
  ledger.Note(refusal, "POST /c/reply", kFull);
  if (refusal.status == 303) worker_replies.push_back("one more while full");
  std::printf("disk full: %d new conversations refused, %zu acknowledged in all so far\n", refused, handed.size());

  // Space returns: writes work again at once, without a restart.
  ASSERT_TRUE(fs::remove(filler));
  EXPECT_EQ(start("after the space returned"), 200);
  EXPECT_EQ(worker.Post("/c/reply", {{"csrf", worker.csrf}, {"message", "a worker reply after"}}).status, 303);
  worker_replies.push_back("a worker reply after");
  EXPECT_EQ(advisor.Post("/staff/c/" + id + "/reply", {{"csrf", advisor.csrf}, {"message", "a reply after"}}).status,
            303);
  conv = worker.Get("/c");
  EXPECT_EQ(conv.status, 200);
  for (const std::string& text : worker_replies) EXPECT_NE(conv.body.find(text), std::string::npos) << text;
  {
    std::lock_guard lock(ledger.mu);
    for (const std::string& p : ledger.problems) ADD_FAILURE() << p;
  }
  kill(server.pid, SIGTERM);
  server.Wait();

  // Nothing acknowledged lost, nothing half-written.
  ExpectReceiptsOpen(config_file, handed);
  soci::session sql(soci::sqlite3, (data / "vertrouwd.db").string());
  std::string integrity;
  sql << "PRAGMA integrity_check", soci::into(integrity);
  EXPECT_EQ(integrity, "ok");
}

}  // namespace
}  // namespace vd::testing
