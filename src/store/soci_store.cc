#include "store/soci_store.h"
#include "store/soci_contacts.h"
#include "store/soci_report.h"
#include "store/soci_tx.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <set>
#include <stdexcept>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace vd {
namespace {

using soci::indicator;
using soci::into;
using soci::use;

// How often a transaction is tried when the database is busy or the connection was lost
// before COMMIT. SQLite already waits busy_timeout inside each try.
constexpr int kMaxAttempts = 4;
constexpr int kSqliteBusyTimeoutMs = 5000;

// The schema_migrations table exists before the numbered migrations, so it is created here.
constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
// Any constant works as long as every vertrouwd process uses the same one.
constexpr long long kMigrationLockKey = 0x7665727472;  // "vertr"

constexpr const char* kUserColumns =
    "id, username, role, organisation_id, pw_salt, pw_verifier, public_key, wrapped_secret_key, "
    "recovery_wrapped_secret_key, wrapped_totp_secret, totp_enabled, totp_last_step, "
    "failed_logins, locked_until, disabled, created_at";

constexpr const char* kConversationColumns =
    "id, public_id, receipt_lookup, organisation_id, public_key, receipt_wrapped_secret_key, "
    "org_sealed_secret_key, status, language, answer_language, answer_age_band, "
    "answer_work_setting, created_at, last_activity_at, expires_at, first_reply_at";

// A value the schema's CHECKs should have made impossible. Thrown inside a transaction body
// and reported as kStorage, like any other broken invariant of the database.
[[noreturn]] void Corrupt(const char* what) {
  throw std::runtime_error(std::string("unexpected value in column ") + what);
}

std::string_view AuthorName(Author a) { return a == Author::kWorker ? "worker" : "advisor"; }
Author ParseAuthor(const std::string& s) {
  if (s == "worker") return Author::kWorker;
  if (s == "advisor") return Author::kAdvisor;
  Corrupt("messages.author");
}
std::string_view SessionKindName(SessionKind k) {
  return k == SessionKind::kStaff ? "staff" : "worker";
}
SessionKind ParseSessionKind(const std::string& s) {
  if (s == "staff") return SessionKind::kStaff;
  if (s == "worker") return SessionKind::kWorker;
  Corrupt("sessions.kind");
}
ConversationStatus StatusOf(const std::string& s) {
  std::optional<ConversationStatus> status = ParseConversationStatus(s);
  if (!status) Corrupt("conversations.status");
  return *status;
}

// Row buffers for SOCI's into(): SOCI speaks long long and indicators, the structs int64_t
// and std::optional.
struct UserRow {
  long long id = 0, org = 0, totp_enabled = 0, totp_last_step = 0, failed = 0, locked = 0,
            disabled = 0, created = 0;
  indicator org_ind = soci::i_null;
  std::string username, role, salt, verifier, pk, wsk, rwsk, wtotp;

  void Exchange(soci::statement& st) {
    st.exchange(into(id));
    st.exchange(into(username));
    st.exchange(into(role));
    st.exchange(into(org, org_ind));
    st.exchange(into(salt));
    st.exchange(into(verifier));
    st.exchange(into(pk));
    st.exchange(into(wsk));
    st.exchange(into(rwsk));
    st.exchange(into(wtotp));
    st.exchange(into(totp_enabled));
    st.exchange(into(totp_last_step));
    st.exchange(into(failed));
    st.exchange(into(locked));
    st.exchange(into(disabled));
    st.exchange(into(created));
  }
  User ToUser() const {
    User u;
    u.id = id;
    u.username = username;
    std::optional<Role> r = ParseRole(role);
    // Never guess a role: a wrong guess could grant access.
    if (!r) Corrupt("users.role");
    u.role = *r;
    if (org_ind == soci::i_ok) u.organisation_id = org;
    u.pw_salt = salt;
    u.pw_verifier = verifier;
    u.public_key = pk;
    u.wrapped_secret_key = wsk;
    u.recovery_wrapped_secret_key = rwsk;
    u.wrapped_totp_secret = wtotp;
    u.totp_enabled = totp_enabled != 0;
    u.totp_last_step = totp_last_step;
    u.failed_logins = failed;
    u.locked_until = locked;
    u.disabled = disabled != 0;
    u.created_at = created;
    return u;
  }
};

struct ConversationRow {
  long long id = 0, org = 0, created = 0, activity = 0, expires = 0, first_reply = 0;
  std::string public_id, lookup, pk, rwsk, osk, status, language, a_lang, a_age, a_setting;

  void Exchange(soci::statement& st) {
    st.exchange(into(id));
    st.exchange(into(public_id));
    st.exchange(into(lookup));
    st.exchange(into(org));
    st.exchange(into(pk));
    st.exchange(into(rwsk));
    st.exchange(into(osk));
    st.exchange(into(status));
    st.exchange(into(language));
    st.exchange(into(a_lang));
    st.exchange(into(a_age));
    st.exchange(into(a_setting));
    st.exchange(into(created));
    st.exchange(into(activity));
    st.exchange(into(expires));
    st.exchange(into(first_reply));
  }
  Conversation ToConversation() const {
    Conversation c;
    c.id = id;
    c.public_id = public_id;
    c.receipt_lookup = lookup;
    c.organisation_id = org;
    c.public_key = pk;
    c.receipt_wrapped_secret_key = rwsk;
    c.org_sealed_secret_key = osk;
    c.status = StatusOf(status);
    c.language = language;
    c.answer_language = a_lang;
    c.answer_age_band = a_age;
    c.answer_work_setting = a_setting;
    c.created_at = created;
    c.last_activity_at = activity;
    c.expires_at = expires;
    c.first_reply_at = first_reply;
    return c;
  }
};

// Prepares `query` with the exchanges already added to `st` (SOCI's low-level API, used
// where a row struct binds its own columns).
void Prepare(soci::statement& st, const std::string& query) {
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
}

// What a failed statement means for the caller.
enum class Failure { kOther, kUnique, kForeignKey, kBusy };

struct Diagnosis {
  Failure failure = Failure::kOther;
  std::string detail;  // for the operator's log: never a bound value or row content
};

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 160 ? line.substr(0, 160) : line;
}

bool Contains(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}

