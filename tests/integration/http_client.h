#pragma once
// A deliberately simple HTTP/1.1 client for integration tests: one connection per request,
// raw bytes on a loopback socket, a cookie jar, and helpers to pull values out of pages.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vd::testing {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& lower_name) const;
  std::vector<std::string> Headers(const std::string& lower_name) const;
};

class Client {
 public:
  explicit Client(uint16_t port) : port_(port) {}

  HttpResult Get(const std::string& target);
  HttpResult Post(const std::string& target, const std::vector<std::pair<std::string, std::string>>& form);
  HttpResult PostRaw(const std::string& target, const std::string& body,
                     const std::string& content_type = "application/x-www-form-urlencoded");
  // Sends raw bytes and returns whatever comes back (status 0 if nothing parseable).
  HttpResult Raw(const std::string& bytes);

  // Headers added to every request (e.g. Accept-Language, a forged X-Forwarded-For).
  std::map<std::string, std::string> extra_headers;
  std::map<std::string, std::string> cookies;
  // The csrf value of the last page that had a form.
  std::string csrf;
  // If set, the local address to connect from (any 127.x.y.z on Linux loopback): a distinct
  // client address as the server sees it, e.g. for a throttle bucket of its own.
  std::string source_address;

 private:
  HttpResult Send(const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type);
  uint16_t port_;
};

std::string UrlEncode(const std::string& s);
// The first capture of `pattern` (ECMAScript regex) in `text`, or "".
std::string Extract(const std::string& text, const std::string& pattern);

}  // namespace vd::testing
