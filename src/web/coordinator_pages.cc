#include "web/coordinator_pages.h"

#include <spdlog/spdlog.h>

#include "core/text.h"
#include "web/markdown.h"

namespace vd {
namespace {

DirectoryEntry ParseDirectoryEntry(const FormFields& form) {
  DirectoryEntry e;
  e.slug = Str(FormValue(form, "slug"));
  e.name = Str(FormValue(form, "name"));
  e.services = Strs(form, "service");
  e.languages = Strs(form, "language");
  e.contact = Str(FormValue(form, "contact"));
  e.opening_hours = Str(FormValue(form, "hours"));
  return e;
}

// The change the indicator form asks for; kInvalidInput for an unknown action.
Result<IndicatorChange> ParseIndicatorChange(const FormFields& form, const Catalogs& catalogs) {
  IndicatorChange change;
  const std::string action = Str(FormValue(form, "action"));
  Indicator& i = change.indicator;
  i.code = Str(FormValue(form, "code"));
  auto texts = [&](std::map<std::string, std::string>& out, const char* field) {
    for (const Language& l : catalogs.languages()) {
      std::string v = Str(FormValue(form, std::string(field) + "_" + l.code));
      if (!v.empty()) out[l.code] = std::move(v);
    }
  };
  texts(i.name, "name");
  texts(i.explain, "explain");
  if (action == "add") {
    change.kind = IndicatorChange::Kind::kAdd;
    i.category = Str(FormValue(form, "category"));
    for (const std::string& n : Strs(form, "ilo")) i.ilo.push_back(ParseId(n).value_or(0));
    i.dutch = Strs(form, "dutch");
    i.htcds = Strs(form, "htcds");
  } else if (action == "retire") {
    change.kind = IndicatorChange::Kind::kRetire;
  } else if (action == "reword") {
    change.kind = IndicatorChange::Kind::kReword;
  } else {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "indicator action");
  }
  return change;
}

}  // namespace

void CoordinatorPages::Register(Router& router) {
  using R = Role;
  const auto coordinator = Access::Staff({R::kCoordinator});
  const auto casework = Access::Staff({R::kAdvisor, R::kCoordinator});
  router.Get("/staff/directory", casework, [this](Ctx& c) { return DirectoryPage(c); });
  router.Post("/staff/directory", coordinator, [this](Ctx& c) { return DirectoryPost(c); });
  router.Post("/staff/directory/{id}/active", coordinator,
              [this](Ctx& c) { return DirectoryActivePost(c); });
  router.Get("/staff/indicators", casework, [this](Ctx& c) { return IndicatorsPage(c); });
  router.Post("/staff/indicators", coordinator, [this](Ctx& c) { return IndicatorsPost(c); });
  router.Get("/staff/help", coordinator, [this](Ctx& c) { return HelpIndex(c); });
  router.Get("/staff/help/{lang}/{slug}", coordinator, [this](Ctx& c) { return HelpEdit(c); });
  router.Post("/staff/help/{lang}/{slug}", coordinator, [this](Ctx& c) { return HelpSave(c); });
}

Response CoordinatorPages::DirectoryPage(Ctx& ctx, const Error* error) {
  Result<std::vector<DirectoryEntry>> list = deps_.contacts.Directory(Contacts::Entries::kAll);
  if (!list) return ErrorPage(ctx, list.error());
  mustache::data rows{mustache::data::type::list};
  for (const DirectoryEntry& e : *list) {
    mustache::data row;
    row.set("name", e.name);
    std::string services, languages;
    for (const std::string& s : e.services) services += (services.empty() ? "" : ", ") + T(ctx, "c.service." + s);
    for (const std::string& l : e.languages) languages += (languages.empty() ? "" : ", ") + T(ctx, "c.language." + l);
    row.set("services", services);
    row.set("languages", languages);
    row.set("contact", e.contact);
    row.set("hours", e.opening_hours);
    row.set("active", e.active);
    row.set("id", std::to_string(e.id));
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("coordinator", ctx.staff->user.role == Role::kCoordinator);
  auto options = [&](const std::vector<std::string>& codes, const char* prefix) {
    mustache::data l{mustache::data::type::list};
    for (const std::string& c : codes) {
      if (c == "unknown" || c == "other") continue;
      mustache::data item;
      item.set("code", c);
      item.set("label", T(ctx, std::string(prefix) + c));
      l.push_back(item);
    }
    return l;
  };
  d.set("services", options(ContactCodes::Services(), "c.service."));
  d.set("languages", options(ContactCodes::Languages(), "c.language."));
  return RenderForm(ctx, "staff_directory", d, Audience::kStaff, error);
}

Response CoordinatorPages::DirectoryPost(Ctx& ctx) {
  Result<int64_t> id = deps_.contacts.AddDirectoryEntry(*ctx.staff, ParseDirectoryEntry(ctx.form));
  if (!id) return FormOrError(ctx, id.error(), [&](const Error& e) { return DirectoryPage(ctx, &e); });
  ctx.audit_record = "directory:" + std::to_string(*id);
  return Redirect("/staff/directory");
}

Response CoordinatorPages::DirectoryActivePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "directory id");
  const bool active = FormValue(ctx.form, "active").value_or("") == "1";
  if (Status s = deps_.contacts.SetDirectoryEntryActive(*id, active); !s) return ErrorPage(ctx, s.error());
  ctx.audit_record = "directory:" + std::to_string(*id);
  return Redirect("/staff/directory");
}

