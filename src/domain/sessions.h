#pragma once
// Sessions: server-side sessions of staff and workers. The caller holds a random 256-bit
// token (the cookie value); the store holds only a keyed hash of it, and any secret the
// session carries (an advisor's key, a worker's conversation key) wrapped under a key
// derived from the token, so a stolen database yields neither live sessions nor keys.
// Cookies are the web layer's business (web/sessions.h); this is the part that touches the
// store, so that the web layer never does. Thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/database.h"
#include "store/session_store.h"

namespace vd {

struct SessionPolicy {
  int64_t staff_idle_seconds = 30 * 60;
  int64_t staff_absolute_seconds = 12 * 3600;
  int64_t worker_idle_seconds = 20 * 60;
  int64_t worker_absolute_seconds = 2 * 3600;
  // Served over TLS (the default; off only for the loopback demo and tests): Secure cookies
  // with the __Host- prefix, and HSTS (web only).
  bool secure_cookies = true;
};

struct ActiveSession {
  Session row;
  std::string token;
  SecretBytes secret;   // unwrapped wrapped_key (empty if none)
  SecretBytes pending;  // unwrapped pending (empty if none)
};

// One of a staff member's own sessions, as her account page lists it: when it began and was
// last used, nothing about the browser or the address (neither is stored). `handle` names it
// in a form without revealing the stored hash (a keyed hash of that, 16 hex digits).
struct StaffSessionInfo {
  std::string handle;
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
  bool current = false;     // the session that asks
  bool signing_in = false;  // password accepted, second factor not yet
};

class Sessions {
 public:
  Sessions(Database& db, const Clock& clock, SessionPolicy policy);

  // Creates a session and returns its token.
  Result<std::string> Create(SessionKind kind, std::optional<int64_t> user_id,
                             std::optional<int64_t> conversation_id, int64_t stage,
                             const SecretBytes& secret, const SecretBytes& pending);
  // The session of `token`: kUnauthorized for a malformed token, kSessionExpired for an
  // unknown one or one that timed out (it is then deleted). Touches last_seen_at.
  Result<ActiveSession> Load(std::string token);
  Status End(const std::string& token);
  // A value tied to `token` alone, for binding other secrets to the session (the web layer's
  // CSRF tokens): derived from the token under its own label and stored nowhere, so neither
  // a stolen database nor the stored id hash yields it. nullopt for a malformed token.
  static std::optional<std::string> Binding(std::string_view token);
  // Her live staff sessions, oldest first; timed-out ones are left out (maintenance deletes
  // them). `current_token` marks the one she is using.
  Result<std::vector<StaffSessionInfo>> ListStaff(int64_t user_id, std::string_view current_token);
  // Ends her session `handle`: kNotFound if she has none of that name (also another's).
  Status EndStaff(int64_t user_id, std::string_view handle);
  // Ends every session of hers but `current_token`'s; returns how many, in one transaction.
  Result<int64_t> EndOtherStaff(int64_t user_id, std::string_view current_token);
  // Deletes every session past the longer of the staff and worker timeouts (maintenance).
  Result<int64_t> DeleteStale();

  const SessionPolicy& policy() const { return policy_; }

 private:
  Database& db_;
  const Clock& clock_;
  SessionPolicy policy_;
};

}  // namespace vd
