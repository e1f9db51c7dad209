#pragma once
// The admin's pages: staff accounts (coordinators manage the advisors of their own
// organisation here too) and the audit log with its hash-chain verdict. Roles are stated in
// Register. A new account's one-time password is shown once, never stored in plaintext.

#include "web/pages.h"

namespace vd {

class AdminPages : PageGroup {
 public:
  explicit AdminPages(const WebParts& parts) : PageGroup(parts) {}
  void Register(Router& router);

 private:
  Response UsersPage(Ctx& ctx, const Error* error = nullptr);
  // The account the form asks for, with a fresh one-time password.
  Result<NewUser> ParseNewUser(Ctx& ctx);
  Response UsersPost(Ctx& ctx);
  Response UserDisablePost(Ctx& ctx);
  Response AuditPage(Ctx& ctx);
};

}  // namespace vd
