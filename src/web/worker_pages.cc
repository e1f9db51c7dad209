#include "web/worker_pages.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

#include "core/text.h"
#include "web/errors.h"
#include "web/markdown.h"
#include "web/pipeline.h"

namespace vd {
namespace {

// Help text missing in a worker's language is shown in English rather than not at all.
constexpr char kHelpFallback[] = "en";

constexpr char kClearSiteData[] = "\"cache\", \"cookies\", \"storage\"";

// A conversation that is gone (expired, deleted) says so in the worker's words.
Error Gone(Error e) {
  if (e.code == ErrorCode::kNotFound) e.user_message = "error.conversation_gone";
  return e;
}

}  // namespace

WorkerPages::WorkerPages(const WebParts& parts)
    : PageGroup(parts),
      receipt_throttle_(parts.deps.clock, parts.config.receipt_per_client, parts.config.receipt_global),
      start_throttle_(parts.deps.clock, parts.config.start_per_client, parts.config.start_global) {}

void WorkerPages::Register(Router& router) {
  const Access anyone = Access::Public();
  const Access worker = Access::Worker();
  router.Pure("/", "home", [this](Ctx& c) { return page_.RenderPure(c, "home"); });
  router.Get("/healthz", anyone, [this](Ctx& c) { return Health(c); });
  router.Pure("/language", "language", [this](Ctx& c) { return page_.RenderPure(c, "language"); });
  router.Get("/start", anyone, [this](Ctx& c) { return StartForm(c); });
  // Starting hashes the new receipt; the start throttle bounds it, so it goes first.
  router.Post("/start", anyone, [this](Ctx& c) { return StartPost(c); }, Lane::kHashingFirst);
  router.Get("/open", anyone, [this](Ctx& c) { return OpenForm(c); });
  router.Post("/open", anyone, [this](Ctx& c) { return OpenPost(c); }, Lane::kHashing);
  router.Get("/exit", anyone, [this](Ctx& c) { return Exit(c); });
  router.Get("/c", worker, [this](Ctx& c) { return Conversation(c); });
  router.Post("/c/reply", worker, [this](Ctx& c) { return Reply(c); });
  router.Post("/c/delete", worker, [this](Ctx& c) { return Delete(c); });
  router.Post("/c/close", worker, [this](Ctx& c) { return Close(c); });
  router.Get("/help", anyone, [this](Ctx& c) { return Help(c); });
  router.Get("/help/{slug}", anyone, [this](Ctx& c) { return HelpTopic(c); });
}

Status WorkerPages::Load() {
  const std::filesystem::path path = std::filesystem::path(config_.help_dir) / "organisations.txt";
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
        deps_.catalogs.Canonical(lang) != lang) {
      return Fail(ErrorCode::kInvalidInput, "error.internal",
                  path.string() + ":" + std::to_string(number) +
                      ": expected \"slug | language | name\" with a known language");
    }
    organisation_names_[std::string(slug)][std::string(lang)] = std::string(name);
  }
  return {};
}

WorkerPages::NameLookup WorkerPages::OrganisationNames(const Ctx& ctx) const {
  // Names an admin set in the browser come first; a failed read only costs the translation.
  Result<std::map<std::string, std::string, std::less<>>> set =
      deps_.staff.OrganisationNamesIn(ctx.lang);
  return set ? std::move(*set) : NameLookup{};
}

std::string WorkerPages::OrganisationName(const Ctx& ctx, const NameLookup& set,
                                          std::string_view slug, const std::string& stored) const {
  if (auto named = set.find(slug); named != set.end()) return named->second;
  auto org = organisation_names_.find(slug);
  if (org == organisation_names_.end()) return stored;
  auto name = org->second.find(ctx.lang);
  return name == org->second.end() ? stored : name->second;
}

