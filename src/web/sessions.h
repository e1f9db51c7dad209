#pragma once
// The web side of sessions: cookie names (with the __Host- prefix over TLS), Set-Cookie
// headers, and the request's session, found through the domain's Sessions (which alone
// touches the store). Holds no state of its own; thread-safe like Sessions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/sessions.h"
#include "web/http.h"

namespace vd {

class WebSessions {
 public:
  WebSessions(Sessions& sessions, bool secure_cookies)
      : sessions_(sessions), secure_cookies_(secure_cookies) {}

  Result<std::string> Create(SessionKind kind, std::optional<int64_t> user_id,
                             std::optional<int64_t> conversation_id, int64_t stage,
                             const SecretBytes& secret, const SecretBytes& pending) {
    return sessions_.Create(kind, user_id, conversation_id, stage, secret, pending);
  }
  // The request's session: kUnauthorized if there is no cookie or a malformed one,
  // kSessionExpired if it is unknown or timed out.
  Result<ActiveSession> Load(const Request& request);
  Status End(const std::string& token) { return sessions_.End(token); }
  // A staff member's own sessions (see Sessions::ListStaff and friends).
  Result<std::vector<StaffSessionInfo>> ListStaff(int64_t user_id, std::string_view current) {
    return sessions_.ListStaff(user_id, current);
  }
  Status EndStaff(int64_t user_id, std::string_view handle) {
    return sessions_.EndStaff(user_id, handle);
  }
  Result<int64_t> EndOtherStaff(int64_t user_id, std::string_view current) {
    return sessions_.EndOtherStaff(user_id, current);
  }

  std::string cookie_name() const;
  std::string SetCookieHeader(const std::string& token) const;
  std::string ClearCookieHeader() const;
  // A cookie for short-lived preferences and the CSRF anchor (session cookie, no Max-Age).
  std::string CookieHeader(std::string_view name, std::string_view value) const;
  std::string ClearCookieHeader(std::string_view name) const;
  // A cookie that outlives the browser session by `max_age` seconds (the staff device cookie).
  std::string PersistentCookieHeader(std::string_view name, std::string_view value,
                                     int64_t max_age) const;
  std::string NamedCookie(std::string_view base) const;  // applies the __Host- prefix

 private:
  Sessions& sessions_;
  bool secure_cookies_;
};

}  // namespace vd
