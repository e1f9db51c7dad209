#include "domain/help_pages.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/text.h"

namespace vd {

bool IsHelpSlug(std::string_view slug) {
  return std::ranges::find(kHelpSlugs, slug) != kHelpSlugs.end();
}

std::string HelpTitle(std::string_view markdown) {
  size_t pos = 0;
  while (pos < markdown.size()) {
    size_t end = markdown.find('\n', pos);
    if (end == std::string_view::npos) end = markdown.size();
    std::string_view line = markdown.substr(pos, end - pos);
    if (line.starts_with("# ")) {
      line.remove_prefix(2);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '#')) {
        line.remove_suffix(1);
      }
      return std::string(line);
    }
    pos = end + 1;
  }
  return "";
}

Result<int> HelpPages::LoadShipped(const std::string& dir,
                                   const std::vector<std::string>& languages) {
  namespace fs = std::filesystem;
  std::vector<HelpPage> shipped;
  for (const std::string& language : languages) {
    for (std::string_view slug : kHelpSlugs) {
      const fs::path path = fs::path(dir) / language / (std::string(slug) + ".md");
      std::ifstream in(path, std::ios::binary);
      if (!in) continue;
      std::ostringstream text;
      text << in.rdbuf();
      const std::string markdown = text.str();
      if (markdown.empty() || markdown.size() > kMaxHelpMarkdownBytes || !IsValidUtf8(markdown)) {
        return Fail(ErrorCode::kInternal, "error.internal",
                    "help page " + language + "/" + std::string(slug) + " is empty, too long or not UTF-8");
      }
      shipped.push_back(
          HelpPage{language, std::string(slug), markdown, clock_.Now(), std::nullopt});
    }
  }
  return db_.Write("load shipped help pages", [&](Tx& tx) -> Result<int> {
    int inserted = 0;
    for (const HelpPage& page : shipped) {
      Result<bool> added = db_.help().InsertIfAbsent(tx, page);
      if (!added) return std::unexpected(added.error());
      if (*added) ++inserted;
    }
    return inserted;
  });
}

Result<HelpPage> HelpPages::Find(const std::string& language, std::string_view slug,
                                 const std::string& fallback) {
  if (!IsHelpSlug(slug)) return Fail(ErrorCode::kNotFound, "error.not_found", "help topic");
  return db_.Read("find help page", [&](Tx& tx) -> Result<HelpPage> {
    Result<HelpPage> page = db_.help().Find(tx, language, std::string(slug));
    if (page || page.error().code != ErrorCode::kNotFound || language == fallback) return page;
    return db_.help().Find(tx, fallback, std::string(slug));
  });
}

Result<std::vector<HelpPage>> HelpPages::List(const std::string& language,
                                              const std::string& fallback) {
  return db_.Read("list help pages", [&](Tx& tx) -> Result<std::vector<HelpPage>> {
    Result<std::vector<HelpPage>> own = db_.help().List(tx, language);
    if (!own) return std::unexpected(own.error());
    Result<std::vector<HelpPage>> other =
        language == fallback ? std::vector<HelpPage>{} : db_.help().List(tx, fallback);
    if (!other) return std::unexpected(other.error());
    std::vector<HelpPage> out;
    for (std::string_view slug : kHelpSlugs) {
      auto match = [&](const HelpPage& p) { return p.slug == slug; };
      if (auto it = std::ranges::find_if(*own, match); it != own->end()) {
        out.push_back(*it);
      } else if (auto jt = std::ranges::find_if(*other, match); jt != other->end()) {
        out.push_back(*jt);
      }
    }
    return out;
  });
}

Result<HelpPage> HelpPages::FindExact(const std::string& language, const std::string& slug) {
  return db_.Read("find help page", [&](Tx& tx) { return db_.help().Find(tx, language, slug); });
}

Result<std::vector<HelpPage>> HelpPages::All() {
  return db_.Read("list help pages", [&](Tx& tx) { return db_.help().List(tx, ""); });
}

Status HelpPages::Save(int64_t user_id, const std::string& language, std::string_view slug,
                       std::string_view markdown) {
  if (!IsHelpSlug(slug)) return Fail(ErrorCode::kNotFound, "error.not_found", "help topic");
  if (Trim(markdown).empty()) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "help page empty");
  }
  if (markdown.size() > kMaxHelpMarkdownBytes) {
    return Fail(ErrorCode::kTooLarge, "error.too_large", "help page too long");
  }
  if (!IsValidUtf8(markdown)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_encoding", "help page utf-8");
  }
  // NUL and other control characters: a database may cut the text there (half-stored).
  if (HasForbiddenControl(markdown)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_encoding", "help page control character");
  }
  const HelpPage page{language, std::string(slug), std::string(markdown), clock_.Now(), user_id};
  return db_.Write("save help page", [&](Tx& tx) { return db_.help().Save(tx, page); });
}

}  // namespace vd
