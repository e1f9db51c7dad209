#pragma once
// Test-only set-up shared by the store conformance tests and the report tests: the backend
// parameter, a migrated store on a throw-away database (SQLite in a temp folder, or a new
// database on the PostgreSQL server of tests/pg/with_postgres.sh), and minimal rows to fill it.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>

#include "store/store.h"

namespace vd::store_test {

enum class Backend { kSqlite, kPostgres };

// Lets gtest name the backend in failure messages instead of dumping bytes.
void PrintTo(Backend b, std::ostream* os);
// The test name suffix for INSTANTIATE_TEST_SUITE_P: "Sqlite" or "Postgres".
std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// A test decorator over a real Database (or Store): every per-table store is the inner one's,
// so a subclass overrides only what it changes (how transactions run, say). `inner_` is the
// real thing underneath.
template <class Base>
class ForwardingDatabase : public Base {
 public:
  explicit ForwardingDatabase(Base& inner) : inner_(inner) {}
  SettingsStore& settings() override { return inner_.settings(); }
  StaffStore& staff() override { return inner_.staff(); }
  SessionStore& sessions() override { return inner_.sessions(); }
  ConversationStore& conversations() override { return inner_.conversations(); }
  ContactStore& contacts() override { return inner_.contacts(); }
  DirectoryStore& directory() override { return inner_.directory(); }
  AuditStore& audit() override { return inner_.audit(); }
  HelpStore& help() override { return inner_.help(); }
  ReportStore& reports() override { return inner_.reports(); }

 protected:
  Base& inner_;
};

// The environment variable `name`, or nullptr when it is unset or empty.
const char* Env(const char* name);
// A random decimal suffix for temp folder and database names.
std::string Unique();
// What libpq reads for the test server (VD_TEST_PG_URL is a store URL, "pg:" first).
std::string PgConninfo();
// Runs one SQL statement with psql on the test server's maintenance database.
void Psql(const std::string& sql);
// Skips the current test when the PostgreSQL test server is not configured (VD_TEST_PG_URL,
// and VD_TEST_PG_BIN too when `with_psql`), or fails it when VD_REQUIRE_PG=1 so that CI cannot
// pass by testing one backend. Callers return when IsSkipped() or HasFatalFailure().
void SkipUnlessPostgres(bool with_psql);

// A user of `org` with placeholder keys, as the store needs them and no test reads them.
User TestUser(const std::string& username, int64_t org);
// A contact record with every required code set, version-1 indicators, assessment and
// escalation "none", and no topics, advice, indicators, case or referrals.
ContactRecord TestContact(int64_t org, int64_t advisor, const std::string& month,
                          const std::string& channel, const std::string& location,
                          const std::string& language, const std::string& gender,
                          const std::string& age_band, const std::string& region);

// The error code of a store call that must fail; nullopt if it succeeded.
template <typename R>
std::optional<ErrorCode> FailureOf(const R& r) {
  if (r) return std::nullopt;
  return r.error().code;
}

// The aggregate store S of `db`, for ReadOne/WriteOne.
template <typename S>
S& StoreOf(Database& db);
template <>
inline SettingsStore& StoreOf<SettingsStore>(Database& db) {
  return db.settings();
}
template <>
inline StaffStore& StoreOf<StaffStore>(Database& db) {
  return db.staff();
}
template <>
inline SessionStore& StoreOf<SessionStore>(Database& db) {
  return db.sessions();
}
template <>
inline ConversationStore& StoreOf<ConversationStore>(Database& db) {
  return db.conversations();
}
template <>
inline ContactStore& StoreOf<ContactStore>(Database& db) {
  return db.contacts();
}
template <>
inline DirectoryStore& StoreOf<DirectoryStore>(Database& db) {
  return db.directory();
}
template <>
inline AuditStore& StoreOf<AuditStore>(Database& db) {
  return db.audit();
}
template <>
inline HelpStore& StoreOf<HelpStore>(Database& db) {
  return db.help();
}
template <>
inline ReportStore& StoreOf<ReportStore>(Database& db) {
  return db.reports();
}

// One aggregate-store call in a read or write transaction of its own, for tests that check
// a store call by call (a domain operation opens one transaction around several calls):
//   WriteOne(*store_, &StaffStore::InsertUser, user);  ReadOne(*store_, &StaffStore::ListUsers);
// The arguments convert to the method's parameter types (braced lists work).
template <typename S, typename R, typename... P>
R ReadOne(Database& db, R (S::*method)(Tx&, P...), std::type_identity_t<P>... args) {
  return db.Read("test", [&](Tx& tx) -> R { return (StoreOf<S>(db).*method)(tx, args...); });
}
template <typename S, typename R, typename... P>
R WriteOne(Database& db, R (S::*method)(Tx&, P...), std::type_identity_t<P>... args) {
  return db.Write("test", [&](Tx& tx) -> R { return (StoreOf<S>(db).*method)(tx, args...); });
}

// A fixture with a migrated store_ on a fresh database, removed again in TearDown.
class FreshStoreTest : public ::testing::Test {
 protected:
  // Opens store_ on a new database named after `tag` ("vd-<tag>-…" folder or "vd_<tag>_…"
  // database). Records a skip or a fatal failure instead; callers return when IsSkipped()
  // or HasFatalFailure().
  void OpenFreshStore(Backend backend, const std::string& tag, int pool_size);
  void TearDown() override;

  // Inserts an organisation and returns its id (0 on failure).
  int64_t AddOrganisation(const std::string& slug, const std::string& name);
  // Inserts TestUser(username, org) and returns its id (0 on failure).
  int64_t AddUser(const std::string& username, int64_t org);
  // Inserts a conversation of `org` started at `at` with one worker message, placeholder keys
  // and language "nl"; returns its id (0 on failure).
  int64_t StartConversation(int64_t org, const std::string& public_id,
                            const std::string& receipt_lookup, int64_t at, int64_t expires_at);

  std::filesystem::path dir_;
  std::string db_, url_;
  std::unique_ptr<Store> store_;
};

}  // namespace vd::store_test
