#include "domain/sessions.h"

#include <algorithm>

namespace vd {
namespace {

struct TokenKeys {
  std::string id_hash;
  SecretBytes wrap_key;
};

Result<TokenKeys> KeysFor(std::string_view token) {
  Result<std::string> raw = Base64Decode(token);
  if (!raw || raw->size() != 32) {
    return Fail(ErrorCode::kUnauthorized, "error.session_expired", "malformed session token");
  }
  TokenKeys keys;
  keys.id_hash = Base64Encode(KeyedHash(*raw, "vd.session.id", ""));
  // The wrap key goes straight to guarded memory; the token's raw bytes are wiped (the
  // cookie text itself belongs to the request).
  keys.wrap_key = KeyedHashKey(*raw, "vd.session.wrap", "");
  Wipe(*raw);
  return keys;
}

std::string HandleOf(const std::string& id_hash) {
  Result<std::string> raw = Base64Decode(id_hash);
  if (!raw || raw->size() < 16) return {};
  return HexEncode(KeyedHash(*raw, "vd.session.handle", "").substr(0, 8));
}

}  // namespace

Sessions::Sessions(Database& db, const Clock& clock, SessionPolicy policy)
    : db_(db), clock_(clock), policy_(policy) {}

Result<std::string> Sessions::Create(SessionKind kind, std::optional<int64_t> user_id,
                                     std::optional<int64_t> conversation_id, int64_t stage,
                                     const SecretBytes& secret, const SecretBytes& pending) {
  std::string token = RandomToken(32);
  Result<TokenKeys> keys = KeysFor(token);
  if (!keys) return std::unexpected(keys.error());
  Session s;
  s.id_hash = keys->id_hash;
  s.kind = kind;
  s.user_id = user_id;
  s.conversation_id = conversation_id;
  s.stage = stage;
  if (!secret.empty()) s.wrapped_key = Wrap(keys->wrap_key, secret.view());
  if (!pending.empty()) s.pending = Wrap(keys->wrap_key, pending.view());
  // A worker's session says when she opened and last read her conversation: kept to the
  // minute like her messages (core/clock.h). Rounded down, so it never outlives a timeout.
  s.created_at = kind == SessionKind::kWorker ? CoarseTime(clock_.Now()) : clock_.Now();
  s.last_seen_at = s.created_at;
  if (auto st = db_.Write("create session", [&](Tx& tx) { return db_.sessions().Insert(tx, s); });
      !st) {
    return std::unexpected(st.error());
  }
  return token;
}

Result<ActiveSession> Sessions::Load(std::string token) {
  Result<TokenKeys> keys = KeysFor(token);
  if (!keys) return std::unexpected(keys.error());
  // Every request loads its session: a read, so that requests do not queue for SQLite's write
  // lock. Only a timed-out session (deleted) or a stale last_seen_at (at most once a minute)
  // takes a write transaction after it; both writes are idempotent.
  Result<Session> row =
      db_.Read("load session", [&](Tx& tx) { return db_.sessions().Find(tx, keys->id_hash); });
  if (!row) {
    if (row.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kSessionExpired, "error.session_expired", "unknown session");
    }
    return std::unexpected(row.error());
  }
  const int64_t now = clock_.Now();
  const bool staff = row->kind == SessionKind::kStaff;
  const int64_t idle = staff ? policy_.staff_idle_seconds : policy_.worker_idle_seconds;
  const int64_t absolute = staff ? policy_.staff_absolute_seconds : policy_.worker_absolute_seconds;
  if (now - row->last_seen_at > idle || now - row->created_at > absolute) {
    (void)db_.Write("delete session",
                    [&](Tx& tx) { return db_.sessions().Delete(tx, row->id_hash); });
    return Fail(ErrorCode::kSessionExpired, "error.session_expired", "session timed out");
  }
  ActiveSession active;
  if (!row->wrapped_key.empty()) {
    Result<SecretBytes> secret = Unwrap(keys->wrap_key, row->wrapped_key);
    if (!secret) return Fail(ErrorCode::kSessionExpired, "error.session_expired", "session key");
    active.secret = std::move(*secret);
  }
  if (!row->pending.empty()) {
    Result<SecretBytes> pending = Unwrap(keys->wrap_key, row->pending);
    if (!pending) return Fail(ErrorCode::kSessionExpired, "error.session_expired", "pending");
    active.pending = std::move(*pending);
  }
  // Touch at most once a minute to keep writes down. A store that cannot write just now (a
  // full disk) does not end a session that is still valid: reads go on, the touch waits.
  const int64_t seen = staff ? now : CoarseTime(now);
  if (seen - row->last_seen_at >= 60) {
    if (auto st = db_.Write("touch session",
                            [&](Tx& tx) { return db_.sessions().Touch(tx, row->id_hash, seen); });
        !st) {
      if (st.error().code != ErrorCode::kUnavailable) return std::unexpected(st.error());
    } else {
      row->last_seen_at = seen;
    }
  }
  active.row = std::move(*row);
  active.token = std::move(token);
  return active;
}