// soci_error::what() appends "while executing ... with :v=<value>", i.e. the bound values,
// which may be a username or a ciphertext: only get_error_message() is ever looked at.
Diagnosis Diagnose(const std::exception& e) {
  if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    // SQLite's messages name tables and columns, never values.
    const std::string msg = FirstLine(lite->get_error_message());
    switch (lite->result() & 0xff) {  // the primary code, should extended codes be on
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return {Failure::kBusy, "sqlite busy"};
      case SQLITE_CONSTRAINT:
        if (Contains(msg, "UNIQUE") || Contains(msg, "PRIMARY KEY")) {
          return {Failure::kUnique, "unique constraint"};
        }
        if (Contains(msg, "FOREIGN KEY")) return {Failure::kForeignKey, "foreign key"};
        break;
    }
    return {Failure::kOther, "sqlite: " + msg};
  }
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    const std::string state = pg->sqlstate();
    if (state == "23505") return {Failure::kUnique, "unique constraint"};
    if (state == "23503") return {Failure::kForeignKey, "foreign key"};
    // Serialisation failures and deadlocks are resolved by trying again.
    if (state == "40001" || state == "40P01") return {Failure::kBusy, "sqlstate " + state};
    // Data exceptions (class 22) and integrity errors (23) quote values in their messages;
    // the rest name objects only.
    if (state.starts_with("22") || state.starts_with("23")) {
      return {Failure::kOther, "sqlstate " + state};
    }
    return {Failure::kOther, "sqlstate " + state + ": " + FirstLine(pg->get_error_message())};
  }
  if (const auto* soci_error = dynamic_cast<const soci::soci_error*>(&e)) {
    return {Failure::kOther, FirstLine(soci_error->get_error_message())};
  }
  return {Failure::kOther, FirstLine(e.what())};
}

Error NotFoundError(const char* what) {
  return Error{ErrorCode::kNotFound, "error.not_found", std::string(what) + ": not found"};
}

class SociStore final : public Store {
 public:
  SociStore(Dialect dialect, int pool_size)
      : dialect_(dialect),
        pool_size_(pool_size),
        pool_(static_cast<size_t>(pool_size)),
        contacts_(NewSociContactStore()) {}

  ContactStore& contacts() override { return *contacts_; }

  Status Open(const std::string& connect) {
    try {
      for (int i = 0; i < pool_size_; ++i) {
        soci::session& s = pool_.at(static_cast<size_t>(i));
        if (dialect_ == Dialect::kSqlite) {
          s.open(*soci::factory_sqlite3(), SqliteConnectString(connect));
          if (Status ok = ConfigureSqlite(s); !ok) return ok;
        } else {
          s.open(*soci::factory_postgresql(), connect);
          ConfigurePostgres(s);
        }
      }
    } catch (const std::exception& e) {
      // Diagnose() never echoes the connect string, which may hold a password.
      return Fail(ErrorCode::kStorage, "error.internal",
                  "cannot open the database: " + Diagnose(e).detail);
    } catch (...) {
      return Fail(ErrorCode::kStorage, "error.internal", "cannot open the database");
    }
    return {};
  }

