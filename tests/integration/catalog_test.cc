// Every string the service shows must exist, non-empty, in every catalog, with the same
// {{placeholders}} as its source. A new catalog dropped into locales/ is checked too.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "store/contact_fields.h"

namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Unquote(const std::string& line) {
  const size_t a = line.find('"');
  const size_t b = line.rfind('"');
  std::string out;
  for (size_t i = a + 1; i < b; ++i) {
    if (line[i] == '\\' && i + 1 < b) {
      ++i;
      out += line[i] == 'n' ? '\n' : line[i];
    } else {
      out += line[i];
    }
  }
  return out;
}

struct Entry {
  std::string plural;
  std::vector<std::string> translations;
};

// A small .po reader: msgid, msgid_plural, msgstr and msgstr[n] with continuation lines.
std::map<std::string, Entry> ReadPo(const fs::path& path) {
  std::map<std::string, Entry> out;
  std::istringstream in(ReadAll(path));
  std::string line, id, plural, *target = nullptr;
  std::vector<std::string> strs;
  auto flush = [&] {
    if (!id.empty()) out[id] = {plural, strs};
    id.clear();
    plural.clear();
    strs.clear();
  };
  while (std::getline(in, line)) {
    if (line.starts_with("msgid_plural ")) {
      plural = Unquote(line);
      target = &plural;
    } else if (line.starts_with("msgid ")) {
      flush();
      id = Unquote(line);
      target = &id;
    } else if (line.starts_with("msgstr")) {
      strs.push_back(Unquote(line));
      target = &strs.back();
    } else if (line.starts_with("\"") && target) {
      *target += Unquote(line);
    }
  }
  flush();
  return out;
}

std::set<std::string> Placeholders(const std::string& s) {
  std::set<std::string> out;
  static const std::regex re("\\{\\{[^}]+\\}\\}");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

// Every msgid the code and templates use. Staff pages (templates named staff_*) exist in
// Dutch and English only, so with kWorkerOnly their strings are left out.
enum class Scope { kAll, kWorkerOnly };
std::set<std::string> UsedMessageIds(Scope scope) {
  std::set<std::string> ids;
  const fs::path root = VD_SOURCE_DIR;
  static const std::regex t_section("\\{\\{#t\\}\\}([\\s\\S]*?)\\{\\{/t\\}\\}");
  for (const auto& e : fs::directory_iterator(root / "templates")) {
    if (scope == Scope::kWorkerOnly && e.path().filename().string().starts_with("staff_")) continue;
    const std::string text = ReadAll(e.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), t_section);
         it != std::sregex_iterator(); ++it) {
      ids.insert((*it)[1]);
    }
  }
  static const std::regex key("\"((?:error|role|inbox|answer|language)\\.[a-z_0-9]+)\"");
  for (const auto& e : fs::recursive_directory_iterator(root / "src")) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || name.ends_with("_test.cc")) continue;
    const std::string text = ReadAll(e.path());
    for (auto it = std::sregex_iterator(text.begin(), text.end(), key); it != std::sregex_iterator(); ++it) {
      ids.insert((*it)[1]);
    }
    static const std::regex literal("T\\(ctx, \"([^\"]+)\"\\)");
    if (scope == Scope::kAll) {
      for (auto it = std::sregex_iterator(text.begin(), text.end(), literal); it != std::sregex_iterator(); ++it) {
        ids.insert((*it)[1]);
      }
    }
  }
  // The contact record's fields name their label and codes in their definition; staff see
  // them (the form, the record page, the reports).
  if (scope == Scope::kAll) {
    for (const vd::ContactField& f : vd::kContactFields) {
      ids.emplace(f.label);
      for (std::string_view code : f.codes) ids.insert(std::string(f.prefix) + std::string(code));
    }
  }
  return ids;
}

TEST(CatalogTest, EveryCatalogTranslatesEveryStringWithTheSamePlaceholders) {
  const std::set<std::string> all = UsedMessageIds(Scope::kAll);
  const std::set<std::string> worker = UsedMessageIds(Scope::kWorkerOnly);
  ASSERT_GT(worker.size(), 50u);
  int catalogs = 0;
  for (const auto& e : fs::directory_iterator(fs::path(VD_SOURCE_DIR) / "locales")) {
    if (e.path().extension() != ".po") continue;
    ++catalogs;
    const std::string code = e.path().stem().string();
    const std::set<std::string>& used = (code == "nl" || code == "en") ? all : worker;
    const auto po = ReadPo(e.path());
    const std::string header = po.count("") ? "" : ReadAll(e.path());
    EXPECT_NE(header.find("Last-Translator:"), std::string::npos) << code;
    EXPECT_NE(header.find("X-Native-Review:"), std::string::npos) << code;
    EXPECT_NE(header.find("Plural-Forms:"), std::string::npos) << code;
    for (const std::string& id : used) {
      auto it = po.find(id);
      if (it == po.end()) {
        ADD_FAILURE() << code << ": missing translation for \"" << id << "\"";
        continue;
      }
      for (const std::string& tr : it->second.translations) {
        EXPECT_FALSE(tr.empty()) << code << ": empty translation for \"" << id << "\"";
        EXPECT_EQ(Placeholders(tr), Placeholders(id)) << code << ": placeholders differ in \"" << id << "\"";
      }
    }
    for (const auto& [id, entry] : po) {
      if (entry.plural.empty()) continue;
      for (const std::string& tr : entry.translations) {
        EXPECT_FALSE(tr.empty()) << code << ": empty plural form for \"" << id << "\"";
        EXPECT_EQ(Placeholders(tr), Placeholders(id)) << code << ": plural placeholders \"" << id << "\"";
      }
    }
  }
  EXPECT_GE(catalogs, 2);
}