Response CoordinatorPages::IndicatorsPage(Ctx& ctx, const Error* error) {
  if (!error) RefreshIndicators(deps_.indicators);
  const IndicatorList* list = deps_.indicators.catalog().Current();
  const bool coordinator = ctx.staff->user.role == Role::kCoordinator;
  mustache::data groups{mustache::data::type::list};
  mustache::data live_codes{mustache::data::type::list}, all_codes{mustache::data::type::list};
  mustache::data categories{mustache::data::type::list};
  if (list) {
    for (const IndicatorCategory& cat : list->categories) {
      mustache::data items{mustache::data::type::list};
      for (const Indicator& i : list->indicators) {
        if (i.category != cat.code) continue;
        mustache::data item;
        item.set("code", i.code);
        item.set("name", deps_.indicators.catalog().Name(list->version, i.code, ctx.lang));
        item.set("explain", deps_.indicators.catalog().Explain(list->version, i.code, ctx.lang));
        std::string ilo, htcds;
        for (int64_t n : i.ilo) ilo += (ilo.empty() ? "" : ", ") + std::to_string(n);
        for (const std::string& h : i.htcds) htcds += (htcds.empty() ? "" : ", ") + h;
        for (const std::string& h : i.dutch) htcds += (htcds.empty() ? "" : ", ") + ("nl:" + h);
        item.set("ilo", ilo);
        item.set("other", htcds);
        item.set("retired", i.retired);
        // Languages without their own text show the English one; say which.
        std::string missing;
        for (const Language& l : deps_.catalogs.languages()) {
          if (l.code == "en" || (i.name.contains(l.code) && i.explain.contains(l.code))) continue;
          missing += (missing.empty() ? "" : ", ") + l.code;
        }
        item.set("missing", missing);
        items.push_back(item);
        mustache::data option;
        option.set("code", i.code);
        option.set("label", i.code + " · " + deps_.indicators.catalog().Name(list->version, i.code, ctx.lang));
        all_codes.push_back(option);
        if (!i.retired) live_codes.push_back(option);
      }
      mustache::data g;
      g.set("name", deps_.indicators.catalog().CategoryName(list->version, cat.code, ctx.lang));
      g.set("items", items);
      groups.push_back(g);
      mustache::data c;
      c.set("code", cat.code);
      c.set("label", deps_.indicators.catalog().CategoryName(list->version, cat.code, ctx.lang));
      categories.push_back(c);
    }
  }
  mustache::data d;
  d.set("version", std::to_string(list ? list->version : 0));
  d.set("next_version", std::to_string(list ? list->version + 1 : 1));
  d.set("groups", groups);
  d.set("coordinator", coordinator);
  if (coordinator) {
    d.set("categories", categories);
    d.set("live_codes", live_codes);
    d.set("all_codes", all_codes);
    AddMappingOptions(ctx, d);
  }
  if (error) {
    std::string message = T(ctx, error->user_message);
    const std::string code = Str(FormValue(ctx.form, "code"));
    if (!code.empty() && code.size() <= 60) message += " (" + code + ")";
    d.set("error", message);
  }
  return RenderForm(ctx, "staff_indicators", d, Audience::kStaff, error);
}

void CoordinatorPages::AddMappingOptions(Ctx& ctx, mustache::data& d) {
  mustache::data ilo{mustache::data::type::list}, dutch{mustache::data::type::list},
      htcds{mustache::data::type::list};
  for (int64_t n : IndicatorMappings::Ilo()) {
    mustache::data o;
    o.set("code", std::to_string(n));
    o.set("label", std::to_string(n) + " · " + T(ctx, "ilo." + std::to_string(n)));
    ilo.push_back(o);
  }
  for (const std::string& g : IndicatorMappings::Dutch()) {
    mustache::data o;
    o.set("code", g);
    o.set("label", T(ctx, "dutch." + g));
    dutch.push_back(o);
  }
  for (const std::string& h : IndicatorMappings::Htcds()) {
    mustache::data o;
    o.set("code", h);
    o.set("label", h);
    htcds.push_back(o);
  }
  d.set("ilo", ilo);
  d.set("dutch", dutch);
  d.set("htcds", htcds);
  mustache::data others{mustache::data::type::list};
  for (const Language& l : deps_.catalogs.languages()) {
    if (l.code == "nl" || l.code == "en") continue;
    mustache::data o;
    o.set("code", l.code);
    o.set("label", l.native_name);
    others.push_back(o);
  }
  d.set("other_languages", others);
}