  // --- migrations ------------------------------------------------------------------------
  Status Migrate() override {
    const std::vector<Migration>& migrations = Migrations(dialect_);
    for (const Migration& m : migrations) {
      Status s = InTx(TxKind::kWrite, "migrate", [&](soci::session& sql) -> Status {
        // Two servers starting at once: the lock queues the second behind the first, and the
        // version check below (after the lock) makes it skip what the first applied. SQLite's
        // BEGIN IMMEDIATE already serialises writers.
        if (dialect_ == Dialect::kPostgres) {
          sql << "SELECT pg_advisory_xact_lock(:k)", use(kMigrationLockKey);
        }
        sql << kCreateMigrationsTable;
        long long newest = 0;
        indicator newest_ind = soci::i_null;
        sql << "SELECT MAX(version) FROM schema_migrations", into(newest, newest_ind);
        if (newest_ind == soci::i_ok && newest > migrations.back().version) {
          return Fail(ErrorCode::kStorage, "error.internal",
                      "the database schema is newer than this program");
        }
        const long long version = m.version;
        long long done = 0;
        sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", use(version),
            into(done);
        if (done > 0) return {};
        for (const std::string& statement : m.statements) sql << statement;
        const long long now = static_cast<long long>(std::time(nullptr));
        sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)",
            use(version), use(now);
        return {};
      });
      if (!s) return s;
    }
    return {};
  }

  Result<int> SchemaVersion() override {
    return InTx(TxKind::kRead, "schema version", [&](soci::session& sql) -> Result<int> {
      // A database never migrated has no table yet: that is version 0, not an error.
      long long tables = 0;
      if (dialect_ == Dialect::kSqlite) {
        sql << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND "
               "name = 'schema_migrations'",
            into(tables);
      } else {
        sql << "SELECT COUNT(*) FROM information_schema.tables WHERE "
               "table_schema = current_schema() AND table_name = 'schema_migrations'",
            into(tables);
      }
      if (tables == 0) return 0;
      long long version = 0;
      indicator ind = soci::i_null;
      sql << "SELECT MAX(version) FROM schema_migrations", into(version, ind);
      return ind == soci::i_ok ? static_cast<int>(version) : 0;
    });
  }

  // --- settings --------------------------------------------------------------------------
  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return InTx(TxKind::kRead, "get setting",
              [&](soci::session& sql) -> Result<std::optional<std::string>> {
                std::string value;
                sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
                if (!sql.got_data()) return std::nullopt;
                return value;
              });
  }

  Result<std::string> GetOrCreateSetting(const std::string& key,
                                         const std::string& fresh) override {
    return InTx(TxKind::kWrite, "get or create setting",
              [&](soci::session& sql) -> Result<std::string> {
                // Several servers may race here; DO NOTHING makes the loser read the
                // winner's value instead of failing.
                sql << "INSERT INTO settings (key, value) VALUES (:k, :v) "
                       "ON CONFLICT (key) DO NOTHING",
                    use(key), use(fresh);
                std::string value;
                sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
                if (!sql.got_data()) Corrupt("settings.value");
                return value;
              });
  }

  // --- organisations ---------------------------------------------------------------------
  Result<int64_t> InsertOrganisation(const Organisation& org) override {
    return InTx(TxKind::kWrite, "insert organisation", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      sql << "INSERT INTO organisations (slug, name, public_key) VALUES (:s, :n, :k) "
             "RETURNING id",
          use(org.slug), use(org.name), use(org.public_key), into(id);
      return id;
    });
  }

  Result<std::vector<Organisation>> ListOrganisations() override {
    return InTx(TxKind::kRead, "list organisations",
              [&](soci::session& sql) -> Result<std::vector<Organisation>> {
                std::vector<Organisation> out;
                Organisation o;
                long long id = 0;
                soci::statement st =
                    (sql.prepare << "SELECT id, slug, name, public_key FROM organisations "
                                    "ORDER BY id",
                     into(id), into(o.slug), into(o.name), into(o.public_key));
                st.execute();
                while (st.fetch()) {
                  o.id = id;
                  out.push_back(o);
                }
                return out;
              });
  }

  Result<Organisation> FindOrganisationBySlug(const std::string& slug) override {
    return FindOrganisation("slug = :v", slug);
  }
  Result<Organisation> FindOrganisationById(int64_t id) override {
    return FindOrganisation("id = :v", static_cast<long long>(id));
  }

  Status SetOrganisationPublicKey(int64_t id, const std::string& public_key) override {
    return Update("set organisation key", "organisation",
                  "UPDATE organisations SET public_key = :k WHERE id = :id", public_key,
                  static_cast<long long>(id));
  }

  // --- users -----------------------------------------------------------------------------
  Result<int64_t> InsertUser(const User& u) override {
    return InTx(TxKind::kWrite, "insert user", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      const long long org = u.organisation_id.value_or(0);
      indicator org_ind = u.organisation_id ? soci::i_ok : soci::i_null;
      const std::string role(RoleName(u.role));
      const long long totp = u.totp_enabled ? 1 : 0, disabled = u.disabled ? 1 : 0,
                      step = u.totp_last_step, failed = u.failed_logins,
                      locked = u.locked_until, created = u.created_at;
      sql << "INSERT INTO users (username, role, organisation_id, pw_salt, pw_verifier, "
             "public_key, wrapped_secret_key, recovery_wrapped_secret_key, wrapped_totp_secret, "
             "totp_enabled, totp_last_step, failed_logins, locked_until, disabled, created_at) "
             "VALUES (:u, :r, :o, :s, :v, :pk, :w, :rw, :t, :te, :ts, :f, :l, :d, :c) "
             "RETURNING id",
          use(u.username), use(role), use(org, org_ind), use(u.pw_salt), use(u.pw_verifier),
          use(u.public_key), use(u.wrapped_secret_key), use(u.recovery_wrapped_secret_key),
          use(u.wrapped_totp_secret), use(totp), use(step), use(failed), use(locked),
          use(disabled), use(created), into(id);
      return id;
    });
  }

  Result<User> FindUserByUsername(const std::string& username) override {
    return FindUser("username = :v", username);
  }
  Result<User> FindUserById(int64_t id) override {
    return FindUser("id = :v", static_cast<long long>(id));
  }

  Result<std::vector<User>> ListUsers() override {
    return InTx(TxKind::kRead, "list users", [&](soci::session& sql) -> Result<std::vector<User>> {
      std::vector<User> out;
      UserRow row;
      soci::statement st(sql);
      row.Exchange(st);
      Prepare(st, std::string("SELECT ") + kUserColumns + " FROM users ORDER BY id");
      st.execute();
      while (st.fetch()) out.push_back(row.ToUser());
      return out;
    });
  }

  Status RecordLoginFailure(int64_t user_id, int64_t failed_logins,
                            int64_t locked_until) override {
    return Update("record login failure", "user",
                  "UPDATE users SET failed_logins = :f, locked_until = :l WHERE id = :id",
                  static_cast<long long>(failed_logins), static_cast<long long>(locked_until),
                  static_cast<long long>(user_id));
  }

  Status RecordLoginSuccess(int64_t user_id) override {
    return Update("record login success", "user",
                  "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = :id",
                  static_cast<long long>(user_id));
  }

  Status AdvanceTotpStep(int64_t user_id, int64_t step) override {
    return InTx(TxKind::kWrite, "advance totp step", [&](soci::session& sql) -> Status {
      // Compare and set in one statement: two logins racing with the same code cannot both
      // see the old step.
      const long long s = step, s_again = step, id = user_id;
      soci::statement st =
          (sql.prepare << "UPDATE users SET totp_last_step = :s "
                          "WHERE id = :id AND totp_last_step < :s_again",
           use(s), use(id), use(s_again));
      st.execute(true);
      if (st.get_affected_rows() > 0) return {};
      long long exists = 0;
      sql << "SELECT COUNT(*) FROM users WHERE id = :id", use(id), into(exists);
      if (exists == 0) return std::unexpected(NotFoundError("user"));
      return Fail(ErrorCode::kConflict, "error.totp_reused", "totp step already used");
    });
  }

  Status SetTotpSecret(int64_t user_id, const std::string& wrapped_totp_secret) override {
    return Update("set totp secret", "user",
                  "UPDATE users SET wrapped_totp_secret = :t, totp_enabled = 1 WHERE id = :id",
                  wrapped_totp_secret, static_cast<long long>(user_id));
  }

  // --- organisation key grants -----------------------------------------------------------
  Status UpsertOrgKeyGrant(const OrgKeyGrant& grant) override {
    return InTx(TxKind::kWrite, "upsert grant", [&](soci::session& sql) -> Status {
      const long long org = grant.organisation_id, user = grant.user_id;
      sql << "INSERT INTO org_key_grants (organisation_id, user_id, sealed_org_secret_key) "
             "VALUES (:o, :u, :k) ON CONFLICT (organisation_id, user_id) "
             "DO UPDATE SET sealed_org_secret_key = excluded.sealed_org_secret_key",
          use(org), use(user), use(grant.sealed_org_secret_key);
      return {};
    });
  }

  Result<OrgKeyGrant> FindOrgKeyGrant(int64_t organisation_id, int64_t user_id) override {
    return InTx(TxKind::kRead, "find grant", [&](soci::session& sql) -> Result<OrgKeyGrant> {
      OrgKeyGrant g{organisation_id, user_id, {}};
      const long long org = organisation_id, user = user_id;
      sql << "SELECT sealed_org_secret_key FROM org_key_grants "
             "WHERE organisation_id = :o AND user_id = :u",
          use(org), use(user), into(g.sealed_org_secret_key);
      if (!sql.got_data()) return std::unexpected(NotFoundError("grant"));
      return g;
    });
  }

  Result<std::vector<User>> UsersWithoutGrant(int64_t organisation_id) override {
    return InTx(TxKind::kRead, "users without grant",
              [&](soci::session& sql) -> Result<std::vector<User>> {
                std::vector<User> out;
                UserRow row;
                const long long org = organisation_id;
                soci::statement st(sql);
                st.exchange(use(org));
                row.Exchange(st);
                Prepare(st, std::string("SELECT ") + kUserColumns +
                                " FROM users u WHERE u.organisation_id = :o "
                                "AND u.public_key <> '' AND NOT EXISTS (SELECT 1 FROM "
                                "org_key_grants g WHERE g.organisation_id = u.organisation_id "
                                "AND g.user_id = u.id) ORDER BY u.id");
                st.execute();
                while (st.fetch()) out.push_back(row.ToUser());
                return out;
              });
  }

  Status DisableUser(int64_t user_id, const std::optional<OrgKeyRotation>& rotation) override {
    return InTx(TxKind::kWrite, "disable user", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      soci::statement st = (sql.prepare << "UPDATE users SET disabled = 1 WHERE id = :id", use(id));
      st.execute(true);
      if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError("user"));
      sql << "DELETE FROM sessions WHERE user_id = :id", use(id);
      sql << "DELETE FROM org_key_grants WHERE user_id = :id", use(id);
      if (!rotation) return {};
      const long long org = rotation->organisation_id;
      if (dialect_ == Dialect::kPostgres) {
        // Serialises rotations of one organisation (SQLite's BEGIN IMMEDIATE already does).
        long long locked = 0;
        sql << "SELECT id FROM organisations WHERE id = :o FOR UPDATE", use(org), into(locked);
      }
      std::set<long long> holders;
      {
        long long holder = 0;
        soci::statement q = (sql.prepare << "SELECT user_id FROM org_key_grants WHERE organisation_id = :o",
                             use(org), into(holder));
        q.execute();
        while (q.fetch()) holders.insert(holder);
      }
      std::set<long long> recipients;
      for (const auto& [uid, sealed] : rotation->sealed_for) recipients.insert(uid);
      if (!holders.empty() && holders != recipients) {
        return Fail(ErrorCode::kConflict, "error.conflict", "grant holders changed");
      }
      for (const auto& [uid, sealed] : rotation->sealed_for) {
        const long long u = uid;
        if (holders.empty()) {
          sql << "INSERT INTO org_key_grants (organisation_id, user_id, sealed_org_secret_key) "
                 "VALUES (:o, :u, :k)",
              use(org), use(u), use(sealed);
        } else {
          const std::string prefix = sealed + ",";
          sql << "UPDATE org_key_grants SET sealed_org_secret_key = CAST(:p AS TEXT) || sealed_org_secret_key "
                 "WHERE organisation_id = :o AND user_id = :u",
              use(prefix), use(org), use(u);
        }
      }
      soci::statement k = (sql.prepare << "UPDATE organisations SET public_key = :k WHERE id = :o",
                           use(rotation->public_key), use(org));
      k.execute(true);
      if (k.get_affected_rows() == 0) return std::unexpected(NotFoundError("organisation"));
      return {};
    });
  }

  // --- conversations and messages --------------------------------------------------------
  Result<int64_t> InsertConversation(const Conversation& c, const Message& first) override {
    return InTx(TxKind::kWrite, "insert conversation", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      const std::string status(ConversationStatusName(c.status));
      const long long org = c.organisation_id, created = c.created_at,
                      activity = c.last_activity_at, expires = c.expires_at,
                      first_reply = c.first_reply_at;
      sql << "INSERT INTO conversations (public_id, receipt_lookup, organisation_id, "
             "public_key, receipt_wrapped_secret_key, org_sealed_secret_key, status, language, "
             "answer_language, answer_age_band, answer_work_setting, created_at, "
             "last_activity_at, expires_at, first_reply_at) VALUES (:p, :l, :o, :pk, :rw, :os, "
             ":s, :lang, :al, :aa, :aw, :c, :a, :e, :f) RETURNING id",
          use(c.public_id), use(c.receipt_lookup), use(org), use(c.public_key),
          use(c.receipt_wrapped_secret_key), use(c.org_sealed_secret_key), use(status),
          use(c.language), use(c.answer_language), use(c.answer_age_band),
          use(c.answer_work_setting), use(created), use(activity), use(expires),
          use(first_reply), into(id);
      InsertMessage(sql, id, first);
      return id;
    });
  }

  Result<Conversation> FindConversationByLookup(const std::string& receipt_lookup) override {
    return FindConversation("receipt_lookup = :v", receipt_lookup);
  }
  Result<Conversation> FindConversationById(int64_t id) override {
    return FindConversation("id = :v", static_cast<long long>(id));
  }
  Result<Conversation> FindConversationByPublicId(const std::string& public_id) override {
    return FindConversation("public_id = :v", public_id);
  }

  Result<std::vector<Message>> ListMessages(int64_t conversation_id) override {
    return InTx(TxKind::kRead, "list messages",
              [&](soci::session& sql) -> Result<std::vector<Message>> {
                std::vector<Message> out;
                long long id = 0, user = 0, created = 0;
                indicator user_ind = soci::i_null;
                std::string author, text;
                const long long cid = conversation_id;
                soci::statement st =
                    (sql.prepare << "SELECT id, author, author_user_id, ciphertext, created_at "
                                    "FROM messages WHERE conversation_id = :c ORDER BY id",
                     use(cid), into(id), into(author), into(user, user_ind), into(text),
                     into(created));
                st.execute();
                while (st.fetch()) {
                  Message m;
                  m.id = id;
                  m.conversation_id = conversation_id;
                  m.author = ParseAuthor(author);
                  if (user_ind == soci::i_ok) m.author_user_id = user;
                  m.ciphertext = text;
                  m.created_at = created;
                  out.push_back(std::move(m));
                }
                return out;
              });
  }

  Status AppendMessage(const Message& m, ConversationStatus new_status,
                       int64_t expires_at) override {
    return InTx(TxKind::kWrite, "append message", [&](soci::session& sql) -> Status {
      const std::string status(ConversationStatusName(new_status));
      const long long now = m.created_at, expires = expires_at, id = m.conversation_id;
      // A worker's message leaves first_reply_at at 0.
      const long long reply_at = m.author == Author::kAdvisor ? m.created_at : 0;
      // The conversation row first: if it is gone (deleted by the worker or by expiry a
      // moment ago) nothing is written, and the update also queues concurrent appends on
      // the row lock instead of letting them race.
      soci::statement st =
          (sql.prepare << "UPDATE conversations SET status = :s, last_activity_at = :n, "
                          "expires_at = :e WHERE id = :id",
           use(status), use(now), use(expires), use(id));
      st.execute(true);
      if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError("conversation"));
      InsertMessage(sql, id, m);
      // Sets first_reply_at if still 0 and counts that first reply (row locked above).
      if (reply_at > 0) sql4::RecordFirstReply(sql, id, reply_at);
      return {};
    });
  }

  Status DeleteConversation(int64_t id) override {
    // Messages and worker sessions go with it through ON DELETE CASCADE; secure_delete
    // (SQLite) overwrites the freed cells.
    return Update("delete conversation", "conversation",
                  "DELETE FROM conversations WHERE id = :id", static_cast<long long>(id));
  }

  Result<int64_t> DeleteExpiredConversations(int64_t now) override {
    return InTx(TxKind::kWrite, "delete expired", [&](soci::session& sql) -> Result<int64_t> {
      const long long t = now;
      soci::statement st =
          (sql.prepare << "DELETE FROM conversations WHERE expires_at <= :t", use(t));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }

  Result<std::vector<InboxEntry>> Inbox(int64_t organisation_id,
                                        std::optional<ConversationStatus> status,
                                        int limit) override {
    return InTx(TxKind::kRead, "inbox", [&](soci::session& sql) -> Result<std::vector<InboxEntry>> {
      std::vector<InboxEntry> out;
      const long long org = organisation_id, lim = limit < 0 ? 0 : limit;
      const std::string wanted(status ? ConversationStatusName(*status) : "");
      InboxEntry e;
      std::string status_name;
      long long created = 0, activity = 0, count = 0;
      soci::statement st(sql);
      st.exchange(use(org));
      if (status) st.exchange(use(wanted));
      st.exchange(use(lim));
      st.exchange(into(e.public_id));
      st.exchange(into(status_name));
      st.exchange(into(e.language));
      st.exchange(into(created));
      st.exchange(into(activity));
      st.exchange(into(count));
      // Walks the inbox index newest first and stops at the limit; messages are counted
      // only for the rows shown. (A join with GROUP BY counted every conversation of the
      // organisation before sorting: 70 ms at 10 000 conversations.)
      Prepare(st, std::string("SELECT c.public_id, c.status, c.language, c.created_at, "
                              "c.last_activity_at, (SELECT COUNT(*) FROM messages m "
                              "WHERE m.conversation_id = c.id) FROM conversations c "
                              "WHERE c.organisation_id = :o ") +
                      (status ? "AND c.status = :s " : "") +
                      "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT :l");
      st.execute();
      while (st.fetch()) {
        e.status = StatusOf(status_name);
        e.created_at = created;
        e.last_activity_at = activity;
        e.message_count = count;
        out.push_back(e);
      }
      return out;
    });
  }

  Status ReplaceCredentials(int64_t user_id, const std::string& pw_salt,
                            const std::string& pw_verifier, const std::string& wrapped_secret_key,
                            const std::string& recovery_wrapped_secret_key) override {
    return InTx(TxKind::kWrite, "replace credentials", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      soci::statement st =
          (sql.prepare << "UPDATE users SET pw_salt = :s, pw_verifier = :v, wrapped_secret_key = :w, "
                          "recovery_wrapped_secret_key = :r, wrapped_totp_secret = '', totp_enabled = 0, "
                          "failed_logins = 0, locked_until = 0 WHERE id = :id",
           use(pw_salt), use(pw_verifier), use(wrapped_secret_key), use(recovery_wrapped_secret_key), use(id));
      st.execute(true);
      if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError("user"));
      sql << "DELETE FROM sessions WHERE user_id = :id", use(id);
      return {};
    });
  }

  Result<bool> RunExclusive(int64_t lock_key, const std::function<Status()>& job) override {
    if (dialect_ == Dialect::kSqlite) {
      std::unique_lock lock(exclusive_mu_, std::try_to_lock);
      if (!lock.owns_lock()) return false;
      if (Status s = job(); !s) return std::unexpected(s.error());
      return true;
    }
    try {
      // A session-level lock on one borrowed connection, held while the job runs on others.
      soci::session sql(pool_);
      const long long key = lock_key;
      int got = 0;
      sql << "SELECT CASE WHEN pg_try_advisory_lock(:k) THEN 1 ELSE 0 END", use(key), into(got);
      if (!got) return false;
      Status s = job();
      sql << "SELECT pg_advisory_unlock(:k)", use(key), into(got);
      if (!s) return std::unexpected(s.error());
      return true;
    } catch (const std::exception& e) {
      return Fail(ErrorCode::kStorage, "error.internal", std::string("exclusive job: ") + Diagnose(e).detail);
    }
  }

  Result<std::vector<std::pair<ConversationStatus, int64_t>>> CountConversationsByStatus()
      override {
    using Counts = std::vector<std::pair<ConversationStatus, int64_t>>;
    return InTx(TxKind::kRead, "count conversations", [&](soci::session& sql) -> Result<Counts> {
      // Every state, zeros included and in enum order, so a metrics gauge never disappears.
      Counts out = {{ConversationStatus::kNew, 0},
                    {ConversationStatus::kWaiting, 0},
                    {ConversationStatus::kAnswered, 0}};
      std::string status_name;
      long long count = 0;
      soci::statement st =
          (sql.prepare << "SELECT status, COUNT(*) FROM conversations GROUP BY status",
           into(status_name), into(count));
      st.execute();
      while (st.fetch()) {
        const ConversationStatus status = StatusOf(status_name);
        for (auto& [s, n] : out) {
          if (s == status) n = count;
        }
      }
      return out;
    });
  }

  // --- sessions --------------------------------------------------------------------------
  Status InsertSession(const Session& s) override {
    return InTx(TxKind::kWrite, "insert session", [&](soci::session& sql) -> Status {
      const long long user = s.user_id.value_or(0), conv = s.conversation_id.value_or(0);
      indicator user_ind = s.user_id ? soci::i_ok : soci::i_null;
      indicator conv_ind = s.conversation_id ? soci::i_ok : soci::i_null;
      const std::string kind(SessionKindName(s.kind));
      const long long stage = s.stage, created = s.created_at, seen = s.last_seen_at;
      sql << "INSERT INTO sessions (id_hash, kind, user_id, conversation_id, stage, "
             "wrapped_key, pending, created_at, last_seen_at) "
             "VALUES (:h, :k, :u, :c, :s, :w, :p, :ca, :ls)",
          use(s.id_hash), use(kind), use(user, user_ind), use(conv, conv_ind), use(stage),
          use(s.wrapped_key), use(s.pending), use(created), use(seen);
      return {};
    });
  }

  Result<Session> FindSession(const std::string& id_hash) override {
    return InTx(TxKind::kRead, "find session", [&](soci::session& sql) -> Result<Session> {
      Session s;
      std::string kind;
      long long user = 0, conv = 0, stage = 0, created = 0, seen = 0;
      indicator user_ind = soci::i_null, conv_ind = soci::i_null;
      sql << "SELECT kind, user_id, conversation_id, stage, wrapped_key, pending, created_at, "
             "last_seen_at FROM sessions WHERE id_hash = :h",
          use(id_hash), into(kind), into(user, user_ind), into(conv, conv_ind), into(stage),
          into(s.wrapped_key), into(s.pending), into(created), into(seen);
      if (!sql.got_data()) return std::unexpected(NotFoundError("session"));
      s.id_hash = id_hash;
      s.kind = ParseSessionKind(kind);
      if (user_ind == soci::i_ok) s.user_id = user;
      if (conv_ind == soci::i_ok) s.conversation_id = conv;
      s.stage = stage;
      s.created_at = created;
      s.last_seen_at = seen;
      return s;
    });
  }

  Status TouchSession(const std::string& id_hash, int64_t now) override {
    return Update("touch session", "session",
                  "UPDATE sessions SET last_seen_at = :n WHERE id_hash = :h",
                  static_cast<long long>(now), id_hash);
  }

  Status UpdateSession(const Session& s) override {
    return Update("update session", "session",
                  "UPDATE sessions SET stage = :s, wrapped_key = :w, pending = :p, "
                  "last_seen_at = :l WHERE id_hash = :h",
                  static_cast<long long>(s.stage), s.wrapped_key, s.pending,
                  static_cast<long long>(s.last_seen_at), s.id_hash);
  }

  Status DeleteSession(const std::string& id_hash) override {
    return Update("delete session", "session", "DELETE FROM sessions WHERE id_hash = :h",
                  id_hash);
  }

  Result<int64_t> DeleteStaleSessions(int64_t idle_before, int64_t created_before) override {
    return InTx(TxKind::kWrite, "delete stale sessions", [&](soci::session& sql) -> Result<int64_t> {
      const long long idle = idle_before, created = created_before;
      soci::statement st =
          (sql.prepare << "DELETE FROM sessions WHERE last_seen_at < :i OR created_at < :c",
           use(idle), use(created));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }

  // --- contact records, cases, directory, audit (schema 2; SQL in soci_contacts.cc) ---

  Result<int64_t> InsertDirectoryEntry(const DirectoryEntry& e) override {
    return InTx(TxKind::kWrite, "insert directory entry", [&](soci::session& sql) -> Result<int64_t> {
      return sql2::InsertDirectoryEntry(sql, e);
    });
  }
  Status UpdateDirectoryEntry(const DirectoryEntry& e) override {
    return InTx(TxKind::kWrite, "update directory entry", [&](soci::session& sql) -> Status {
      if (!sql2::UpdateDirectoryEntry(sql, e)) return std::unexpected(NotFoundError("directory"));
      return {};
    });
  }
  Result<std::vector<DirectoryEntry>> ListDirectory(bool active_only) override {
    return InTx(TxKind::kRead, "list directory",
              [&](soci::session& sql) -> Result<std::vector<DirectoryEntry>> {
                return sql2::ListDirectory(sql, active_only);
              });
  }
  Result<DirectoryEntry> FindDirectoryEntry(int64_t id) override {
    return InTx(TxKind::kRead, "find directory entry", [&](soci::session& sql) -> Result<DirectoryEntry> {
      auto e = sql2::FindDirectoryEntry(sql, id);
      if (!e) return std::unexpected(NotFoundError("directory"));
      return std::move(*e);
    });
  }
  Result<AuditEntry> AppendAudit(
      const AuditEntry& e, const std::function<std::string(const AuditEntry&)>& hash_of) override {
    return InTx(TxKind::kWrite, "append audit", [&](soci::session& sql) -> Result<AuditEntry> {
      return sql2::AppendAudit(sql, dialect_, e, hash_of);
    });
  }
  Result<std::vector<AuditEntry>> ListAudit(int64_t after_id, int limit) override {
    return InTx(TxKind::kRead, "list audit", [&](soci::session& sql) -> Result<std::vector<AuditEntry>> {
      return sql2::ListAudit(sql, after_id, limit);
    });
  }

  // --- help pages ------------------------------------------------------------------------
  Result<HelpPage> FindHelpPage(const std::string& language, const std::string& slug) override {
    return InTx(TxKind::kRead, "find help page", [&](soci::session& sql) -> Result<HelpPage> {
      HelpPage p;
      long long updated = 0, by = 0;
      indicator by_ind = soci::i_null;
      sql << "SELECT language, slug, markdown, updated_at, updated_by FROM help_pages "
             "WHERE language = :l AND slug = :s",
          use(language), use(slug), into(p.language), into(p.slug), into(p.markdown),
          into(updated), into(by, by_ind);
      if (!sql.got_data()) return std::unexpected(NotFoundError("help page"));
      p.updated_at = updated;
      if (by_ind == soci::i_ok) p.updated_by = by;
      return p;
    });
  }

  Result<std::vector<HelpPage>> ListHelpPages(const std::string& language) override {
    return InTx(TxKind::kRead, "list help pages",
              [&](soci::session& sql) -> Result<std::vector<HelpPage>> {
                std::vector<HelpPage> out;
                HelpPage p;
                long long updated = 0, by = 0;
                indicator by_ind = soci::i_null;
                soci::statement st =
                    (sql.prepare << "SELECT language, slug, markdown, updated_at, updated_by "
                                    "FROM help_pages WHERE :l = '' OR language = :l2 "
                                    "ORDER BY language, slug",
                     use(language), use(language), into(p.language), into(p.slug),
                     into(p.markdown), into(updated), into(by, by_ind));
                st.execute();
                while (st.fetch()) {
                  p.updated_at = updated;
                  p.updated_by.reset();
                  if (by_ind == soci::i_ok) p.updated_by = by;
                  out.push_back(p);
                }
                return out;
              });
  }

  Result<bool> InsertHelpPageIfAbsent(const HelpPage& page) override {
    return InTx(TxKind::kWrite, "insert help page", [&](soci::session& sql) -> Result<bool> {
      const long long updated = page.updated_at;
      const long long by = page.updated_by.value_or(0);
      indicator by_ind = page.updated_by ? soci::i_ok : soci::i_null;
      soci::statement st =
          (sql.prepare << "INSERT INTO help_pages (language, slug, markdown, updated_at, "
                          "updated_by) VALUES (:l, :s, :m, :u, :b) "
                          "ON CONFLICT (language, slug) DO NOTHING",
           use(page.language), use(page.slug), use(page.markdown), use(updated), use(by, by_ind));
      st.execute(true);
      return st.get_affected_rows() > 0;
    });
  }

  Status SaveHelpPage(const HelpPage& page) override {
    return InTx(TxKind::kWrite, "save help page", [&](soci::session& sql) -> Status {
      const long long updated = page.updated_at;
      const long long by = page.updated_by.value_or(0);
      indicator by_ind = page.updated_by ? soci::i_ok : soci::i_null;
      sql << "INSERT INTO help_pages (language, slug, markdown, updated_at, updated_by) "
             "VALUES (:l, :s, :m, :u, :b) ON CONFLICT (language, slug) DO UPDATE SET "
             "markdown = excluded.markdown, updated_at = excluded.updated_at, "
             "updated_by = excluded.updated_by",
          use(page.language), use(page.slug), use(page.markdown), use(updated), use(by, by_ind);
      return {};
    });
  }

  // --- reports (schema 4, SQL in soci_report.cc) -------------------------------------------
  Status ScanContacts(const std::string& first_month, const std::string& last_month,
                      std::optional<int64_t> organisation_id, int parts,
                      const std::function<void(int, const ContactChunk&)>& chunk) override {
    using Range = std::optional<std::pair<long long, long long>>;
    Result<Range> range = InTx(TxKind::kRead, "scan contacts", [&](soci::session& sql) -> Result<Range> {
      return sql4::PeriodIdRange(sql, first_month, last_month);
    });
    if (!range) return std::unexpected(range.error());
    if (!*range) return {};
    const auto [lo, hi] = **range;
    std::optional<long long> org;
    if (organisation_id) org = *organisation_id;
    // Parallel parts only where they pay: SQLite (PostgreSQL pages through one cursor), free
    // connections for each part, and at least a few chunks' worth of ids per part.
    constexpr long long kMinPerPart = 5000;
    int n = std::clamp(parts, 1, pool_size_);
    if (dialect_ != Dialect::kSqlite) n = 1;
    while (n > 1 && (hi - lo + 1) / n < kMinPerPart) --n;
    auto scan = [&, lo = lo, hi = hi](int k) -> Status {
      const long long span = hi - lo + 1;
      const long long a = lo + span * k / n, b = lo + span * (k + 1) / n - 1;
      return InTx(TxKind::kRead, "scan contacts", [&](soci::session& sql) -> Status {
        sql4::ScanRange(sql, dialect_, a, b, first_month, last_month, org,
                        [&](const ContactChunk& c) { chunk(k, c); });
        return {};
      });
    };
    if (n == 1) return scan(0);
    std::vector<Status> results(static_cast<size_t>(n));
    std::vector<std::thread> threads;
    for (int k = 1; k < n; ++k) {
      threads.emplace_back([&, k] { results[static_cast<size_t>(k)] = scan(k); });
    }
    results[0] = scan(0);
    for (std::thread& t : threads) t.join();
    for (const Status& s : results) {
      if (!s) return s;
    }
    return {};
  }
  Status InsertContactsBulk(const std::vector<ContactRecord>& contacts) override {
    return InTx(TxKind::kWrite, "insert contacts", [&](soci::session& sql) -> Status {
      sql4::InsertContactsBulk(sql, contacts);
      return {};
    });
  }
  Result<ReleaseRecord> FindRelease(const std::string& city, const std::string& label,
                                    const std::string& method) override {
    return InTx(TxKind::kRead, "find release", [&](soci::session& sql) -> Result<ReleaseRecord> {
      auto r = sql4::FindRelease(sql, city, label, method);
      if (!r) return std::unexpected(NotFoundError("release"));
      return std::move(*r);
    });
  }
  Result<std::vector<ReleaseRecord>> ListReleases(const std::string& city,
                                                  const std::string& status) override {
    return InTx(TxKind::kRead, "list releases",
              [&](soci::session& sql) -> Result<std::vector<ReleaseRecord>> {
                return sql4::ListReleases(sql, city, status);
              });
  }
  Result<std::vector<std::pair<int64_t, int64_t>>> ReleasesSpent(const std::string& city,
                                                                 int64_t year) override {
    using Spent = std::vector<std::pair<int64_t, int64_t>>;
    return InTx(TxKind::kRead, "releases spent", [&](soci::session& sql) -> Result<Spent> {
      return sql4::ReleasesSpent(sql, city, year);
    });
  }
  Result<int64_t> InsertRelease(const ReleaseRecord& r, int64_t cap_num,
                                int64_t cap_den) override {
    return InTx(TxKind::kWrite, "insert release", [&](soci::session& sql) -> Result<int64_t> {
      return sql4::InsertRelease(sql, dialect_, r, cap_num, cap_den);
    });
  }
  Status PublishRelease(int64_t id, int64_t at) override {
    return Update("publish release", "release",
                  "UPDATE report_releases SET status = 'published', published_at = :t "
                  "WHERE id = :id AND status = 'draft'",
                  static_cast<long long>(at), static_cast<long long>(id));
  }
  Result<std::vector<PopulationEstimate>> ListPopulationEstimates(const std::string& city,
                                                                  int64_t year) override {
    return InTx(TxKind::kRead, "list estimates",
              [&](soci::session& sql) -> Result<std::vector<PopulationEstimate>> {
                return sql4::ListPopulationEstimates(sql, city, year);
              });
  }
  Status ReplacePopulationEstimates(const std::string& city, int64_t year,
                                    const std::string& dimension,
                                    const std::vector<PopulationEstimate>& estimates) override {
    return InTx(TxKind::kWrite, "replace estimates", [&](soci::session& sql) -> Status {
      sql4::ReplacePopulationEstimates(sql, city, year, dimension, estimates);
      return {};
    });
  }
  Result<std::vector<ResponseTimeCount>> ResponseTimes(
      const std::string& first_month, const std::string& last_month,
      std::optional<int64_t> organisation_id) override {
    return InTx(TxKind::kRead, "response times",
              [&](soci::session& sql) -> Result<std::vector<ResponseTimeCount>> {
                std::optional<long long> org;
                if (organisation_id) org = *organisation_id;
                return sql4::ResponseTimes(sql, first_month, last_month, org);
              });
  }

 protected:
  Status Run(TxKind kind, const char* what, const std::function<Status(Tx&)>& body) override {
    return InTx(kind, what, [&](soci::session& sql) -> Status {
      SociTx tx(sql);
      Status s = body(tx);
      // A statement failed inside: diagnose and retry as if the body had thrown it, whatever
      // the body made of the error.
      if (tx.failure()) std::rethrow_exception(tx.failure());
      return s;
    });
  }

 private:
  // A path without '=' is taken whole by SOCI; otherwise it must be quoted, which SOCI's
  // parser only understands without embedded quotes.
  static std::string SqliteConnectString(const std::string& path) {
    if (path.find('=') == std::string::npos) return path;
    if (path.find('"') != std::string::npos) {
      throw std::invalid_argument("sqlite path holds both '=' and '\"'");
    }
    return "db=\"" + path + "\"";
  }

  static void ConfigurePostgres(soci::session& s) {
    // Keeps libpq from printing NOTICEs ("already exists, skipping") to stderr.
    s << "SET client_min_messages TO WARNING";
  }

  // Sets the per-connection pragmas and reads each back: a pragma SQLite does not know, or
  // one silently ignored (foreign_keys inside a transaction, a build without the feature),
  // would otherwise leave the database less safe than the code claims.
  static Status ConfigureSqlite(soci::session& s) {
    // First, so that switching to WAL waits for another process instead of failing.
    s << "PRAGMA busy_timeout = " + std::to_string(kSqliteBusyTimeoutMs);
    std::string mode;
    s << "PRAGMA journal_mode = WAL", into(mode);
    struct Want {
      const char* name;
      const char* set;
      long long expect;
    };
    for (const Want& w : {Want{"synchronous", "FULL", 2}, Want{"foreign_keys", "ON", 1},
                          Want{"secure_delete", "ON", 1}, Want{"trusted_schema", "OFF", 0}}) {
      s << std::string("PRAGMA ") + w.name + " = " + w.set;
      long long value = -1;
      s << std::string("PRAGMA ") + w.name, into(value);
      if (value != w.expect) {
        return Fail(ErrorCode::kStorage, "error.internal",
                    std::string("sqlite refused PRAGMA ") + w.name + " = " + w.set);
      }
    }
    long long timeout = -1;
    s << "PRAGMA busy_timeout", into(timeout);
    if (mode != "wal" || timeout != kSqliteBusyTimeoutMs) {
      return Fail(ErrorCode::kStorage, "error.internal",
                  "sqlite refused WAL mode or busy_timeout (journal_mode is " + mode + ")");
    }
    return {};
  }

  // Runs `body` in one transaction on a pooled connection: commits if it returns a value,
  // rolls back if it returns an error or throws. Busy databases and (PostgreSQL) lost
  // connections are retried; every exception becomes an Error here.
  template <typename F>
  auto InTx(TxKind kind, const char* what, F&& body)
      -> std::invoke_result_t<F&, soci::session&> {
    using R = std::invoke_result_t<F&, soci::session&>;
    try {
      for (int attempt = 1;; ++attempt) {
        soci::session sql(pool_);
        bool began = false, committing = false;
        Diagnosis diagnosis;
        try {
          sql << BeginStatement(kind);
          began = true;
          R result = body(sql);
          committing = true;
          sql << (result ? "COMMIT" : "ROLLBACK");
          return result;
        } catch (const std::exception& e) {
          diagnosis = Diagnose(e);
        }
        // PostgreSQL ends the transaction when COMMIT fails; SQLite may keep it (busy).
        if (began && !(dialect_ == Dialect::kPostgres && committing)) Rollback(sql);
        bool retry = diagnosis.failure == Failure::kBusy;
        if (dialect_ == Dialect::kPostgres && !sql.is_connected()) {
          // A server restart or an idle-connection reaper killed this pooled connection:
          // reopen it for the next borrower. Retrying is safe only if COMMIT was never sent,
          // since the change may otherwise have landed.
          try {
            sql.reconnect();
            ConfigurePostgres(sql);
          } catch (...) {
          }
          retry = !committing;
          diagnosis.detail = "connection lost: " + diagnosis.detail;
        }
        if (retry && attempt < kMaxAttempts) {
          std::this_thread::sleep_for(std::chrono::milliseconds(25 << attempt));
          continue;
        }
        switch (diagnosis.failure) {
          case Failure::kUnique:
            return R(std::unexpect, Error{ErrorCode::kConflict, "error.conflict",
                                          std::string(what) + ": " + diagnosis.detail});
          case Failure::kForeignKey:
            // A referenced row is missing, e.g. the conversation was deleted a moment ago.
            return R(std::unexpect, Error{ErrorCode::kNotFound, "error.not_found",
                                          std::string(what) + ": " + diagnosis.detail});
          case Failure::kBusy:
          case Failure::kOther:
            break;
        }
        return R(std::unexpect, Error{ErrorCode::kStorage, "error.internal",
                                      std::string(what) + ": " + diagnosis.detail});
      }
    } catch (...) {
      return R(std::unexpect,
               Error{ErrorCode::kStorage, "error.internal", std::string(what) + ": failed"});
    }
  }

  const char* BeginStatement(TxKind kind) const {
    if (dialect_ == Dialect::kSqlite) return kind == TxKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN";
    return kind == TxKind::kWrite ? "BEGIN" : "BEGIN READ ONLY";
  }

  static void Rollback(soci::session& sql) {
    try {
      sql << "ROLLBACK";
    } catch (...) {
      // Nothing left to undo (SQLite already rolled back), or the connection is gone.
    }
  }

  // One UPDATE or DELETE with positional bindings; kNotFound if it touched no row.
  template <typename... Args>
  Status Update(const char* what, const char* noun, const std::string& query,
                const Args&... args) {
    return InTx(TxKind::kWrite, what, [&](soci::session& sql) -> Status {
      soci::statement st(sql);
      (st.exchange(use(args)), ...);
      Prepare(st, query);
      st.execute(true);
      if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError(noun));
      return {};
    });
  }

  template <typename V>
  Result<Organisation> FindOrganisation(const char* where, const V& value) {
    return InTx(TxKind::kRead, "find organisation", [&](soci::session& sql) -> Result<Organisation> {
      Organisation o;
      long long id = 0;
      sql << std::string("SELECT id, slug, name, public_key FROM organisations WHERE ") + where,
          use(value), into(id), into(o.slug), into(o.name), into(o.public_key);
      if (!sql.got_data()) return std::unexpected(NotFoundError("organisation"));
      o.id = id;
      return o;
    });
  }

  template <typename V>
  Result<User> FindUser(const char* where, const V& value) {
    return InTx(TxKind::kRead, "find user", [&](soci::session& sql) -> Result<User> {
      UserRow row;
      soci::statement st(sql);
      st.exchange(use(value));
      row.Exchange(st);
      Prepare(st, std::string("SELECT ") + kUserColumns + " FROM users WHERE " + where);
      st.execute();
      if (!st.fetch()) return std::unexpected(NotFoundError("user"));
      return row.ToUser();
    });
  }

  template <typename V>
  Result<Conversation> FindConversation(const char* where, const V& value) {
    return InTx(TxKind::kRead, "find conversation", [&](soci::session& sql) -> Result<Conversation> {
      ConversationRow row;
      soci::statement st(sql);
      st.exchange(use(value));
      row.Exchange(st);
      Prepare(st, std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE " +
                      where);
      st.execute();
      if (!st.fetch()) return std::unexpected(NotFoundError("conversation"));
      return row.ToConversation();
    });
  }

  static void InsertMessage(soci::session& sql, long long conversation_id, const Message& m) {
    const std::string author(AuthorName(m.author));
    const long long user = m.author_user_id.value_or(0);
    indicator user_ind = m.author_user_id ? soci::i_ok : soci::i_null;
    const long long created = m.created_at;
    sql << "INSERT INTO messages (conversation_id, author, author_user_id, ciphertext, "
           "created_at) VALUES (:c, :a, :u, :t, :at)",
        use(conversation_id), use(author), use(user, user_ind), use(m.ciphertext),
        use(created);
  }

  const Dialect dialect_;
  const int pool_size_;
  soci::connection_pool pool_;
  std::mutex exclusive_mu_;
  std::unique_ptr<ContactStore> contacts_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSociStore(Dialect dialect, const std::string& connect,
                                             int pool_size) {
  if (pool_size < 1 || pool_size > 1000) {
    return Fail(ErrorCode::kInvalidInput, "error.config", "pool size must be 1..1000");
  }
  if (dialect == Dialect::kSqlite) {
    // A pooled connection is used by one thread at a time, so the per-connection mutex of
    // SQLite's serialized mode (Debian's default) guards nothing here; it only costs a lock
    // pair per API call, ~40 per record in the report scan. Multi-thread mode keeps SQLite's
    // global structures locked. Takes effect only before SQLite's first use in the process
    // (later calls return SQLITE_MISUSE and change nothing).
    static const int configured = sqlite_api::sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
    (void)configured;
  }
  try {
    auto store = std::make_unique<SociStore>(dialect, pool_size);
    if (Status s = store->Open(connect); !s) return std::unexpected(s.error());
    return std::unique_ptr<Store>(std::move(store));
  } catch (...) {
    return Fail(ErrorCode::kStorage, "error.internal", "cannot open the database");
  }
}

}  // namespace vd
