#include "web/markdown.h"

#include <cmark.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace vd {

bool IsSafeLinkTarget(std::string_view url) {
  for (char c : url) {
    if (c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  auto starts_with_ci = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (size_t i = 0; i < prefix.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != prefix[i]) return false;
    }
    return true;
  };
  if (starts_with_ci("https://") || starts_with_ci("http://")) return url.size() > 8;
  if (starts_with_ci("tel:")) {
    // A phone number only: digits, spaces, + - ( ), at least one digit, nothing else.
    std::string_view number = url.substr(4);
    bool digit = false;
    for (char c : number) {
      if (c >= '0' && c <= '9') {
        digit = true;
      } else if (c != ' ' && c != '+' && c != '-' && c != '(' && c != ')') {
        return false;
      }
    }
    return digit && number.size() <= 40;
  }
  if (url.starts_with("#")) return true;
  return url.starts_with("/") && !url.starts_with("//");
}

namespace {

// Moves a node's children in front of it and removes the node itself.
void Unwrap(cmark_node* node) {
  while (cmark_node* child = cmark_node_first_child(node)) cmark_node_insert_before(node, child);
  cmark_node_free(node);
}

}  // namespace

std::string RenderMarkdown(std::string_view markdown) {
  std::unique_ptr<cmark_node, decltype(&cmark_node_free)> doc(
      cmark_parse_document(markdown.data(), markdown.size(), CMARK_OPT_DEFAULT), &cmark_node_free);
  if (!doc) return "";
  // Collect first, change afterwards: the iterator must not see a tree being rearranged.
  std::vector<cmark_node*> drop, unwrap;
  cmark_iter* it = cmark_iter_new(doc.get());
  for (cmark_event_type ev; (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE;) {
    if (ev != CMARK_EVENT_ENTER) continue;
    cmark_node* node = cmark_iter_get_node(it);
    switch (cmark_node_get_type(node)) {
      case CMARK_NODE_HTML_BLOCK:
      case CMARK_NODE_HTML_INLINE:
        drop.push_back(node);
        break;
      case CMARK_NODE_IMAGE:
        unwrap.push_back(node);
        break;
      case CMARK_NODE_LINK: {
        const char* url = cmark_node_get_url(node);
        if (!url || !IsSafeLinkTarget(url)) unwrap.push_back(node);
        break;
      }
      default:
        break;
    }
  }
  cmark_iter_free(it);
  for (cmark_node* node : drop) cmark_node_free(node);
  // Innermost first: a node listed later is never an ancestor of one listed earlier.
  for (auto node = unwrap.rbegin(); node != unwrap.rend(); ++node) Unwrap(*node);
  // CMARK_OPT_SAFE as a second guard (cmark 0.29+ is safe unless told CMARK_OPT_UNSAFE).
  char* html = cmark_render_html(doc.get(), CMARK_OPT_SAFE);
  std::string out = html ? html : "";
  std::free(html);
  return out;
}

}  // namespace vd