Response WorkerPages::Health(Ctx& ctx) {
  // Healthy means the database answers; nothing else is revealed.
  Response res;
  res.Set("Content-Type", "text/plain; charset=utf-8");
  const bool ok = deps_.healthy && deps_.healthy();
  res.status = ok ? 200 : 503;
  res.body = ok ? "ok\n" : "unavailable\n";
  return res;
}

Status WorkerPages::StartSession(Ctx& ctx, int64_t conversation_id, const SecretBytes& secret) {
  Result<std::string> token =
      sessions_.Create(SessionKind::kWorker, std::nullopt, conversation_id, 1, secret, SecretBytes());
  if (!token) return std::unexpected(token.error());
  sessions_.Begin(ctx, *token);
  return {};
}

Response WorkerPages::StartForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  Result<std::vector<Organisation>> orgs = deps_.staff.Organisations();
  if (!orgs) return ErrorPage(ctx, orgs.error());
  const std::string chosen(FormValue(ctx.form, "organisation").value_or(""));
  const NameLookup set = OrganisationNames(ctx);
  mustache::data list{mustache::data::type::list};
  for (const Organisation& o : *orgs) {
    if (o.public_key.empty()) continue;  // nobody can read it yet
    mustache::data item;
    item.set("slug", o.slug);
    item.set("name", OrganisationName(ctx, set, o.slug, o.name));
    item.set("independent", o.slug == "independent");
    item.set("checked", chosen.empty() ? o.slug == "independent" : chosen == o.slug);
    list.push_back(item);
  }
  d.set("organisations", list);
  d.set("message", std::string(FormValue(ctx.form, "message").value_or("")));
  auto options = [&](const std::vector<std::string>& codes, std::string_view field,
                     std::string_view prefix) {
    mustache::data l{mustache::data::type::list};
    const std::string_view current = FormValue(ctx.form, field).value_or("");
    for (const std::string& code : codes) {
      mustache::data item;
      item.set("code", code);
      item.set("label", T(ctx, std::string(prefix) + code));
      item.set("selected", current == code);
      l.push_back(item);
    }
    return l;
  };
  d.set("age_bands", options(AgeBandCodes(), "age_band", "age."));
  d.set("work_settings", options(WorkSettingCodes(), "work_setting", "setting."));
  mustache::data langs{mustache::data::type::list};
  for (const Language& l : deps_.catalogs.languages()) {
    mustache::data item;
    item.set("code", l.code);
    item.set("name", l.native_name);
    langs.push_back(item);
  }
  d.set("answer_languages", langs);
  d.set("max_chars", std::to_string(deps_.conversations.policy().max_message_chars));
  return RenderForm(ctx, "start", d, Audience::kWorker, error);
}

namespace {

struct StartInput {
  std::string organisation;
  std::string_view message;
  StartAnswers answers;
};

Result<StartInput> ParseStart(const FormFields& form, const Catalogs& catalogs) {
  StartInput in;
  in.organisation = Str(FormValue(form, "organisation"));
  in.message = FormValue(form, "message").value_or("");
  in.answers.language = Str(FormValue(form, "answer_language"));
  if (!in.answers.language.empty() && in.answers.language != "unsaid" &&
      catalogs.Canonical(in.answers.language).empty()) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "answer language");
  }
  in.answers.age_band = Str(FormValue(form, "age_band"));
  in.answers.work_setting = Str(FormValue(form, "work_setting"));
  if (in.organisation.empty()) {
    return Fail(ErrorCode::kInvalidInput, "error.choose_organisation", "no organisation");
  }
  return in;
}

}  // namespace

