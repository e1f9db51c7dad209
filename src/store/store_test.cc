// Store conformance: every Store method, the same tests on SQLite (a temp file) and on
// PostgreSQL (a fresh database per test on the server named by VD_TEST_PG_URL, as set up by
// tests/pg/with_postgres.sh). Without that server the PostgreSQL cases skip, or fail when
// VD_REQUIRE_PG=1 so that CI cannot pass by silently testing one backend.

#include "store/store.h"

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "store/migrations.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::Env;
using store_test::FailureOf;
using store_test::PgConninfo;
using store_test::ReadOne;
using store_test::WriteOne;

std::string RandomHex() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The store URL of database `db` on the test server.
std::string PgUrlFor(const std::string& db) {
  const std::string url = Env("VD_TEST_PG_URL");
  if (url.starts_with("pg:")) return url + " dbname=" + db;  // libpq: the last keyword wins
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "dbname=" + db;
}

// Runs statements outside any transaction on the server's maintenance database (CREATE and
// DROP DATABASE refuse to run inside one).
void PgAdmin(const std::function<void(soci::session&)>& body) {
  try {
    soci::session s(*soci::factory_postgresql(), PgConninfo());
    s << "SET client_min_messages TO WARNING";
    body(s);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "PostgreSQL maintenance connection: " << e.what();
  }
}

// The value of a store call that must succeed; a failure is reported (with the operator
// detail) instead of crashing the test binary on a dereferenced error.
template <typename T>
T Must(Result<T> r) {
  if (!r) {
    ADD_FAILURE() << "store call failed: " << r.error().detail;
    return T{};
  }
  return std::move(*r);
}