// Lower case for ASCII and Cyrillic (U+0400..U+042F, U+0490) in UTF-8; other bytes unchanged.
std::string Lower(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c - 'A' + 'a');
    } else if (i + 1 < out.size() && (c == 0xD0 || c == 0xD2)) {
      const unsigned char d = static_cast<unsigned char>(out[i + 1]);
      if (c == 0xD0 && d >= 0x80 && d <= 0x8F) {  // Ѐ..Џ -> ѐ..џ
        out[i] = static_cast<char>(0xD1);
        out[i + 1] = static_cast<char>(d + 0x10);
      } else if (c == 0xD0 && d >= 0x90 && d <= 0x9F) {  // А..П -> а..п
        out[i + 1] = static_cast<char>(d + 0x20);
      } else if (c == 0xD0 && d >= 0xA0 && d <= 0xAF) {  // Р..Я -> р..я
        out[i] = static_cast<char>(0xD1);
        out[i + 1] = static_cast<char>(d - 0x20);
      } else if (c == 0xD2 && d == 0x90) {  // Ґ -> ґ
        out[i + 1] = static_cast<char>(0x91);
      }
      ++i;
    }
  }
  return out;
}

std::vector<std::string> SplitTrim(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (!part.empty()) out.emplace_back(part);
    start = end + 1;
  }
  return out;
}

bool ContainsAny(const std::string& lowered, const std::vector<std::string>& forms) {
  for (const std::string& f : forms) {
    if (lowered.find(f) != std::string::npos) return true;
  }
  return false;
}

TEST(CatalogTest, LowerCoversLatinAndCyrillicCapitals) {
  EXPECT_EQ(Lower("Osoba ЗАУФАНИЯ Довереният Ґ Ї Є ЁЖ"), "osoba зауфания довереният ґ ї є ёж");
  EXPECT_EQ(Lower("ที่ปรึกษา 保密顾问"), "ที่ปรึกษา 保密顾问");
}

// One service, one word: every help page uses the catalog's word for the (confidential)
// advisor, per data/help/terms.txt; a page or catalog that drifts to another word fails.
TEST(CatalogTest, HelpPagesUseTheCatalogsWordForTheAdvisor) {
  const fs::path root = VD_SOURCE_DIR;
  std::set<std::string> checked;
  std::istringstream terms(ReadAll(root / "data" / "help" / "terms.txt"));
  std::string line;
  while (std::getline(terms, line)) {
    if (line.empty() || line.starts_with("#")) continue;
    const std::vector<std::string> fields = SplitTrim(line, '|');
    ASSERT_EQ(fields.size(), 4u) << line;
    const std::string& lang = fields[0];
    std::vector<std::string> full = SplitTrim(fields[1], ';');
    std::vector<std::string> any = full;
    for (std::string& f : SplitTrim(fields[2], ';')) any.push_back(std::move(f));
    const std::vector<std::string> avoid = SplitTrim(fields[3], ';');
    ASSERT_FALSE(full.empty()) << lang;
    for (const std::string& f : any) EXPECT_EQ(Lower(f), f) << lang << ": write forms in lower case";
    checked.insert(lang);

    const auto po = ReadPo(root / "locales" / (lang + ".po"));
    auto translation = [&](const std::string& id) -> std::string {
      auto it = po.find(id);
      return it == po.end() || it->second.translations.empty() ? "" : it->second.translations[0];
    };
    for (const char* id : {"What is a confidential advisor?", "Talk to a confidential advisor",
                           "An independent confidential advisor", "Advisor"}) {
      const std::string tr = Lower(translation(id));
      ASSERT_FALSE(tr.empty()) << lang << ": no translation of \"" << id << "\"";
      EXPECT_TRUE(ContainsAny(tr, std::string_view(id) == "Advisor" ? any : full))
          << lang << ".po: \"" << id << "\" -> \"" << tr << "\" lacks the term in terms.txt";
      for (const std::string& a : avoid) {
        EXPECT_EQ(tr.find(a), std::string::npos) << lang << ".po uses \"" << a << "\" in " << id;
      }
    }

    int pages = 0;
    for (const auto& e : fs::directory_iterator(root / "data" / "help" / lang)) {
      if (e.path().extension() != ".md") continue;
      ++pages;
      const std::string page = e.path().filename().string();
      const std::string text = Lower(ReadAll(e.path()));
      EXPECT_TRUE(ContainsAny(text, page == "advisor.md" ? full : any))
          << lang << "/" << page << " does not use the catalog's word for the advisor";
      for (const std::string& a : avoid) {
        EXPECT_EQ(text.find(a), std::string::npos)
            << lang << "/" << page << " uses \"" << a << "\" instead of the catalog's word";
      }
    }
    EXPECT_GE(pages, 9) << lang;
  }
  // Every catalog has a line: a new language cannot skip the check.
  for (const auto& e : fs::directory_iterator(root / "locales")) {
    if (e.path().extension() != ".po") continue;
    EXPECT_TRUE(checked.contains(e.path().stem().string()))
        << e.path().stem().string() << " has no line in data/help/terms.txt";
  }
  EXPECT_EQ(checked.size(), 12u);
}

}  // namespace
