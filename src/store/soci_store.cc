#include "store/soci_store.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <thread>

namespace vd {
namespace {

using soci::indicator;
using soci::into;
using soci::use;

constexpr const char* kUserColumns =
    "id, username, role, organisation_id, pw_salt, pw_verifier, public_key, wrapped_secret_key, "
    "recovery_wrapped_secret_key, wrapped_totp_secret, totp_enabled, totp_last_step, "
    "failed_logins, locked_until, disabled, created_at";

constexpr const char* kConversationColumns =
    "id, public_id, receipt_lookup, organisation_id, public_key, receipt_wrapped_secret_key, "
    "org_sealed_secret_key, status, language, answer_language, answer_age_band, "
    "answer_work_setting, created_at, last_activity_at, expires_at, first_reply_at";

// Row buffers for SOCI's into(): plain types plus indicators for nullable columns.
struct UserRow {
  long long id = 0, totp_enabled = 0, totp_last_step = 0, failed = 0, locked = 0, disabled = 0,
            created = 0, org = 0;
  indicator org_ind = soci::i_null;
  std::string username, role, salt, verifier, pk, wsk, rwsk, wtotp;

  void Bind(soci::details::prepare_temp_type& p) {
    p, into(id), into(username), into(role), into(org, org_ind), into(salt), into(verifier), into(pk),
        into(wsk), into(rwsk), into(wtotp), into(totp_enabled), into(totp_last_step), into(failed),
        into(locked), into(disabled), into(created);
  }
  User ToUser() const {
    User u;
    u.id = id;
    u.username = username;
    u.role = ParseRole(role).value_or(Role::kAdvisor);
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

  void Bind(soci::details::prepare_temp_type& p) {
    p, into(id), into(public_id), into(lookup), into(org), into(pk), into(rwsk), into(osk),
        into(status), into(language), into(a_lang), into(a_age), into(a_setting), into(created),
        into(activity), into(expires), into(first_reply);
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
    c.status = ParseConversationStatus(status).value_or(ConversationStatus::kNew);
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

bool IsUniqueViolation(const std::string& what) {
  return what.find("UNIQUE constraint") != std::string::npos ||
         what.find("duplicate key") != std::string::npos || what.find("23505") != std::string::npos;
}

bool IsBusy(const std::string& what) {
  return what.find("database is locked") != std::string::npos ||
         what.find("database table is locked") != std::string::npos ||
         what.find("could not serialize") != std::string::npos ||
         what.find("deadlock detected") != std::string::npos;
}

auto NotFound(const char* what) { return Fail(ErrorCode::kNotFound, "error.not_found", what); }

class SociStore final : public Store {
 public:
  SociStore(Dialect dialect, int pool_size)
      : dialect_(dialect), pool_size_(pool_size), pool_(static_cast<size_t>(pool_size)) {}

  Status Open(const std::string& connect) {
    try {
      for (int i = 0; i < pool_size_; ++i) {
        soci::session& s = pool_.at(static_cast<size_t>(i));
        if (dialect_ == Dialect::kSqlite) {
          s.open(*soci::factory_sqlite3(), "db=\"" + connect + "\" timeout=10");
          // Durability and privacy first: WAL with full sync, foreign keys enforced, deleted
          // content overwritten, and no code from the schema trusted.
          s << "PRAGMA journal_mode=WAL";
          s << "PRAGMA synchronous=FULL";
          s << "PRAGMA foreign_keys=ON";
          s << "PRAGMA secure_delete=ON";
          s << "PRAGMA trusted_schema=OFF";
          s << "PRAGMA busy_timeout=10000";
        } else {
          s.open(*soci::factory_postgresql(), connect);
          s << "SET client_min_messages TO WARNING";
        }
      }
    } catch (const std::exception& e) {
      // The connect string may hold a password: never echo it.
      return Fail(ErrorCode::kStorage, "error.internal",
                  std::string("cannot open the database: ") + FirstLine(e.what()));
    }
    return {};
  }

  // --- transactions ----------------------------------------------------------------
  template <typename F>
  auto Tx(const char* what, F&& body) -> decltype(body(std::declval<soci::session&>())) {
    using R = decltype(body(std::declval<soci::session&>()));
    for (int attempt = 0;; ++attempt) {
      soci::session sql(pool_);
      bool open = false;
      try {
        sql << (dialect_ == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN");
        open = true;
        R result = body(sql);
        if (result) {
          sql << "COMMIT";
        } else {
          sql << "ROLLBACK";
        }
        return result;
      } catch (const std::exception& e) {
        if (open) {
          try {
            sql << "ROLLBACK";
          } catch (...) {
          }
        }
        const std::string msg = e.what();
        if (IsBusy(msg) && attempt < 5) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20 << attempt));
          continue;
        }
        if (IsUniqueViolation(msg)) {
          return R(std::unexpect, Error{ErrorCode::kConflict, "error.conflict",
                                        std::string(what) + ": unique constraint"});
        }
        return R(std::unexpect, Error{ErrorCode::kStorage, "error.internal",
                                      std::string(what) + ": " + FirstLine(msg)});
      }
    }
  }

  static std::string FirstLine(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    return line.size() > 200 ? line.substr(0, 200) : line;
  }

  // --- migrations --------------------------------------------------------------------
  Status Migrate() override {
    auto ensure = Tx("migrate", [&](soci::session& sql) -> Status {
      sql << "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
      return {};
    });
    if (!ensure) return ensure;
    for (const Migration& m : Migrations(dialect_)) {
      Status s = Tx("migrate", [&](soci::session& sql) -> Status {
        if (dialect_ == Dialect::kPostgres) sql << "SELECT pg_advisory_xact_lock(72616)";
        long long done = 0;
        sql << "SELECT COUNT(*) FROM schema_migrations WHERE version = :v", use(static_cast<long long>(m.version)),
            into(done);
        if (done > 0) return {};
        for (const std::string& stmt : m.statements) sql << stmt;
        sql << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)",
            use(static_cast<long long>(m.version)), use(static_cast<long long>(std::time(nullptr)));
        return {};
      });
      if (!s) return s;
    }
    return {};
  }

