#include "store/migrations.h"

namespace vd {
namespace {

// The type of an identity column: the only spelling the two dialects do not share.
std::string IdColumn(Dialect d) {
  return d == Dialect::kSqlite ? "INTEGER PRIMARY KEY"
                               : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
}

// The first schema, written once for both dialects: only the identity column differs.
// There is deliberately no column for anyone's name, phone, e-mail, address, IP address,
// user agent or device: the schema cannot hold them. Binary values are base64 TEXT (SOCI's
// PostgreSQL blobs are large objects, which outlive the rows that point at them), times are
// Unix seconds, booleans are 0/1. The CHECKs use no functions, so they are legal under
// SQLite's trusted_schema=OFF.
std::vector<std::string> Schema1(Dialect d) {
  const std::string id = IdColumn(d);
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

// Version 2: the advisor's daily work: contact records, their codes (topics, advice,
// indicators), referrals, case codes, the referral directory and the audit log. Every
// descriptive column is a short code checked by the domain; the only free text of a record
// is its notes, sealed to the organisation key. The audit log's ids are assigned by the
// store (previous + 1, no identity column) so that a removed row leaves a visible gap.
std::vector<std::string> Schema2(Dialect d) {
  const std::string id = IdColumn(d);
  return {
      "CREATE TABLE directory_organisations ("
      " id " + id + ","
      " slug TEXT NOT NULL UNIQUE,"
      " name TEXT NOT NULL,"
      " services TEXT NOT NULL DEFAULT '',"
      " languages TEXT NOT NULL DEFAULT '',"
      " contact TEXT NOT NULL DEFAULT '',"
      " opening_hours TEXT NOT NULL DEFAULT '',"
      " active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
      " updated_at BIGINT NOT NULL)",

      "CREATE TABLE cases ("
      " code TEXT PRIMARY KEY,"
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id),"
      " created_at BIGINT NOT NULL)",

      "CREATE TABLE contacts ("
      " id " + id + ","
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id),"
      " advisor_user_id BIGINT NOT NULL REFERENCES users(id),"
      " month TEXT NOT NULL,"
      " channel TEXT NOT NULL,"
      " location TEXT NOT NULL,"
      " language TEXT NOT NULL,"
      " gender TEXT NOT NULL,"
      " age_band TEXT NOT NULL,"
      " region TEXT NOT NULL,"
      " indicator_version BIGINT NOT NULL,"
      " assessment TEXT NOT NULL,"
      " escalation TEXT NOT NULL,"
      " escalation_basis TEXT NOT NULL DEFAULT ''"
      "  CHECK (escalation_basis IN ('', 'consent', 'acute_danger')),"
      " escalation_anonymous TEXT NOT NULL DEFAULT '',"
      " case_code TEXT NOT NULL DEFAULT '',"
      " conversation_public_id TEXT NOT NULL DEFAULT '',"
      " sealed_notes TEXT NOT NULL DEFAULT '',"
      " created_at BIGINT NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      // An escalation to a real destination needs a basis; the domain says why, this holds it.
      " CHECK (escalation IN ('none', 'unknown') OR escalation_basis <> ''))",
      "CREATE INDEX contacts_org ON contacts (organisation_id, id DESC)",
      "CREATE INDEX contacts_advisor ON contacts (advisor_user_id, id DESC)",
      "CREATE INDEX contacts_case ON contacts (case_code)",

      "CREATE TABLE contact_codes ("
      " contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
      " kind TEXT NOT NULL CHECK (kind IN ('topic', 'advice', 'indicator')),"
      " code TEXT NOT NULL,"
      " PRIMARY KEY (contact_id, kind, code))",

      "CREATE TABLE referrals ("
      " id " + id + ","
      " contact_id BIGINT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,"
      " directory_id BIGINT NOT NULL REFERENCES directory_organisations(id),"
      " service TEXT NOT NULL,"
      " consent TEXT NOT NULL CHECK (consent = 'yes'),"
      " kind TEXT NOT NULL CHECK (kind IN ('warm', 'cold', 'unknown')),"
      " follow_up TEXT NOT NULL DEFAULT '',"
      " follow_up_done INTEGER NOT NULL DEFAULT 0 CHECK (follow_up_done IN (0, 1)))",
      "CREATE INDEX referrals_contact ON referrals (contact_id)",
      "CREATE INDEX referrals_directory ON referrals (directory_id)",
      "CREATE INDEX referrals_follow_up ON referrals (follow_up)",

      "CREATE TABLE audit_log ("
      " id BIGINT PRIMARY KEY,"
      " at BIGINT NOT NULL,"
      " user_id BIGINT NOT NULL,"
      " action TEXT NOT NULL,"
      " record TEXT NOT NULL DEFAULT '',"
      " prev_hash TEXT NOT NULL,"
      " hash TEXT NOT NULL)",
  };
}

// Version 3: help pages for workers, one row per language and page, edited by coordinators
// in the browser. Markdown source only; it is rendered (safely, without raw HTML) on display.
std::vector<std::string> Schema3(Dialect d) {
  return {
      "CREATE TABLE help_pages ("
      " language TEXT NOT NULL,"
      " slug TEXT NOT NULL,"
      " markdown TEXT NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " updated_by BIGINT REFERENCES users(id) ON DELETE SET NULL,"
      " PRIMARY KEY (language, slug))",
      "CREATE INDEX help_pages_updated_by ON help_pages (updated_by)",
  };
}

// Version 4: reports. The release ledger is the privacy budget: every release records the
// epsilon it spent as an exact fraction, and (city, period, method) is unique so that asking
// again returns the stored release instead of new noise. Response times are counters only
// (no conversation id).
std::vector<std::string> Schema4(Dialect d) {
  const std::string id = IdColumn(d);
  return {
      "CREATE TABLE report_releases ("
      " id " + id + ","
      " city TEXT NOT NULL,"
      " period_label TEXT NOT NULL,"
      " first_month TEXT NOT NULL,"
      " last_month TEXT NOT NULL,"
      " year BIGINT NOT NULL,"
      " method TEXT NOT NULL CHECK (method IN ('laplace', 'threshold')),"
      " status TEXT NOT NULL CHECK (status IN ('draft', 'published')),"
      " eps_num BIGINT NOT NULL CHECK (eps_num >= 0),"
      " eps_den BIGINT NOT NULL CHECK (eps_den > 0),"
      " code_version TEXT NOT NULL,"
      " created_at BIGINT NOT NULL,"
      " published_at BIGINT NOT NULL DEFAULT 0,"
      " payload TEXT NOT NULL,"
      " UNIQUE (city, period_label, method))",
      "CREATE INDEX report_releases_year ON report_releases (city, year)",

      "CREATE TABLE population_estimates ("
      " city TEXT NOT NULL,"
      " year BIGINT NOT NULL,"
      " dimension TEXT NOT NULL,"
      " code TEXT NOT NULL,"
      " per_mille BIGINT NOT NULL CHECK (per_mille BETWEEN 0 AND 1000),"
      " source TEXT NOT NULL,"
      " updated_at BIGINT NOT NULL,"
      " PRIMARY KEY (city, year, dimension, code))",

      "CREATE TABLE response_times ("
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id),"
      " month TEXT NOT NULL,"
      " band TEXT NOT NULL CHECK (band IN ('<1h', '1-4h', '4-24h', '1-3d', '>3d')),"
      " count BIGINT NOT NULL,"
      " PRIMARY KEY (organisation_id, month, band))",

      // The report scan's id range: MIN(id) and MAX(id) of one month are index lookups.
      "CREATE INDEX contacts_period ON contacts (month, id)",
  };
}

