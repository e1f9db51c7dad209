#include "store/soci_store.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>

#include "store/soci_contacts.h"
#include "store/soci_report.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

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

// What a failed statement means for the caller.
enum class Failure { kOther, kUnique, kForeignKey, kBusy, kFull };

struct Diagnosis {
  Failure failure = Failure::kOther;
  std::string detail;  // for the operator's log: never a bound value or row content
  // PostgreSQL said the connection is gone or cannot be made (class 08, or 57P01..57P03:
  // shut down by the administrator, crashed, cannot connect now).
  bool connection = false;
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
      case SQLITE_FULL:
        // The disk is full: SQLite has rolled the transaction back, nothing is half-written.
        return {Failure::kFull, "sqlite: disk full"};
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
    if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
      return {Failure::kOther, "sqlstate " + state + ": " + FirstLine(pg->get_error_message()), true};
    }
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

class SociStore final : public Store {
 public:
  SociStore(Dialect dialect, int pool_size)
      : dialect_(dialect),
        pool_size_(pool_size),
        pool_(static_cast<size_t>(pool_size)),
        settings_(NewSociSettingsStore()),
        staff_(NewSociStaffStore(dialect)),
        sessions_(NewSociSessionStore()),
        conversations_(NewSociConversationStore()),
        contacts_(NewSociContactStore()),
        directory_(NewSociDirectoryStore()),
        audit_(NewSociAuditStore(dialect)),
        help_(NewSociHelpStore()),
        reports_(NewSociReportStore(dialect)) {}

  SettingsStore& settings() override { return *settings_; }
  StaffStore& staff() override { return *staff_; }
  SessionStore& sessions() override { return *sessions_; }
  ConversationStore& conversations() override { return *conversations_; }
  ContactStore& contacts() override { return *contacts_; }
  DirectoryStore& directory() override { return *directory_; }
  AuditStore& audit() override { return *audit_; }
  HelpStore& help() override { return *help_; }
  ReportStore& reports() override { return *reports_; }

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
        sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)", use(version),
            use(now);
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
      return Fail(ErrorCode::kStorage, "error.internal",
                  std::string("exclusive job: ") + Diagnose(e).detail);
    }
  }

  // --- the contact scan and the seeder's bulk insert (SQL in soci_report.cc) -------------
  Status ScanContacts(const std::string& first_month, const std::string& last_month,
                      std::optional<int64_t> organisation_id, int parts,
                      const std::function<void(int, const ContactChunk&)>& chunk) override {
    using Range = std::optional<std::pair<long long, long long>>;
    Result<Range> range =
        InTx(TxKind::kRead, "scan contacts", [&](soci::session& sql) -> Result<Range> {
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
  auto InTx(TxKind kind, const char* what, F&& body) -> std::invoke_result_t<F&, soci::session&> {
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
        bool lost = false;
        if (dialect_ == Dialect::kPostgres && (diagnosis.connection || !sql.is_connected())) {
          // A server restart or an idle-connection reaper killed this pooled connection:
          // reopen it for the next borrower. Retrying is safe only if COMMIT was never sent,
          // since the change may otherwise have landed. While the server is down the reopen
          // fails too; the connection stays closed and the next borrower tries again, so
          // the pool heals by itself once the server is back.
          lost = true;
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
        if (lost) {
          // The database is unreachable (or was lost during COMMIT, which the caller may not
          // count as done): a 503 with "try again", never a 500.
          return R(std::unexpect, Error{ErrorCode::kUnavailable, "error.storage_unavailable",
                                        std::string(what) + ": " + diagnosis.detail});
        }
        switch (diagnosis.failure) {
          case Failure::kFull:
            return R(std::unexpect, Error{ErrorCode::kUnavailable, "error.storage_full",
                                          std::string(what) + ": " + diagnosis.detail});
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

  const Dialect dialect_;
  const int pool_size_;
  soci::connection_pool pool_;
  std::mutex exclusive_mu_;
  const std::unique_ptr<SettingsStore> settings_;
  const std::unique_ptr<StaffStore> staff_;
  const std::unique_ptr<SessionStore> sessions_;
  const std::unique_ptr<ConversationStore> conversations_;
  const std::unique_ptr<ContactStore> contacts_;
  const std::unique_ptr<DirectoryStore> directory_;
  const std::unique_ptr<AuditStore> audit_;
  const std::unique_ptr<HelpStore> help_;
  const std::unique_ptr<ReportStore> reports_;
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
