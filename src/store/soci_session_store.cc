// SessionStore on SOCI.

#include "store/soci_row.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

using soci::indicator;
using soci::into;
using soci::use;

std::string_view SessionKindName(SessionKind k) {
  return k == SessionKind::kStaff ? "staff" : "worker";
}
SessionKind ParseSessionKind(const std::string& s) {
  if (s == "staff") return SessionKind::kStaff;
  if (s == "worker") return SessionKind::kWorker;
  soci_row::Corrupt("sessions.kind");
}

class SociSessionStore final : public SessionStore {
 public:
  Status Insert(Tx& tx, const Session& s) override {
    return Soci(tx).Guarded("insert session", [&](soci::session& sql) -> Status {
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

  Result<Session> Find(Tx& tx, const std::string& id_hash) override {
    return Soci(tx).Guarded("find session", [&](soci::session& sql) -> Result<Session> {
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

  Status Touch(Tx& tx, const std::string& id_hash, int64_t now) override {
    return Soci(tx).Guarded("touch session", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "session", "UPDATE sessions SET last_seen_at = :n WHERE id_hash = :h",
                       static_cast<long long>(now), id_hash);
    });
  }

  Status Update(Tx& tx, const Session& s) override {
    return Soci(tx).Guarded("update session", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "session",
                       "UPDATE sessions SET stage = :s, wrapped_key = :w, pending = :p, "
                       "last_seen_at = :l WHERE id_hash = :h",
                       static_cast<long long>(s.stage), s.wrapped_key, s.pending,
                       static_cast<long long>(s.last_seen_at), s.id_hash);
    });
  }

  Status Delete(Tx& tx, const std::string& id_hash) override {
    return Soci(tx).Guarded("delete session", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "session", "DELETE FROM sessions WHERE id_hash = :h", id_hash);
    });
  }

  Result<int64_t> DeleteStale(Tx& tx, int64_t idle_before, int64_t created_before) override {
    return Soci(tx).Guarded("delete stale sessions", [&](soci::session& sql) -> Result<int64_t> {
      const long long idle = idle_before, created = created_before;
      soci::statement st =
          (sql.prepare << "DELETE FROM sessions WHERE last_seen_at < :i OR created_at < :c",
           use(idle), use(created));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }
};

}  // namespace

std::unique_ptr<SessionStore> NewSociSessionStore() { return std::make_unique<SociSessionStore>(); }

}  // namespace vd
