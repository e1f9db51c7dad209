#include "web/sessions.h"

#include "crypto/crypto.h"

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

std::string WebSessions::SessionCsrf(std::string_view token) const {
  std::optional<std::string> binding = Sessions::Binding(token);
  if (!binding) return {};
  return Base64Encode(KeyedHash(csrf_key_, "vd.csrf.session", *binding));
}

std::string WebSessions::AnchorCsrf(std::string_view anchor) const {
  return Base64Encode(KeyedHash(csrf_key_, "vd.csrf", anchor));
}

std::string WebSessions::CsrfToken(const Request& request, std::string_view anchor) const {
  // A malformed session cookie counts as none.
  std::optional<std::string> token = RequestCookie(request, cookie_name());
  std::string bound = token ? SessionCsrf(*token) : std::string();
  return bound.empty() ? AnchorCsrf(anchor) : bound;
}

void WebSessions::Begin(Ctx& ctx, const std::string& token) const {
  ctx.cookies.push_back(SetCookieHeader(token));
  std::string bound = SessionCsrf(token);
  ctx.csrf = bound.empty() ? AnchorCsrf(ctx.anchor) : bound;
}

void WebSessions::Forget(Ctx& ctx) const {
  ctx.cookies.push_back(ClearCookieHeader());
  ctx.csrf = AnchorCsrf(ctx.anchor);
}

}  // namespace vd