// A second, plain connection to a SQLite file, as another process would have.
class RawSqlite {
 public:
  explicit RawSqlite(const std::filesystem::path& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawSqlite() { sqlite3_close(db_); }
  RawSqlite(const RawSqlite&) = delete;
  RawSqlite& operator=(const RawSqlite&) = delete;

  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  // The first column of every row, as text.
  std::vector<std::string> All(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::vector<std::string> out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
      while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(st, 0);
        out.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
      }
    }
    sqlite3_finalize(st);
    return out;
  }
  // The first column of the first row, as text ("" if there is none).
  std::string One(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// A migrated store on a fresh database of one backend, dropped afterwards.
class StoreFixture : public ::testing::Test {
 protected:
  explicit StoreFixture(Backend backend) : backend_(backend) {}

  void SetUp() override {
    if (pg()) {
      store_test::SkipUnlessPostgres(/*with_psql=*/false);
      if (IsSkipped() || HasFatalFailure()) return;
    }
    url_ = NewDatabase();
    if (!pg()) sqlite_path_ = url_.substr(7);
    store_ = Open(url_);
    ASSERT_NE(store_, nullptr);
    Status migrated = store_->Migrate();
    ASSERT_TRUE(migrated) << migrated.error().detail;
  }

  void TearDown() override {
    store_.reset();
    if (!databases_.empty()) {
      PgAdmin([&](soci::session& s) {
        for (const std::string& db : databases_)
          s << "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)";
      });
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  bool pg() const { return backend_ == Backend::kPostgres; }

  // A fresh, empty database on the backend under test; returns its store URL.
  std::string NewDatabase() {
    if (!pg()) {
      if (dir_.empty()) {
        dir_ = std::filesystem::temp_directory_path() / ("vd-store-test-" + RandomHex());
        std::filesystem::create_directories(dir_);
      }
      return "sqlite:" + (dir_ / ("db" + std::to_string(++sqlite_files_) + ".sqlite")).string();
    }
    const std::string db = "vd_test_" + RandomHex();
    PgAdmin([&](soci::session& s) { s << "CREATE DATABASE " + db; });
    databases_.push_back(db);
    return PgUrlFor(db);
  }

  static std::unique_ptr<Store> Open(const std::string& url, int pool_size = 8) {
    Result<std::unique_ptr<Store>> store = OpenStore(url, pool_size);
    EXPECT_TRUE(store.has_value()) << store.error().detail;
    return store ? std::move(*store) : nullptr;
  }

  int64_t AddOrg(const std::string& slug, const std::string& public_key = "") {
    Organisation o;
    o.slug = slug;
    o.name = "Organisation " + slug;
    o.public_key = public_key;
    Result<int64_t> id = WriteOne(*store_, &StaffStore::InsertOrganisation, o);
    EXPECT_TRUE(id.has_value()) << id.error().detail;
    return id.value_or(0);
  }

  // "table.column" for every column of the store's database, read from the database itself.
  std::vector<std::string> Columns() {
    if (!pg()) {
      RawSqlite raw(sqlite_path_);
      return raw.All(
          "SELECT m.name || '.' || p.name FROM sqlite_master m, pragma_table_info(m.name) p "
          "WHERE m.type = 'table'");
    }
    std::vector<std::string> out;
    try {
      soci::session s(*soci::factory_postgresql(), url_.starts_with("pg:") ? url_.substr(3) : url_);
      soci::rowset<std::string> rows =
          (s.prepare << "SELECT table_name || '.' || column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema()");
      for (const std::string& row : rows) out.push_back(row);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "listing columns: " << e.what();
    }
    return out;
  }

  static User MakeUser(const std::string& username, std::optional<int64_t> org,
                       Role role = Role::kAdvisor) {
    User u;
    u.username = username;
    u.role = role;
    u.organisation_id = org;
    u.pw_salt = "c2FsdA==";
    u.pw_verifier = "dmVyaWZpZXI=";
    u.public_key = "pk-" + username;
    u.wrapped_secret_key = "wsk-" + username;
    u.recovery_wrapped_secret_key = "rwsk-" + username;
    u.created_at = 100;
    return u;
  }

  int64_t AddUser(const std::string& username, std::optional<int64_t> org,
                  Role role = Role::kAdvisor) {
    Result<int64_t> id = WriteOne(*store_, &StaffStore::InsertUser, MakeUser(username, org, role));
    EXPECT_TRUE(id.has_value()) << id.error().detail;
    return id.value_or(0);
  }

  static Conversation MakeConversation(int64_t org, const std::string& tag, int64_t at,
                                       int64_t expires) {
    Conversation c;
    c.public_id = "pub-" + tag;
    c.receipt_lookup = "lookup-" + tag;
    c.organisation_id = org;
    c.public_key = "cpk-" + tag;
    c.receipt_wrapped_secret_key = "rwsk-" + tag;
    c.org_sealed_secret_key = "osk-" + tag;
    c.language = "nl";
    c.answer_language = "ro";
    c.answer_age_band = "25-34";
    c.answer_work_setting = "unsaid";
    c.created_at = at;
    c.last_activity_at = at;
    c.expires_at = expires;
    return c;
  }

  static Message WorkerMessage(int64_t conversation_id, const std::string& text, int64_t at) {
    Message m;
    m.conversation_id = conversation_id;
    m.author = Author::kWorker;
    m.ciphertext = text;
    m.created_at = at;
    return m;
  }

  int64_t AddConversation(int64_t org, const std::string& tag, int64_t at, int64_t expires) {
    Result<int64_t> id =
        WriteOne(*store_, &ConversationStore::Insert, MakeConversation(org, tag, at, expires),
                 WorkerMessage(0, "first-" + tag, at));
    EXPECT_TRUE(id.has_value()) << id.error().detail;
    return id.value_or(0);
  }

  static Session WorkerSession(const std::string& id_hash, int64_t conversation_id, int64_t at) {
    Session s;
    s.id_hash = id_hash;
    s.kind = SessionKind::kWorker;
    s.conversation_id = conversation_id;
    s.stage = 1;
    s.wrapped_key = "wk-" + id_hash;
    s.created_at = at;
    s.last_seen_at = at;
    return s;
  }

  static Session StaffSession(const std::string& id_hash, int64_t user_id, int64_t created,
                              int64_t seen) {
    Session s;
    s.id_hash = id_hash;
    s.kind = SessionKind::kStaff;
    s.user_id = user_id;
    s.created_at = created;
    s.last_seen_at = seen;
    return s;
  }

  std::string url_;
  std::filesystem::path sqlite_path_;
  std::unique_ptr<Store> store_;

 private:
  const Backend backend_;
  std::filesystem::path dir_;
  int sqlite_files_ = 0;
  std::vector<std::string> databases_;
};

// The conformance tests: every TEST_P runs on both backends.
class StoreTest : public StoreFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  StoreTest() : StoreFixture(GetParam()) {}
};

// What only one backend has: SQLite's connection settings, PostgreSQL's connection handling.
class SqliteStoreTest : public StoreFixture {
 protected:
  SqliteStoreTest() : StoreFixture(Backend::kSqlite) {}
};
class PostgresStoreTest : public StoreFixture {
 protected:
  PostgresStoreTest() : StoreFixture(Backend::kPostgres) {}
};

// --- migrations and opening ----------------------------------------------------------------

TEST_P(StoreTest, MigrationsAreIdempotent) {
  const int latest = Migrations(pg() ? Dialect::kPostgres : Dialect::kSqlite).back().version;
  EXPECT_EQ(Must(store_->SchemaVersion()), latest);
  ASSERT_TRUE(store_->Migrate());
  ASSERT_TRUE(store_->Migrate());
  EXPECT_EQ(Must(store_->SchemaVersion()), latest);
  // The data survives a second run: nothing was re-created.
  EXPECT_EQ(Must(WriteOne(*store_, &SettingsStore::GetOrCreate, "k", "v")), "v");
  ASSERT_TRUE(store_->Migrate());
  EXPECT_EQ(Must(ReadOne(*store_, &SettingsStore::Get, "k")).value_or("<none>"), "v");
}

TEST(MigrationsTest, NumberedFromOneWithoutGapsAlikeInBothDialects) {
  for (Dialect d : {Dialect::kSqlite, Dialect::kPostgres}) {
    const std::vector<Migration>& all = Migrations(d);
    ASSERT_FALSE(all.empty());
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
      EXPECT_FALSE(all[i].statements.empty());
    }
  }
  EXPECT_EQ(Migrations(Dialect::kSqlite).size(), Migrations(Dialect::kPostgres).size());
}

// Data minimisation, checked on the real schema: a column for a person's name, phone,
// e-mail, address, IP address, user agent or device must not exist, whatever a later
// migration adds.
TEST_P(StoreTest, TheSchemaHasNoColumnForIdentifyingData) {
  const std::set<std::string> forbidden = {
      "phone",    "telephone", "mobile",    "email", "mail",   "ip",      "address",
      "addr",     "agent",     "useragent", "ua",    "device", "surname", "firstname",
      "lastname", "birth",     "birthday",  "dob",   "bsn",    "passport"};
  // Organisations have names; people do not (usernames are staff logins).
  const std::set<std::string> named = {"organisations.name", "directory_organisations.name"};
  const std::vector<std::string> columns = Columns();
  ASSERT_GT(columns.size(), 20u);
  for (const std::string& column : columns) {
    const std::string name = column.substr(column.find('.') + 1);
    std::istringstream words(name);
    for (std::string word; std::getline(words, word, '_');) {
      EXPECT_FALSE(forbidden.contains(word)) << column;
      if (word == "name") {
        EXPECT_TRUE(named.contains(column)) << column;
      }
    }
  }
}

TEST_P(StoreTest, AFreshDatabaseIsVersionZeroUntilMigrated) {
  std::unique_ptr<Store> fresh = Open(NewDatabase());
  ASSERT_NE(fresh, nullptr);
  Result<int> version = fresh->SchemaVersion();
  ASSERT_TRUE(version.has_value()) << version.error().detail;
  EXPECT_EQ(*version, 0);
  ASSERT_TRUE(fresh->Migrate());
  EXPECT_GT(Must(fresh->SchemaVersion()), 0);
}

TEST_P(StoreTest, ServersMigratingAtOnceBothSucceed) {
  const std::string url = NewDatabase();
  std::vector<std::unique_ptr<Store>> servers;
  for (int i = 0; i < 4; ++i) servers.push_back(Open(url, 2));
  std::vector<Status> results(servers.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < servers.size(); ++i) {
    ASSERT_NE(servers[i], nullptr);
    threads.emplace_back([&, i] { results[i] = servers[i]->Migrate(); });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s) << s.error().detail;
  const int latest = Migrations(pg() ? Dialect::kPostgres : Dialect::kSqlite).back().version;
  EXPECT_EQ(Must(servers[0]->SchemaVersion()), latest);
  EXPECT_TRUE(WriteOne(*servers[1], &StaffStore::InsertOrganisation, {0, "one", "One", ""}));
}

// --- SQLite connection settings, checked by what they do ------------------------------------

TEST_F(SqliteStoreTest, UsesWal) {
  RawSqlite raw(sqlite_path_);
  EXPECT_EQ(raw.One("PRAGMA journal_mode"), "wal");  // persistent: visible to any connection
}

TEST_F(SqliteStoreTest, EnforcesForeignKeysAndCascades) {
  Result<int64_t> orphan = WriteOne(*store_, &StaffStore::InsertUser, MakeUser("orphan", 999999));
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
  const int64_t c = AddConversation(AddOrg("o"), "1", 10, 20);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, c));
  RawSqlite raw(sqlite_path_);
  EXPECT_EQ(raw.One("SELECT COUNT(*) FROM messages"), "0");
}

