#pragma once
// The inbox's page links: which view and which page a request asks for (/staff?view=answered
// &after=1798761600.42), parsed from a query or a form, and the link back to it. A link names
// only a view and a row's place in it (a time and an internal row id), nothing of the
// conversation. Whatever does not parse gives the first page of the view (or of the default
// view), so an edited or stale link never fails.

#include <optional>
#include <string>
#include <string_view>

#include "domain/conversations.h"

namespace vd {

// `view`, `after` and `before` as given; at most one of `after` and `before`.
InboxRequest ParseInboxRequest(std::optional<std::string_view> view,
                               std::optional<std::string_view> after,
                               std::optional<std::string_view> before);

// "<time>.<id>": a row's key as page links and the spam buttons' forms carry it.
std::string InboxKeyText(InboxKey key);

// "/staff?view=...", with "&after=..." or "&before=..." when the request has a key.
std::string InboxUrl(const InboxRequest& request);

}  // namespace vd
