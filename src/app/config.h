#pragma once
// Configuration: defaults, then a TOML file, then environment variables, then flags
// (applied by the caller). Loading is done once at start-up; the result is plain data.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/crypto.h"
#include "notify/mail.h"
#include "web/app.h"
#include "web/http.h"

namespace vd {

struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string metrics_listen = "127.0.0.1:9102";  // /metrics and /healthz; "" disables
  int io_threads = 1;
  int worker_threads = 4;
  // Per client address (docs/operations.md, "Limits"): open connections (per TCP peer; the
  // trusted proxy is exempt) and requests in flight (behind the proxy: per forwarded address).
  int connections_per_address = 32;
  int requests_per_address = 8;
  std::string data_dir = "./data";
  std::string database;  // empty: sqlite:<data_dir>/vertrouwd.db
  PwhashParams pwhash;   // production defaults: libsodium "moderate" Argon2id
  // [crypto] pepper_file: the pepper (app/pepper.h). A relative path is taken from the folder
  // of the configuration file, or, without one, from data_dir.
  std::string pepper_file = "pepper.key";
  std::string config_dir;  // the configuration file's folder (ApplyTomlFile); "" without one
  int argon2_concurrency = 2;   // also the hashing lane's threads
  int argon2_queue = 32;        // requests waiting for the hashing lane, in all
  int argon2_queue_per_address = 2;
  int retention_days = 90;
  std::string default_language = "nl";
  std::string locale_dir;
  SiteConfig site;
  std::string log_level = "info";
  // [mail] (issue 17): the SMTP server for staff notifications; empty smtp_url = no mail.
  // The password is read from mail_password_file (relative: from the configuration's folder)
  // when mail is sent, never kept in the configuration file itself.
  MailServer mail;
  std::string mail_password_file;

  std::string DatabaseUrl() const;
  std::string PepperPath() const;
  // `mail` with the password read from mail_password_file (a file readable by its owner
  // only, one line). kInvalidInput names the file, never its content.
  Result<MailServer> MailWithPassword() const;
};

// Defaults, with resource folders pointing at the build or install tree.
Config DefaultConfig();
// Applies a TOML file over `config`. Unknown keys are an error (typos must not pass silently).
Status ApplyTomlFile(const std::string& path, Config& config);
Status ApplyTomlText(std::string_view text, Config& config);
// Applies VERTROUWD_LISTEN, VERTROUWD_DATA, VERTROUWD_DATABASE, VERTROUWD_LOG_LEVEL.
Status ApplyEnvironment(Config& config);
// A privacy budget written as a decimal ("2", "0.5"): an exact fraction, 0 < ε <= 10.
std::optional<report::Fraction> ParseEpsilon(std::string_view text);
// "host:port" or "[v6]:port" into HttpOptions.
Status ApplyListen(const std::string& listen, HttpOptions& options);

}  // namespace vd
