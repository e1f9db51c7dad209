// vertrouwd: the command line. Subcommands: serve, demo, init, pepper, user add, migrate,
// backup, restore, seed, report, totp, version. Configuration: defaults < TOML file (--config or
// VERTROUWD_CONFIG) < environment < flags.

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sodium.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "app/config.h"
#include "app/pepper.h"
#include "app/output_file.h"
#include "app/report_domain.h"
#include "app/runtime.h"
#include "app/seed.h"
#include "domain/audit.h"
#include "crypto/totp.h"
#include "store/backup.h"

#ifndef VD_VERSION
#define VD_VERSION "0.0.0"
#endif

namespace vd {
namespace {

// Who ran a command: the operating-system account (and, under sudo, the person's own), for
// the audit log. Only names that look like login names are kept.
std::string OperatorName() {
  auto plain = [](std::string_view n) {
    return !n.empty() && n.size() <= 32 && std::ranges::all_of(n, [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-' || c == '.';
    });
  };
  const passwd* pw = getpwuid(geteuid());
  std::string name = pw && plain(pw->pw_name) ? pw->pw_name : "uid" + std::to_string(geteuid());
  const char* sudo = std::getenv("SUDO_USER");
  if (sudo && plain(sudo)) name += std::string(" sudo:") + sudo;
  return "os:" + name;
}

// An administrative act on the command line goes into the audit log like its browser
// counterpart (user 0: no staff account; the record names the object and the OS account).
// A failure to record is reported; the act itself has been done.
void AuditCli(Runtime& rt, std::string_view action, const std::string& object) {
  const std::string record = (object.empty() ? "" : object + " ") + OperatorName();
  if (Status s = rt.audit().Record(0, action, record); !s) {
    std::fprintf(stderr, "vertrouwd: warning: the audit log did not record %.*s: %s\n",
                 static_cast<int>(action.size()), action.data(), s.error().detail.c_str());
  }
}

// One line of standard input; when it is a terminal, with echo off and the prompt on stderr.
std::string ReadSecretLine(const char* prompt) {
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
    std::fprintf(stderr, "%s", prompt);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::fprintf(stderr, "\n");
  }
  return line;
}

int Die(const Error& e);

// `vertrouwd notify test --to ADDRESS`: one mail that says nothing about anyone.
int SendTestMail(const Config& config, const std::string& to) {
  if (!config.mail.configured()) {
    return Die(Error{ErrorCode::kInvalidInput, "error.config",
                     "no mail server: set [mail] smtp_url and from in the configuration"});
  }
  if (!IsMailAddress(to)) {
    return Die(Error{ErrorCode::kInvalidInput, "error.config", "--to is not a mail address"});
  }
  Result<MailServer> server = config.MailWithPassword();
  if (!server) return Die(server.error());
  const Mail mail{to, "vertrouwd: test",
                  "This is a test message from vertrouwd.\n"
                  "It shows that mail to staff arrives. It says nothing about anyone.\n"};
  if (Status s = SendMail(*server, mail, SystemClock().Now()); !s) return Die(s.error());
  std::printf("test mail sent\n");
  return 0;
}

int Die(const Error& e) {
  std::fprintf(stderr, "vertrouwd: %s\n", e.detail.empty() ? e.user_message.c_str() : e.detail.c_str());
  return 1;
}

// Blocks SIGINT/SIGTERM in every thread; RunUntilSignal waits for them.
void BlockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int RunUntilSignal(Runtime& rt) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  // Retention and session clean-up, every ten minutes and once at start.
  std::thread maintenance([&] {
    std::unique_lock lock(mu);
    do {
      lock.unlock();
      if (auto s = rt.Maintain(); !s) spdlog::warn("maintenance failed: {}", s.error().detail);
      lock.lock();
    } while (!cv.wait_for(lock, std::chrono::minutes(10), [&] { return stopping; }));
  });
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: stopping", sig);
  {
    std::lock_guard lock(mu);
    stopping = true;
  }
  cv.notify_all();
  maintenance.join();
  rt.Stop();
  return 0;
}