// Schema 5: how the worker found the service (a coded field of store/contact_fields.h).
// Records made before it are "unknown".
std::vector<std::string> Schema5(Dialect) {
  return {"ALTER TABLE contacts ADD COLUMN how_found TEXT NOT NULL DEFAULT 'unknown'"};
}

// Schema 6: key grants only by approval, passwords only their owner knows (issue 14). Who
// created an account, when its owner last logged in (the one before shows a key holder what
// was granted since her last visit), who approved each grant, when (grants made before this
// migration have no approver); and an account's one-time enrolment code, stored hashed.
std::vector<std::string> Schema6(Dialect) {
  return {"ALTER TABLE users ADD COLUMN created_by BIGINT REFERENCES users(id)",
          "ALTER TABLE users ADD COLUMN enrol_hash TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE users ADD COLUMN enrol_expires_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE users ADD COLUMN last_login_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE users ADD COLUMN previous_login_at BIGINT NOT NULL DEFAULT 0",
          "ALTER TABLE org_key_grants ADD COLUMN granted_by BIGINT REFERENCES users(id)",
          "ALTER TABLE org_key_grants ADD COLUMN granted_at BIGINT NOT NULL DEFAULT 0"};
}

// Schema 7: device cookies, so that guesses from elsewhere cannot lock a staff member out of
// the browser she usually logs in from (issue 14; OWASP's "device cookie"). After a
// successful login the browser holds a random token; only a keyed hash of it is stored, with
// its own failure counter and lock. The row says whose token it is and when it was made,
// nothing about the browser, and no address: those stay out of the schema.
std::vector<std::string> Schema7(Dialect d) {
  const std::string id = IdColumn(d);
  return {
      "CREATE TABLE device_tokens ("
      " id " + id + ","
      " user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
      " token_hash TEXT NOT NULL UNIQUE,"
      " failed_logins BIGINT NOT NULL DEFAULT 0,"
      " locked_until BIGINT NOT NULL DEFAULT 0,"
      " created_at BIGINT NOT NULL)",
      "CREATE INDEX device_tokens_user ON device_tokens (user_id, id)",
  };
}

