#pragma once
// Mail to staff (issue 17): composing a plain-text message and sending it through an SMTP
// server with libcurl, STARTTLS required unless the server is on this machine. Nothing here
// knows about workers: callers hand in texts that are content-free by construction, and an
// error never repeats an address (a log line may carry it).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace vd {

struct MailServer {
  std::string url;       // smtp://host[:port] (STARTTLS) or smtps://host[:port] (TLS at once)
  bool starttls = true;  // false only for a server on loopback (a local relay, tests)
  std::string ca_file;   // the CA that signed the server's certificate; "" = the system's
  std::string username;  // "" = no authentication
  std::string password;
  std::string from;      // envelope sender and From header
  int timeout_seconds = 20;

  bool configured() const { return !url.empty(); }
};

struct Mail {
  std::string to;
  std::string subject;  // one line, ASCII
  std::string body;     // UTF-8 text; lines end in \n (sent as CRLF)
};

// A conservative check of an address we may send to: local@domain, printable ASCII without
// spaces, quotes, brackets or backslashes, at most 254 characters, a dot in the domain.
bool IsMailAddress(std::string_view address);

// Whether a MailServer is usable: a smtp:// or smtps:// URL with a host, a valid From, and
// plain SMTP (starttls = false) only towards a loopback host. kInvalidInput says what is wrong.
Status CheckMailServer(const MailServer& server);

// The message as sent: From, To, Subject, Date (at `now`, to the minute), a random
// Message-ID, MIME headers for UTF-8 text, a blank line, the body with CRLF line ends.
// Nothing else. (libcurl escapes a line that starts with "." on the wire.)
std::string ComposeMessage(const Mail& mail, const std::string& from, int64_t now);

// Sends one mail (libcurl SMTP). kUnavailable when the server cannot be reached or refuses;
// kInvalidInput for an address that is not one. The error's detail names neither address.
Status SendMail(const MailServer& server, const Mail& mail, int64_t now);

}  // namespace vd
