#include "app/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <toml++/toml.h>

#include "core/text.h"

#ifndef VD_SHARE_DIR
#define VD_SHARE_DIR "/usr/share/vertrouwd"
#endif
#ifndef VD_LOCALE_DIR
#define VD_LOCALE_DIR "/usr/share/vertrouwd/locale"
#endif

namespace vd {

std::string Config::DatabaseUrl() const {
  return database.empty() ? "sqlite:" + data_dir + "/vertrouwd.db" : database;
}

std::string Config::PepperPath() const {
  const std::filesystem::path file(pepper_file);
  if (file.is_absolute()) return file.string();
  return (std::filesystem::path(config_dir.empty() ? data_dir : config_dir) / file).string();
}

Result<MailServer> Config::MailWithPassword() const {
  MailServer server = mail;
  if (mail_password_file.empty()) return server;
  std::filesystem::path file(mail_password_file);
  if (!file.is_absolute()) file = std::filesystem::path(config_dir.empty() ? data_dir : config_dir) / file;
  std::error_code ec;
  const auto perms = std::filesystem::status(file, ec).permissions();
  if (ec) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "[mail] password_file " + file.string() + " cannot be read");
  }
  using std::filesystem::perms;
  if ((perms & (perms::group_all | perms::others_all)) != perms::none) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "[mail] password_file " + file.string() + " is readable by others (chmod 600)");
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "[mail] password_file " + file.string() + " holds no password");
  }
  if (line.back() == '\r') line.pop_back();
  server.password = line;
  return server;
}

Config DefaultConfig() {
  Config c;
  c.site.templates_dir = std::string(VD_SHARE_DIR) + "/templates";
  c.site.static_dir = std::string(VD_SHARE_DIR) + "/static";
  c.site.help_dir = std::string(VD_SHARE_DIR) + "/data/help";
  c.locale_dir = VD_LOCALE_DIR;
  return c;
}

namespace {

Status Bad(std::string what) {
  return Fail(ErrorCode::kInvalidInput, "error.config", "config: " + std::move(what));
}

template <typename T>
Status Read(const toml::table& t, std::string_view key, T& out) {
  const toml::node* n = t.get(key);
  if (!n) return {};
  if constexpr (std::is_same_v<T, std::string>) {
    auto v = n->value<std::string>();
    if (!v) return Bad(std::string(key) + " must be a string");
    out = *v;
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = n->value<bool>();
    if (!v) return Bad(std::string(key) + " must be true or false");
    out = *v;
  } else {
    // Integers only: toml++'s value<int64_t>() converts a float by a plain cast, which is
    // undefined for 1e300 (found by fuzz_config).
    const toml::value<int64_t>* v = n->as_integer();
    if (!v || v->get() < 0 || v->get() > (int64_t{1} << 40)) {
      return Bad(std::string(key) + " must be a number");
    }
    out = static_cast<T>(v->get());
  }
  return {};
}

}  // namespace

std::optional<report::Fraction> ParseEpsilon(std::string_view text) {
  // "2", "0.5", "1.25": up to three decimals, as an exact fraction; 0 < ε <= 10.
  int64_t num = 0, den = 1;
  bool dot = false, digits = false;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      if (dot && den == 1000) return std::nullopt;
      num = num * 10 + (ch - '0');
      if (dot) den *= 10;
      digits = true;
      if (num > 100000) return std::nullopt;
    } else if (ch == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits || num == 0 || num > 10 * den) return std::nullopt;
  return report::Fraction{num, den};
}

namespace {

Status CheckKeys(const toml::table& t, std::string_view section, std::set<std::string_view> known) {
  for (const auto& [k, v] : t) {
    if (!known.contains(k.str())) return Bad("unknown key " + std::string(section) + "." + std::string(k.str()));
  }
  return {};
}

}  // namespace

