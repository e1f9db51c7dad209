#include "web/admin_pages.h"

#include <algorithm>

#include "crypto/crypto.h"

namespace vd {
namespace {
const Error kBadForm{ErrorCode::kInvalidInput, "error.bad_form", "role"};
}  // namespace

void AdminPages::Register(Router& router) {
  using R = Role;
  const auto staff_managers = Access::Staff({R::kCoordinator, R::kAdmin});
  router.Get("/staff/users", staff_managers, [this](Ctx& c) { return UsersPage(c); });
  router.Post("/staff/users", staff_managers, [this](Ctx& c) { return UsersPost(c); });
  router.Post("/staff/users/{id}/disable", staff_managers,
              [this](Ctx& c) { return UserDisablePost(c); });
  router.Post("/staff/users/{id}/code", staff_managers, [this](Ctx& c) { return UserCodePost(c); });
  router.Post("/staff/users/{id}/reset-totp", staff_managers,
              [this](Ctx& c) { return UserResetTotpPost(c); });
  router.Post("/staff/users/{id}/enable", staff_managers,
              [this](Ctx& c) { return UserEnablePost(c); });
  router.Post("/staff/users/{id}/role", Access::Staff({R::kAdmin}),
              [this](Ctx& c) { return UserRolePost(c); });
  router.Get("/staff/audit", Access::Staff({R::kAdmin}), [this](Ctx& c) { return AuditPage(c); });
  RegisterOrganisations(router);
}

Response AdminPages::UsersPage(Ctx& ctx, const Error* error) {
  Result<std::vector<User>> users = deps_.staff.Users();
  if (!users) return ErrorPage(ctx, users.error());
  const StaffContext& staff = *ctx.staff;
  Result<std::vector<Organisation>> orgs = deps_.staff.Organisations();
  if (!orgs) return ErrorPage(ctx, orgs.error());
  mustache::data rows{mustache::data::type::list};
  for (const User& u : *users) {
    // A coordinator sees the staff of her or his own organisation only.
    if (staff.user.role == Role::kCoordinator && u.organisation_id != staff.user.organisation_id) continue;
    mustache::data row;
    row.set("id", std::to_string(u.id));
    row.set("username", u.username);
    row.set("role", T(ctx, "role." + std::string(RoleName(u.role))));
    row.set("totp", u.totp_enabled);
    row.set("disabled", u.disabled);
    // Staff::Disable has the final word; this only decides whether to offer the button.
    const bool may = u.id != staff.user.id && !u.disabled &&
                     (staff.user.role == Role::kAdmin || u.role == Role::kAdvisor);
    row.set("can_disable", may);
    const bool manageable = u.id != staff.user.id &&
                            (staff.user.role == Role::kAdmin || u.role == Role::kAdvisor);
    row.set("can_reset_totp", may && u.totp_enabled);
    if (staff.user.role == Role::kAdmin && u.id != staff.user.id) {
      // The row's pickers start at what the account has now.
      row.set("can_change_role", true);
      row.set("role_options", RoleOptions(ctx, u.role));
      row.set("org_options", OrgOptions(*orgs, u.organisation_id));
    }
    row.set("can_enable", manageable && u.disabled);
    const bool invited = u.public_key.empty() && !u.disabled;
    row.set("invited", invited);
    row.set("can_reissue", invited && may);
    if (invited) {
      const bool expired = u.enrol_expires_at <= deps_.clock.Now();
      row.set("invite_state", expired ? T(ctx, "Enrolment code expired")
                                      : Replace(T(ctx, "Invited, code valid until {{date}}"),
                                                "{{date}}", FormatDateTime(u.enrol_expires_at)));
    }
    rows.push_back(row);
  }
  const bool admin = staff.user.role == Role::kAdmin;
  mustache::data d;
  d.set("rows", rows);
  d.set("admin", admin);
  if (admin) {
    d.set("roles", RoleOptions(ctx, std::nullopt));
    d.set("orgs", OrgOptions(*orgs, std::nullopt));
  }
  return RenderForm(ctx, "staff_users", d, Audience::kStaff, error);
}

mustache::data AdminPages::RoleOptions(Ctx& ctx, std::optional<Role> selected) {
  mustache::data roles{mustache::data::type::list};
  for (Role r : {Role::kAdvisor, Role::kCoordinator, Role::kAnalyst, Role::kAdmin}) {
    mustache::data item;
    item.set("code", std::string(RoleName(r)));
    item.set("label", T(ctx, "role." + std::string(RoleName(r))));
    item.set("selected", selected == r);
    roles.push_back(item);
  }
  return roles;
}

mustache::data AdminPages::OrgOptions(const std::vector<Organisation>& orgs,
                                      std::optional<int64_t> selected) {
  mustache::data list{mustache::data::type::list};
  for (const Organisation& o : orgs) {
    mustache::data item;
    item.set("code", o.slug);
    item.set("label", o.name);
    item.set("selected", selected == o.id);
    list.push_back(item);
  }
  return list;
}

Result<NewUser> AdminPages::ParseNewUser(Ctx& ctx) {
  const StaffContext& staff = *ctx.staff;
  NewUser request;
  request.username = Str(FormValue(ctx.form, "username"));
  request.created_by = staff.user.id;
  if (staff.user.role == Role::kCoordinator) {
    // A coordinator adds advisors to her or his own organisation only.
    request.role = Role::kAdvisor;
    Result<Organisation> org = deps_.staff.FindOrganisation(staff.user.organisation_id.value_or(0));
    if (!org) return std::unexpected(org.error());
    request.organisation_slug = org->slug;
  } else {
    std::optional<Role> role = ParseRole(Str(FormValue(ctx.form, "role")));
    if (!role) return Fail(ErrorCode::kInvalidInput, "error.bad_form", "role");
    request.role = *role;
    request.organisation_slug = Str(FormValue(ctx.form, "organisation"));
  }
  // No password: the owner sets it herself with the enrolment code (Staff::Welcome).
  return request;
}

Response AdminPages::UsersPost(Ctx& ctx) {
  const FormPage form = [&](const Error& e) { return UsersPage(ctx, &e); };
  Result<NewUser> request = ParseNewUser(ctx);
  if (!request) return FormOrError(ctx, request.error(), form);
  Result<CreatedUser> created = deps_.staff.CreateUser(*request);
  if (!created) return FormOrError(ctx, created.error(), form, {ErrorCode::kInvalidInput, ErrorCode::kConflict});
  ctx.audit_record = "user:" + std::to_string(created->id);
  return CodeIssued(ctx, request->username, request->role, *created);
}

Response AdminPages::CodeIssued(Ctx& ctx, const std::string& username, Role role,
                                const CreatedUser& made) {
  mustache::data d;
  d.set("username", username);
  d.set("role", T(ctx, "role." + std::string(RoleName(role))));
  d.set("code", made.enrolment_code);
  d.set("expires", FormatDateTime(made.enrolment_expires_at));
  return Render(ctx, "staff_user_created", d, Audience::kStaff);
}

Response AdminPages::UserResetTotpPost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  if (Status s = deps_.staff.ResetSecondFactor(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect("/staff/users");
}

Response AdminPages::UserRolePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  std::optional<Role> role = ParseRole(Str(FormValue(ctx.form, "role")));
  if (!role) return UsersPage(ctx, &kBadForm);
  Status s = deps_.staff.ChangeRole(*ctx.staff, *id, *role, Str(FormValue(ctx.form, "organisation")));
  if (!s) return FormOrError(ctx, s.error(), [&](const Error& e) { return UsersPage(ctx, &e); });
  return Redirect("/staff/users");
}

Response AdminPages::UserEnablePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  if (Status s = deps_.staff.Enable(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect("/staff/users");
}

Response AdminPages::UserCodePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  CreatedUser made;
  if (Status s = deps_.staff.ReissueEnrolmentCode(*ctx.staff, *id, &made); !s) {
    return FormOrError(ctx, s.error(), [&](const Error& e) { return UsersPage(ctx, &e); });
  }
  Result<User> user = deps_.staff.FindUser(*id);
  if (!user) return ErrorPage(ctx, user.error());
  return CodeIssued(ctx, user->username, user->role, made);
}

Response AdminPages::UserDisablePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  if (FormValue(ctx.form, "confirm").value_or("") != "yes") {
    Error e{ErrorCode::kInvalidInput, "staff_error.disable_confirm", "not confirmed"};
    return UsersPage(ctx, &e);
  }
  if (Status s = deps_.staff.Disable(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect("/staff/users");
}

Response AdminPages::AuditPage(Ctx& ctx) {
  Result<AuditVerdict> verdict = deps_.audit.Verify();
  if (!verdict) return ErrorPage(ctx, verdict.error());
  const int64_t after = std::max<int64_t>(0, verdict->entries - 200);
  Result<std::vector<AuditEntry>> entries = deps_.audit.List(after, 200);
  if (!entries) return ErrorPage(ctx, entries.error());
  mustache::data rows{mustache::data::type::list};
  for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
    mustache::data row;
    row.set("id", std::to_string(it->id));
    row.set("when", FormatDateTime(it->at));
    row.set("user", std::to_string(it->user_id));
    row.set("action", it->action);
    row.set("record", it->record);
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("ok", verdict->ok);
  d.set("entries", std::to_string(verdict->entries));
  d.set("broken", std::to_string(verdict->first_broken));
  return Render(ctx, "staff_audit", d, Audience::kStaff);
}

}  // namespace vd
