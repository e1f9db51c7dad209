#include "store/migrations.h"

namespace vd {
namespace {

// The first schema, written once for both dialects: only the identity column differs.
// There is deliberately no column for anyone's name, phone, e-mail, address, IP address,
// user agent or device: the schema cannot hold them. Binary values are base64 TEXT (SOCI's
// PostgreSQL blobs are large objects, which outlive the rows that point at them), times are
// Unix seconds, booleans are 0/1. The CHECKs use no functions, so they are legal under
// SQLite's trusted_schema=OFF.
std::vector<std::string> Schema1(Dialect d) {
  const std::string id = d == Dialect::kSqlite
                             ? "INTEGER PRIMARY KEY"
                             : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
  return {
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",

      "CREATE TABLE organisations ("
      " id " + id + ","
      " slug TEXT NOT NULL UNIQUE,"
      " name TEXT NOT NULL,"
      " public_key TEXT NOT NULL DEFAULT '')",

      "CREATE TABLE users ("
      " id " + id + ","
      " username TEXT NOT NULL UNIQUE,"
      " role TEXT NOT NULL CHECK (role IN ('advisor', 'coordinator', 'analyst', 'admin')),"
      " organisation_id BIGINT REFERENCES organisations(id),"
      " pw_salt TEXT NOT NULL,"
      " pw_verifier TEXT NOT NULL,"
      " public_key TEXT NOT NULL,"
      " wrapped_secret_key TEXT NOT NULL,"
      " recovery_wrapped_secret_key TEXT NOT NULL,"
      " wrapped_totp_secret TEXT NOT NULL DEFAULT '',"
      " totp_enabled INTEGER NOT NULL DEFAULT 0 CHECK (totp_enabled IN (0, 1)),"
      " totp_last_step BIGINT NOT NULL DEFAULT 0,"
      " failed_logins BIGINT NOT NULL DEFAULT 0,"
      " locked_until BIGINT NOT NULL DEFAULT 0,"
      " disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
      " created_at BIGINT NOT NULL)",
      "CREATE INDEX users_organisation ON users (organisation_id)",

      "CREATE TABLE org_key_grants ("
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
      " user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      " sealed_org_secret_key TEXT NOT NULL,"
      " PRIMARY KEY (organisation_id, user_id))",
      // The primary key serves lookups by organisation; this one keeps a user's cascade cheap.
      "CREATE INDEX org_key_grants_user ON org_key_grants (user_id)",

      "CREATE TABLE conversations ("
      " id " + id + ","
      " public_id TEXT NOT NULL UNIQUE,"
      " receipt_lookup TEXT NOT NULL UNIQUE,"
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id),"
      " public_key TEXT NOT NULL,"
      " receipt_wrapped_secret_key TEXT NOT NULL,"
      " org_sealed_secret_key TEXT NOT NULL,"
      " status TEXT NOT NULL CHECK (status IN ('new', 'waiting', 'answered')),"
      " language TEXT NOT NULL,"
      " answer_language TEXT NOT NULL DEFAULT '',"
      " answer_age_band TEXT NOT NULL DEFAULT '',"
      " answer_work_setting TEXT NOT NULL DEFAULT '',"
      " created_at BIGINT NOT NULL,"
      " last_activity_at BIGINT NOT NULL,"
      " expires_at BIGINT NOT NULL,"
      " first_reply_at BIGINT NOT NULL DEFAULT 0)",
      "CREATE INDEX conversations_inbox ON conversations (organisation_id, last_activity_at DESC)",
      "CREATE INDEX conversations_expiry ON conversations (expires_at)",

      "CREATE TABLE messages ("
      " id " + id + ","
      " conversation_id BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,"
      " author TEXT NOT NULL CHECK (author IN ('worker', 'advisor')),"
      " author_user_id BIGINT REFERENCES users(id) ON DELETE SET NULL,"
      " ciphertext TEXT NOT NULL,"
      " created_at BIGINT NOT NULL)",
      "CREATE INDEX messages_conversation ON messages (conversation_id, id)",
      "CREATE INDEX messages_author ON messages (author_user_id)",

      "CREATE TABLE sessions ("
      " id_hash TEXT PRIMARY KEY,"
      " kind TEXT NOT NULL CHECK (kind IN ('staff', 'worker')),"
      " user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,"
      " conversation_id BIGINT REFERENCES conversations(id) ON DELETE CASCADE,"
      " stage BIGINT NOT NULL DEFAULT 0,"
      " wrapped_key TEXT NOT NULL DEFAULT '',"
      " pending TEXT NOT NULL DEFAULT '',"
      " created_at BIGINT NOT NULL,"
      " last_seen_at BIGINT NOT NULL)",
      "CREATE INDEX sessions_conversation ON sessions (conversation_id)",
      "CREATE INDEX sessions_user ON sessions (user_id)",
  };
}

}  // namespace

const std::vector<Migration>& Migrations(Dialect dialect) {
  static const std::vector<Migration> sqlite = {{1, Schema1(Dialect::kSqlite)}};
  static const std::vector<Migration> postgres = {{1, Schema1(Dialect::kPostgres)}};
  return dialect == Dialect::kSqlite ? sqlite : postgres;
}

}  // namespace vd