struct ReportCommand {
  std::string period, format, lang, method, out;
  bool publish = false;
};

// `vertrouwd report`: nothing is written unless the release exists or was stored.
int RunReport(Runtime& rt, const Config& config, const Clock& clock, const ReportCommand& rc) {
  auto fail = [&](const Error& e) {
    const std::string text = rt.catalogs().Translate("en", e.user_message);
    std::fprintf(stderr, "vertrouwd: %s%s%s\n", text.c_str(), e.detail.empty() ? "" : " — ",
                 e.detail.c_str());
    return 1;
  };
  auto period = report::ParsePeriod(rc.period);
  if (!period) return fail(period.error());
  report::ReleaseSettings settings = config.site.report;
  if (!rc.method.empty()) {
    auto m = report::ParseMethod(rc.method);
    if (!m) return fail(m.error());
    settings.method = *m;
  }
  if (settings.city.empty()) {
    return fail(Error{ErrorCode::kInvalidInput, "staff_error.report_city", "set [report] city in the config"});
  }
  auto reports = OpenReports(rt.store(), clock, rt.catalogs(), config.site.templates_dir, settings);
  if (!reports) return fail(reports.error());
  auto release = (*reports)->Prepare(*period);
  if (!release) return fail(release.error());
  if (rc.publish) {
    release = (*reports)->Publish(release->id);
    if (!release) return fail(release.error());
    AuditCli(rt, "cli.report.publish", "release:" + std::to_string(release->id));
  }
  const report::Format format = rc.format == "csv"    ? report::Format::kCsv
                                : rc.format == "json" ? report::Format::kJson
                                                      : report::Format::kHtml;
  auto doc = (*reports)->Render(*release, format, rc.lang, {});
  if (!doc) return fail(doc.error());
  const std::string& out = doc->body;
  if (rc.out.empty()) {
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else if (Status written = WriteOutputFile(rc.out, out); !written) {
    return fail(written.error());
  }
  std::fprintf(stderr, "release %lld (%s), %s, %s, method %s\n", static_cast<long long>(release->id),
               release->status.c_str(), settings.city.c_str(), period->label.c_str(),
               report::MethodCode(release->method).c_str());
  return 0;
}

// init, pepper and the demo: a pepper file where the configuration says, unless there is one
// already (never replaced). Prints where, so that it is backed up; never what.
Status EnsurePepper(const std::string& path) {
  if (auto s = InitCrypto(); !s) return s;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    Result<SecretBytes> existing = LoadPepper(path);  // refuses a bad one at once
    if (!existing) return std::unexpected(existing.error());
    std::printf("pepper file:     %s (kept)\n", path.c_str());
    return {};
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (!ec) {
      std::filesystem::permissions(parent, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    }
  }
  Result<SecretBytes> created = CreatePepper(path);
  if (!created) return std::unexpected(created.error());
  std::printf("pepper file:     %s (created, mode 0600). Back it up apart from the database:\n"
              "                 without it no receipt and no password works.\n",
              path.c_str());
  return {};
}

std::string UrlFor(const std::string& listen, uint16_t port) {
  std::string host = listen.substr(0, listen.rfind(':'));
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  return "http://" + host + ":" + std::to_string(port) + "/";
}

}  // namespace
}  // namespace vd

