// Help pages: /help and /help/{slug} for workers (Markdown from the store, rendered safely
// by web/markdown.h), and the coordinators' editor under /staff/help. Pages are edited per
// language without a release; the shipped text is only the first version.

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"
#include "web/app_internal.h"
#include "web/errors.h"
#include "web/markdown.h"

namespace vd {

namespace {

// Help text missing in a worker's language is shown in English rather than not at all.
constexpr char kHelpFallback[] = "en";

}  // namespace

Status WebApp::Impl::LoadOrganisationNames() {
  const std::filesystem::path path = std::filesystem::path(config.help_dir) / "organisations.txt";
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};  // no file: every worker sees the stored names
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
  };
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view l = trim(line);
    if (l.empty() || l.starts_with('#')) continue;
    const size_t a = l.find('|');
    const size_t b = a == std::string_view::npos ? a : l.find('|', a + 1);
    const std::string_view slug = trim(l.substr(0, a));
    const std::string_view lang = b == std::string_view::npos ? "" : trim(l.substr(a + 1, b - a - 1));
    const std::string_view name = b == std::string_view::npos ? "" : trim(l.substr(b + 1));
    if (slug.empty() || lang.empty() || name.empty() || name.size() > 200 ||
        name.find('|') != std::string_view::npos || !IsValidUtf8(name) ||
        deps.catalogs.Canonical(lang) != lang) {
      return Fail(ErrorCode::kInvalidInput, "error.internal",
                  path.string() + ":" + std::to_string(number) +
                      ": expected \"slug | language | name\" with a known language");
    }
    organisation_names[std::string(slug)][std::string(lang)] = std::string(name);
  }
  return {};
}

std::string WebApp::Impl::WorkerOrganisationName(const Ctx& ctx, std::string_view slug,
                                                 const std::string& stored) const {
  auto org = organisation_names.find(slug);
  if (org == organisation_names.end()) return stored;
  auto name = org->second.find(ctx.lang);
  return name == org->second.end() ? stored : name->second;
}

void WebApp::Impl::RegisterHelpRoutes() {
  Get("/help", Access::Public(), [this](Ctx& c) { return Help(c); });
  Get("/help/{slug}", Access::Public(), [this](Ctx& c) { return HelpTopic(c); });
  const auto coordinator = Access::Staff({Role::kCoordinator});
  Get("/staff/help", coordinator, [this](Ctx& c) { return StaffHelpIndex(c); });
  Get("/staff/help/{lang}/{slug}", coordinator, [this](Ctx& c) { return StaffHelpEdit(c); });
  Post("/staff/help/{lang}/{slug}", coordinator, [this](Ctx& c) { return StaffHelpSave(c); });
}

Response WebApp::Impl::Help(Ctx& ctx) {
  Result<std::vector<HelpPage>> pages = help.List(ctx.lang, kHelpFallback);
  if (!pages) return ErrorPage(ctx, pages.error());
  mustache::data list{mustache::data::type::list};
  for (const HelpPage& p : *pages) {
    mustache::data item;
    item.set("slug", p.slug);
    item.set("title", HelpTitle(p.markdown));
    // A page shown from the fallback language says so to the browser and screen readers.
    if (p.language != ctx.lang) item.set("other_lang", Replace(p.language, "_", "-"));
    list.push_back(item);
  }
  mustache::data d;
  d.set("pages", list);
  return Render(ctx, "help", d);
}

