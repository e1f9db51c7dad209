#pragma once
// Server-side sessions. The cookie holds a random 256-bit token; the database holds only
// a keyed hash of it, and any secret the session carries (an advisor's key, a worker's
// conversation key) wrapped under a key derived from the token. So a stolen database
// yields neither live sessions nor keys. Thread-safe.

#include <optional>
#include <string>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "store/store.h"
#include "web/http.h"

namespace vd {

struct SessionPolicy {
  int64_t staff_idle_seconds = 30 * 60;
  int64_t staff_absolute_seconds = 12 * 3600;
  int64_t worker_idle_seconds = 20 * 60;
  int64_t worker_absolute_seconds = 2 * 3600;
  bool secure_cookies = false;  // served over TLS: Secure and the __Host- prefix
};

struct ActiveSession {
  Session row;
  std::string token;
  SecretBytes secret;   // unwrapped wrapped_key (empty if none)
  SecretBytes pending;  // unwrapped pending (empty if none)
};

class Sessions {
 public:
  Sessions(Store& store, const Clock& clock, SessionPolicy policy);

  // Creates a session and returns its token (the cookie value).
  Result<std::string> Create(SessionKind kind, std::optional<int64_t> user_id,
                             std::optional<int64_t> conversation_id, int64_t stage,
                             const SecretBytes& secret, const SecretBytes& pending);
  // The request's session: kUnauthorized if there is no cookie or no such session,
  // kSessionExpired if it timed out (and it is then deleted). Touches last_seen_at.
  Result<ActiveSession> Load(const Request& request);
  Status End(const std::string& token);

  std::string cookie_name() const;
  std::string SetCookieHeader(const std::string& token) const;
  std::string ClearCookieHeader() const;
  // A cookie for short-lived preferences and the CSRF anchor (session cookie, no Max-Age).
  std::string CookieHeader(std::string_view name, std::string_view value) const;
  std::string ClearCookieHeader(std::string_view name) const;
  std::string NamedCookie(std::string_view base) const;  // applies the __Host- prefix
  const SessionPolicy& policy() const { return policy_; }

 private:
  Store& store_;
  const Clock& clock_;
  SessionPolicy policy_;
};

}  // namespace vd