TEST_F(SqliteStoreTest, DistrustsTheSchema) {
  // A trigger planted in the file (say by someone who could write it) that reads a pragma
  // table. A connection that trusts the schema runs it; the store's connections must not.
  RawSqlite raw(sqlite_path_);
  ASSERT_EQ(raw.Exec("PRAGMA trusted_schema = ON"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("CREATE TABLE probe (v INTEGER)"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("CREATE TRIGGER probe_t AFTER INSERT ON settings BEGIN "
                     "INSERT INTO probe SELECT foreign_keys FROM pragma_foreign_keys; END"),
            SQLITE_OK);
  ASSERT_EQ(raw.Exec("INSERT INTO settings (key, value) VALUES ('raw', 'x')"), SQLITE_OK);
  ASSERT_EQ(raw.One("SELECT COUNT(*) FROM probe"), "1");

  Result<std::string> planted = WriteOne(*store_, &SettingsStore::GetOrCreate, "probe", "x");
  ASSERT_FALSE(planted.has_value());
  EXPECT_EQ(planted.error().code, ErrorCode::kStorage);
  EXPECT_EQ(raw.One("SELECT COUNT(*) FROM probe"), "1");
  EXPECT_FALSE(
      Must(ReadOne(*store_, &SettingsStore::Get, "probe")).has_value());  // rolled back whole

  // Connections that compiled the planted schema keep it cached: start afresh once it is gone.
  ASSERT_EQ(raw.Exec("DROP TRIGGER probe_t"), SQLITE_OK);
  store_ = Open(url_);
  EXPECT_EQ(Must(WriteOne(*store_, &SettingsStore::GetOrCreate, "probe", "x")), "x");
}

TEST_F(SqliteStoreTest, OverwritesDeletedContent) {
  const std::string marker = "MARKER" + RandomHex() + RandomHex();
  const int64_t org = AddOrg("o");
  Result<int64_t> c =
      WriteOne(*store_, &ConversationStore::Insert, MakeConversation(org, "x", 10, 20),
               WorkerMessage(0, marker + marker, 10));
  ASSERT_TRUE(c.has_value());
  store_.reset();  // the last connection checkpoints the WAL into the main file
  ASSERT_NE(Slurp(sqlite_path_).find(marker), std::string::npos)
      << "the row never reached the main file, so this test would prove nothing";

  store_ = Open(url_);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, *c));
  store_.reset();
  EXPECT_EQ(Slurp(sqlite_path_).find(marker), std::string::npos) << "secure_delete is off";
  EXPECT_EQ(Slurp(sqlite_path_.string() + "-wal").find(marker), std::string::npos);
}

TEST_F(SqliteStoreTest, WritersWaitForALockAndReadersDoNot) {
  RawSqlite raw(sqlite_path_);
  ASSERT_EQ(raw.Exec("BEGIN IMMEDIATE"), SQLITE_OK);
  ASSERT_EQ(raw.Exec("INSERT INTO settings (key, value) VALUES ('held', '1')"), SQLITE_OK);

  // WAL readers see the last commit without waiting for the writer.
  auto start = std::chrono::steady_clock::now();
  Result<std::optional<std::string>> held = ReadOne(*store_, &SettingsStore::Get, "held");
  ASSERT_TRUE(held.has_value()) << held.error().detail;
  EXPECT_FALSE(held->has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));

  // A writer waits (busy_timeout) for a lock held longer than the retries alone would last.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    raw.Exec("COMMIT");
  });
  start = std::chrono::steady_clock::now();
  Result<std::string> written = WriteOne(*store_, &SettingsStore::GetOrCreate, "mine", "2");
  const auto waited = std::chrono::steady_clock::now() - start;
  release.join();
  ASSERT_TRUE(written.has_value()) << written.error().detail;
  EXPECT_GE(waited, std::chrono::milliseconds(1000));
  EXPECT_EQ(Must(ReadOne(*store_, &SettingsStore::Get, "held")).value_or("<none>"), "1");
}

// --- PostgreSQL connections --------------------------------------------------------------

TEST_F(PostgresStoreTest, AcceptsUriUrls) {
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::InsertOrganisation, {0, "shared", "Shared", ""}));
  // Rebuild the test server's keyword string (simple values only) as a URI naming the
  // same database, then open it under both schemes.
  std::string uri = url_;
  if (url_.starts_with("pg:")) {
    std::map<std::string, std::string> kv;
    std::istringstream in(url_.substr(3));
    for (std::string word; in >> word;) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
    }
    uri = "postgresql:///" + kv["dbname"];
    char sep = '?';
    for (const auto& [key, value] : kv) {
      if (key == "dbname") continue;
      uri += sep + key + "=" + value;
      sep = '&';
    }
  }
  const std::string rest = uri.substr(uri.find("://"));
  for (const char* scheme : {"postgresql", "postgres"}) {
    std::unique_ptr<Store> other = Open(scheme + rest, 1);
    ASSERT_NE(other, nullptr) << scheme;
    EXPECT_EQ(Must(ReadOne(*other, &StaffStore::FindOrganisationBySlug, "shared")).name, "Shared")
        << scheme;
  }
}

