// Fuzzes the form-body and Cookie-header parsers with arbitrary bytes: no crash, no
// sanitizer report, and what they return obeys their contracts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "web/http.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  vd::Result<vd::FormFields> form = vd::ParseForm(input);
  if (form) {
    for (const auto& [name, value] : *form) {
      // Decoding never grows the text: each field comes from a slice of the body.
      if (name.size() + value.size() > size) std::abort();
      (void)vd::FormValue(*form, name);
      (void)vd::FormValues(*form, name);
    }
  }
  for (const auto& [name, value] : vd::ParseCookies(input)) {
    if (name.empty() || name.size() + value.size() > size) std::abort();
    // A cookie name never carries the separators that delimit it.
    if (name.find_first_of(";=") != std::string::npos) std::abort();
  }
  vd::Request request;
  request.headers.emplace_back("cookie", std::string(input));
  (void)vd::RequestCookie(request, "vd_s");
  return 0;
}