Status ApplyTomlText(std::string_view text, Config& c) {
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    return Bad("parse error at line " + std::to_string(e.source().begin.line) + ": " +
               std::string(e.description()));
  }
  if (auto s = CheckKeys(root, "", {"server", "storage", "crypto", "site", "log", "report", "mail"}); !s) return s;
  auto section = [&](std::string_view name) -> Result<const toml::table*> {
    const toml::node* n = root.get(name);
    if (!n) return static_cast<const toml::table*>(nullptr);
    if (!n->is_table()) return std::unexpected(Bad(std::string(name) + " must be a table").error());
    return n->as_table();
  };
#define VD_TRY(expr) \
  if (auto _s = (expr); !_s) return _s
  if (auto t = section("server"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "server", {"listen", "metrics_listen", "io_threads", "worker_threads",
                                     "connections_per_address", "requests_per_address"}));
    VD_TRY(Read(**t, "listen", c.listen));
    VD_TRY(Read(**t, "metrics_listen", c.metrics_listen));
    VD_TRY(Read(**t, "io_threads", c.io_threads));
    VD_TRY(Read(**t, "worker_threads", c.worker_threads));
    VD_TRY(Read(**t, "connections_per_address", c.connections_per_address));
    VD_TRY(Read(**t, "requests_per_address", c.requests_per_address));
    if (c.connections_per_address < 0 || c.connections_per_address > 100000 ||
        c.requests_per_address < 0 || c.requests_per_address > 100000) {
      return Bad("connections_per_address and requests_per_address: 0 (no cap) to 100000");
    }
  }
  if (auto t = section("storage"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "storage", {"data_dir", "database"}));
    VD_TRY(Read(**t, "data_dir", c.data_dir));
    VD_TRY(Read(**t, "database", c.database));
  }
  if (auto t = section("crypto"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "crypto",
                     {"argon2_ops", "argon2_mem_mib", "argon2_concurrency", "argon2_queue",
                      "argon2_queue_per_address", "pepper_file"}));
    VD_TRY(Read(**t, "pepper_file", c.pepper_file));
    if (c.pepper_file.empty()) return Bad("pepper_file must name a file");
    int64_t mem_mib = static_cast<int64_t>(c.pwhash.mem_limit >> 20);
    VD_TRY(Read(**t, "argon2_ops", c.pwhash.ops_limit));
    VD_TRY(Read(**t, "argon2_mem_mib", mem_mib));
    VD_TRY(Read(**t, "argon2_concurrency", c.argon2_concurrency));
    VD_TRY(Read(**t, "argon2_queue", c.argon2_queue));
    VD_TRY(Read(**t, "argon2_queue_per_address", c.argon2_queue_per_address));
    if (c.argon2_concurrency < 1 || c.argon2_concurrency > 64 || c.argon2_queue < 1 ||
        c.argon2_queue > 100000 || c.argon2_queue_per_address < 0) {
      return Bad("argon2_concurrency 1-64, argon2_queue 1-100000, argon2_queue_per_address >= 0");
    }
    if (c.pwhash.ops_limit < 1 || mem_mib < 1 || mem_mib > 4096) return Bad("argon2 cost out of range");
    c.pwhash.mem_limit = static_cast<size_t>(mem_mib) << 20;
  }
  if (auto t = section("site"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "site", {"neutral_title", "exit_url", "secure_cookies", "retention_days",
                                   "default_language", "templates_dir", "static_dir", "locale_dir",
                                   "help_dir", "trusted_proxy"}));
    VD_TRY(Read(**t, "trusted_proxy", c.site.trusted_proxy));
    VD_TRY(Read(**t, "neutral_title", c.site.neutral_title));
    VD_TRY(Read(**t, "exit_url", c.site.exit_url));
    VD_TRY(Read(**t, "secure_cookies", c.site.sessions.secure_cookies));
    VD_TRY(Read(**t, "retention_days", c.retention_days));
    VD_TRY(Read(**t, "default_language", c.default_language));
    VD_TRY(Read(**t, "templates_dir", c.site.templates_dir));
    VD_TRY(Read(**t, "static_dir", c.site.static_dir));
    VD_TRY(Read(**t, "help_dir", c.site.help_dir));
    VD_TRY(Read(**t, "locale_dir", c.locale_dir));
    if (c.retention_days < 1 || c.retention_days > 3650) return Bad("retention_days out of range");
    if (!c.site.exit_url.starts_with("https://") && !c.site.exit_url.starts_with("http://")) {
      return Bad("exit_url must be an http(s) URL");
    }
  }
  if (auto t = section("report"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "report", {"city", "epsilon", "method", "periods", "max_records_per_person"}));
    VD_TRY(Read(**t, "city", c.site.report.city));
    std::string epsilon, method = report::MethodCode(c.site.report.method);
    std::string periods = report::PeriodsCode(c.site.report.periods);
    VD_TRY(Read(**t, "epsilon", epsilon));
    VD_TRY(Read(**t, "method", method));
    VD_TRY(Read(**t, "periods", periods));
    VD_TRY(Read(**t, "max_records_per_person", c.site.report.person_cap));
    auto p = report::ParsePeriods(periods);
    if (!p) return Bad("report.periods must be \"year\" or \"quarters\"");
    c.site.report.periods = *p;
    if (c.site.report.person_cap < 1 || c.site.report.person_cap > 10) {
      return Bad("report.max_records_per_person must be 1..10");
    }
    if (!epsilon.empty()) {
      auto cap = ParseEpsilon(epsilon);
      if (!cap) return Bad("report.epsilon must be a number like \"2\" or \"0.5\" (0 < ε <= 10)");
      c.site.report.cap = *cap;
    }
    auto m = report::ParseMethod(method);
    if (!m) return Bad("report.method must be \"laplace\"");
    if (*m == report::Method::kThreshold) {
      return Bad("report.method \"threshold\" is withdrawn: overlapping periods, linked tables "
                 "and the internal views recover suppressed cells; use \"laplace\"");
    }
    c.site.report.method = *m;
    if (c.site.report.city.size() > 100 || HasForbiddenControl(c.site.report.city)) {
      return Bad("report.city is too long or has control characters");
    }
  }
  if (auto t = section("mail"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "mail", {"smtp_url", "starttls", "ca_file", "username", "password_file",
                                   "from", "timeout_seconds"}));
    VD_TRY(Read(**t, "smtp_url", c.mail.url));
    VD_TRY(Read(**t, "starttls", c.mail.starttls));
    VD_TRY(Read(**t, "ca_file", c.mail.ca_file));
    VD_TRY(Read(**t, "username", c.mail.username));
    VD_TRY(Read(**t, "password_file", c.mail_password_file));
    VD_TRY(Read(**t, "from", c.mail.from));
    VD_TRY(Read(**t, "timeout_seconds", c.mail.timeout_seconds));
    if (c.mail.configured()) {
      if (auto s = CheckMailServer(c.mail); !s) return s;
    }
  }
  if (auto t = section("log"); !t) {
    return std::unexpected(t.error());
  } else if (*t) {
    VD_TRY(CheckKeys(**t, "log", {"level"}));
    VD_TRY(Read(**t, "level", c.log_level));
  }
#undef VD_TRY
  return {};
}

Status ApplyTomlFile(const std::string& path, Config& c) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Bad("cannot read " + path);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0 && text.size() < (1 << 20)) text.append(buf, n);
  std::fclose(f);
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  c.config_dir = ec ? "." : absolute.parent_path().string();
  return ApplyTomlText(text, c);
}

Status ApplyEnvironment(Config& c) {
  if (const char* v = std::getenv("VERTROUWD_LISTEN")) c.listen = v;
  if (const char* v = std::getenv("VERTROUWD_METRICS_LISTEN")) c.metrics_listen = v;
  if (const char* v = std::getenv("VERTROUWD_DATA")) c.data_dir = v;
  if (const char* v = std::getenv("VERTROUWD_DATABASE")) c.database = v;
  if (const char* v = std::getenv("VERTROUWD_LOG_LEVEL")) c.log_level = v;
  return {};
}

Status ApplyListen(const std::string& listen, HttpOptions& options) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return Bad("listen must be HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::optional<int64_t> port = ParseInt(std::string_view(listen).substr(colon + 1));
  if (!port || *port > 65535) return Bad("listen port must be 0..65535");
  options.host = host;
  options.port = static_cast<uint16_t>(*port);
  return {};
}

}  // namespace vd