TEST_F(PostgresStoreTest, ConnectionsSurviveTheServerDroppingThem) {
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::InsertOrganisation, {0, "o", "O", ""}));
  const std::string db = url_.substr(url_.rfind("dbname=") + 7);
  // What a server restart or an idle-connection reaper does to the pool.
  PgAdmin([&](soci::session& s) {
    s << "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db +
             "' AND pid <> pg_backend_pid()";
    long long left = 1;
    for (int i = 0; i < 100 && left > 0; ++i) {
      s << "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db + "'", soci::into(left);
      if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(left, 0);
  });
  for (int i = 0; i < 16; ++i) {
    Result<Organisation> o = ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "o");
    ASSERT_TRUE(o.has_value()) << o.error().detail;
  }
  EXPECT_TRUE(WriteOne(*store_, &StaffStore::SetOrganisationPublicKey,
                       ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "o")->id, "k"));
}

// --- settings ------------------------------------------------------------------------------

TEST_P(StoreTest, SettingsFirstWriterWins) {
  EXPECT_FALSE(Must(ReadOne(*store_, &SettingsStore::Get, "csrf_key")).has_value());
  EXPECT_EQ(Must(WriteOne(*store_, &SettingsStore::GetOrCreate, "csrf_key", "first")), "first");
  EXPECT_EQ(Must(WriteOne(*store_, &SettingsStore::GetOrCreate, "csrf_key", "second")), "first");
  EXPECT_EQ(Must(ReadOne(*store_, &SettingsStore::Get, "csrf_key")).value_or("<none>"), "first");
  EXPECT_FALSE(Must(ReadOne(*store_, &SettingsStore::Get, "other")).has_value());
}

TEST_P(StoreTest, SettingsFirstWriterWinsAcrossServers) {
  // Two "servers" (stores) starting at once, each with its own fresh random value.
  std::unique_ptr<Store> other = Open(url_, 4);
  ASSERT_NE(other, nullptr);
  std::vector<std::string> seen(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Store& s = i % 2 == 0 ? *store_ : *other;
      Result<std::string> v = s.GetOrCreateSetting("site_salt", "salt-" + std::to_string(i));
      seen[i] = v.value_or("error: " + (v ? "" : v.error().detail));
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& v : seen) EXPECT_EQ(v, seen[0]);
  EXPECT_TRUE(seen[0].starts_with("salt-")) << seen[0];
}

// --- organisations -------------------------------------------------------------------------

TEST_P(StoreTest, Organisations) {
  const int64_t haven = AddOrg("dehaven");
  const int64_t shop = AddOrg("shop", "cGs=");
  Result<int64_t> dup =
      WriteOne(*store_, &StaffStore::InsertOrganisation, {0, "dehaven", "Again", ""});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

  Result<Organisation> found = ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "shop");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, shop);
  EXPECT_EQ(found->name, "Organisation shop");
  EXPECT_EQ(found->public_key, "cGs=");
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindOrganisationById, haven)).slug, "dehaven");
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindOrganisationById, haven)).public_key, "");
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindOrganisationBySlug, "none")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindOrganisationById, 999999)),
            ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::SetOrganisationPublicKey, haven, "bmV3"));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindOrganisationById, haven)).public_key, "bmV3");
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::SetOrganisationPublicKey, 999999, "x")),
            ErrorCode::kNotFound);

  Result<std::vector<Organisation>> all = ReadOne(*store_, &StaffStore::ListOrganisations);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].slug, "dehaven");
  EXPECT_EQ((*all)[1].id, shop);
}

// --- users ---------------------------------------------------------------------------------

TEST_P(StoreTest, UsersRoundTripEveryField) {
  const int64_t org = AddOrg("o");
  User u = MakeUser("advisor1", org, Role::kCoordinator);
  u.wrapped_totp_secret = "dG90cA==";
  u.totp_enabled = true;
  u.totp_last_step = 55555;
  u.failed_logins = 2;
  u.locked_until = 1234;
  u.disabled = true;
  u.created_at = 4242;
  Result<int64_t> id = WriteOne(*store_, &StaffStore::InsertUser, u);
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  Result<User> back = ReadOne(*store_, &StaffStore::FindUserById, *id);
  ASSERT_TRUE(back.has_value()) << back.error().detail;
  EXPECT_EQ(back->id, *id);
  EXPECT_EQ(back->username, "advisor1");
  EXPECT_EQ(back->role, Role::kCoordinator);
  EXPECT_EQ(back->organisation_id, org);
  EXPECT_EQ(back->pw_salt, u.pw_salt);
  EXPECT_EQ(back->pw_verifier, u.pw_verifier);
  EXPECT_EQ(back->public_key, u.public_key);
  EXPECT_EQ(back->wrapped_secret_key, u.wrapped_secret_key);
  EXPECT_EQ(back->recovery_wrapped_secret_key, u.recovery_wrapped_secret_key);
  EXPECT_EQ(back->wrapped_totp_secret, "dG90cA==");
  EXPECT_TRUE(back->totp_enabled);
  EXPECT_EQ(back->totp_last_step, 55555);
  EXPECT_EQ(back->failed_logins, 2);
  EXPECT_EQ(back->locked_until, 1234);
  EXPECT_TRUE(back->disabled);
  EXPECT_EQ(back->created_at, 4242);

  const int64_t admin = AddUser("root", std::nullopt, Role::kAdmin);
  Result<User> by_name = ReadOne(*store_, &StaffStore::FindUserByUsername, "root");
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->id, admin);
  EXPECT_EQ(by_name->role, Role::kAdmin);
  EXPECT_FALSE(by_name->organisation_id.has_value());
  EXPECT_FALSE(by_name->totp_enabled);
  EXPECT_FALSE(by_name->disabled);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindUserByUsername, "nobody")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindUserById, 999999)), ErrorCode::kNotFound);

  Result<std::vector<User>> all = ReadOne(*store_, &StaffStore::ListUsers);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].username, "advisor1");
  EXPECT_EQ((*all)[1].username, "root");
}