// Schema 8: organisation names per language, set by an admin in the browser (issue 14). A
// language without a row shows the name in organisations.name, which staff see.
std::vector<std::string> Schema8(Dialect) {
  return {
      "CREATE TABLE organisation_names ("
      " organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
      " lang TEXT NOT NULL,"
      " name TEXT NOT NULL,"
      " PRIMARY KEY (organisation_id, lang))",
  };
}

// Schema 9: how each stored hash was made (issue 14), as crypto's KdfText ("argon2id13:t=3,
// m=262144:p1"), so that changing [crypto] argon2_ops or argon2_mem_mib leaves older receipts
// and passwords working. Rows from before it hold '' until the first start after the
// migration gives them the (unpeppered) parameters in effect then. The index lets retention
// see cheaply whether any conversation still needs an older receipt generation.
std::vector<std::string> Schema9(Dialect) {
  return {"ALTER TABLE users ADD COLUMN pw_kdf TEXT NOT NULL DEFAULT ''",
          "ALTER TABLE conversations ADD COLUMN receipt_kdf TEXT NOT NULL DEFAULT ''",
          "CREATE INDEX conversations_receipt_kdf ON conversations (receipt_kdf)"};
}

// Schema 10: an inbox that cannot be flooded (issue 14). waiting_since orders what waits for an
// answer oldest first, so conversations arriving later queue behind it; for those waiting
// now it is the worker's first message after the last answer. Spam stays in the table (it
// is still counted and expires like any other) but leaves the inbox. One index per kind of
// view, each ending in (sort time, id) for keyset paging.
std::vector<std::string> Schema10(Dialect) {
  return {
      "ALTER TABLE conversations ADD COLUMN waiting_since BIGINT NOT NULL DEFAULT 0",
      "ALTER TABLE conversations ADD COLUMN spam INTEGER NOT NULL DEFAULT 0"
      " CHECK (spam IN (0, 1))",
      "UPDATE conversations SET waiting_since = COALESCE("
      "(SELECT MIN(w.created_at) FROM messages w WHERE w.conversation_id = conversations.id"
      " AND w.author = 'worker' AND w.created_at >= COALESCE((SELECT MAX(a.created_at)"
      " FROM messages a WHERE a.conversation_id = conversations.id AND a.author = 'advisor'),"
      " 0)), last_activity_at) WHERE status <> 'answered'",
      "CREATE INDEX conversations_waiting ON conversations"
      " (organisation_id, spam, waiting_since, id)",
      "CREATE INDEX conversations_activity ON conversations"
      " (organisation_id, spam, last_activity_at, id)",
      "CREATE INDEX conversations_answered ON conversations"
      " (organisation_id, spam, status, last_activity_at, id)",
  };
}

