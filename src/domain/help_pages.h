#pragma once
// HelpPages: the help pages workers read, one Markdown page per language and topic. The
// shipped text (data/help/<language>/<slug>.md) is loaded into the store at start-up where a
// page is absent, so a coordinator's edit in the browser survives restarts and releases.
// Thread-safe (the database is); each operation is one transaction. Markdown is rendered elsewhere
// (web/markdown.h), never here.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/database.h"
#include "store/help_store.h"

namespace vd {

// The topics, in the order the help index shows them. Pages can be edited, not added:
// a new topic is a code change (it needs a place in every language).
inline constexpr std::array<std::string_view, 9> kHelpSlugs = {
    "advisor", "rights", "health", "safety", "money", "housing", "leaving", "exploitation",
    "organisations"};
inline constexpr size_t kMaxHelpMarkdownBytes = 32 * 1024;

bool IsHelpSlug(std::string_view slug);
// The text of the first "# " heading, or "" if there is none.
std::string HelpTitle(std::string_view markdown);

class HelpPages {
 public:
  HelpPages(Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Reads <dir>/<language>/<slug>.md for every language and topic and stores those the store
  // does not have yet, all in one transaction after every file was read. Missing files are
  // skipped; returns how many pages were inserted.
  Result<int> LoadShipped(const std::string& dir, const std::vector<std::string>& languages);

  // The page in `language`, else in `fallback`; kNotFound for an unknown topic.
  Result<HelpPage> Find(const std::string& language, std::string_view slug,
                        const std::string& fallback);
  // One page per topic in kHelpSlugs order, each from `language` or else `fallback`.
  Result<std::vector<HelpPage>> List(const std::string& language, const std::string& fallback);
  // The stored page in exactly `language` (no fallback); kNotFound if there is none.
  Result<HelpPage> FindExact(const std::string& language, const std::string& slug);
  // Every stored page of every language.
  Result<std::vector<HelpPage>> All();

  // Saves a coordinator's edit. kInvalidInput for an unknown topic, empty or invalid UTF-8
  // text, or text over kMaxHelpMarkdownBytes. The language is checked by the caller.
  Status Save(int64_t user_id, const std::string& language, std::string_view slug,
              std::string_view markdown);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace vd