TEST_P(StoreTest, UsernamesAreUnique) {
  AddUser("ada", std::nullopt, Role::kAdmin);
  Result<int64_t> dup =
      WriteOne(*store_, &StaffStore::InsertUser, MakeUser("ada", std::nullopt, Role::kAnalyst));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::ListUsers)).size(), 1u);
}

TEST_P(StoreTest, AUserOfAMissingOrganisationIsRefused) {
  Result<int64_t> orphan = WriteOne(*store_, &StaffStore::InsertUser, MakeUser("orphan", 999999));
  ASSERT_FALSE(orphan.has_value());
  EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, LoginFailuresAndSuccess) {
  const int64_t a = AddUser("a", std::nullopt, Role::kAdmin);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RecordLoginFailure, a, 3, 12345));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 3);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).locked_until, 12345);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RecordLoginSuccess, a));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 0);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).locked_until, 0);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::RecordLoginFailure, 999999, 1, 1)),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::RecordLoginSuccess, 999999)),
            ErrorCode::kNotFound);
}

TEST_P(StoreTest, TotpEnrolmentAndReplay) {
  const int64_t a = AddUser("a", std::nullopt, Role::kAdmin);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::SetTotpSecret, a, "d3JhcHBlZA=="));
  EXPECT_TRUE(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).totp_enabled);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).wrapped_totp_secret,
            "d3JhcHBlZA==");
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::SetTotpSecret, 999999, "x")),
            ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::AdvanceTotpStep, a, 100));
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AdvanceTotpStep, a, 100)),
            ErrorCode::kConflict);  // replayed
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AdvanceTotpStep, a, 99)),
            ErrorCode::kConflict);  // older
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).totp_last_step, 100);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::AdvanceTotpStep, a, 101));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).totp_last_step, 101);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AdvanceTotpStep, 999999, 5)),
            ErrorCode::kNotFound);
}

TEST_P(StoreTest, TotpStepRaceHasOneWinner) {
  const int64_t a = AddUser("a", std::nullopt, Role::kAdmin);
  std::atomic<int> accepted{0}, replayed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      Status s = WriteOne(*store_, &StaffStore::AdvanceTotpStep, a, 777);
      if (s)
        ++accepted;
      else if (s.error().code == ErrorCode::kConflict)
        ++replayed;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(replayed.load(), 7);
}

// --- organisation key grants ---------------------------------------------------------------

TEST_P(StoreTest, GrantsAndUsersWaitingForOne) {
  const int64_t org = AddOrg("shop");
  const int64_t other = AddOrg("haven");
  const int64_t granted = AddUser("granted", org);
  const int64_t waiting = AddUser("waiting", org);
  User no_key = MakeUser("nokey", org);
  no_key.public_key = "";  // has not set up keys yet: nothing to seal to
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::InsertUser, no_key));
  const int64_t elsewhere = AddUser("elsewhere", other);
  AddUser("admin", std::nullopt, Role::kAdmin);

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {org, granted, "sealed-1"}));
  EXPECT_EQ(
      Must(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, granted)).sealed_org_secret_key,
      "sealed-1");
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant,
                       {org, granted, "sealed-2"}));  // re-grant replaces
  Result<OrgKeyGrant> g = ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, granted);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->organisation_id, org);
  EXPECT_EQ(g->user_id, granted);
  EXPECT_EQ(g->sealed_org_secret_key, "sealed-2");
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, waiting)),
            ErrorCode::kNotFound);
  // A grant for another organisation does not count for this one.
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {other, waiting, "sealed-other"}));
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {org, 999999, "x"})),
            ErrorCode::kNotFound);

  Result<std::vector<User>> todo = ReadOne(*store_, &StaffStore::UsersWithoutGrant, org);
  ASSERT_TRUE(todo.has_value()) << todo.error().detail;
  ASSERT_EQ(todo->size(), 1u);
  EXPECT_EQ((*todo)[0].id, waiting);
  Result<std::vector<User>> todo_other = ReadOne(*store_, &StaffStore::UsersWithoutGrant, other);
  ASSERT_EQ(todo_other->size(), 1u);
  EXPECT_EQ((*todo_other)[0].id, elsewhere);
}

// --- conversations and messages ------------------------------------------------------------

TEST_P(StoreTest, ConversationsRoundTripEveryField) {
  const int64_t org = AddOrg("o");
  Conversation c = MakeConversation(org, "1", 1000, 5000);
  c.status = ConversationStatus::kWaiting;
  c.first_reply_at = 0;
  Result<int64_t> id =
      WriteOne(*store_, &ConversationStore::Insert, c, WorkerMessage(0, "hello", 1000));
  ASSERT_TRUE(id.has_value()) << id.error().detail;

  for (Result<Conversation> back :
       {ReadOne(*store_, &ConversationStore::FindById, *id),
        ReadOne(*store_, &ConversationStore::FindByLookup, "lookup-1"),
        ReadOne(*store_, &ConversationStore::FindByPublicId, "pub-1")}) {
    ASSERT_TRUE(back.has_value()) << back.error().detail;
    EXPECT_EQ(back->id, *id);
    EXPECT_EQ(back->public_id, "pub-1");
    EXPECT_EQ(back->receipt_lookup, "lookup-1");
    EXPECT_EQ(back->organisation_id, org);
    EXPECT_EQ(back->public_key, "cpk-1");
    EXPECT_EQ(back->receipt_wrapped_secret_key, "rwsk-1");
    EXPECT_EQ(back->org_sealed_secret_key, "osk-1");
    EXPECT_EQ(back->status, ConversationStatus::kWaiting);
    EXPECT_EQ(back->language, "nl");
    EXPECT_EQ(back->answer_language, "ro");
    EXPECT_EQ(back->answer_age_band, "25-34");
    EXPECT_EQ(back->answer_work_setting, "unsaid");
    EXPECT_EQ(back->created_at, 1000);
    EXPECT_EQ(back->last_activity_at, 1000);
    EXPECT_EQ(back->expires_at, 5000);
    EXPECT_EQ(back->first_reply_at, 0);
  }
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, 999999)),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindByLookup, "nope")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindByPublicId, "nope")),
            ErrorCode::kNotFound);

  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, *id);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].conversation_id, *id);
  EXPECT_EQ((*messages)[0].author, Author::kWorker);
  EXPECT_FALSE((*messages)[0].author_user_id.has_value());
  EXPECT_EQ((*messages)[0].ciphertext, "hello");
  EXPECT_EQ((*messages)[0].created_at, 1000);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, 999999)).empty());
}

