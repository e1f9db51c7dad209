#pragma once
// Markdown to HTML for pages that staff may edit (help pages), via cmark. Safe by
// construction: raw HTML is dropped, links keep only http(s), site-relative paths and
// fragments (anything else becomes plain text), and images become their alt text. Pure and
// thread-safe.

#include <string>
#include <string_view>

namespace vd {

std::string RenderMarkdown(std::string_view markdown);

// True for the link targets RenderMarkdown keeps: "http://", "https://", "/path" (not "//"),
// "#fragment", and "tel:" followed only by digits, spaces, + - ( ) (at least one digit).
// Backslashes and control characters are never allowed.
bool IsSafeLinkTarget(std::string_view url);

}  // namespace vd
