// Every string the service shows must exist, non-empty, in every catalog, with the same
// {{placeholders}} as its source. A new catalog dropped into locales/ is checked too.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

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

}  // namespace