std::optional<std::string> Sessions::Binding(std::string_view token) {
  Result<std::string> raw = Base64Decode(token);
  if (!raw || raw->size() != 32) return std::nullopt;
  std::string binding = KeyedHash(*raw, "vd.session.binding", "");
  Wipe(*raw);
  return binding;
}

Status Sessions::End(const std::string& token) {
  Result<TokenKeys> keys = KeysFor(token);
  if (!keys) return {};
  Status s =
      db_.Write("end session", [&](Tx& tx) { return db_.sessions().Delete(tx, keys->id_hash); });
  if (!s && s.error().code == ErrorCode::kNotFound) return {};
  return s;
}

Result<std::vector<StaffSessionInfo>> Sessions::ListStaff(int64_t user_id,
                                                          std::string_view current_token) {
  std::string current_hash;
  if (Result<TokenKeys> keys = KeysFor(current_token)) current_hash = keys->id_hash;
  Result<std::vector<Session>> rows =
      db_.Read("list sessions", [&](Tx& tx) { return db_.sessions().ListForUser(tx, user_id); });
  if (!rows) return std::unexpected(rows.error());
  const int64_t now = clock_.Now();
  std::vector<StaffSessionInfo> out;
  for (const Session& row : *rows) {
    if (now - row.last_seen_at > policy_.staff_idle_seconds ||
        now - row.created_at > policy_.staff_absolute_seconds) {
      continue;
    }
    out.push_back(StaffSessionInfo{HandleOf(row.id_hash), row.created_at, row.last_seen_at,
                                   row.id_hash == current_hash, row.stage == 0});
  }
  return out;
}

Status Sessions::EndStaff(int64_t user_id, std::string_view handle) {
  if (handle.size() != 16) return Fail(ErrorCode::kNotFound, "error.not_found", "session handle");
  return db_.Write("end session", [&](Tx& tx) -> Status {
    Result<std::vector<Session>> rows = db_.sessions().ListForUser(tx, user_id);
    if (!rows) return std::unexpected(rows.error());
    for (const Session& row : *rows) {
      if (ConstantTimeEqual(HandleOf(row.id_hash), handle)) {
        return db_.sessions().DeleteForUser(tx, user_id, row.id_hash);
      }
    }
    return Fail(ErrorCode::kNotFound, "error.not_found", "no such session");
  });
}

Result<int64_t> Sessions::EndOtherStaff(int64_t user_id, std::string_view current_token) {
  Result<TokenKeys> keys = KeysFor(current_token);
  if (!keys) return std::unexpected(keys.error());
  return db_.Write("end other sessions", [&](Tx& tx) -> Result<int64_t> {
    Result<std::vector<Session>> rows = db_.sessions().ListForUser(tx, user_id);
    if (!rows) return std::unexpected(rows.error());
    int64_t ended = 0;
    for (const Session& row : *rows) {
      if (row.id_hash == keys->id_hash) continue;
      if (Status s = db_.sessions().DeleteForUser(tx, user_id, row.id_hash); !s) {
        return std::unexpected(s.error());
      }
      ++ended;
    }
    return ended;
  });
}

Result<int64_t> Sessions::DeleteStale() {
  const int64_t now = clock_.Now();
  const int64_t idle = std::max(policy_.staff_idle_seconds, policy_.worker_idle_seconds);
  const int64_t absolute = std::max(policy_.staff_absolute_seconds, policy_.worker_absolute_seconds);
  return db_.Write("delete stale sessions", [&](Tx& tx) {
    return db_.sessions().DeleteStale(tx, now - idle, now - absolute);
  });
}

}  // namespace vd
