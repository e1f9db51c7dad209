#include "i18n/i18n.h"

#include <algorithm>
#include <boost/locale.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/text.h"
#include "i18n/mo_check.h"

namespace vd {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "pt-BR" / "pt_br" -> "pt_br" for comparisons.
std::string Key(std::string_view tag) {
  std::string k = Lower(tag);
  std::ranges::replace(k, '-', '_');
  return k;
}

}  // namespace

Result<std::unique_ptr<Catalogs>> Catalogs::Load(const std::string& dir,
                                                 const std::string& default_language) {
  namespace fs = std::filesystem;
  std::unique_ptr<Catalogs> c(new Catalogs());
  std::error_code ec;
  std::vector<std::string> codes;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (fs::exists(entry.path() / "LC_MESSAGES" / "vertrouwd.mo")) {
      codes.push_back(entry.path().filename().string());
    }
  }
  if (ec || codes.empty()) {
    return Fail(ErrorCode::kInternal, "error.internal", "no translation catalogs found");
  }
  std::ranges::sort(codes);
  // Boost.Locale trusts a catalog's offsets; a malformed one is refused before it reads it.
  for (const auto& code : codes) {
    std::ifstream in(fs::path(dir) / code / "LC_MESSAGES" / "vertrouwd.mo", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Fail(ErrorCode::kInternal, "error.internal", "cannot read the catalog for " + code);
    }
    if (Status s = CheckMoFile(bytes); !s) {
      return Fail(ErrorCode::kInternal, "error.internal", "catalog " + code + ": " + s.error().detail);
    }
  }
  boost::locale::generator gen;
  gen.add_messages_path(dir);
  gen.add_messages_domain("vertrouwd");
  try {
    for (const auto& code : codes) {
      std::locale loc = gen(code + ".UTF-8");
      Language lang;
      lang.code = code;
      lang.native_name = boost::locale::translate("language.native_name").str(loc);
      lang.rtl = boost::locale::translate("language.direction").str(loc) == "rtl";
      c->languages_.push_back(std::move(lang));
      c->locales_.emplace(code, std::move(loc));
    }
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInternal, "error.internal",
                std::string("loading translation catalogs failed: ") + e.what());
  }
  if (!c->Has(default_language)) {
    return Fail(ErrorCode::kInternal, "error.internal", "default language has no catalog");
  }
  c->default_language_ = default_language;
  return c;
}

bool Catalogs::Has(std::string_view code) const { return locales_.contains(code); }

std::string Catalogs::Translate(std::string_view code, std::string_view msgid) const {
  auto it = locales_.find(code);
  if (it == locales_.end()) it = locales_.find(default_language_);
  return boost::locale::translate(std::string(msgid)).str(it->second);
}

std::string Catalogs::TranslatePlural(std::string_view code, std::string_view singular,
                                      std::string_view plural, long n) const {
  auto it = locales_.find(code);
  if (it == locales_.end()) it = locales_.find(default_language_);
  return boost::locale::translate(std::string(singular), std::string(plural), n).str(it->second);
}

std::string Catalogs::Canonical(std::string_view code) const {
  const std::string want = Key(code);
  for (const auto& lang : languages_) {
    if (Key(lang.code) == want) return lang.code;
  }
  return {};
}

std::string Catalogs::Negotiate(std::string_view accept_language) const {
  struct Choice {
    std::string tag;
    int q;  // thousandths
    size_t order;
  };
  std::vector<Choice> choices;
  if (accept_language.size() > 512) accept_language = accept_language.substr(0, 512);
  size_t order = 0;
  for (std::string_view part : Split(accept_language, ',')) {
    auto fields = Split(part, ';');
    std::string_view tag = Trim(fields[0]);
    if (tag.empty() || tag == "*") continue;
    int q = 1000;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string_view f = Trim(fields[i]);
      if (f.starts_with("q=")) {
        f.remove_prefix(2);
        // q = 0, 0.x, 0.xy, 0.xyz or 1, 1.0...
        int value = 0;
        if (!f.empty() && f[0] == '1') {
          value = 1000;
        } else if (f.size() >= 2 && f[0] == '0' && f[1] == '.') {
          int scale = 100;
          for (size_t k = 2; k < f.size() && k < 5 && std::isdigit(static_cast<unsigned char>(f[k]));
               ++k, scale /= 10) {
            value += (f[k] - '0') * scale;
          }
        }
        q = value;
      }
    }
    if (q > 0) choices.push_back({std::string(tag), q, order++});
  }
  std::ranges::stable_sort(choices, [](const Choice& a, const Choice& b) { return a.q > b.q; });
  for (const auto& choice : choices) {
    if (std::string exact = Canonical(choice.tag); !exact.empty()) return exact;
    const std::string primary = Key(choice.tag).substr(0, Key(choice.tag).find('_'));
    for (const auto& lang : languages_) {
      const std::string k = Key(lang.code);
      if (k == primary || k.starts_with(primary + "_")) return lang.code;
    }
  }
  return default_language_;
}

}  // namespace vd
