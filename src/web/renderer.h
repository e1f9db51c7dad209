#pragma once
// PageRenderer: the templates (read and checked once at start, each translated per language
// ahead of time), the layout around every page, the error page, and the cache of pages that
// depend on the language only. Thread-safe after Load(); never touches the store. Templates
// escape by default; internal detail of an error never reaches a page.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <kainjow/mustache.hpp>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/error.h"
#include "i18n/i18n.h"
#include "web/http.h"
#include "web/route.h"

namespace vd {

namespace mustache = kainjow::mustache;

std::string Replace(std::string text, std::string_view from, std::string_view to);

// Whom a page is for: worker pages carry the neutral title and the quick exit; staff pages
// are titled "vertrouwd" and show the staff navigation.
enum class Audience { kWorker, kStaff };

// What a form page is re-rendered with after its input was refused.
using FormPage = std::function<Response(const Error&)>;

class PageRenderer {
 public:
  PageRenderer(const Catalogs& catalogs, std::string neutral_title, std::string exit_url)
      : catalogs_(catalogs),
        neutral_title_(std::move(neutral_title)),
        exit_url_(std::move(exit_url)) {}

  // Reads every *.mustache in `templates_dir` (there must be a layout) and translates them.
  Status Load(const std::string& templates_dir);

  std::string T(const Ctx& ctx, std::string_view msgid) const {
    return catalogs_.Translate(ctx.lang, msgid);
  }
  const Catalogs& catalogs() const { return catalogs_; }

  Response Render(Ctx& ctx, std::string_view name, mustache::data data, Audience audience,
                  unsigned status = 200);
  // A form page: with `error`, its message (unless the page set "error" itself) and status.
  Response RenderForm(Ctx& ctx, std::string_view name, mustache::data data, Audience audience,
                      const Error* error);
  // For pages whose HTML depends only on the language and the configuration (no form, no
  // session, no database): rendered once per language and served from memory after that.
  Response RenderPure(Ctx& ctx, std::string_view name);
  // The page for `lang` once RenderPure has rendered it, as its response; else nullopt.
  std::optional<Response> CachedPure(std::string_view lang, std::string_view name);
  Response ErrorPage(Ctx& ctx, const Error& error);
  // The one answer to a refused form: an error whose code is in `form_codes` (the input was
  // refused) re-renders the form with its message; any other error is the error page.
  Response FormOrError(Ctx& ctx, const Error& error, const FormPage& form,
                       std::initializer_list<ErrorCode> form_codes = {ErrorCode::kInvalidInput});
  Response Redirect(std::string_view location) const;

 private:
  void Localize();
  const std::string* LocalizedSource(const std::string& lang, std::string_view name) const;
  mustache::data Base(const Ctx& ctx, Audience audience) const;

  const Catalogs& catalogs_;
  const std::string neutral_title_;
  const std::string exit_url_;
  std::map<std::string, std::string, std::less<>> templates_;
  // Each template with its {{#t}}msgid{{/t}} sections already translated, per language
  // ("nl/start"); page templates are wrapped in {{#page}}. Built once at start, so a request
  // renders pre-parsed templates instead of translating and re-parsing every section.
  std::map<std::string, std::string, std::less<>> localized_;
  // The language picker's <li> items per current language, rendered at Localize().
  std::map<std::string, std::string, std::less<>> language_items_;
  uint64_t generation_ = 0;  // tells this instance's parsed templates apart in thread caches
  std::shared_mutex pure_mu_;
  std::map<std::string, std::string, std::less<>> pure_pages_;  // "lang/name" -> HTML
};

}  // namespace vd