Response WorkerPages::StartPost(Ctx& ctx) {
  if (!start_throttle_.Allow(ClientKey(ctx.req, config_.trusted_proxy))) {
    return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many", "start throttled"});
  }
  const FormPage form = [&](const Error& e) { return StartForm(ctx, &e); };
  Result<StartInput> in = ParseStart(ctx.form, deps_.catalogs);
  if (!in) return FormOrError(ctx, in.error(), form);
  Result<StartedConversation> started =
      deps_.conversations.Start(in->organisation, in->message, ctx.lang, in->answers);
  if (!started) return FormOrError(ctx, started.error(), form, {ErrorCode::kInvalidInput, ErrorCode::kTooLarge});
  if (Status s = StartSession(ctx, started->conversation_id, started->secret_key); !s) {
    return ErrorPage(ctx, s.error());
  }
  mustache::data d;
  mustache::data groups{mustache::data::type::list};
  for (size_t i = 0; i < 16; i += 4) groups.push_back(mustache::data(started->receipt.substr(i, 4)));
  d.set("groups", groups);
  d.set("receipt", GroupReceipt(started->receipt));
  d.set("expires", FormatDate(started->expires_at));
  d.set("retention_days", std::to_string(deps_.conversations.policy().retention_days));
  return Render(ctx, "receipt", d, Audience::kWorker);
}

Response WorkerPages::OpenForm(Ctx& ctx, const Error* error) {
  return RenderForm(ctx, "open", mustache::data{}, Audience::kWorker, error);
}

Response WorkerPages::OpenPost(Ctx& ctx) {
  if (!receipt_throttle_.Allow(ClientKey(ctx.req, config_.trusted_proxy))) {
    return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many", "receipt throttled"});
  }
  Result<OpenedConversation> opened =
      deps_.conversations.Open(FormValue(ctx.form, "receipt").value_or(""));
  if (!opened) {
    return FormOrError(ctx, opened.error(), [&](const Error& e) { return OpenForm(ctx, &e); },
                       {ErrorCode::kInvalidInput, ErrorCode::kNotFound});
  }
  // A fresh session id whenever a receipt is accepted.
  if (auto old = RequestCookie(ctx.req, sessions_.cookie_name())) (void)sessions_.End(*old);
  if (Status s = StartSession(ctx, opened->conversation_id, opened->secret_key); !s) {
    return ErrorPage(ctx, s.error());
  }
  return Redirect("/c");
}

Response WorkerPages::Conversation(Ctx& ctx, const Error* error) {
  const int64_t id = *ctx.session->row.conversation_id;
  Result<ConversationView> view = deps_.conversations.ReadAsWorker(id, ctx.session->secret);
  if (!view) return ErrorPage(ctx, Gone(view.error()));
  mustache::data d;
  d.set("messages", MessageItems(view->messages, "mine"));
  d.set("organisation", OrganisationName(ctx, OrganisationNames(ctx), view->organisation_slug,
                                        view->organisation_name));
  d.set("expires", FormatDate(view->meta.expires_at));
  d.set("answered", view->meta.status == ConversationStatus::kAnswered);
  d.set("max_chars", std::to_string(deps_.conversations.policy().max_message_chars));
  if (error) d.set("draft", std::string(FormValue(ctx.form, "message").value_or("")));
  return RenderForm(ctx, "conversation", d, Audience::kWorker, error);
}

Response WorkerPages::Reply(Ctx& ctx) {
  const int64_t id = *ctx.session->row.conversation_id;
  Status s = deps_.conversations.WorkerReply(id, FormValue(ctx.form, "message").value_or(""));
  if (!s) {
    return FormOrError(ctx, Gone(s.error()), [&](const Error& e) { return Conversation(ctx, &e); },
                       {ErrorCode::kInvalidInput, ErrorCode::kTooLarge});
  }
  return Redirect("/c");
}

Response WorkerPages::Delete(Ctx& ctx) {
  if (FormValue(ctx.form, "confirm").value_or("") != "yes") {
    Error e{ErrorCode::kInvalidInput, "error.confirm_delete", "delete not confirmed"};
    return Conversation(ctx, &e);
  }
  Status s = deps_.conversations.Delete(*ctx.session->row.conversation_id);
  if (!s && s.error().code != ErrorCode::kNotFound) return ErrorPage(ctx, s.error());
  (void)sessions_.End(ctx.session->token);  // usually gone already with the conversation
  sessions_.Forget(ctx);
  Response res = Render(ctx, "deleted", mustache::data{}, Audience::kWorker);
  res.Set("Clear-Site-Data", kClearSiteData);
  return res;
}

