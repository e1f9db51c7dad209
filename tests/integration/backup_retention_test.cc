// Backup and restore, and retention. `vertrouwd backup` copies the SQLite database while
// the server runs and `vertrouwd restore` puts it into a fresh data folder, where a
// conversation opened before the backup still opens with its text (PostgreSQL: pg_dump and
// pg_restore, as docs/operations.md says). With a fake clock, a conversation expires after
// the configured inactivity, is gone from the store and, with secure_delete and a
// checkpoint, from the database file's bytes; the receipt page states its expiry date.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "integration/http_client.h"
#include "integration/test_env.h"
#include "store/store_test_util.h"

namespace vd::testing {
namespace {

namespace fs = std::filesystem;

const std::string kBinary = std::string(VD_BINARY_DIR) + "/src/app/vertrouwd";

int RunCli(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    if (FILE* devnull = std::fopen("/dev/null", "w")) dup2(fileno(devnull), 1);
    std::vector<char*> argv{const_cast<char*>(kBinary.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kBinary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string ReceiptFrom(const std::string& body) {
  std::string receipt;
  for (const std::string& g : {Extract(body, "<span>([0-9]{4})</span> <span>"),
                               Extract(body, "<span>[0-9]{4}</span> <span>([0-9]{4})"),
                               Extract(body, "(?:<span>[0-9]{4}</span> ){2}<span>([0-9]{4})"),
                               Extract(body, "(?:<span>[0-9]{4}</span> ){3}<span>([0-9]{4})")}) {
    receipt += g;
  }
  return receipt;
}

// Opens `receipt` through the domain service and returns the first message's text, or "".
std::string FirstText(Runtime& rt, const std::string& receipt) {
  auto opened = rt.conversations().Open(receipt);
  if (!opened) return "";
  auto view = rt.conversations().ReadAsWorker(opened->conversation_id, opened->secret_key);
  if (!view || view->messages.empty()) return "";
  return view->messages.front().text;
}

class BackupRetentionTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    AddOrganisation(*server_.runtime, "dehaven", "De Haven");
    AddStaff(*server_.runtime, "advisor.dehaven", "correct horse battery staple", Role::kAdvisor, "dehaven");
  }

  // Starts a conversation over HTTP; returns its receipt.
  std::string StartOverHttp(uint16_t port, const std::string& text, std::string* page = nullptr) {
    Client c(port);
    c.extra_headers["Accept-Language"] = "en";
    c.Get("/start");
    HttpResult r = c.Post("/start", {{"csrf", c.csrf}, {"organisation", "dehaven"}, {"message", text}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (page) *page = r.body;
    return ReceiptFrom(r.body);
  }

  TestServer server_;
};

TEST_P(BackupRetentionTest, BackupWhileServingRestoresIntoAFreshFolder) {
  if (!server_.runtime) return;
  auto port = server_.runtime->Start();
  ASSERT_TRUE(port.has_value());
  const std::string before_text = "opened before the backup: " + HexEncode(RandomBytes(8));
  const std::string receipt = StartOverHttp(*port, before_text);
  ASSERT_EQ(receipt.size(), 16u);
  const fs::path work = fs::path(server_.data_dir) / "backup-work";
  fs::create_directories(work);
  Config restored_config = server_.config;

  if (GetParam() == Backend::kSqlite) {
    const std::string file = (work / "vertrouwd-backup.db").string();
    // The server keeps serving (and writing) while the backup runs.
    ASSERT_EQ(RunCli({"backup", "--data", server_.data_dir, "--to", file}), 0);
    EXPECT_NE(RunCli({"backup", "--data", server_.data_dir, "--to", file}), 0) << "a backup overwrote a file";
    struct stat st {};
    ASSERT_EQ(stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(fs::exists(file + ".partial"));
    const std::string after_receipt = StartOverHttp(*port, "written after the backup");

    const std::string fresh = (work / "restored").string();
    ASSERT_EQ(RunCli({"restore", "--from", file, "--data", fresh}), 0);
    EXPECT_NE(RunCli({"restore", "--from", file, "--data", fresh}), 0) << "restore overwrote a database";
    const std::string garbage = (work / "garbage.db").string();
    std::ofstream(garbage) << "not a database at all";
    EXPECT_NE(RunCli({"restore", "--from", garbage, "--data", (work / "other").string()}), 0);

    restored_config.data_dir = fresh;
    restored_config.database = "";
    // The backup holds no pepper: the restored database opens nothing until the pepper file
    // kept apart from it is put back (docs/operations.md).
    auto without = Runtime::Open(restored_config, server_.clock);
    ASSERT_FALSE(without.has_value());
    EXPECT_NE(without.error().detail.find("missing"), std::string::npos);
    restored_config.pepper_file = server_.config.PepperPath();
    auto rt = Runtime::Open(restored_config, server_.clock);
    ASSERT_TRUE(rt.has_value()) << rt.error().detail;
    EXPECT_EQ(FirstText(**rt, receipt), before_text);
    EXPECT_EQ(FirstText(**rt, after_receipt), "") << "the backup holds what was written after it";
    // And over HTTP, on the restored data.
    auto restored_port = (*rt)->Start();
    ASSERT_TRUE(restored_port.has_value());
    Client c(*restored_port);
    c.extra_headers["Accept-Language"] = "en";
    c.Get("/open");
    ASSERT_EQ(c.Post("/open", {{"csrf", c.csrf}, {"receipt", receipt}}).status, 303);
    EXPECT_NE(c.Get("/c").body.find(before_text), std::string::npos);
    (*rt)->Stop();
  } else {
    // PostgreSQL: pg_dump -Fc, then pg_restore into a new database (docs/operations.md).
    std::string conninfo = std::getenv("VD_TEST_PG_URL");
    if (conninfo.starts_with("pg:")) conninfo = conninfo.substr(3);
    const std::string bin = std::getenv("VD_TEST_PG_BIN");
    const std::string dump = (work / "vertrouwd.dump").string();
    ASSERT_EQ(std::system((bin + "/pg_dump -Fc -f '" + dump + "' '" + conninfo + " dbname=" + server_.pg_dbname + "'").c_str()), 0);
    const std::string restored_db = server_.pg_dbname + "_restored";
    ASSERT_EQ(std::system((bin + "/psql -q -X '" + conninfo + "' -c 'CREATE DATABASE " + restored_db + "' >/dev/null").c_str()), 0);
    struct DropAfter {
      std::string cmd;
      ~DropAfter() {
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "could not drop the restored database";
      }
    } drop{bin + "/psql -q -X '" + conninfo + "' -c 'DROP DATABASE IF EXISTS " + restored_db + " WITH (FORCE)' >/dev/null"};
    ASSERT_EQ(std::system((bin + "/pg_restore --no-owner -d '" + conninfo + " dbname=" + restored_db + "' '" + dump + "'").c_str()), 0);
    restored_config.database = "pg:" + conninfo + " dbname=" + restored_db;
    auto rt = Runtime::Open(restored_config, server_.clock);
    ASSERT_TRUE(rt.has_value()) << rt.error().detail;
    EXPECT_EQ(FirstText(**rt, receipt), before_text);
    rt->reset();
  }
}

TEST_P(BackupRetentionTest, ConversationsExpireAfterInactivityAndAreReallyGone) {
  if (!server_.runtime) return;
  // 30 days of inactivity for this case.
  server_.runtime.reset();
  server_.config.retention_days = 30;
  auto reopened = Runtime::Open(server_.config, server_.clock);
  ASSERT_TRUE(reopened.has_value());
  server_.runtime = std::move(*reopened);
  Runtime& rt = *server_.runtime;
  auto port = rt.Start();
  ASSERT_TRUE(port.has_value());

  std::string page;
  const std::string receipt = StartOverHttp(*port, "soon to expire", &page);
  ASSERT_EQ(receipt.size(), 16u);
  // The receipt page states the expiry date: 30 days from now.
  const std::string expiry = FormatDate(server_.clock.Now() + 30 * 86400);
  EXPECT_NE(page.find(expiry), std::string::npos) << expiry << "\n" << page;
  EXPECT_NE(page.find("30"), std::string::npos);

  // A second conversation stays active: a reply on day 20 moves its expiry.
  const std::string active = StartOverHttp(*port, "kept alive");
  server_.clock.Advance(20 * 86400);
  {
    auto opened = rt.conversations().Open(active);
    ASSERT_TRUE(opened.has_value());
    ASSERT_TRUE(rt.conversations().WorkerReply(opened->conversation_id, "still here").has_value());
  }

  // What the store holds of the first conversation, to look for in the file later.
  std::vector<std::string> traces;
  if (GetParam() == Backend::kSqlite) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((server_.data_dir + "/vertrouwd.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT c.receipt_lookup, c.receipt_wrapped_secret_key, m.ciphertext FROM conversations c "
                                 "JOIN messages m ON m.conversation_id = c.id ORDER BY c.id LIMIT 1",
                                 -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    for (int i = 0; i < 3; ++i) traces.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, i)));
    sqlite3_finalize(st);
    sqlite3_close(db);
    for (std::string& t : traces) t = t.substr(0, 40);  // a long, unique prefix is enough
    const std::string bytes = ReadAll(server_.data_dir + "/vertrouwd.db") + ReadAll(server_.data_dir + "/vertrouwd.db-wal");
    for (const std::string& t : traces) ASSERT_NE(bytes.find(t), std::string::npos) << "the scan would not see it";
  }

  // Day 29: still there. Day 31: gone after maintenance; the active one stays.
  server_.clock.Advance(9 * 86400);
  ASSERT_TRUE(rt.Maintain().has_value());
  EXPECT_TRUE(rt.conversations().Open(receipt).has_value());
  server_.clock.Advance(2 * 86400 + 1);
  ASSERT_TRUE(rt.Maintain().has_value());
  auto gone = rt.conversations().Open(receipt);
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(rt.conversations().Open(active).has_value());
  auto counts = store_test::ReadOne(rt.store(), &ConversationStore::CountByStatus);
  ASSERT_TRUE(counts.has_value());
  int64_t total = 0;
  for (const auto& [status, n] : *counts) total += n;
  EXPECT_EQ(total, 1);
  // The worker's receipt gets the same answer as a wrong one.
  Client c(*port);
  c.extra_headers["Accept-Language"] = "en";
  c.Get("/open");
  EXPECT_EQ(c.Post("/open", {{"csrf", c.csrf}, {"receipt", receipt}}).status, 404);

  if (GetParam() == Backend::kSqlite) {
    // Checkpoint the WAL into the file; secure_delete has zeroed the freed cells.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((server_.data_dir + "/vertrouwd.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    // Reading the schema first makes this connection see the WAL (else the checkpoint is a no-op).
    ASSERT_EQ(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr), SQLITE_OK);
    int log = -1, done = -1;
    ASSERT_EQ(sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &done), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(log, 0);  // TRUNCATE: the WAL is empty now
    EXPECT_EQ(done, 0);
    sqlite3_close(db);
    const std::string bytes = ReadAll(server_.data_dir + "/vertrouwd.db") + ReadAll(server_.data_dir + "/vertrouwd.db-wal");
    for (const std::string& t : traces) EXPECT_EQ(bytes.find(t), std::string::npos) << "expired data left in the file";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, BackupRetentionTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         BackendName);

}  // namespace
}  // namespace vd::testing
