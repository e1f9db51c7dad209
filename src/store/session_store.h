#pragma once
// SessionStore: staff and worker sessions, by the keyed hash of their token (the token is
// never stored). Every method works inside the caller's transaction (Database::Read/Write);
// the same conformance tests run on SQLite and PostgreSQL. Failures: kNotFound for an
// unknown session, kConflict on a duplicate id (reported by the Write), kStorage otherwise.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace vd {

enum class SessionKind { kStaff, kWorker };

struct Session {
  std::string id_hash;  // base64 of KeyedHash(token); the token itself is never stored
  SessionKind kind = SessionKind::kStaff;
  std::optional<int64_t> user_id;          // staff sessions
  std::optional<int64_t> conversation_id;  // worker sessions
  // Staff: 0 = password accepted, TOTP pending or enrolling; 1 = fully logged in.
  int64_t stage = 0;
  std::string wrapped_key;  // secret material wrapped under a key derived from the token
  std::string pending;      // stage-0 data, wrapped the same way (e.g. TOTP being enrolled)
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual Status Insert(Tx& tx, const Session& s) = 0;
  virtual Result<Session> Find(Tx& tx, const std::string& id_hash) = 0;
  virtual Status Touch(Tx& tx, const std::string& id_hash, int64_t now) = 0;
  // Writes stage, wrapped_key, pending and last_seen_at.
  virtual Status Update(Tx& tx, const Session& s) = 0;
  virtual Status Delete(Tx& tx, const std::string& id_hash) = 0;
  // One staff member's sessions, oldest first (her account page lists them).
  virtual Result<std::vector<Session>> ListForUser(Tx& tx, int64_t user_id) = 0;
  // Deletes the session `id_hash` only if it is `user_id`'s: kNotFound otherwise, so that no
  // one ends a session that is not hers.
  virtual Status DeleteForUser(Tx& tx, int64_t user_id, const std::string& id_hash) = 0;
  // Deletes sessions idle since before `idle_before` or created before `created_before`;
  // returns how many.
  virtual Result<int64_t> DeleteStale(Tx& tx, int64_t idle_before, int64_t created_before) = 0;
};

}  // namespace vd
