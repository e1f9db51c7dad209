#include "web/inbox_links.h"

#include <charconv>

namespace vd {
namespace {

std::optional<int64_t> Number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;  // no overflow, no sign, no spaces
  int64_t out = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || end != s.data() + s.size() || out < 0) return std::nullopt;
  return out;
}

// "<time>.<id>", both decimal.
std::optional<InboxKey> ParseKey(std::string_view s) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::optional<int64_t> at = Number(s.substr(0, dot)), id = Number(s.substr(dot + 1));
  if (!at || !id || *id == 0) return std::nullopt;
  return InboxKey{*at, *id};
}

}  // namespace

InboxRequest ParseInboxRequest(std::optional<std::string_view> view,
                               std::optional<std::string_view> after,
                               std::optional<std::string_view> before) {
  InboxRequest out;
  if (view) out.view = ParseInboxView(*view).value_or(InboxView::kWaiting);
  if (after && before) return out;
  if (after || before) {
    out.from = ParseKey(after ? *after : *before);
    if (out.from && before) out.direction = PageDirection::kBackward;
  }
  return out;
}

std::string InboxKeyText(InboxKey key) {
  return std::to_string(key.at) + "." + std::to_string(key.id);
}

std::string InboxUrl(const InboxRequest& request) {
  std::string url = "/staff?view=" + std::string(InboxViewName(request.view));
  if (request.from) {
    url += request.direction == PageDirection::kForward ? "&after=" : "&before=";
    url += InboxKeyText(*request.from);
  }
  return url;
}

}  // namespace vd