Response WebApp::Impl::HelpTopic(Ctx& ctx) {
  const std::string& slug = ctx.params["slug"];
  Result<HelpPage> page = help.Find(ctx.lang, slug, kHelpFallback);
  if (!page) return ErrorPage(ctx, page.error());
  mustache::data d;
  d.set("html", RenderMarkdown(page->markdown));
  if (page->language != ctx.lang) d.set("other_lang", Replace(page->language, "_", "-"));
  if (slug == "organisations") {
    // The referral directory (active entries, with the languages each speaks); while it is
    // empty, the organisations a worker can write to here.
    Result<std::vector<DirectoryEntry>> directory = deps.store.ListDirectory(true);
    if (!directory) return ErrorPage(ctx, directory.error());
    mustache::data list{mustache::data::type::list};
    if (!directory->empty()) {
      for (const DirectoryEntry& e : *directory) {
        mustache::data item;
        item.set("name", e.name);
        std::string spoken;
        for (const std::string& code : e.languages) {
          std::string name = code;
          const std::string canonical = deps.catalogs.Canonical(code);
          for (const Language& l : deps.catalogs.languages()) {
            if (l.code == canonical) name = l.native_name;
          }
          spoken += (spoken.empty() ? "" : ", ") + name;
        }
        if (!spoken.empty()) item.set("languages", spoken);
        if (!e.contact.empty()) item.set("contact", e.contact);
        if (!e.opening_hours.empty()) item.set("hours", e.opening_hours);
        list.push_back(item);
      }
      d.set("directory", list);
      d.set("has_directory", true);
    } else {
      Result<std::vector<Organisation>> orgs = deps.store.ListOrganisations();
      if (!orgs) return ErrorPage(ctx, orgs.error());
      for (const Organisation& o : *orgs) {
        mustache::data item;
        item.set("name", WorkerOrganisationName(ctx, o.slug, o.name));
        item.set("independent", o.slug == "independent");
        list.push_back(item);
      }
      d.set("organisations", list);
      d.set("has_organisations", !orgs->empty());
    }
  }
  return Render(ctx, "help_page", d);
}

Response WebApp::Impl::StaffHelpIndex(Ctx& ctx) {
  Result<std::vector<HelpPage>> all = help.All();
  if (!all) return ErrorPage(ctx, all.error());
  mustache::data rows{mustache::data::type::list};
  for (const Language& l : deps.catalogs.languages()) {
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
  return Render(ctx, "staff_help", d, true);
}

Response WebApp::Impl::StaffHelpEdit(Ctx& ctx, const Error* error) {
  const std::string& lang = ctx.params["lang"];
  const std::string& slug = ctx.params["slug"];
  if (!deps.catalogs.Has(lang) || !IsHelpSlug(slug)) {
    return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "help page"});
  }
  mustache::data d;
  d.set("page_lang", lang);
  d.set("tag", Replace(lang, "_", "-"));
  d.set("slug", slug);
  for (const Language& l : deps.catalogs.languages()) {
    if (l.code == lang) d.set("language", l.native_name);
  }
  std::string markdown;
  if (ctx.req.method == "POST") {
    markdown = std::string(FormValue(ctx.form, "markdown").value_or(""));
  } else if (Result<HelpPage> page = deps.store.FindHelpPage(lang, slug); page) {
    markdown = page->markdown;
    d.set("edited", page->updated_by.has_value());
    d.set("updated", FormatDateTime(page->updated_at));
  } else if (page.error().code != ErrorCode::kNotFound) {
    return ErrorPage(ctx, page.error());
  }
  d.set("markdown", markdown);
  d.set("preview", RenderMarkdown(markdown));
  d.set("saved", ctx.req.Query("saved").has_value());
  unsigned status = 200;
  if (error) {
    switch (error->code) {
      case ErrorCode::kTooLarge: d.set("error", T(ctx, "The page is too long.")); break;
      case ErrorCode::kInvalidInput:
        d.set("error", error->detail == "help page empty" ? T(ctx, "The page cannot be empty.")
                                                         : T(ctx, error->user_message));
        break;
      default: d.set("error", T(ctx, error->user_message)); break;
    }
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_help_edit", d, true, status);
}

Response WebApp::Impl::StaffHelpSave(Ctx& ctx) {
  const std::string& lang = ctx.params["lang"];
  const std::string& slug = ctx.params["slug"];
  if (!deps.catalogs.Has(lang) || !IsHelpSlug(slug)) {
    return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "help page"});
  }
  const std::string_view action = FormValue(ctx.form, "action").value_or("save");
  if (action == "preview") return StaffHelpEdit(ctx);
  if (action != "save") {
    const Error e{ErrorCode::kInvalidInput, "error.bad_form", "help action"};
    return StaffHelpEdit(ctx, &e);
  }
  Status saved = help.Save(ctx.staff->user.id, lang, slug,
                           FormValue(ctx.form, "markdown").value_or(""));
  if (!saved) {
    const ErrorCode c = saved.error().code;
    if (c == ErrorCode::kInvalidInput || c == ErrorCode::kTooLarge) {
      return StaffHelpEdit(ctx, &saved.error());
    }
    return ErrorPage(ctx, saved.error());
  }
  spdlog::info("req {} help page saved {}/{} user_id={}", ctx.req.request_id, lang, slug,
               ctx.staff->user.id);
  return Redirect(ctx, "/staff/help/" + lang + "/" + slug + "?saved=1");
}

}  // namespace vd
