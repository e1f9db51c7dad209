#include "notify/mail.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>

namespace vd {
namespace {

bool IsAddressByte(char c) {
  if (c <= ' ' || c >= 0x7f) return false;
  return std::string_view("\"(),:;<>[\\]").find(c) == std::string_view::npos;
}

// The host of a smtp:// or smtps:// URL ("" if it has none), without port or brackets.
std::string UrlHost(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find('/'));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    return close == std::string_view::npos ? "" : std::string(rest.substr(1, close - 1));
  }
  return std::string(rest.substr(0, rest.find(':')));
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// curl_global_init is not thread-safe; once per process.
void InitCurl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string_view rest;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->rest.size());
  std::copy_n(upload->rest.data(), n, buffer);
  upload->rest.remove_prefix(n);
  return n;
}

std::string RandomHex(size_t bytes) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", static_cast<unsigned>(rng() & 0xff));
    out += two;
  }
  return out;
}

}  // namespace

bool IsMailAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || at > 64) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (domain.find('@') != std::string_view::npos) return false;
  if (!std::all_of(address.begin(), address.end(), IsAddressByte)) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  const size_t dot = domain.find('.');
  if (dot == 0 || dot == std::string_view::npos || domain.back() == '.' ||
      domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(domain.begin(), domain.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

Status CheckMailServer(const MailServer& server) {
  const bool smtp = server.url.starts_with("smtp://");
  const bool smtps = server.url.starts_with("smtps://");
  if (!smtp && !smtps) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "[mail] smtp_url must start with smtp:// (STARTTLS) or smtps://");
  }
  const std::string host = UrlHost(server.url);
  if (host.empty()) return Fail(ErrorCode::kInvalidInput, "error.config", "[mail] smtp_url has no host");
  if (smtp && !server.starttls && !IsLoopback(host)) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "[mail] starttls = false is allowed only for a server on this machine "
                "(127.0.0.0/8, ::1, localhost): mail must not cross a network in the clear");
  }
  if (!IsMailAddress(server.from)) {
    return Fail(ErrorCode::kInvalidInput, "error.config", "[mail] from is not a mail address");
  }
  if (server.timeout_seconds < 1 || server.timeout_seconds > 300) {
    return Fail(ErrorCode::kInvalidInput, "error.config", "[mail] timeout_seconds: 1 to 300");
  }
  return {};
}

std::string ComposeMessage(const Mail& mail, const std::string& from, int64_t now) {
  const std::time_t minute = static_cast<std::time_t>(now - now % 60);
  std::tm utc{};
  gmtime_r(&minute, &utc);
  std::array<char, 64> date{};
  std::strftime(date.data(), date.size(), "%a, %d %b %Y %H:%M:%S +0000", &utc);
  const std::string domain = from.substr(from.find('@') + 1);
  std::string out;
  out += "From: " + from + "\r\n";
  out += "To: " + mail.to + "\r\n";
  out += "Subject: " + mail.subject + "\r\n";
  out += "Date: " + std::string(date.data()) + "\r\n";
  out += "Message-ID: <" + RandomHex(16) + "@" + domain + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=utf-8\r\n";
  out += "Content-Transfer-Encoding: 8bit\r\n";
  out += "\r\n";
  for (char c : mail.body) {
    if (c == '\r') continue;
    if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.ends_with("\r\n")) out += "\r\n";
  return out;
}

Status SendMail(const MailServer& server, const Mail& mail, int64_t now) {
  if (Status s = CheckMailServer(server); !s) return s;
  if (!IsMailAddress(mail.to)) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.mail_address", "recipient is not a mail address");
  }
  const bool subject_ok = std::all_of(mail.subject.begin(), mail.subject.end(),
                                      [](char c) { return c >= ' ' && c < 0x7f; });
  if (!subject_ok) return Fail(ErrorCode::kInternal, "error.internal", "mail subject is not one ASCII line");
  InitCurl();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Fail(ErrorCode::kInternal, "error.internal", "curl_easy_init failed");
  const std::string message = ComposeMessage(mail, server.from, now);
  Upload upload{message};
  const std::string envelope_from = "<" + server.from + ">";
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + mail.to + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_URL, server.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (server.starttls || server.url.starts_with("smtps://")) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!server.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, server.ca_file.c_str());
  if (!server.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, server.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, server.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(server.timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(server.timeout_seconds));
  const CURLcode rc = curl_easy_perform(curl);
  long smtp_code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &smtp_code);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    // curl's text names the failing step (connect, STARTTLS, a refused recipient), never
    // the message or the addresses.
    return Fail(ErrorCode::kUnavailable, "staff_error.mail_failed",
                std::string("smtp: ") + curl_easy_strerror(rc) +
                    (smtp_code ? " (server said " + std::to_string(smtp_code) + ")" : ""));
  }
  return {};
}

}  // namespace vd