TEST_P(StoreTest, ConversationClashesAreConflictsAndWriteNothing) {
  const int64_t org = AddOrg("o");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  Conversation same_lookup = MakeConversation(org, "2", 1000, 5000);
  same_lookup.receipt_lookup = "lookup-1";
  Conversation same_public_id = MakeConversation(org, "3", 1000, 5000);
  same_public_id.public_id = "pub-1";
  for (const Conversation& clash : {same_lookup, same_public_id}) {
    Result<int64_t> id =
        WriteOne(*store_, &ConversationStore::Insert, clash, WorkerMessage(0, "lost", 1000));
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).size(), 1u);
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).size(), 1u);
  EXPECT_EQ(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).at(0).message_count,
      1);

  Result<int64_t> nowhere = WriteOne(*store_, &ConversationStore::Insert,
                                     MakeConversation(999999, "4", 1, 2), WorkerMessage(0, "x", 1));
  ASSERT_FALSE(nowhere.has_value());
  EXPECT_EQ(nowhere.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, AppendMessageUpdatesTheConversation) {
  const int64_t org = AddOrg("o");
  const int64_t advisor = AddUser("adv", org);
  const int64_t c = AddConversation(org, "1", 1000, 5000);

  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c, "again", 1100),
                       ConversationStatus::kWaiting, 6000));
  Result<Conversation> after = ReadOne(*store_, &ConversationStore::FindById, c);
  EXPECT_EQ(after->status, ConversationStatus::kWaiting);
  EXPECT_EQ(after->last_activity_at, 1100);
  EXPECT_EQ(after->expires_at, 6000);
  EXPECT_EQ(after->first_reply_at, 0);  // a worker's message is not a reply

  Message reply;
  reply.conversation_id = c;
  reply.author = Author::kAdvisor;
  reply.author_user_id = advisor;
  reply.ciphertext = "reply";
  reply.created_at = 2500;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9000));
  after = ReadOne(*store_, &ConversationStore::FindById, c);
  EXPECT_EQ(after->status, ConversationStatus::kAnswered);
  EXPECT_EQ(after->last_activity_at, 2500);
  EXPECT_EQ(after->expires_at, 9000);
  EXPECT_EQ(after->first_reply_at, 2500);

  reply.created_at = 2600;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9100));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).first_reply_at,
            2500);  // the first one stays
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).last_activity_at, 2600);

  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, c);
  ASSERT_EQ(messages->size(), 4u);
  EXPECT_EQ((*messages)[0].ciphertext, "first-1");
  EXPECT_EQ((*messages)[1].ciphertext, "again");
  EXPECT_EQ((*messages)[2].author, Author::kAdvisor);
  EXPECT_EQ((*messages)[2].author_user_id, advisor);
  EXPECT_EQ((*messages)[2].created_at, 2500);
  EXPECT_LT((*messages)[2].id, (*messages)[3].id);
}

TEST_P(StoreTest, InboxFiltersOrdersAndCounts) {
  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t c1 = AddConversation(org, "1", 1000, 9000);
  AddConversation(org, "2", 2000, 9000);
  AddConversation(org, "3", 3000, 9000);
  AddConversation(other, "4", 4000, 9000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "m", 3500),
                       ConversationStatus::kWaiting, 9000));
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "m", 3600),
                       ConversationStatus::kWaiting, 9000));

  Result<std::vector<InboxEntry>> inbox =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10);
  ASSERT_TRUE(inbox.has_value()) << inbox.error().detail;
  ASSERT_EQ(inbox->size(), 3u);               // not the other organisation's
  EXPECT_EQ((*inbox)[0].public_id, "pub-1");  // most recent activity first
  EXPECT_EQ((*inbox)[0].status, ConversationStatus::kWaiting);
  EXPECT_EQ((*inbox)[0].language, "nl");
  EXPECT_EQ((*inbox)[0].created_at, 1000);
  EXPECT_EQ((*inbox)[0].last_activity_at, 3600);
  EXPECT_EQ((*inbox)[0].message_count, 3);
  EXPECT_EQ((*inbox)[1].public_id, "pub-3");
  EXPECT_EQ((*inbox)[1].message_count, 1);
  EXPECT_EQ((*inbox)[2].public_id, "pub-2");

  Result<std::vector<InboxEntry>> fresh =
      ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kNew, 10);
  ASSERT_EQ(fresh->size(), 2u);
  EXPECT_EQ((*fresh)[0].public_id, "pub-3");
  EXPECT_EQ((*fresh)[1].public_id, "pub-2");
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kWaiting, 10))
                .size(),
            1u);
  EXPECT_TRUE(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kAnswered, 10))
          .empty());
  Result<std::vector<InboxEntry>> one =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 1);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].public_id, "pub-1");
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::Inbox, 999999, std::nullopt, 10)).empty());
}

