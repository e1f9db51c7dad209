#pragma once
// The web side of sessions: cookie names (with the __Host- prefix over TLS), Set-Cookie
// headers, the CSRF tokens bound to a session, and the request's session, found through the
// domain's Sessions (which alone touches the store). Holds no state of its own beyond the
// CSRF key; thread-safe like Sessions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/sessions.h"
#include "web/http.h"
#include "web/route.h"

namespace vd {

class WebSessions {
 public:
  // `csrf_key`: 32 random bytes, the same on every server.
  WebSessions(Sessions& sessions, bool secure_cookies, std::string csrf_key)
      : sessions_(sessions), secure_cookies_(secure_cookies), csrf_key_(std::move(csrf_key)) {}

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

  // The CSRF token for the forms of a page: a keyed hash of the session the browser holds
  // (the session cookie's Sessions::Binding), or, before it holds any (login, start), of the
  // anonymous anchor cookie `vd_a`. So a token works only in the session its page was shown
  // in: not in another session, and a token from before a login not after it.
  std::string CsrfToken(const Request& request, std::string_view anchor) const;
  // A session this request began: sets its cookie and binds the page's forms to it, so a page
  // rendered now (the receipt page) carries the new session's token.
  void Begin(Ctx& ctx, const std::string& token) const;
  // The session cookie goes (the session itself is ended by End): the page's forms fall back
  // to the anchor, as the browser's next request will.
  void Forget(Ctx& ctx) const;

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
  std::string SessionCsrf(std::string_view token) const;  // "" for a malformed token
  std::string AnchorCsrf(std::string_view anchor) const;

  Sessions& sessions_;
  bool secure_cookies_;
  std::string csrf_key_;
};

}  // namespace vd