// Schema 11: quieter storage (issue 16). What a worker wrote and read is kept to the minute
// (core/clock.h, CoarseTime); the store rounds every new time down, and this rounds down the
// rows written before: messages, their conversation's times (the expiry too, which would
// otherwise give the last message's second away) and workers' sessions. Messages keep
// their order by id; the inbox breaks ties within a minute by id. Zeros ("not yet") stay 0.
std::vector<std::string> Schema11(Dialect) {
  auto minute = [](const char* column) {
    return std::string(column) + " = " + column + " - " + column + " % 60";
  };
  return {
      "UPDATE messages SET " + minute("created_at") + " WHERE created_at % 60 <> 0",
      "UPDATE conversations SET " + minute("created_at") + ", " + minute("last_activity_at") +
          ", " + minute("expires_at") + ", " + minute("first_reply_at") + ", " +
          minute("waiting_since"),
      "UPDATE sessions SET " + minute("created_at") + ", " + minute("last_seen_at") +
          " WHERE kind = 'worker'",
  };
}

// Schema 12: the terms of a year's releases (issue 15). The privacy budget belongs to the
// database whose records the reports count, not to a configured city name: one row per
// calendar year, written with the year's first release, holds the cap, the method, the
// periods the year is released in, the records per case (person) per period that count and
// the city name the reports carry. Configuration may lower the cap later, never raise it or
// change the rest. (11 is another migration's number.)
std::vector<std::string> Schema12(Dialect) {
  return {
      "CREATE TABLE report_terms ("
      " year BIGINT PRIMARY KEY,"
      " city TEXT NOT NULL,"
      " cap_num BIGINT NOT NULL CHECK (cap_num > 0),"
      " cap_den BIGINT NOT NULL CHECK (cap_den > 0),"
      " method TEXT NOT NULL CHECK (method IN ('laplace', 'threshold')),"
      " periods TEXT NOT NULL CHECK (periods IN ('year', 'quarters')),"
      " person_cap BIGINT NOT NULL CHECK (person_cap >= 1),"
      " code_version TEXT NOT NULL,"
      " fixed_at BIGINT NOT NULL)",
      // Releases are counted per year over every city name they were ever made under.
      "CREATE INDEX report_releases_by_year ON report_releases (year)",
  };
}

}  // namespace

const std::vector<Migration>& Migrations(Dialect dialect) {
  static const std::vector<Migration> sqlite = {{1, Schema1(Dialect::kSqlite)},
                                                {2, Schema2(Dialect::kSqlite)},
                                                {3, Schema3(Dialect::kSqlite)},
                                                {4, Schema4(Dialect::kSqlite)},
                                                {5, Schema5(Dialect::kSqlite)},
                                                {6, Schema6(Dialect::kSqlite)},
                                                {7, Schema7(Dialect::kSqlite)},
                                                {8, Schema8(Dialect::kSqlite)},
                                                {9, Schema9(Dialect::kSqlite)},
                                                {10, Schema10(Dialect::kSqlite)},
                                                {11, Schema11(Dialect::kSqlite)},
                                                {12, Schema12(Dialect::kSqlite)}};
  static const std::vector<Migration> postgres = {{1, Schema1(Dialect::kPostgres)},
                                                  {2, Schema2(Dialect::kPostgres)},
                                                  {3, Schema3(Dialect::kPostgres)},
                                                  {4, Schema4(Dialect::kPostgres)},
                                                  {5, Schema5(Dialect::kPostgres)},
                                                  {6, Schema6(Dialect::kPostgres)},
                                                  {7, Schema7(Dialect::kPostgres)},
                                                  {8, Schema8(Dialect::kPostgres)},
                                                  {9, Schema9(Dialect::kPostgres)},
                                                  {10, Schema10(Dialect::kPostgres)},
                                                  {11, Schema11(Dialect::kPostgres)},
                                                  {12, Schema12(Dialect::kPostgres)}};
  return dialect == Dialect::kSqlite ? sqlite : postgres;
}

}  // namespace vd