TEST_P(StoreTest, CountConversationsByStatus) {
  Result<std::vector<std::pair<ConversationStatus, int64_t>>> none =
      ReadOne(*store_, &ConversationStore::CountByStatus);
  ASSERT_TRUE(none.has_value()) << none.error().detail;
  ASSERT_EQ(none->size(), 3u);  // zeros too, so that a metrics series never disappears
  for (const auto& [status, n] : *none) EXPECT_EQ(n, 0);

  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  AddConversation(org, "2", 2000, 6000);
  AddConversation(other, "3", 3000, 7000);
  Message reply = WorkerMessage(c1, "reply", 2500);
  reply.author = Author::kAdvisor;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9000));
  Result<std::vector<std::pair<ConversationStatus, int64_t>>> counts =
      ReadOne(*store_, &ConversationStore::CountByStatus);
  ASSERT_TRUE(counts.has_value());
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0], std::make_pair(ConversationStatus::kNew, int64_t{2}));
  EXPECT_EQ((*counts)[1], std::make_pair(ConversationStatus::kWaiting, int64_t{0}));
  EXPECT_EQ((*counts)[2], std::make_pair(ConversationStatus::kAnswered, int64_t{1}));
}

TEST_P(StoreTest, DeletingAConversationTakesMessagesAndWorkerSessions) {
  const int64_t org = AddOrg("dehaven");
  const int64_t staff = AddUser("adv", org);
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  const int64_t c2 = AddConversation(org, "2", 1000, 5000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "more", 1100),
                       ConversationStatus::kWaiting, 5000));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w1", c1, 1000)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w2", c2, 1000)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("s1", staff, 1000, 1000)));

  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, c1));
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, c1)), ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).empty());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "w1")), ErrorCode::kNotFound);
  // Nothing else goes with it.
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "w2").has_value());
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "s1").has_value());
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::ListMessages, c2)).size(), 1u);

  EXPECT_EQ(FailureOf(WriteOne(*store_, &ConversationStore::Delete, c1)), ErrorCode::kNotFound);
}

TEST_P(StoreTest, AppendingToADeletedConversationWritesNothing) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  const int64_t c2 = AddConversation(org, "2", 1000, 5000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, c1));
  Status late = WriteOne(*store_, &ConversationStore::AppendMessage,
                         WorkerMessage(c1, "late", 1200), ConversationStatus::kWaiting, 9000);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).empty());
  // A worker session for it cannot be created either (it refers to nothing).
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w", c1, 1200))),
            ErrorCode::kNotFound);
  Result<std::vector<InboxEntry>> inbox =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].message_count, 1);
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c2)).last_activity_at, 1000);
}

TEST_P(StoreTest, ExpiredConversationsGoWithEverythingTheyOwn) {
  const int64_t org = AddOrg("dehaven");
  const int64_t old = AddConversation(org, "old", 1000, 5000);
  const int64_t edge = AddConversation(org, "edge", 1000, 5001);
  const int64_t young = AddConversation(org, "young", 1000, 9000);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w-old", old, 1000)));
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 4999)), 0);
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 5000)),
            1);  // expires_at <= now
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 5000)), 0);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, old)), ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, old)).empty());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "w-old")), ErrorCode::kNotFound);
  EXPECT_TRUE(ReadOne(*store_, &ConversationStore::FindById, edge).has_value());
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 9000)), 2);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, young)), ErrorCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentAppendsAreNeverLost) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex error_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Message m = WorkerMessage(c1, "t" + std::to_string(t) + "-" + std::to_string(i), 2000 + i);
        if (t % 2 == 1) m.author = Author::kAdvisor;
        Status s = WriteOne(*store_, &ConversationStore::AppendMessage, m,
                            ConversationStatus::kWaiting, 9000 + i);
        if (!s) {
          ++failures;
          std::lock_guard lock(error_mu);
          if (first_error.empty()) first_error = s.error().detail;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, c1);
  ASSERT_TRUE(messages.has_value());
  EXPECT_EQ(messages->size(), 1u + kThreads * kEach);
  std::set<std::string> texts;
  for (const Message& m : *messages) texts.insert(m.ciphertext);
  EXPECT_EQ(texts.size(), 1u + kThreads * kEach);
  EXPECT_EQ(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).at(0).message_count,
      1 + kThreads * kEach);
  EXPECT_GE(Must(ReadOne(*store_, &ConversationStore::FindById, c1)).first_reply_at, 2000);
}

// --- sessions ------------------------------------------------------------------------------

TEST_P(StoreTest, SessionsRoundTripAndUpdate) {
  const int64_t org = AddOrg("o");
  const int64_t user = AddUser("adv", org);
  const int64_t c = AddConversation(org, "1", 1000, 5000);
  Session staff = StaffSession("aGFzaDE=", user, 100, 100);
  staff.stage = 0;
  staff.wrapped_key = "wk";
  staff.pending = "pending-totp";
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, staff));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("aGFzaDI=", c, 200)));
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, staff)), ErrorCode::kConflict);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, StaffSession("x", 999999, 1, 1))),
            ErrorCode::kNotFound);

  Result<Session> s = ReadOne(*store_, &SessionStore::Find, "aGFzaDE=");
  ASSERT_TRUE(s.has_value()) << s.error().detail;
  EXPECT_EQ(s->id_hash, "aGFzaDE=");
  EXPECT_EQ(s->kind, SessionKind::kStaff);
  EXPECT_EQ(s->user_id, user);
  EXPECT_FALSE(s->conversation_id.has_value());
  EXPECT_EQ(s->stage, 0);
  EXPECT_EQ(s->wrapped_key, "wk");
  EXPECT_EQ(s->pending, "pending-totp");
  EXPECT_EQ(s->created_at, 100);
  EXPECT_EQ(s->last_seen_at, 100);
  Result<Session> w = ReadOne(*store_, &SessionStore::Find, "aGFzaDI=");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->kind, SessionKind::kWorker);
  EXPECT_EQ(w->conversation_id, c);
  EXPECT_FALSE(w->user_id.has_value());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "nope")), ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Touch, "aGFzaDE=", 150));
  EXPECT_EQ(Must(ReadOne(*store_, &SessionStore::Find, "aGFzaDE=")).last_seen_at, 150);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Touch, "nope", 1)), ErrorCode::kNotFound);

  staff.stage = 1;
  staff.wrapped_key = "wk2";
  staff.pending = "";
  staff.last_seen_at = 160;
  staff.created_at = 999;  // not updatable: the absolute timeout counts from creation
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Update, staff));
  s = ReadOne(*store_, &SessionStore::Find, "aGFzaDE=");
  EXPECT_EQ(s->stage, 1);
  EXPECT_EQ(s->wrapped_key, "wk2");
  EXPECT_EQ(s->pending, "");
  EXPECT_EQ(s->last_seen_at, 160);
  EXPECT_EQ(s->created_at, 100);
  staff.id_hash = "nope";
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Update, staff)), ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Delete, "aGFzaDE="));
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "aGFzaDE=")), ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Delete, "aGFzaDE=")), ErrorCode::kNotFound);
}

