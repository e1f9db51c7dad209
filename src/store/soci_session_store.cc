// SessionStore on SOCI.

#include "store/soci_row.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

using soci::into;
using soci::use;
using soci_row::Col;

std::string_view SessionKindName(SessionKind k) {
  return k == SessionKind::kStaff ? "staff" : "worker";
}
std::optional<SessionKind> ParseSessionKind(std::string_view s) {
  if (s == "staff") return SessionKind::kStaff;
  if (s == "worker") return SessionKind::kWorker;
  return std::nullopt;
}

}  // namespace

template <>
struct soci_row::Value<SessionKind>
    : soci_row::CodeValue<SessionKind, &SessionKindName, &ParseSessionKind> {};

namespace {

const auto kSessions = soci_row::Table(
    "sessions", Col("id_hash", &Session::id_hash), Col("kind", &Session::kind),
    Col("user_id", &Session::user_id), Col("conversation_id", &Session::conversation_id),
    Col("stage", &Session::stage), Col("wrapped_key", &Session::wrapped_key),
    Col("pending", &Session::pending), Col("created_at", &Session::created_at),
    Col("last_seen_at", &Session::last_seen_at));

class SociSessionStore final : public SessionStore {
 public:
  Status Insert(Tx& tx, const Session& s) override {
    return Soci(tx).Guarded("insert session", [&](soci::session& sql) -> Status {
      soci_row::Insert(sql, kSessions, s);
      return {};
    });
  }

  Result<Session> Find(Tx& tx, const std::string& id_hash) override {
    return Soci(tx).Guarded("find session", [&](soci::session& sql) -> Result<Session> {
      return soci_row::SelectOne(sql, "session", kSessions, " WHERE id_hash = :h", id_hash);
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

  Result<std::vector<Session>> ListForUser(Tx& tx, int64_t user_id) override {
    return Soci(tx).Guarded("list sessions", [&](soci::session& sql) -> Result<std::vector<Session>> {
      const long long id = user_id;
      return soci_row::Select(sql, kSessions,
                              " WHERE user_id = :u AND kind = 'staff' ORDER BY created_at, id_hash",
                              id);
    });
  }

  Status DeleteForUser(Tx& tx, int64_t user_id, const std::string& id_hash) override {
    return Soci(tx).Guarded("delete session", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "session", "DELETE FROM sessions WHERE id_hash = :h AND user_id = :u",
                       id_hash, static_cast<long long>(user_id));
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