  Result<int> SchemaVersion() override {
    return Tx("schema version", [&](soci::session& sql) -> Result<int> {
      long long v = 0;
      indicator ind = soci::i_null;
      sql << "SELECT MAX(version) FROM schema_migrations", into(v, ind);
      return ind == soci::i_ok ? static_cast<int>(v) : 0;
    });
  }

  // --- settings ------------------------------------------------------------------------
  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return Tx("get setting", [&](soci::session& sql) -> Result<std::optional<std::string>> {
      std::string value;
      sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
      if (!sql.got_data()) return std::optional<std::string>();
      return std::optional<std::string>(value);
    });
  }

  Result<std::string> GetOrCreateSetting(const std::string& key, const std::string& fresh) override {
    return Tx("setting", [&](soci::session& sql) -> Result<std::string> {
      sql << "INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT (key) DO NOTHING", use(key),
          use(fresh);
      std::string value;
      sql << "SELECT value FROM settings WHERE key = :k", use(key), into(value);
      return value;
    });
  }

  // --- organisations -------------------------------------------------------------------
  Result<int64_t> InsertOrganisation(const Organisation& org) override {
    return Tx("insert organisation", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      sql << "INSERT INTO organisations (slug, name, public_key) VALUES (:s, :n, :k) RETURNING id",
          use(org.slug), use(org.name), use(org.public_key), into(id);
      return id;
    });
  }

  Result<std::vector<Organisation>> ListOrganisations() override {
    return Tx("list organisations", [&](soci::session& sql) -> Result<std::vector<Organisation>> {
      std::vector<Organisation> out;
      Organisation o;
      long long id = 0;
      soci::statement st = (sql.prepare << "SELECT id, slug, name, public_key FROM organisations ORDER BY id",
                            into(id), into(o.slug), into(o.name), into(o.public_key));
      st.execute();
      while (st.fetch()) {
        o.id = id;
        out.push_back(o);
      }
      return out;
    });
  }

  Result<Organisation> FindOrganisation(const char* where, auto value) {
    return Tx("find organisation", [&](soci::session& sql) -> Result<Organisation> {
      Organisation o;
      long long id = 0;
      sql << std::string("SELECT id, slug, name, public_key FROM organisations WHERE ") + where, use(value),
          into(id), into(o.slug), into(o.name), into(o.public_key);
      if (!sql.got_data()) return NotFound("organisation");
      o.id = id;
      return o;
    });
  }
  Result<Organisation> FindOrganisationBySlug(const std::string& slug) override {
    return FindOrganisation("slug = :v", slug);
  }
  Result<Organisation> FindOrganisationById(int64_t id) override {
    return FindOrganisation("id = :v", static_cast<long long>(id));
  }