int main(int argc, char** argv) {
  using namespace vd;
#if !defined(__SANITIZE_ADDRESS__)
  // No core dumps and no ptrace by other processes of the same user: the process holds
  // decrypted messages and keys. (LeakSanitizer needs ptrace, so sanitizer builds keep it.)
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
  // Whatever it writes (the database, its WAL, backups, the data folder) is readable by its
  // own account only, whatever the umask of whoever starts it (issue 16 item 5).
  umask(0077);
  CLI::App cli{"vertrouwd: anonymous, multilingual confidential advice for sex workers"};
  cli.require_subcommand(1);
  std::string config_file;
  cli.add_option("-c,--config", config_file, "TOML configuration file (or VERTROUWD_CONFIG)");

  std::string data_flag, listen_flag, database_flag;
  std::optional<std::string> metrics_flag;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--data", data_flag, "Data folder (SQLite database, demo logins)");
    sub->add_option("--database", database_flag,
                    "Database URL: sqlite:PATH or postgresql://... (default: SQLite in --data)");
  };

  CLI::App* serve = cli.add_subcommand("serve", "Run the web service");
  add_common(serve);
  serve->add_option("--listen", listen_flag, "Address to listen on, HOST:PORT");
  serve->add_option("--metrics-listen", metrics_flag,
                    "Address of /metrics and /healthz, HOST:PORT (default 127.0.0.1:9102; \"\" off)");

  CLI::App* demo = cli.add_subcommand(
      "demo", "Run a demo: SQLite in ./data-demo with three organisations and demo staff; "
              "prints the URL and the logins");
  add_common(demo);
  demo->add_option("--listen", listen_flag, "Address to listen on, HOST:PORT (default 127.0.0.1:8080)");
  demo->add_option("--metrics-listen", metrics_flag,
                   "Address of /metrics and /healthz, HOST:PORT (default: off in the demo)");

  CLI::App* init = cli.add_subcommand("init", "Create a new database and its first admin");
  add_common(init);
  std::string admin_name = "admin";
  init->add_option("--admin", admin_name, "Username of the first admin");

  CLI::App* pepper_cmd = cli.add_subcommand(
      "pepper", "Create the pepper file ([crypto] pepper_file) unless it exists; init does this "
                "too. Needed once when upgrading a database from before the pepper");
  add_common(pepper_cmd);

  CLI::App* user = cli.add_subcommand("user", "Manage staff accounts");
  user->require_subcommand(1);
  CLI::App* user_add = user->add_subcommand(
      "add", "Add a staff member; prints a one-time password and recovery key. "
             "TOTP is set up at first login (QR code).");
  add_common(user_add);
  std::string new_username, new_role = "advisor", new_org;
  user_add->add_option("--username", new_username, "Login name (a-z 0-9 . _ -)")->required();
  user_add->add_option("--role", new_role, "advisor | coordinator | analyst | admin");
  user_add->add_option("--org", new_org, "Organisation slug (advisors and coordinators)");
  CLI::App* user_recover = user->add_subcommand(
      "recover", "Key recovery for a staff member who lost the password, run by her: reads her "
                 "recovery key and the new password she chooses on standard input (not echoed), "
                 "prints her new recovery key; TOTP is set up again at the next login. The "
                 "browser does the same at /staff/recover");
  add_common(user_recover);
  std::string recover_username;
  user_recover->add_option("--username", recover_username, "Login name")->required();
  CLI::App* org_add = cli.add_subcommand("org", "Manage organisations")->require_subcommand(1)
                          ->add_subcommand("add", "Add an organisation");
  add_common(org_add);
  std::string org_slug, org_name;
  org_add->add_option("--slug", org_slug, "Short name used in links")->required();
  org_add->add_option("--name", org_name, "Display name")->required();

  CLI::App* audit_verify = cli.add_subcommand("audit", "Audit log")->require_subcommand(1)
                               ->add_subcommand("verify", "Check the audit log's hash chain; exits 1 "
                                                          "and names the first broken entry");
  add_common(audit_verify);
  CLI::App* migrate = cli.add_subcommand("migrate", "Bring the database schema up to date");
  add_common(migrate);

  CLI::App* totp = cli.add_subcommand("totp", "Print the current TOTP code for a base32 secret "
                                              "(for the demo logins)");
  std::string totp_secret;
  totp->add_option("secret", totp_secret, "Base32 secret as printed by the demo")->required();

  CLI::App* seed = cli.add_subcommand(
      "seed", "Add synthetic contact records (stated distributions, fixed seed; docs/seed.md) "
              "for demos, tests and benchmarks. Never on a production database.");
  add_common(seed);
  SeedOptions seed_options;
  seed->add_option("--contacts", seed_options.contacts, "Number of records")->required()
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  seed->add_option("--seed", seed_options.seed, "Random seed (same seed, same records)");
  seed->add_option("--year", seed_options.year, "Calendar year of the records")
      ->check(CLI::Range(2000, 2099));
  CLI::App* report_cmd = cli.add_subcommand(
      "report", "Write the report of a period as HTML, CSV or JSON: exact tables, disclosure "
                "control (noise; [report] epsilon), the release recorded in the ledger; a stored "
                "release of the period is returned, never re-noised. The year's first release "
                "fixes its terms ([report] city, epsilon, periods, max_records_per_person)");
  add_common(report_cmd);
  std::string report_period, report_format = "html", report_lang = "nl", report_method, report_out;
  bool report_publish = false;
  report_cmd->add_option("--period", report_period, "2026 or 2026-Q2 ([report] periods)")->required();
  report_cmd->add_option("--format", report_format, "html | csv | json")
      ->check(CLI::IsMember({"html", "csv", "json"}));
  report_cmd->add_option("--lang", report_lang, "nl | en (HTML and CSV labels)")->check(CLI::IsMember({"nl", "en"}));
  report_cmd->add_option("--method", report_method, "laplace (threshold is withdrawn and refused)")
      ->check(CLI::IsMember({"laplace", "threshold"}));
  report_cmd->add_option("--out", report_out,
                         "Output file, replaced whole; a device or FIFO is written in place "
                         "(default: standard output)");
  report_cmd->add_flag("--publish", report_publish, "Publish the release (analysts can then see it)");
  CLI::App* version = cli.add_subcommand("version", "Print the version");

  CLI::App* backup = cli.add_subcommand(
      "backup", "Copy the SQLite database to FILE, consistently, also while the service runs "
                "(PostgreSQL: use pg_dump, see docs/operations.md)");
  add_common(backup);
  std::string backup_to;
  backup->add_option("--to", backup_to, "Backup file to create (must not exist)")->required();
  CLI::App* restore = cli.add_subcommand(
      "restore", "Restore a backup made by `vertrouwd backup` into a fresh data folder");
  add_common(restore);
  std::string restore_from;
  restore->add_option("--from", restore_from, "Backup file")->required();

  CLI::App* notify_test = cli.add_subcommand("notify", "Mail to staff")->require_subcommand(1)
                              ->add_subcommand("test", "Send one test mail through [mail]'s "
                                                       "SMTP server; exit 1 says what failed");
  std::string notify_to;
  notify_test->add_option("--to", notify_to, "Address to send the test mail to")->required();

  CLI11_PARSE(cli, argc, argv);

  if (version->parsed()) {
    std::printf("vertrouwd %s\n", VD_VERSION);
    return 0;
  }
  if (totp->parsed()) {
    if (!InitCrypto() || !InitTotp()) return 1;
    auto secret = TotpSecretFromBase32(totp_secret);
    if (!secret) return Die(secret.error());
    std::printf("%s\n", TotpCode(*secret, SystemClock().Now()).c_str());
    return 0;
  }

  Config config = DefaultConfig();
  if (demo->parsed()) {
    config.data_dir = "./data-demo";
    // The demo is for trying things out on a laptop: lighter Argon2id, never below the
    // interactive level. Production keeps the defaults in Config.
    config.pwhash.ops_limit = 2;
    config.pwhash.mem_limit = 64u << 20;
    // No metrics listener unless asked: a second demo beside a running one (or beside a
    // production server) would otherwise fail on the shared metrics port.
    config.metrics_listen.clear();
    // Plain http on loopback: no Secure cookies (the browser would not send them back).
    config.site.sessions.secure_cookies = false;
  }
  if (config_file.empty()) {
    if (const char* env = std::getenv("VERTROUWD_CONFIG")) config_file = env;
  }
  if (!config_file.empty()) {
    if (auto s = ApplyTomlFile(config_file, config); !s) return Die(s.error());
  }
  if (auto s = ApplyEnvironment(config); !s) return Die(s.error());
  if (!data_flag.empty()) config.data_dir = data_flag;
  if (!database_flag.empty()) config.database = database_flag;
  if (!listen_flag.empty()) config.listen = listen_flag;
  if (metrics_flag) config.metrics_listen = *metrics_flag;
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S%z %l %v");

  // Before Runtime::Open: a backup must not migrate or otherwise touch the database, and a
  // restore must find no database yet.
  if (backup->parsed()) {
    if (auto s = BackupSqlite(config.DatabaseUrl(), backup_to); !s) return Die(s.error());
    std::printf("backup written to %s\n", backup_to.c_str());
    return 0;
  }
  if (restore->parsed()) {
    if (auto s = RestoreSqlite(restore_from, config.DatabaseUrl()); !s) return Die(s.error());
    std::printf("restored into %s\n", config.DatabaseUrl().c_str());
    return 0;
  }

  if (notify_test->parsed()) return SendTestMail(config, notify_to);
  if (serve->parsed() && config.mail.configured()) {
    // A wrong mail set-up is told at start, not when the first notice fails in the night.
    if (auto server = config.MailWithPassword(); !server) return Die(server.error());
  }

  if (init->parsed() || demo->parsed() || pepper_cmd->parsed()) {
    if (auto s = EnsurePepper(config.PepperPath()); !s) return Die(s.error());
    if (pepper_cmd->parsed()) return 0;
  }

  SystemClock clock;
  BlockSignals();
  auto rt = Runtime::Open(config, clock);
  if (!rt) return Die(rt.error());
  Runtime& runtime = **rt;

  if (audit_verify->parsed()) {
    auto verdict = AuditLog(runtime.store(), clock).Verify();
    if (!verdict) return Die(verdict.error());
    if (!verdict->ok) {
      std::printf("audit log BROKEN at entry %lld: %s\n",
                  static_cast<long long>(verdict->first_broken), verdict->reason.c_str());
      return 1;
    }
    std::printf("audit log intact: %lld entries\n", static_cast<long long>(verdict->entries));
    return 0;
  }
  if (migrate->parsed()) {
    auto v = runtime.store().SchemaVersion();
    if (!v) return Die(v.error());
    std::printf("schema version %d\n", *v);
    return 0;
  }
  if (seed->parsed()) {
    auto catalog = LoadIndicatorCatalog(runtime.store(), config.site.templates_dir);
    if (!catalog) return Die(catalog.error());
    if (!catalog->Current()) {
      return Die(Error{ErrorCode::kInvalidInput, "error.config", "no indicator list found"});
    }
    auto n = SeedContacts(runtime.store(), *catalog->Current(), seed_options);
    if (!n) return Die(n.error());
    std::printf("%lld synthetic contact records added for %d (seed %llu)\n",
                static_cast<long long>(*n), seed_options.year,
                static_cast<unsigned long long>(seed_options.seed));
    return 0;
  }
  if (report_cmd->parsed()) {
    ReportCommand rc{report_period, report_format, report_lang, report_method, report_out, report_publish};
    return RunReport(runtime, config, clock, rc);
  }
  if (org_add->parsed()) {
    auto id = runtime.staff().CreateOrganisation(org_slug, org_name);
    if (!id) return Die(id.error());
    AuditCli(runtime, "cli.org.add", "organisation:" + std::to_string(*id));
    std::printf("organisation %s added\n", org_slug.c_str());
    return 0;
  }
  if (user_recover->parsed()) {
    // She types both herself; nothing she types is echoed, and no password is made up here
    // for whoever runs the command to see.
    const std::string recovery_key = ReadSecretLine("recovery key: ");
    std::string password = ReadSecretLine("new password: ");
    const std::string again = ReadSecretLine("new password again: ");
    if (password != again) {
      std::fprintf(stderr, "vertrouwd: the two passwords differ\n");
      return 1;
    }
    auto recovered = runtime.staff().Recover(recover_username, recovery_key, password);
    sodium_memzero(password.data(), password.size());
    if (!recovered) {
      std::fprintf(stderr, "vertrouwd: %s\n",
                   runtime.catalogs().Translate("en", recovered.error().user_message).c_str());
      return 1;
    }
    AuditCli(runtime, "cli.user.recover", "user:" + std::to_string(recovered->id));
    std::printf("user:              %s\n", recover_username.c_str());
    std::printf("new recovery key:  %s\n", recovered->recovery_key.c_str());
    std::printf("Write the key down. The old password and recovery key no longer work; TOTP is "
                "set up at the next login.\n");
    return 0;
  }
  if (init->parsed() || user_add->parsed()) {
    NewUser request;
    request.username = init->parsed() ? admin_name : new_username;
    auto role = ParseRole(init->parsed() ? "admin" : new_role);
    if (!role) {
      std::fprintf(stderr, "vertrouwd: unknown role %s\n", new_role.c_str());
      return 2;
    }
    request.role = *role;
    request.organisation_slug = new_org;
    // No password: only the new staff member sets one, with the enrolment code.
    auto created = runtime.staff().CreateUser(request);
    if (!created) {
      std::fprintf(stderr, "vertrouwd: %s\n",
                   runtime.catalogs().Translate("en", created.error().user_message).c_str());
      return 1;
    }
    AuditCli(runtime, init->parsed() ? "cli.init" : "cli.user.add",
             "user:" + std::to_string(created->id));
    std::printf("user:            %s (%s)\n", request.username.c_str(), RoleName(request.role).data());
    std::printf("enrolment code:  %s\n", created->enrolment_code.c_str());
    std::printf("valid until:     %s UTC\n", FormatDateTime(created->enrolment_expires_at).c_str());
    std::printf("Give the username and the code in person. With them the new staff member\n"
                "chooses her or his own password at /staff/welcome, sets up two-step login\n"
                "and receives a recovery key that only she or he sees. The code works once.\n");
    return 0;
  }

  std::vector<DemoLogin> logins;
  if (demo->parsed()) {
    auto seeded = SeedDemo(runtime, config.data_dir);
    if (!seeded) return Die(seeded.error());
    logins = std::move(*seeded);
  }
  auto port = runtime.Start();
  if (!port) return Die(port.error());
  const std::string url = UrlFor(config.listen, *port);
  if (demo->parsed()) {
    std::printf("\nvertrouwd demo is running.\n\n");
    std::printf("  Worker side (no account):  %s\n", url.c_str());
    std::printf("  Staff login:               %sstaff/login\n\n", url.c_str());
    std::printf("  %-22s %-18s %-12s %-12s %s\n", "username", "password", "role", "organisation",
                "TOTP secret (base32)");
    for (const auto& l : logins) {
      std::printf("  %-22s %-18s %-12s %-12s %s\n", l.username.c_str(), l.password.c_str(),
                  l.role.c_str(), l.organisation.c_str(), l.totp_base32.c_str());
    }
    std::printf("\n  Current TOTP code for a login:  %s totp <TOTP secret>\n", argv[0]);
    std::printf("  (or add the secret to any authenticator app)\n");
    std::printf("  Data: %s   Stop with Ctrl-C.\n\n", config.data_dir.c_str());
    std::fflush(stdout);
  } else {
    spdlog::info("listening on {}", url);
  }
  return RunUntilSignal(runtime);
}