Response CoordinatorPages::IndicatorsPost(Ctx& ctx) {
  RefreshIndicators(deps_.indicators);
  if (!deps_.indicators.catalog().Current()) {
    return ErrorPage(ctx, Error{ErrorCode::kInternal, "error.internal", "no list"});
  }
  const FormPage form = [&](const Error& e) { return IndicatorsPage(ctx, &e); };
  Result<IndicatorChange> change = ParseIndicatorChange(ctx.form, deps_.catalogs);
  if (!change) return FormOrError(ctx, change.error(), form);
  Result<IndicatorList> next = deps_.indicators.Apply(ctx.staff->user.id, *change);
  if (!next) return FormOrError(ctx, next.error(), form, {ErrorCode::kInvalidInput, ErrorCode::kConflict});
  ctx.audit_record = "indicators:v" + std::to_string(next->version) + ":" + Str(FormValue(ctx.form, "action"));
  return Redirect("/staff/indicators");
}

Response CoordinatorPages::HelpIndex(Ctx& ctx) {
  Result<std::vector<HelpPage>> all = deps_.help.All();
  if (!all) return ErrorPage(ctx, all.error());
  mustache::data rows{mustache::data::type::list};
  for (const Language& l : deps_.catalogs.languages()) {
    mustache::data row;
    row.set("language", l.native_name);
    row.set("tag", Replace(l.code, "_", "-"));
    mustache::data cells{mustache::data::type::list};
    for (std::string_view slug : kHelpSlugs) {
      mustache::data cell;
      cell.set("href", "/staff/help/" + l.code + "/" + std::string(slug));
      cell.set("slug", std::string(slug));
      bool present = false, edited = false;
      for (const HelpPage& p : *all) {
        if (p.language == l.code && p.slug == slug) {
          present = true;
          edited = p.updated_by.has_value();
        }
      }
      cell.set("missing", !present);
      cell.set("edited", edited);
      cells.push_back(cell);
    }
    row.set("cells", cells);
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  mustache::data slugs{mustache::data::type::list};
  for (std::string_view slug : kHelpSlugs) slugs.push_back(mustache::data(std::string(slug)));
  d.set("slugs", slugs);
  return Render(ctx, "staff_help", d, Audience::kStaff);
}

Response CoordinatorPages::HelpEdit(Ctx& ctx, const Error* error) {
  const std::string& lang = ctx.params["lang"];
  const std::string& slug = ctx.params["slug"];
  if (!deps_.catalogs.Has(lang) || !IsHelpSlug(slug)) {
    return NotFound(ctx, "help page");
  }
  mustache::data d;
  d.set("page_lang", lang);
  d.set("tag", Replace(lang, "_", "-"));
  d.set("slug", slug);
  for (const Language& l : deps_.catalogs.languages()) {
    if (l.code == lang) d.set("language", l.native_name);
  }
  std::string markdown;
  if (ctx.req.method == "POST") {
    markdown = std::string(FormValue(ctx.form, "markdown").value_or(""));
  } else if (Result<HelpPage> page = deps_.help.FindExact(lang, slug); page) {
    markdown = page->markdown;
    d.set("edited", page->updated_by.has_value());
    d.set("updated", FormatDateTime(page->updated_at));
  } else if (page.error().code != ErrorCode::kNotFound) {
    return ErrorPage(ctx, page.error());
  }
  d.set("markdown", markdown);
  d.set("preview", RenderMarkdown(markdown));
  d.set("saved", ctx.req.Query("saved").has_value());
  if (error && error->code == ErrorCode::kTooLarge) d.set("error", T(ctx, "The page is too long."));
  if (error && error->detail == "help page empty" && error->code == ErrorCode::kInvalidInput) {
    d.set("error", T(ctx, "The page cannot be empty."));
  }
  return RenderForm(ctx, "staff_help_edit", d, Audience::kStaff, error);
}

Response CoordinatorPages::HelpSave(Ctx& ctx) {
  const std::string& lang = ctx.params["lang"];
  const std::string& slug = ctx.params["slug"];
  if (!deps_.catalogs.Has(lang) || !IsHelpSlug(slug)) {
    return NotFound(ctx, "help page");
  }
  const std::string_view action = FormValue(ctx.form, "action").value_or("save");
  if (action == "preview") return HelpEdit(ctx);
  if (action != "save") {
    const Error e{ErrorCode::kInvalidInput, "error.bad_form", "help action"};
    return HelpEdit(ctx, &e);
  }
  Status saved = deps_.help.Save(ctx.staff->user.id, lang, slug,
                           FormValue(ctx.form, "markdown").value_or(""));
  if (!saved) {
    return FormOrError(ctx, saved.error(), [&](const Error& e) { return HelpEdit(ctx, &e); },
                       {ErrorCode::kInvalidInput, ErrorCode::kTooLarge});
  }
  spdlog::info("req {} help page saved {}/{}", ctx.req.request_id, lang, slug);
  return Redirect("/staff/help/" + lang + "/" + slug + "?saved=1");
}

}  // namespace vd
