// The admin's organisation pages (issue 14 item 3): add an organisation and set its names,
// the one staff see and one per worker language. Part of AdminPages (admin_pages.h).

#include "web/admin_pages.h"

#include <algorithm>

#include "core/text.h"

namespace vd {

void AdminPages::RegisterOrganisations(Router& router) {
  const auto admin = Access::Staff({Role::kAdmin});
  router.Get("/staff/organisations", admin, [this](Ctx& c) { return OrganisationsPage(c); });
  router.Post("/staff/organisations", admin, [this](Ctx& c) { return OrganisationAddPost(c); });
  router.Get("/staff/organisations/{id}", admin, [this](Ctx& c) { return OrganisationPage(c); });
  router.Post("/staff/organisations/{id}", admin,
              [this](Ctx& c) { return OrganisationRenamePost(c); });
}

Response AdminPages::OrganisationsPage(Ctx& ctx, const Error* error) {
  Result<std::vector<Organisation>> orgs = deps_.staff.Organisations();
  if (!orgs) return ErrorPage(ctx, orgs.error());
  Result<std::vector<OrganisationName>> names = deps_.staff.OrganisationNames();
  if (!names) return ErrorPage(ctx, names.error());
  mustache::data rows{mustache::data::type::list};
  for (const Organisation& o : *orgs) {
    mustache::data row;
    row.set("id", std::to_string(o.id));
    row.set("slug", o.slug);
    row.set("name", o.name);
    row.set("languages", std::to_string(std::ranges::count_if(
                             *names, [&](const auto& n) { return n.organisation_id == o.id; })));
    // Workers can write to it only once an advisor enrolled and made its key.
    row.set("open", !o.public_key.empty());
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("slug", Str(FormValue(ctx.form, "slug")));
  d.set("name", Str(FormValue(ctx.form, "name")));
  return RenderForm(ctx, "staff_organisations", d, Audience::kStaff, error);
}

Response AdminPages::OrganisationAddPost(Ctx& ctx) {
  const FormPage form = [&](const Error& e) { return OrganisationsPage(ctx, &e); };
  const std::string slug(Trim(Str(FormValue(ctx.form, "slug"))));
  const std::string name(Trim(Str(FormValue(ctx.form, "name"))));
  Result<int64_t> id = deps_.staff.AddOrganisation(*ctx.staff, slug, name);
  if (!id) {
    if (id.error().code == ErrorCode::kConflict) {
      return form(Error{ErrorCode::kConflict, "staff_error.org_taken", "slug taken"});
    }
    return FormOrError(ctx, id.error(), form);
  }
  ctx.audit_record = "organisation:" + std::to_string(*id);
  return Redirect("/staff/organisations/" + std::to_string(*id) + "?added=1");
}

Response AdminPages::OrganisationPage(Ctx& ctx, const Error* error) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "organisation id");
  Result<Organisation> org = deps_.staff.FindOrganisation(*id);
  if (!org) return ErrorPage(ctx, org.error());
  Result<std::vector<OrganisationName>> names = deps_.staff.OrganisationNames();
  if (!names) return ErrorPage(ctx, names.error());
  // After a refused form, show what she typed; otherwise what is stored.
  const bool retry = error != nullptr;
  mustache::data langs{mustache::data::type::list};
  for (const Language& l : deps_.catalogs.languages()) {
    std::string value;
    if (retry) {
      value = Str(FormValue(ctx.form, "name_" + l.code));
    } else {
      for (const OrganisationName& n : *names) {
        if (n.organisation_id == *id && n.lang == l.code) value = n.name;
      }
    }
    mustache::data item;
    item.set("code", l.code);
    item.set("tag", Replace(l.code, "_", "-"));
    item.set("language", l.native_name);
    item.set("value", value);
    item.set("rtl", l.rtl);
    langs.push_back(item);
  }
  mustache::data d;
  d.set("id", std::to_string(*id));
  d.set("slug", org->slug);
  d.set("name", retry ? Str(FormValue(ctx.form, "name")) : org->name);
  d.set("languages", langs);
  d.set("added", ctx.req.Query("added").has_value());
  d.set("saved", ctx.req.Query("saved").has_value());
  return RenderForm(ctx, "staff_organisation", d, Audience::kStaff, error);
}

Response AdminPages::OrganisationRenamePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "organisation id");
  ctx.audit_record = "organisation:" + std::to_string(*id);
  const FormPage form = [&](const Error& e) { return OrganisationPage(ctx, &e); };
  std::vector<OrganisationName> names;
  for (const Language& l : deps_.catalogs.languages()) {
    names.push_back(OrganisationName{*id, l.code,
                                     std::string(Trim(Str(FormValue(ctx.form, "name_" + l.code))))});
  }
  const std::string name(Trim(Str(FormValue(ctx.form, "name"))));
  if (Status s = deps_.staff.RenameOrganisation(*ctx.staff, *id, name, names); !s) {
    return FormOrError(ctx, s.error(), form);
  }
  return Redirect("/staff/organisations/" + std::to_string(*id) + "?saved=1");
}

}  // namespace vd
