// Staff: organisations, added and renamed (issue 14 item 3), with names per language.

#include <algorithm>

#include "core/text.h"
#include "domain/staff.h"

namespace vd {
namespace {

bool ValidSlug(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  return std::ranges::all_of(s, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

// One line of readable text: what a worker sees on the start page and staff in lists.
bool ValidName(std::string_view n) {
  return !n.empty() && n.size() <= 200 && IsValidUtf8(n) && !HasForbiddenControl(n) &&
         n.find_first_of("\r\n\t") == std::string_view::npos && Trim(n).size() == n.size();
}

// A catalog code as the catalogs name them: "nl", "pt_BR", "zh_CN".
bool ValidLang(std::string_view l) {
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (l.size() == 2) return lower(l[0]) && lower(l[1]);
  return l.size() == 5 && lower(l[0]) && lower(l[1]) && l[2] == '_' && upper(l[3]) && upper(l[4]);
}

Status MustBeAdmin(const StaffContext& actor) {
  if (actor.user.role != Role::kAdmin) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "only admins manage organisations");
  }
  return {};
}

}  // namespace

Result<int64_t> Staff::CreateOrganisation(const std::string& slug, const std::string& name) {
  if (!ValidSlug(slug)) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.org_slug", "bad organisation slug");
  }
  if (!ValidName(name)) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.org_name", "bad organisation name");
  }
  Organisation org;
  org.slug = slug;
  org.name = name;
  return store_.Write("insert organisation",
                      [&](Tx& tx) { return store_.staff().InsertOrganisation(tx, org); });
}

Result<std::vector<Organisation>> Staff::Organisations() {
  return store_.Read("list organisations", [&](Tx& tx) { return store_.staff().ListOrganisations(tx); });
}

Result<int64_t> Staff::AddOrganisation(const StaffContext& actor, const std::string& slug,
                                       const std::string& name) {
  if (Status s = MustBeAdmin(actor); !s) return std::unexpected(s.error());
  return CreateOrganisation(slug, name);
}

Status Staff::RenameOrganisation(const StaffContext& actor, int64_t id, const std::string& name,
                                 const std::vector<OrganisationName>& names) {
  if (Status s = MustBeAdmin(actor); !s) return s;
  if (!ValidName(name)) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.org_name", "bad organisation name");
  }
  std::vector<OrganisationName> kept;
  for (const OrganisationName& n : names) {
    if (!ValidLang(n.lang)) return Fail(ErrorCode::kInvalidInput, "error.bad_form", "language");
    if (std::ranges::any_of(kept, [&](const auto& k) { return k.lang == n.lang; })) {
      return Fail(ErrorCode::kInvalidInput, "error.bad_form", "language twice");
    }
    if (n.name.empty()) continue;
    if (!ValidName(n.name)) {
      return Fail(ErrorCode::kInvalidInput, "staff_error.org_name", "bad organisation name");
    }
    kept.push_back(OrganisationName{id, n.lang, n.name});
  }
  return store_.Write("rename organisation", [&](Tx& tx) {
    return store_.staff().RenameOrganisation(tx, id, name, kept);
  });
}

Result<std::vector<OrganisationName>> Staff::OrganisationNames() {
  return store_.Read("list organisation names",
                     [&](Tx& tx) { return store_.staff().ListOrganisationNames(tx); });
}

Result<std::map<std::string, std::string, std::less<>>> Staff::OrganisationNamesIn(
    std::string_view lang) {
  using Names = std::map<std::string, std::string, std::less<>>;
  return store_.Read("organisation names", [&](Tx& tx) -> Result<Names> {
    Result<std::vector<Organisation>> orgs = store_.staff().ListOrganisations(tx);
    if (!orgs) return std::unexpected(orgs.error());
    Result<std::vector<OrganisationName>> names = store_.staff().ListOrganisationNames(tx);
    if (!names) return std::unexpected(names.error());
    Names out;
    for (const OrganisationName& n : *names) {
      if (n.lang != lang) continue;
      for (const Organisation& o : *orgs) {
        if (o.id == n.organisation_id) out[o.slug] = n.name;
      }
    }
    return out;
  });
}

}  // namespace vd
