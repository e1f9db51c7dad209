#pragma once
// Translation catalogs (gettext .mo files compiled from locales/*.po at build time) and
// locale negotiation. Loaded once at start-up; afterwards every method is const and
// thread-safe. Any number of catalogs is taken: each <dir>/<code>/LC_MESSAGES/vertrouwd.mo
// is one language; the catalog itself supplies the language's native name.

#include <map>
#include <memory>
#include <locale>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vd {

struct Language {
  std::string code;         // catalog folder name: "nl", "en", "pt_BR", "zh_CN"
  std::string native_name;  // in its own script: "Nederlands", "ไทย"
  bool rtl = false;
};

class Catalogs {
 public:
  // Fails if `dir` has no catalog or `default_language` is not among them.
  static Result<std::unique_ptr<Catalogs>> Load(const std::string& dir,
                                                const std::string& default_language);

  const std::vector<Language>& languages() const { return languages_; }
  const std::string& default_language() const { return default_language_; }
  bool Has(std::string_view code) const;

  // msgid -> translation in `code` (falls back to the msgid when untranslated).
  std::string Translate(std::string_view code, std::string_view msgid) const;
  std::string TranslatePlural(std::string_view code, std::string_view singular,
                              std::string_view plural, long n) const;

  // Picks the best available language for an Accept-Language header value, honouring
  // q-values; matches the full tag first ("pt-BR" -> "pt_BR"), then the primary subtag.
  // Falls back to the default language.
  std::string Negotiate(std::string_view accept_language) const;
  // The catalog code for a user-supplied code ("pt-br" -> "pt_BR"), or "" if none matches.
  std::string Canonical(std::string_view code) const;

 private:
  Catalogs() = default;
  std::vector<Language> languages_;
  std::map<std::string, std::locale, std::less<>> locales_;
  std::string default_language_;
};

}  // namespace vd
