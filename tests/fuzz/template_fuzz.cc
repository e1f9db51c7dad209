// Renders the real templates (templates/*.mustache, inside layout.mustache as WebApp does)
// with a fuzzed string as the value of every variable and in every section, and checks
// that no '<', '>', '"' or '\'' of a value reaches the page unescaped: the page must hold
// exactly as many of them as the same page rendered with those characters removed from the
// value. The first input byte picks the template. Exempt are the reviewed triple-mustache
// slots, which hold HTML the server made: "content" (the page, already rendered and
// escaped), "qr" (the SVG the server draws), "html" and "preview" (Markdown rendered by
// cmark with raw HTML off), "language_items" (the language picker's <li> items, rendered by
// mustache with escaping from the catalogs' language names at start). A new unescaped slot stops the fuzzer until it is reviewed here.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace mustache = kainjow::mustache;
namespace fs = std::filesystem;

namespace {

struct Template {
  std::string name;
  std::string text;
  std::set<std::string> variables;
  std::set<std::string> sections;
};

const std::set<std::string>& RawSlots() {
  static const std::set<std::string> slots = {"content", "qr", "html", "preview",
                                               "language_items"};
  return slots;
}

std::vector<Template> LoadTemplates() {
  std::vector<Template> out;
  const std::regex tag(R"(\{\{\{?\s*([#^/&]?)\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}?\}\})");
  for (const auto& entry : fs::directory_iterator(fs::path(VD_SOURCE_DIR) / "templates")) {
    if (entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    Template t{entry.path().stem().string(), ss.str(), {}, {}};
    for (std::sregex_iterator it(t.text.begin(), t.text.end(), tag), end; it != end; ++it) {
      const std::string kind = (*it)[1];
      const std::string name = (*it)[2];
      if (name == "t") continue;  // the translation lambda
      const bool raw = kind == "&" || (*it)[0].str().starts_with("{{{");
      if (raw && !RawSlots().contains(name)) {
        std::fprintf(stderr, "template %s: unreviewed unescaped slot %s\n", t.name.c_str(), name.c_str());
        std::abort();
      }
      if (kind == "#" || kind == "^") {
        t.sections.insert(name);
      } else if (kind.empty() || kind == "&") {
        t.variables.insert(name);
      }
    }
    out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end(), [](const Template& a, const Template& b) { return a.name < b.name; });
  return out;
}

// An object where every name is `value`, and (to `depth`) every section a two-item list of
// such objects, so nested sections render too.
mustache::data Hostile(const Template& t, const Template& layout, const std::string& value, int depth) {
  mustache::data d;
  for (const auto* tpl : {&t, &layout}) {
    for (const std::string& v : tpl->variables) {
      if (!RawSlots().contains(v)) d.set(v, value);
    }
  }
  if (depth > 0) {
    for (const auto* tpl : {&t, &layout}) {
      for (const std::string& s : tpl->sections) {
        mustache::data list{mustache::data::type::list};
        list.push_back(Hostile(t, layout, value, depth - 1));
        list.push_back(Hostile(t, layout, value, depth - 1));
        d.set(s, list);
      }
    }
  }
  return d;
}

std::string Render(const Template& page, const Template& layout, const std::string& value) {
  // Depth 1 is enough: a nested section finds its list on the context stack.
  const mustache::data hostile = Hostile(page, layout, value, 1);
  mustache::data base = hostile;
  base.set("t", mustache::lambda{[](const std::string& text) { return text; }});
  mustache::mustache body_tmpl("{{#page}}" + page.text + "{{/page}}");
  mustache::data merged = base;
  merged.set("page", hostile);
  if (!body_tmpl.is_valid()) {
    std::fprintf(stderr, "template %s: %s\n", page.name.c_str(), body_tmpl.error_message().c_str());
    std::abort();
  }
  std::string body = body_tmpl.render(merged);
  merged.set("content", body);
  mustache::mustache layout_tmpl(layout.text);
  std::string html = layout_tmpl.render(merged);
  if (!layout_tmpl.is_valid()) {
    std::fprintf(stderr, "layout: %s\n", layout_tmpl.error_message().c_str());
    std::abort();
  }
  return html;
}

size_t Count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Template> templates = LoadTemplates();
  static const Template* layout = [] {
    for (const Template& t : templates) {
      if (t.name == "layout") return &t;
    }
    std::abort();
  }();
  if (size == 0 || size > 4096) return 0;
  const Template& page = templates[data[0] % templates.size()];
  const std::string value(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string defanged = value;
  std::erase_if(defanged, [](char c) { return c == '<' || c == '>' || c == '"' || c == '\''; });
  const std::string hostile = Render(page, *layout, value);
  const std::string plain = Render(page, *layout, defanged);
  for (char c : {'<', '>', '"', '\''}) {
    if (Count(hostile, c) != Count(plain, c)) {  // a value's markup got through
      std::fprintf(stderr, "template %s: '%c' of a value reached the page unescaped\n%s\n", page.name.c_str(), c,
                   hostile.c_str());
      std::abort();
    }
  }
  return 0;
}