  Status SetOrganisationPublicKey(int64_t id, const std::string& public_key) override {
    return Exec("set organisation key", "UPDATE organisations SET public_key = :k WHERE id = :id",
                public_key, static_cast<long long>(id));
  }

  // --- users ---------------------------------------------------------------------------
  Result<int64_t> InsertUser(const User& u) override {
    return Tx("insert user", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      long long org = u.organisation_id.value_or(0);
      indicator org_ind = u.organisation_id ? soci::i_ok : soci::i_null;
      const std::string role(RoleName(u.role));
      const long long totp = u.totp_enabled, disabled = u.disabled, step = u.totp_last_step,
                      failed = u.failed_logins, locked = u.locked_until, created = u.created_at;
      sql << "INSERT INTO users (username, role, organisation_id, pw_salt, pw_verifier, public_key, "
             "wrapped_secret_key, recovery_wrapped_secret_key, wrapped_totp_secret, totp_enabled, "
             "totp_last_step, failed_logins, locked_until, disabled, created_at) VALUES (:u, :r, :o, "
             ":s, :v, :pk, :w, :rw, :t, :te, :ts, :f, :l, :d, :c) RETURNING id",
          use(u.username), use(role), use(org, org_ind), use(u.pw_salt), use(u.pw_verifier),
          use(u.public_key), use(u.wrapped_secret_key), use(u.recovery_wrapped_secret_key),
          use(u.wrapped_totp_secret), use(totp), use(step), use(failed), use(locked), use(disabled),
          use(created), into(id);
      return id;
    });
  }

  template <typename V>
  Result<std::vector<User>> SelectUsers(const std::string& tail, const V& value, bool has_value) {
    return Tx("select users", [&](soci::session& sql) -> Result<std::vector<User>> {
      std::vector<User> out;
      UserRow row;
      const std::string q = std::string("SELECT ") + kUserColumns + " FROM users " + tail;
      soci::details::prepare_temp_type p = (sql.prepare << q);
      if (has_value) p, use(value);
      row.Bind(p);
      soci::statement st(p);
      st.execute();
      while (st.fetch()) out.push_back(row.ToUser());
      return out;
    });
  }

  Result<User> FindUserByUsername(const std::string& username) override {
    auto users = SelectUsers("WHERE username = :v", username, true);
    if (!users) return std::unexpected(users.error());
    if (users->empty()) return NotFound("user");
    return users->front();
  }
  Result<User> FindUserById(int64_t id) override {
    auto users = SelectUsers("WHERE id = :v", static_cast<long long>(id), true);
    if (!users) return std::unexpected(users.error());
    if (users->empty()) return NotFound("user");
    return users->front();
  }
  Result<std::vector<User>> ListUsers() override { return SelectUsers("ORDER BY id", 0LL, false); }

  Status RecordLoginFailure(int64_t user_id, int64_t failed, int64_t locked_until) override {
    return Exec("login failure", "UPDATE users SET failed_logins = :f, locked_until = :l WHERE id = :id",
                static_cast<long long>(failed), static_cast<long long>(locked_until),
                static_cast<long long>(user_id));
  }
  Status RecordLoginSuccess(int64_t user_id) override {
    return Exec("login success", "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = :id",
                static_cast<long long>(user_id));
  }
  Status AdvanceTotpStep(int64_t user_id, int64_t step) override {
    return Tx("totp step", [&](soci::session& sql) -> Status {
      const long long s = step, id = user_id;
      soci::statement st = (sql.prepare << "UPDATE users SET totp_last_step = :s WHERE id = :id AND totp_last_step < :s2",
                            use(s), use(id), use(s));
      st.execute(true);
      if (st.get_affected_rows() > 0) return {};
      long long exists = 0;
      sql << "SELECT COUNT(*) FROM users WHERE id = :id", use(id), into(exists);
      if (exists == 0) return NotFound("user");
      return Fail(ErrorCode::kConflict, "error.totp_reused", "totp step already used");
    });
  }
  Status SetTotpSecret(int64_t user_id, const std::string& wrapped) override {
    return Exec("set totp", "UPDATE users SET wrapped_totp_secret = :t, totp_enabled = 1 WHERE id = :id",
                wrapped, static_cast<long long>(user_id));
  }

  // --- grants --------------------------------------------------------------------------
  Status UpsertOrgKeyGrant(const OrgKeyGrant& g) override {
    return Exec("grant",
                "INSERT INTO org_key_grants (organisation_id, user_id, sealed_org_secret_key) VALUES (:o, :u, :k) "
                "ON CONFLICT (organisation_id, user_id) DO UPDATE SET sealed_org_secret_key = excluded.sealed_org_secret_key",
                static_cast<long long>(g.organisation_id), static_cast<long long>(g.user_id),
                g.sealed_org_secret_key);
  }
  Result<OrgKeyGrant> FindOrgKeyGrant(int64_t organisation_id, int64_t user_id) override {
    return Tx("find grant", [&](soci::session& sql) -> Result<OrgKeyGrant> {
      OrgKeyGrant g{organisation_id, user_id, {}};
      sql << "SELECT sealed_org_secret_key FROM org_key_grants WHERE organisation_id = :o AND user_id = :u",
          use(static_cast<long long>(organisation_id)), use(static_cast<long long>(user_id)),
          into(g.sealed_org_secret_key);
      if (!sql.got_data()) return NotFound("grant");
      return g;
    });
  }
  Result<std::vector<User>> UsersWithoutGrant(int64_t organisation_id) override {
    return SelectUsers(
        "WHERE organisation_id = :v AND public_key <> '' AND NOT EXISTS (SELECT 1 FROM org_key_grants g "
        "WHERE g.organisation_id = users.organisation_id AND g.user_id = users.id) ORDER BY id",
        static_cast<long long>(organisation_id), true);
  }

  // --- conversations -------------------------------------------------------------------
  Result<int64_t> InsertConversation(const Conversation& c, const Message& first) override {
    return Tx("insert conversation", [&](soci::session& sql) -> Result<int64_t> {
      long long id = 0;
      const std::string status(ConversationStatusName(c.status));
      const long long org = c.organisation_id, created = c.created_at, activity = c.last_activity_at,
                      expires = c.expires_at, first_reply = c.first_reply_at;
      sql << "INSERT INTO conversations (public_id, receipt_lookup, organisation_id, public_key, "
             "receipt_wrapped_secret_key, org_sealed_secret_key, status, language, answer_language, "
             "answer_age_band, answer_work_setting, created_at, last_activity_at, expires_at, first_reply_at) "
             "VALUES (:p, :l, :o, :pk, :rw, :os, :s, :lang, :al, :aa, :aw, :c, :a, :e, :f) RETURNING id",
          use(c.public_id), use(c.receipt_lookup), use(org), use(c.public_key),
          use(c.receipt_wrapped_secret_key), use(c.org_sealed_secret_key), use(status), use(c.language),
          use(c.answer_language), use(c.answer_age_band), use(c.answer_work_setting), use(created),
          use(activity), use(expires), use(first_reply), into(id);
      InsertMessage(sql, id, first);
      return id;
    });
  }

  void InsertMessage(soci::session& sql, long long conversation_id, const Message& m) {
    const std::string author = m.author == Author::kWorker ? "worker" : "advisor";
    long long user = m.author_user_id.value_or(0);
    indicator user_ind = m.author_user_id ? soci::i_ok : soci::i_null;
    const long long created = m.created_at;
    sql << "INSERT INTO messages (conversation_id, author, author_user_id, ciphertext, created_at) "
           "VALUES (:c, :a, :u, :t, :at)",
        use(conversation_id), use(author), use(user, user_ind), use(m.ciphertext), use(created);
  }

  template <typename V>
  Result<Conversation> FindConversation(const char* where, const V& value) {
    return Tx("find conversation", [&](soci::session& sql) -> Result<Conversation> {
      ConversationRow row;
      soci::details::prepare_temp_type p =
          (sql.prepare << std::string("SELECT ") + kConversationColumns + " FROM conversations WHERE " + where,
           use(value));
      row.Bind(p);
      soci::statement st(p);
      st.execute();
      if (!st.fetch()) return NotFound("conversation");
      return row.ToConversation();
    });
  }
  Result<Conversation> FindConversationByLookup(const std::string& lookup) override {
    return FindConversation("receipt_lookup = :v", lookup);
  }
  Result<Conversation> FindConversationById(int64_t id) override {
    return FindConversation("id = :v", static_cast<long long>(id));
  }
  Result<Conversation> FindConversationByPublicId(const std::string& public_id) override {
    return FindConversation("public_id = :v", public_id);
  }

  Result<std::vector<Message>> ListMessages(int64_t conversation_id) override {
    return Tx("list messages", [&](soci::session& sql) -> Result<std::vector<Message>> {
      std::vector<Message> out;
      long long id = 0, user = 0, created = 0;
      indicator user_ind = soci::i_null;
      std::string author, text;
      const long long cid = conversation_id;
      soci::statement st = (sql.prepare << "SELECT id, author, author_user_id, ciphertext, created_at "
                                           "FROM messages WHERE conversation_id = :c ORDER BY id",
                            use(cid), into(id), into(author), into(user, user_ind), into(text), into(created));
      st.execute();
      while (st.fetch()) {
        Message m;
        m.id = id;
        m.conversation_id = conversation_id;
        m.author = author == "worker" ? Author::kWorker : Author::kAdvisor;
        if (user_ind == soci::i_ok) m.author_user_id = user;
        m.ciphertext = text;
        m.created_at = created;
        out.push_back(std::move(m));
      }
      return out;
    });
  }

  Status AppendMessage(const Message& m, ConversationStatus new_status, int64_t expires_at) override {
    return Tx("append message", [&](soci::session& sql) -> Status {
      const std::string status(ConversationStatusName(new_status));
      const long long now = m.created_at, expires = expires_at, id = m.conversation_id;
      const long long reply_at = m.author == Author::kAdvisor ? m.created_at : 0;
      soci::statement st =
          (sql.prepare << "UPDATE conversations SET status = :s, last_activity_at = :n, expires_at = :e, "
                          "first_reply_at = CASE WHEN first_reply_at = 0 THEN :r ELSE first_reply_at END "
                          "WHERE id = :id",
           use(status), use(now), use(expires), use(reply_at), use(id));
      st.execute(true);
      if (st.get_affected_rows() == 0) return NotFound("conversation");
      InsertMessage(sql, id, m);
      return {};
    });
  }

  Status DeleteConversation(int64_t id) override {
    return Tx("delete conversation", [&](soci::session& sql) -> Status {
      const long long cid = id;
      // Sessions and messages go by ON DELETE CASCADE; delete explicitly too so that the
      // order of removal never depends on the backend.
      sql << "DELETE FROM sessions WHERE conversation_id = :c", use(cid);
      sql << "DELETE FROM messages WHERE conversation_id = :c", use(cid);
      soci::statement st = (sql.prepare << "DELETE FROM conversations WHERE id = :c", use(cid));
      st.execute(true);
      if (st.get_affected_rows() == 0) return NotFound("conversation");
      return {};
    });
  }

  Result<int64_t> DeleteExpiredConversations(int64_t now) override {
    return Tx("expire", [&](soci::session& sql) -> Result<int64_t> {
      const long long t = now;
      sql << "DELETE FROM sessions WHERE conversation_id IN (SELECT id FROM conversations WHERE expires_at <= :t)", use(t);
      sql << "DELETE FROM messages WHERE conversation_id IN (SELECT id FROM conversations WHERE expires_at <= :t)", use(t);
      soci::statement st = (sql.prepare << "DELETE FROM conversations WHERE expires_at <= :t", use(t));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }

  Result<std::vector<InboxEntry>> Inbox(int64_t organisation_id, std::optional<ConversationStatus> status,
                                        int limit) override {
    return Tx("inbox", [&](soci::session& sql) -> Result<std::vector<InboxEntry>> {
      std::vector<InboxEntry> out;
      InboxEntry e;
      std::string st_name;
      long long created = 0, activity = 0, count = 0;
      const long long org = organisation_id, lim = limit;
      const std::string filter = status ? std::string(ConversationStatusName(*status)) : std::string();
      soci::statement st =
          (sql.prepare << "SELECT c.public_id, c.status, c.language, c.created_at, c.last_activity_at, "
                          "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) "
                          "FROM conversations c WHERE c.organisation_id = :o AND (:f = '' OR c.status = :f2) "
                          "ORDER BY c.last_activity_at DESC, c.id DESC LIMIT :l",
           use(org), use(filter), use(filter), use(lim), into(e.public_id), into(st_name), into(e.language),
           into(created), into(activity), into(count));
      st.execute();
      while (st.fetch()) {
        e.status = ParseConversationStatus(st_name).value_or(ConversationStatus::kNew);
        e.created_at = created;
        e.last_activity_at = activity;
        e.message_count = count;
        out.push_back(e);
      }
      return out;
    });
  }

  // --- sessions ------------------------------------------------------------------------
  Status InsertSession(const Session& s) override {
    return Tx("insert session", [&](soci::session& sql) -> Status {
      long long user = s.user_id.value_or(0), conv = s.conversation_id.value_or(0);
      indicator user_ind = s.user_id ? soci::i_ok : soci::i_null;
      indicator conv_ind = s.conversation_id ? soci::i_ok : soci::i_null;
      const std::string kind = s.kind == SessionKind::kStaff ? "staff" : "worker";
      const long long stage = s.stage, created = s.created_at, seen = s.last_seen_at;
      sql << "INSERT INTO sessions (id_hash, kind, user_id, conversation_id, stage, wrapped_key, pending, "
             "created_at, last_seen_at) VALUES (:h, :k, :u, :c, :s, :w, :p, :ca, :ls)",
          use(s.id_hash), use(kind), use(user, user_ind), use(conv, conv_ind), use(stage), use(s.wrapped_key),
          use(s.pending), use(created), use(seen);
      return {};
    });
  }

  Result<Session> FindSession(const std::string& id_hash) override {
    return Tx("find session", [&](soci::session& sql) -> Result<Session> {
      Session s;
      std::string kind;
      long long user = 0, conv = 0, stage = 0, created = 0, seen = 0;
      indicator user_ind = soci::i_null, conv_ind = soci::i_null;
      sql << "SELECT kind, user_id, conversation_id, stage, wrapped_key, pending, created_at, last_seen_at "
             "FROM sessions WHERE id_hash = :h",
          use(id_hash), into(kind), into(user, user_ind), into(conv, conv_ind), into(stage), into(s.wrapped_key),
          into(s.pending), into(created), into(seen);
      if (!sql.got_data()) return NotFound("session");
      s.id_hash = id_hash;
      s.kind = kind == "staff" ? SessionKind::kStaff : SessionKind::kWorker;
      if (user_ind == soci::i_ok) s.user_id = user;
      if (conv_ind == soci::i_ok) s.conversation_id = conv;
      s.stage = stage;
      s.created_at = created;
      s.last_seen_at = seen;
      return s;
    });
  }

  Status TouchSession(const std::string& id_hash, int64_t now) override {
    return Exec("touch session", "UPDATE sessions SET last_seen_at = :n WHERE id_hash = :h",
                static_cast<long long>(now), id_hash);
  }
  Status UpdateSession(const Session& s) override {
    return Exec("update session",
                "UPDATE sessions SET stage = :s, wrapped_key = :w, pending = :p, last_seen_at = :l WHERE id_hash = :h",
                static_cast<long long>(s.stage), s.wrapped_key, s.pending, static_cast<long long>(s.last_seen_at),
                s.id_hash);
  }
  Status DeleteSession(const std::string& id_hash) override {
    return Exec("delete session", "DELETE FROM sessions WHERE id_hash = :h", id_hash);
  }
  Result<int64_t> DeleteStaleSessions(int64_t idle_before, int64_t created_before) override {
    return Tx("stale sessions", [&](soci::session& sql) -> Result<int64_t> {
      const long long idle = idle_before, created = created_before;
      soci::statement st = (sql.prepare << "DELETE FROM sessions WHERE last_seen_at < :i OR created_at < :c",
                            use(idle), use(created));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }

 private:
  template <typename... Args>
  Status Exec(const char* what, const std::string& query, const Args&... args) {
    return Tx(what, [&](soci::session& sql) -> Status {
      soci::details::prepare_temp_type p = (sql.prepare << query);
      ((void)(p, use(args)), ...);
      soci::statement st(p);
      st.execute(true);
      return {};
    });
  }

  const Dialect dialect_;
  const int pool_size_;
  soci::connection_pool pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSociStore(Dialect dialect, const std::string& connect, int pool_size) {
  if (pool_size < 1) pool_size = 1;
  auto store = std::make_unique<SociStore>(dialect, pool_size);
  if (auto s = store->Open(connect); !s) return std::unexpected(s.error());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vd
