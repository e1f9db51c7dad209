#pragma once
// Test-only: the fixture of the store conformance tests that open their own stores (several
// servers on one database, raw connections beside the store): a migrated store on a fresh
// database of one backend, dropped afterwards, and rows to fill it. StoreTest runs on both
// backends (instantiated once, in store_test.cc); SqliteStoreTest and PostgresStoreTest on one.

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/store.h"
#include "store/store_test_util.h"

namespace vd::store_test {

inline std::string RandomHex() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// The store URL of database `db` on the test server.
inline std::string PgUrlFor(const std::string& db) {
  const std::string url = Env("VD_TEST_PG_URL");
  if (url.starts_with("pg:")) return url + " dbname=" + db;  // libpq: the last keyword wins
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "dbname=" + db;
}

// Runs statements outside any transaction on the server's maintenance database (CREATE and
// DROP DATABASE refuse to run inside one).
inline void PgAdmin(const std::function<void(soci::session&)>& body) {
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
      SkipUnlessPostgres(/*with_psql=*/false);
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

  // Runs `sql` on a plain connection beside the store (as an older server or another process
  // would), on either backend.
  void RawExec(const std::string& sql) {
    if (!pg()) {
      RawSqlite raw(sqlite_path_);
      EXPECT_EQ(raw.Exec(sql), SQLITE_OK) << sql;
      return;
    }
    try {
      soci::session s(*soci::factory_postgresql(), url_.starts_with("pg:") ? url_.substr(3) : url_);
      s << sql;
    } catch (const std::exception& e) {
      ADD_FAILURE() << sql << ": " << e.what();
    }
  }
  // The first column of the first row of `query` (which must yield text: CAST it), read on a
  // plain connection beside the store; "" if there is none.
  std::string RawOne(const std::string& query) {
    if (!pg()) return RawSqlite(sqlite_path_).One(query);
    std::string out;
    try {
      soci::session s(*soci::factory_postgresql(), url_.starts_with("pg:") ? url_.substr(3) : url_);
      s << query, soci::into(out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << query << ": " << e.what();
    }
    return out;
  }

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

}  // namespace vd::store_test
