#pragma once
// The admin's pages: staff accounts (coordinators manage the advisors of their own
// organisation here too), organisations and their names per language, and the audit log with its hash-chain verdict. Roles are stated in
// Register. A new account gets a one-time enrolment code, shown once to its creator and
// stored hashed; only its owner sets the password and sees her recovery key (/staff/welcome).

#include "web/pages.h"

namespace vd {

class AdminPages : PageGroup {
 public:
  explicit AdminPages(const WebParts& parts) : PageGroup(parts) {}
  void Register(Router& router);

 private:
  Response UsersPage(Ctx& ctx, const Error* error = nullptr);
  // The account the form asks for (invited: no password).
  Result<NewUser> ParseNewUser(Ctx& ctx);
  Response UsersPost(Ctx& ctx);
  // The page that shows an enrolment code once, to be handed over in person.
  Response CodeIssued(Ctx& ctx, const std::string& username, Role role, const CreatedUser& made);
  Response UserCodePost(Ctx& ctx);
  Response UserResetTotpPost(Ctx& ctx);
  Response UserEnablePost(Ctx& ctx);
  Response UserRolePost(Ctx& ctx);
  // Picker options (code, label, selected) for roles and organisations.
  mustache::data RoleOptions(Ctx& ctx, std::optional<Role> selected);
  static mustache::data OrgOptions(const std::vector<Organisation>& orgs,
                                   std::optional<int64_t> selected);
  Response UserDisablePost(Ctx& ctx);
  Response AuditPage(Ctx& ctx);
  // Organisations (admin_org_pages.cc): the list with a form to add one, and one
  // organisation's names, the one staff see and one per worker language.
  void RegisterOrganisations(Router& router);
  Response OrganisationsPage(Ctx& ctx, const Error* error = nullptr);
  Response OrganisationAddPost(Ctx& ctx);
  Response OrganisationPage(Ctx& ctx, const Error* error = nullptr);
  Response OrganisationRenamePost(Ctx& ctx);
};

}  // namespace vd
