// Request/Response accessors, form bodies and cookies: the parts of web/http.h that need
// no networking (and so no Beast).

#include <algorithm>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "web/http.h"

namespace vd {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 6265 cookie-name is an RFC 2616 token.
bool IsCookieName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// RFC 6265 cookie-octet: no controls, space, DQUOTE, comma, semicolon or backslash.
bool IsCookieValue(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f && c != '"' && c != ',' && c != ';' && c != '\\';
  });
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (EqualsIgnoreCase(name, lower_name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

void Response::Set(std::string_view name, std::string_view value) {
  std::erase_if(headers, [name](const auto& h) { return EqualsIgnoreCase(h.first, name); });
  headers.emplace_back(std::string(name), std::string(value));
}

void Response::Add(std::string_view name, std::string_view value) {
  headers.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> Response::Get(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return std::string_view(value);
  }
  return std::nullopt;
}

Result<FormFields> ParseForm(std::string_view body) {
  FormFields fields;
  if (body.empty()) return fields;
  // parse_query checks every percent-escape, so the throwing params_view constructor below
  // cannot throw. (Boost 1.81 declares, but does not define, the non-throwing constructor
  // from a parsed view.)
  //
  // Boost 1.81's parse_query builds its result from `s.data()` alone, i.e. with strlen
  // (found by fuzz_form: a heap over-read on a view that is not NUL-terminated, and on a
  // sub-view it would parse past the view's end). So it only ever sees a NUL-terminated
  // copy, and the grammar check above any use keeps an embedded NUL from truncating it.
  const std::string owned(body);
  if (owned.find('\0') != std::string::npos || !boost::urls::parse_query(owned)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "form");
  }
  boost::urls::params_view params(owned, boost::urls::encoding_opts(/*space_as_plus=*/true));
  for (const auto& param : params) {
    if (param.key.empty() && !param.has_value) continue;  // "a=1&&b=2" or a trailing '&'
    fields.emplace_back(param.key, param.has_value ? param.value : std::string());
  }
  return fields;
}

std::optional<std::string_view> FormValue(const FormFields& form, std::string_view name) {
  for (const auto& [key, value] : form) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::vector<std::string_view> FormValues(const FormFields& form, std::string_view name) {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : form) {
    if (key == name) values.emplace_back(value);
  }
  return values;
}

std::vector<std::pair<std::string, std::string>> ParseCookies(std::string_view header) {
  std::vector<std::pair<std::string, std::string>> cookies;
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);

    pair = TrimSpaces(pair);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = TrimSpaces(pair.substr(0, eq));
    std::string_view value = TrimSpaces(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (!IsCookieName(name) || !IsCookieValue(value)) continue;
    cookies.emplace_back(std::string(name), std::string(value));
  }
  return cookies;
}

std::optional<std::string> RequestCookie(const Request& request, std::string_view name) {
  for (const auto& [header_name, value] : request.headers) {
    if (!EqualsIgnoreCase(header_name, "cookie")) continue;
    for (auto& [cookie_name, cookie_value] : ParseCookies(value)) {
      if (cookie_name == name) return std::move(cookie_value);
    }
  }
  return std::nullopt;
}

}  // namespace vd
