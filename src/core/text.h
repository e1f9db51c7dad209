#pragma once
// Small text helpers used across modules. Pure functions, thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vd {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

// True if `s` contains a control character other than tab, CR and LF (NUL included).
bool HasForbiddenControl(std::string_view s);

// Removes leading and trailing ASCII whitespace.
std::string_view Trim(std::string_view s);

// Normalises line endings to "\n".
std::string NormalizeNewlines(std::string_view s);

// Number of Unicode code points in valid UTF-8.
size_t CodePointCount(std::string_view s);

std::vector<std::string_view> Split(std::string_view s, char sep);

// Parses a decimal int64 with no sign, spaces or leading "+"; nullopt on anything else.
std::optional<int64_t> ParseInt(std::string_view s);

}  // namespace vd
