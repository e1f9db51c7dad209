#pragma once
// Staff sign-in and the pages every staff role shares: an invited account's welcome (its
// owner sets the password with the enrolment code), login (password + TOTP, throttled per
// client), TOTP enrolment at first login, one's own account (password, authenticator), the staff home (links for the role, an
// advisor's or coordinator's inbox, an advisor's due follow-ups) and logout. A new session id at every login stage.

#include "web/pages.h"
#include "web/throttle.h"

namespace vd {

class StaffAuthPages : PageGroup {
 public:
  explicit StaffAuthPages(const WebParts& parts);
  void Register(Router& router);

 private:
  Response LoginForm(Ctx& ctx, const Error* error = nullptr);
  Response LoginPost(Ctx& ctx);
  // An invited account's owner sets her password with the enrolment code; then TOTP.
  Response WelcomeForm(Ctx& ctx, const Error* error = nullptr);
  Response WelcomePost(Ctx& ctx);
  // A session that holds the password key and a fresh TOTP secret until the first code.
  Result<std::string> EnrolmentSession(int64_t user_id, const SecretBytes& wrap_key);
  Response EnrolForm(Ctx& ctx, const Error* error = nullptr);
  Response EnrolPost(Ctx& ctx);
  Response Home(Ctx& ctx);
  // Her own account: change the password, set up a new authenticator.
  Response Account(Ctx& ctx, const Error* error = nullptr);
  // A lost password: the owner's recovery key opens her keys under a new password of her
  // choosing; the new recovery key is shown to her only, and she sets up TOTP at login.
  Response RecoverForm(Ctx& ctx, const Error* error = nullptr);
  Response RecoverPost(Ctx& ctx);
  // The sign-in pages' shared throttle (login, welcome, recovery): an error page once spent.
  std::optional<Response> Throttled(Ctx& ctx, const char* what);
  // A new password typed twice in `field` and `again`; staff_error.password_mismatch if the
  // two differ.
  static Result<std::string_view> NewPassword(const Ctx& ctx, const char* field, const char* again);
  // Her other sessions (another browser, a forgotten computer): end one, or all but this.
  Response EndSessionPost(Ctx& ctx);
  Response EndOtherSessionsPost(Ctx& ctx);
  Response PasswordPost(Ctx& ctx);
  Response TotpPost(Ctx& ctx);
  Response Logout(Ctx& ctx);
  // A logged-in staff session (after the password, with or without a finished enrolment).
  Result<std::string> LoginSession(const LoginOutcome& login);
  // An advisor's grant news and, once she holds the key, the inbox page.
  Status AddInbox(Ctx& ctx, mustache::data& d);
  // One page of one view of the inbox (inbox_links.h), with its tabs, page links and spam
  // buttons; for key-holding advisors and coordinators.
  Status AddInboxPage(Ctx& ctx, mustache::data& d);
  // Audits a completed login (`action`), and before it "staff.first_login" when `first`.
  void AuditLogin(Ctx& ctx, int64_t user_id, const char* action, bool first);
  void AddLinks(Ctx& ctx, mustache::data& d);

  Throttle login_throttle_;
};

}  // namespace vd
