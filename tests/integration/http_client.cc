#include "integration/http_client.h"

#include <boost/asio.hpp>
#include <regex>

namespace vd::testing {

namespace asio = boost::asio;

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::vector<std::string> HttpResult::Headers(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string Extract(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(pattern)) && m.size() > 1) return m[1];
  return {};
}

HttpResult Client::Raw(const std::string& bytes) {
  HttpResult r;
  asio::io_context io;
  asio::ip::tcp::socket sock(io);
  boost::system::error_code ec;
  if (!source_address.empty()) {
    sock.open(asio::ip::tcp::v4(), ec);
    if (!ec) sock.bind({asio::ip::make_address(source_address), 0}, ec);
    if (ec) return r;
  }
  sock.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  if (ec) return r;
  asio::write(sock, asio::buffer(bytes), ec);
  std::string data;
  char buf[8192];
  for (;;) {
    size_t n = sock.read_some(asio::buffer(buf), ec);
    data.append(buf, n);
    if (ec) break;
    // Stop once a full response with Content-Length has arrived.
    size_t head_end = data.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::string head = data.substr(0, head_end);
      std::smatch m;
      if (std::regex_search(head, m, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)"))) {
        if (data.size() >= head_end + 4 + std::stoul(m[1])) break;
      }
    }
  }
  size_t head_end = data.find("\r\n\r\n");
  if (data.size() < 12 || head_end == std::string::npos) return r;
  r.status = std::atoi(data.substr(9, 3).c_str());
  size_t pos = data.find("\r\n") + 2;
  while (pos < head_end) {
    size_t eol = data.find("\r\n", pos);
    std::string line = data.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers.emplace_back(name, v == std::string::npos ? "" : line.substr(v));
    }
    pos = eol + 2;
  }
  r.body = data.substr(head_end + 4);
  return r;
}

HttpResult Client::Send(const std::string& method, const std::string& target,
                        const std::string& body, const std::string& content_type) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : extra_headers) req += k + ": " + v + "\r\n";
  if (!cookies.empty()) {
    req += "Cookie: ";
    bool first = true;
    for (const auto& [k, v] : cookies) {
      if (!first) req += "; ";
      req += k + "=" + v;
      first = false;
    }
    req += "\r\n";
  }
  if (method == "POST") {
    req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  HttpResult r = Raw(req);
  for (const std::string& set : r.Headers("set-cookie")) {
    const size_t eq = set.find('=');
    const size_t semi = set.find(';');
    const std::string name = set.substr(0, eq);
    const std::string value = set.substr(eq + 1, semi == std::string::npos ? std::string::npos : semi - eq - 1);
    if (set.find("Max-Age=0") != std::string::npos || value.empty()) {
      cookies.erase(name);
    } else {
      cookies[name] = value;
    }
  }
  std::string token = Extract(r.body, "name=\"csrf\" value=\"([^\"]+)\"");
  if (!token.empty()) csrf = token;
  return r;
}

HttpResult Client::Get(const std::string& target) { return Send("GET", target, "", ""); }

HttpResult Client::Post(const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& form) {
  std::string body;
  for (const auto& [k, v] : form) {
    if (!body.empty()) body += '&';
    body += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return Send("POST", target, body, "application/x-www-form-urlencoded");
}

HttpResult Client::PostRaw(const std::string& target, const std::string& body,
                           const std::string& content_type) {
  return Send("POST", target, body, content_type);
}

}  // namespace vd::testing