Response WorkerPages::Close(Ctx& ctx) {
  // Closed means closed on the server too: a copy of the cookie opens nothing afterwards. If
  // the session could not be ended she is told so (the browser drops its cookie either way)
  // rather than shown a page that says closed.
  Status ended = sessions_.End(ctx.session->token);
  sessions_.Forget(ctx);
  if (!ended) return ErrorPage(ctx, ended.error());
  Response res = Render(ctx, "closed", mustache::data{}, Audience::kWorker);
  res.Set("Clear-Site-Data", kClearSiteData);
  return res;
}

Response WorkerPages::Exit(Ctx& ctx) {
  // A plain link that works without JavaScript. The session ends on the server too, so a
  // copy of the cookie (another tab, a browser that keeps cookies) opens nothing afterwards;
  // the browser drops the cookies. (A link from elsewhere can only log her out.)
  if (auto token = RequestCookie(ctx.req, sessions_.cookie_name())) (void)sessions_.End(*token);
  sessions_.Forget(ctx);
  ctx.cookies.push_back(sessions_.ClearCookieHeader("vd_lang"));
  ctx.cookies.push_back(sessions_.ClearCookieHeader("vd_a"));
  Response res = Redirect(config_.exit_url);
  res.Set("Clear-Site-Data", kClearSiteData);
  return res;
}

Response WorkerPages::Help(Ctx& ctx) {
  Result<std::vector<HelpPage>> pages = deps_.help.List(ctx.lang, kHelpFallback);
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
  return Render(ctx, "help", d, Audience::kWorker);
}

Response WorkerPages::HelpTopic(Ctx& ctx) {
  const std::string& slug = ctx.params["slug"];
  Result<HelpPage> page = deps_.help.Find(ctx.lang, slug, kHelpFallback);
  if (!page) return ErrorPage(ctx, page.error());
  mustache::data d;
  d.set("html", RenderMarkdown(page->markdown));
  if (page->language != ctx.lang) d.set("other_lang", Replace(page->language, "_", "-"));
  if (slug == "organisations") {
    if (Status s = AddOrganisations(ctx, d); !s) return ErrorPage(ctx, s.error());
  }
  return Render(ctx, "help_page", d, Audience::kWorker);
}

Status WorkerPages::AddOrganisations(const Ctx& ctx, mustache::data& d) {
  // Active directory entries, with the languages each speaks.
  Result<std::vector<DirectoryEntry>> directory = deps_.contacts.Directory(Contacts::Entries::kActive);
  if (!directory) return std::unexpected(directory.error());
  mustache::data list{mustache::data::type::list};
  if (!directory->empty()) {
    for (const DirectoryEntry& e : *directory) {
      mustache::data item;
      item.set("name", e.name);
      std::string spoken;
      for (const std::string& code : e.languages) {
        std::string name = code;
        const std::string canonical = deps_.catalogs.Canonical(code);
        for (const Language& l : deps_.catalogs.languages()) {
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
    return {};
  }
  Result<std::vector<Organisation>> orgs = deps_.staff.Organisations();
  if (!orgs) return std::unexpected(orgs.error());
  const NameLookup set = OrganisationNames(ctx);
  for (const Organisation& o : *orgs) {
    mustache::data item;
    item.set("name", OrganisationName(ctx, set, o.slug, o.name));
    item.set("independent", o.slug == "independent");
    list.push_back(item);
  }
  d.set("organisations", list);
  d.set("has_organisations", !orgs->empty());
  return {};
}

}  // namespace vd
