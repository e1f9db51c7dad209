#include "web/renderer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "web/errors.h"

namespace vd {

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

namespace {

// Parsed templates per thread: kainjow's render() is not const, so each worker thread keeps
// its own parsed copy, keyed by the renderer instance and the localized source.
mustache::mustache& Parsed(uint64_t generation, const std::string* source) {
  thread_local std::map<std::pair<uint64_t, const std::string*>, std::unique_ptr<mustache::mustache>> cache;
  auto& slot = cache[{generation, source}];
  if (!slot) slot = std::make_unique<mustache::mustache>(*source);
  return *slot;
}

}  // namespace

Status PageRenderer::Load(const std::string& templates_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(templates_dir, ec)) {
    if (entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return Fail(ErrorCode::kInternal, "error.internal", "cannot read a template");
    std::ostringstream text;
    text << in.rdbuf();
    mustache::mustache check(text.str());
    if (!check.is_valid()) {
      return Fail(ErrorCode::kInternal, "error.internal",
                  "template " + entry.path().filename().string() + ": " + check.error_message());
    }
    templates_[entry.path().stem().string()] = text.str();
  }
  if (ec || !templates_.contains("layout")) {
    return Fail(ErrorCode::kInternal, "error.internal", "templates folder has no layout");
  }
  Localize();
  return {};
}

void PageRenderer::Localize() {
  static std::atomic<uint64_t> generations{0};
  generation_ = ++generations;
  static const std::string open = "{{#t}}", close = "{{/t}}";
  for (const Language& lang : catalogs_.languages()) {
    for (const auto& [name, source] : templates_) {
      std::string out;
      out.reserve(source.size() + 64);
      if (name != "layout") out += "{{#page}}";
      size_t pos = 0;
      while (true) {
        const size_t a = source.find(open, pos);
        const size_t b = a == std::string::npos ? a : source.find(close, a + open.size());
        if (b == std::string::npos) {
          out.append(source, pos, std::string::npos);
          break;
        }
        out.append(source, pos, a - pos);
        out += catalogs_.Translate(lang.code, source.substr(a + open.size(), b - a - open.size()));
        pos = b + close.size();
      }
      if (name != "layout") out += "{{/page}}";
      localized_[lang.code + "/" + name] = std::move(out);
    }
  }
  // The language picker's items depend only on the current language: rendered once here
  // (escaped by mustache) and inserted unescaped with {{{language_items}}}.
  mustache::mustache items_tmpl(
      "{{#languages}}<li><a href=\"/?lang={{code}}\" lang=\"{{tag}}\" hreflang=\"{{tag}}\""
      "{{#current}} aria-current=\"true\"{{/current}}>{{name}}</a></li>\n{{/languages}}");
  language_items_.clear();
  {
    std::unique_lock lock(pure_mu_);
    pure_pages_.clear();
  }
  for (const Language& current : catalogs_.languages()) {
    mustache::data list{mustache::data::type::list};
    for (const Language& l : catalogs_.languages()) {
      mustache::data item;
      item["code"] = l.code;
      item["name"] = l.native_name;
      item["tag"] = Replace(l.code, "_", "-");
      item["current"] = mustache::data(l.code == current.code);
      list.push_back(item);
    }
    mustache::data d;
    d["languages"] = std::move(list);
    language_items_[current.code] = items_tmpl.render(d);
  }
}

const std::string* PageRenderer::LocalizedSource(const std::string& lang, std::string_view name) const {
  auto it = localized_.find(lang + "/" + std::string(name));
  if (it == localized_.end()) it = localized_.find(catalogs_.default_language() + "/" + std::string(name));
  return it == localized_.end() ? nullptr : &it->second;
}

mustache::data PageRenderer::Base(const Ctx& ctx, Audience audience) const {
  // Built in place and moved, never copied: kainjow copies a data tree deeply, and these
  // copies were most of the landing page's cost.
  mustache::data d;
  const std::string& lang = ctx.lang;
  d["lang"] = Replace(lang, "_", "-");
  d["csrf"] = ctx.csrf;
  d["exit_url"] = exit_url_;
  d["staff"] = mustache::data(audience == Audience::kStaff);
  d["request_id"] = ctx.req.request_id;
  if (auto it = language_items_.find(lang); it != language_items_.end()) {
    d["language_items"] = it->second;
  }
  for (const Language& l : catalogs_.languages()) {
    if (l.code == lang) d["rtl"] = mustache::data(l.rtl);
  }
  return d;
}

Response PageRenderer::Render(Ctx& ctx, std::string_view name, mustache::data data,
                              Audience audience, unsigned status) {
  const std::string* page = LocalizedSource(ctx.lang, name);
  const std::string* layout = LocalizedSource(ctx.lang, "layout");
  Response res;
  res.status = status;
  if (!page || !layout) {
    spdlog::error("req {} missing template {}", ctx.req.request_id, name);
    res.status = 500;
    res.body = "Internal error. Reference: " + ctx.req.request_id;
    res.Set("Content-Type", "text/plain; charset=utf-8");
    return res;
  }
  // The page template runs inside a {{#page}} section, so it sees its own fields first and
  // the base fields (csrf, language_items...) behind them. Moved in, not copied.
  mustache::data merged = Base(ctx, audience);
  merged["page"] = std::move(data);
  std::string body = Parsed(generation_, page).render(merged);
  merged["content"] = std::move(body);
  merged["title"] = audience == Audience::kStaff ? std::string("vertrouwd") : neutral_title_;
  res.body = Parsed(generation_, layout).render(merged);
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response PageRenderer::RenderForm(Ctx& ctx, std::string_view name, mustache::data data,
                                  Audience audience, const Error* error) {
  if (!error) return Render(ctx, name, std::move(data), audience);
  if (!data.get("error")) data.set("error", T(ctx, error->user_message));
  return Render(ctx, name, std::move(data), audience, HttpStatusFor(error->code));
}

std::optional<Response> PageRenderer::CachedPure(std::string_view lang, std::string_view name) {
  const std::string key = std::string(lang) + "/" + std::string(name);
  Response res;
  {
    std::shared_lock lock(pure_mu_);
    auto it = pure_pages_.find(key);
    if (it == pure_pages_.end()) return std::nullopt;
    res.body = it->second;
  }
  res.Set("Content-Type", "text/html; charset=utf-8");
  return res;
}

Response PageRenderer::RenderPure(Ctx& ctx, std::string_view name) {
  if (std::optional<Response> cached = CachedPure(ctx.lang, name)) return std::move(*cached);
  const std::string key = ctx.lang + "/" + std::string(name);
  // Rendered without the request's CSRF token and id, so nothing of this request can end
  // up in another's page (a template that needs them must not use RenderPure).
  Request blank = ctx.req;
  blank.request_id.clear();
  Ctx pure(blank);
  pure.lang = ctx.lang;
  Response res = Render(pure, name, mustache::data{}, Audience::kWorker);
  if (res.status == 200) {
    std::unique_lock lock(pure_mu_);
    pure_pages_.try_emplace(key, res.body);
  }
  return res;
}

Response PageRenderer::ErrorPage(Ctx& ctx, const Error& error) {
  const unsigned status = HttpStatusFor(error.code);
  if (status >= 500) {
    spdlog::error("req {} {}: {}", ctx.req.request_id, ErrorCodeName(error.code), error.detail);
  }
  mustache::data d;
  std::string message = error.user_message.empty() ? "error.internal" : error.user_message;
  // A 5xx page says only "try again" or "our fault": an unavailable store names which
  // (unreachable, full) with a message of its own, never the detail.
  if (status >= 500 && error.code != ErrorCode::kUnavailable) message = "error.internal";
  if (error.code == ErrorCode::kUnavailable && !error.user_message.starts_with("error.")) {
    message = "error.busy";
  }
  d.set("message", T(ctx, message));
  d.set("status", std::to_string(status));
  const bool staff_page = ctx.req.path.starts_with("/staff");
  d.set("back", staff_page ? "/staff" : "/");
  Response res = Render(ctx, "error", d, staff_page ? Audience::kStaff : Audience::kWorker, status);
  if (error.code == ErrorCode::kTooManyRequests || error.code == ErrorCode::kBusy ||
      error.code == ErrorCode::kUnavailable) {
    res.Set("Retry-After", "60");
  }
  return res;
}

Response PageRenderer::FormOrError(Ctx& ctx, const Error& error, const FormPage& form,
                                   std::initializer_list<ErrorCode> form_codes) {
  if (std::ranges::find(form_codes, error.code) != form_codes.end()) return form(error);
  return ErrorPage(ctx, error);
}

Response PageRenderer::Redirect(std::string_view location) const {
  Response res;
  res.status = 303;
  res.Set("Location", location);
  res.Set("Content-Type", "text/plain; charset=utf-8");
  return res;
}

}  // namespace vd