TEST_P(StoreTest, StaleSessionsAreDeleted) {
  const int64_t user = AddUser("a", std::nullopt, Role::kAdmin);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("idle", user, 500, 150)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("old", user, 100, 900)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("fine", user, 500, 900)));
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 150, 100)), 0);  // strictly before
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 200, 0)), 1);    // idle since 150
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "idle")), ErrorCode::kNotFound);
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 0, 200)), 1);  // created at 100
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "old")), ErrorCode::kNotFound);
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "fine").has_value());
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 1000, 1000)), 1);
}

// --- help pages ----------------------------------------------------------------------------

TEST_P(StoreTest, HelpPagesLoadOnceAndKeepEdits) {
  HelpPage shipped{"ro", "health", "# Sănătate\n\nGGD.", 10, std::nullopt};
  EXPECT_EQ(FailureOf(ReadOne(*store_, &HelpStore::Find, "ro", "health")), ErrorCode::kNotFound);
  EXPECT_TRUE(Must(WriteOne(*store_, &HelpStore::InsertIfAbsent, shipped)));
  EXPECT_FALSE(Must(WriteOne(*store_, &HelpStore::InsertIfAbsent, shipped)));
  const int64_t coordinator = AddUser("coord", AddOrg("haven"), Role::kCoordinator);
  HelpPage edited = shipped;
  edited.markdown = "# Sănătate\n\nTest gratuit.";
  edited.updated_at = 20;
  edited.updated_by = coordinator;
  ASSERT_TRUE(WriteOne(*store_, &HelpStore::Save, edited));
  // A restart loads the shipped text again: the edit must survive it.
  EXPECT_FALSE(Must(WriteOne(*store_, &HelpStore::InsertIfAbsent, shipped)));
  auto found = ReadOne(*store_, &HelpStore::Find, "ro", "health");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->markdown, edited.markdown);
  EXPECT_EQ(found->updated_at, 20);
  EXPECT_EQ(found->updated_by, coordinator);
  EXPECT_TRUE(Must(
      WriteOne(*store_, &HelpStore::InsertIfAbsent, {"ro", "advisor", "# A", 10, std::nullopt})));
  EXPECT_TRUE(Must(
      WriteOne(*store_, &HelpStore::InsertIfAbsent, {"th", "advisor", "# ท", 10, std::nullopt})));
  auto ro = ReadOne(*store_, &HelpStore::List, "ro");
  ASSERT_TRUE(ro.has_value());
  ASSERT_EQ(ro->size(), 2u);
  EXPECT_EQ((*ro)[0].slug, "advisor");
  EXPECT_FALSE((*ro)[0].updated_by.has_value());
  EXPECT_EQ((*ro)[1].slug, "health");
  EXPECT_EQ((*ro)[1].updated_by, coordinator);
  EXPECT_EQ(Must(ReadOne(*store_, &HelpStore::List, "")).size(), 3u);
}

// --- what errors may say -------------------------------------------------------------------

TEST_P(StoreTest, ErrorsNeverCarryRowContent) {
  const int64_t org = AddOrg("o");
  AddUser("Jolanda de Vries", org);
  Result<int64_t> dup =
      WriteOne(*store_, &StaffStore::InsertUser, MakeUser("Jolanda de Vries", org));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().detail.find("Jolanda"), std::string::npos) << dup.error().detail;

  Conversation c = MakeConversation(org, "secret-receipt-hash", 1, 2);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Insert, c, WorkerMessage(0, "x", 1)));
  c.public_id = "another";
  Result<int64_t> clash =
      WriteOne(*store_, &ConversationStore::Insert, c, WorkerMessage(0, "x", 1));
  ASSERT_FALSE(clash.has_value());
  EXPECT_EQ(clash.error().detail.find("secret-receipt-hash"), std::string::npos)
      << clash.error().detail;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// --- OpenStore's URL rules, no server needed -----------------------------------------------

TEST(OpenStoreTest, RejectsUnknownUrls) {
  for (const char* url :
       {"", "mysql://db", "sqlite:", "file:/tmp/x.db", "SQLITE:/tmp/x.db", "postgresql:/x"}) {
    Result<std::unique_ptr<Store>> store = OpenStore(url, 1);
    ASSERT_FALSE(store.has_value()) << url;
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidInput) << url;
  }
}

TEST(OpenStoreTest, RejectsABadPoolSize) {
  Result<std::unique_ptr<Store>> store = OpenStore("sqlite:/tmp/never-created.db", 0);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kInvalidInput);
}

TEST(OpenStoreTest, AnUnopenableSqliteFileIsAStorageError) {
  Result<std::unique_ptr<Store>> store =
      OpenStore("sqlite:/nonexistent-dir-" + RandomHex() + "/x.db", 1);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::kStorage);
}

TEST(OpenStoreTest, PostgresErrorsHideThePassword) {
  for (const std::string& url :
       {"pg:host=/nonexistent-" + RandomHex() + " dbname=x user=u password=hunter2secret",
        "postgresql://u:hunter2secret@/x?host=/nonexistent-" + RandomHex()}) {
    Result<std::unique_ptr<Store>> store = OpenStore(url, 1);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, ErrorCode::kStorage);
    EXPECT_EQ(store.error().detail.find("hunter2secret"), std::string::npos)
        << store.error().detail;
  }
}

}  // namespace
}  // namespace vd
