// Store conformance: every aggregate store, the same tests on SQLite (a temp file) and on
// PostgreSQL (a fresh database per test on the server named by VD_TEST_PG_URL, as set up by
// tests/pg/with_postgres.sh). Without that server the PostgreSQL cases skip, or fail when
// VD_REQUIRE_PG=1 so that CI cannot pass by silently testing one backend. Conversations and
// sessions are in conversation_store_test.cc, the fixture in store_test_fixture.h.

#include "store/store.h"

#include <gtest/gtest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <sqlite3.h>

#include <algorithm>
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
#include "store/store_test_fixture.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::Env;
using store_test::FailureOf;
using store_test::Must;
using store_test::PgAdmin;
using store_test::PgConninfo;
using store_test::PostgresStoreTest;
using store_test::RandomHex;
using store_test::RawSqlite;
using store_test::ReadOne;
using store_test::SqliteStoreTest;
using store_test::StoreTest;
using store_test::WriteOne;

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

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
    int expected = 1;
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].version, expected++);
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
  const std::set<std::string> named = {"organisations.name", "organisation_names.name",
                                       "directory_organisations.name"};
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
      Result<std::string> v =
          WriteOne(s, &SettingsStore::GetOrCreate, "site_salt", "salt-" + std::to_string(i));
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
  auto count = [&](int64_t user, int64_t now) {
    return Must(WriteOne(*store_, &StaffStore::CountLoginFailure, user, std::nullopt, now));
  };
  EXPECT_EQ(count(a, 100), 1);
  EXPECT_EQ(count(a, 100), 2);
  EXPECT_EQ(count(a, 100), 3);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::LockLogins, a, std::nullopt, 12345));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 3);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).locked_until, 12345);
  // While locked nothing more counts, and a login whose password passed meanwhile is refused.
  EXPECT_EQ(count(a, 12344), std::nullopt);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AcceptLogin, a, std::nullopt, 12344)),
            ErrorCode::kConflict);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 3);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::AcceptLogin, a, std::nullopt, 12345));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 0);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).locked_until, 0);
  EXPECT_EQ(count(a, 12346), 1);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RecordLoginSuccess, a));
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).failed_logins, 0);
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, a)).locked_until, 0);
  // An unknown user (0 stands for one in the domain) counts nothing and fails nothing.
  EXPECT_EQ(count(0, 100), std::nullopt);
  EXPECT_EQ(count(999999, 100), std::nullopt);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::LockLogins, 999999, std::nullopt, 1)),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AcceptLogin, 999999, std::nullopt, 1)),
            ErrorCode::kConflict);
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

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {org, granted, "sealed-1", std::nullopt, 0}));
  EXPECT_EQ(
      Must(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, granted)).sealed_org_secret_key,
      "sealed-1");
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant,
                       {org, granted, "sealed-2", std::nullopt, 0}));  // re-grant replaces
  Result<OrgKeyGrant> g = ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, granted);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->organisation_id, org);
  EXPECT_EQ(g->user_id, granted);
  EXPECT_EQ(g->sealed_org_secret_key, "sealed-2");
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, waiting)),
            ErrorCode::kNotFound);
  // A grant for another organisation does not count for this one.
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {other, waiting, "sealed-other", std::nullopt, 0}));
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {org, 999999, "x", std::nullopt, 0})),
            ErrorCode::kNotFound);

  Result<std::vector<User>> todo = ReadOne(*store_, &StaffStore::UsersWithoutGrant, org);
  ASSERT_TRUE(todo.has_value()) << todo.error().detail;
  ASSERT_EQ(todo->size(), 1u);
  EXPECT_EQ((*todo)[0].id, waiting);
  Result<std::vector<User>> todo_other = ReadOne(*store_, &StaffStore::UsersWithoutGrant, other);
  ASSERT_EQ(todo_other->size(), 1u);
  EXPECT_EQ((*todo_other)[0].id, elsewhere);
}

TEST_P(StoreTest, GrantsRecordWhoApprovedThemAndLoginsAreStamped) {
  const int64_t org = AddOrg("o");
  const int64_t first = AddUser("first", org);
  User made = MakeUser("second", org);
  made.created_by = first;
  Result<int64_t> second = WriteOne(*store_, &StaffStore::InsertUser, made);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Must(ReadOne(*store_, &StaffStore::FindUserById, *second)).created_by,
            std::optional<int64_t>(first));
  EXPECT_FALSE(Must(ReadOne(*store_, &StaffStore::FindUserById, first)).created_by.has_value());

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant,
                       {org, first, "sealed-first", std::nullopt, 100}));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant,
                       {org, *second, "sealed-second", first, 200}));
  OrgKeyGrant back = Must(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org, *second));
  EXPECT_EQ(back.granted_by, std::optional<int64_t>(first));
  EXPECT_EQ(back.granted_at, 200);
  std::vector<OrgKeyGrant> grants = Must(ReadOne(*store_, &StaffStore::ListGrants, org));
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[0].user_id, first);
  EXPECT_FALSE(grants[0].granted_by.has_value());
  EXPECT_EQ(grants[1].user_id, *second);
  EXPECT_EQ(grants[1].granted_at, 200);
  for (const OrgKeyGrant& g : grants) EXPECT_EQ(g.sealed_org_secret_key, "");  // never listed
  EXPECT_TRUE(Must(ReadOne(*store_, &StaffStore::ListGrants, AddOrg("empty"))).empty());
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::LockOrganisation, org));

  // Each completed login moves the last one to "previous" and says whether it was the first.
  EXPECT_EQ(Must(WriteOne(*store_, &StaffStore::StampLogin, *second, 1000)), 0);
  EXPECT_EQ(Must(WriteOne(*store_, &StaffStore::StampLogin, *second, 2000)), 1000);
  User stamped = Must(ReadOne(*store_, &StaffStore::FindUserById, *second));
  EXPECT_EQ(stamped.last_login_at, 2000);
  EXPECT_EQ(stamped.previous_login_at, 1000);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::StampLogin, 999999, 1)), ErrorCode::kNotFound);
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
