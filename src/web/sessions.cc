#include "web/sessions.h"

namespace vd {

std::string WebSessions::NamedCookie(std::string_view base) const {
  return (secure_cookies_ ? "__Host-" : "") + std::string(base);
}

std::string WebSessions::cookie_name() const { return NamedCookie("vd_session"); }

std::string WebSessions::CookieHeader(std::string_view name, std::string_view value) const {
  std::string h = NamedCookie(name) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict";
  if (secure_cookies_) h += "; Secure";
  return h;
}

std::string WebSessions::ClearCookieHeader(std::string_view name) const {
  std::string h = NamedCookie(name) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
  if (secure_cookies_) h += "; Secure";
  return h;
}

std::string WebSessions::PersistentCookieHeader(std::string_view name, std::string_view value,
                                                int64_t max_age) const {
  std::string h = NamedCookie(name) + "=" + std::string(value) + "; Path=/; Max-Age=" +
                  std::to_string(max_age) + "; HttpOnly; SameSite=Strict";
  if (secure_cookies_) h += "; Secure";
  return h;
}

std::string WebSessions::SetCookieHeader(const std::string& token) const {
  return CookieHeader("vd_session", token);
}

std::string WebSessions::ClearCookieHeader() const { return ClearCookieHeader("vd_session"); }

Result<ActiveSession> WebSessions::Load(const Request& request) {
  std::optional<std::string> token = RequestCookie(request, cookie_name());
  if (!token || token->empty()) {
    return Fail(ErrorCode::kUnauthorized, "error.login_required", "no session cookie");
  }
  return sessions_.Load(std::move(*token));
}

}  // namespace vd
