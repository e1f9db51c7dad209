#pragma once
// What every group of handlers shares: the app's services (WebDeps), the site settings,
// the page renderer and the session cookies; and small parsing helpers for path ids and
// form values. A handler parses, calls one domain function, renders or maps the error.
// Not for use outside src/web.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/app.h"
#include "web/renderer.h"
#include "web/route.h"
#include "web/sessions.h"

namespace vd {

struct WebParts {
  const WebDeps& deps;
  const SiteConfig& config;
  PageRenderer& page;
  WebSessions& sessions;
};

// A positive decimal id from a path segment; nullopt for anything else.
std::optional<int64_t> ParseId(const std::string& s);
// A form field's value ("" when absent), and every value of a repeated field.
std::string Str(std::optional<std::string_view> v);
std::vector<std::string> Strs(const FormFields& form, std::string_view name);
// Picks up indicator list versions another server saved; a failure is logged, and the page
// goes on with the versions it has.
void RefreshIndicators(IndicatorLists& lists);
// A conversation's messages for a template: text, time, and `worker_key` set on the
// worker's own (the worker's page says "mine", the advisor's "worker").
mustache::data MessageItems(const std::vector<PlainMessage>& messages, const char* worker_key);

// The base of each role's handler group: short names for the renderer's calls.
class PageGroup {
 protected:
  explicit PageGroup(const WebParts& parts)
      : deps_(parts.deps), config_(parts.config), page_(parts.page), sessions_(parts.sessions) {}

  std::string T(const Ctx& ctx, std::string_view msgid) const { return page_.T(ctx, msgid); }
  Response Render(Ctx& ctx, std::string_view name, mustache::data d, Audience audience,
                  unsigned status = 200) {
    return page_.Render(ctx, name, std::move(d), audience, status);
  }
  Response RenderForm(Ctx& ctx, std::string_view name, mustache::data d, Audience audience,
                      const Error* error) {
    return page_.RenderForm(ctx, name, std::move(d), audience, error);
  }
  Response ErrorPage(Ctx& ctx, const Error& error) { return page_.ErrorPage(ctx, error); }
  Response FormOrError(Ctx& ctx, const Error& error, const FormPage& form,
                       std::initializer_list<ErrorCode> form_codes = {ErrorCode::kInvalidInput}) {
    return page_.FormOrError(ctx, error, form, form_codes);
  }
  Response Redirect(std::string_view location) const { return page_.Redirect(location); }
  Response NotFound(Ctx& ctx, const char* detail) {
    return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", detail});
  }

  const WebDeps& deps_;
  const SiteConfig& config_;
  PageRenderer& page_;
  WebSessions& sessions_;
};

}  // namespace vd
