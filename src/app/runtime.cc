#include "app/runtime.h"
#include "app/pepper.h"
#include "app/report_domain.h"
#include "app/seed.h"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "crypto/totp.h"

namespace vd {
namespace {

// Healthy means the database answers; nothing else is revealed.
bool Healthy(Store& store) { return store.SchemaVersion().has_value(); }

// A 32-byte random key kept as a setting, so that every server on the database shares it.
Result<std::string> SettingKey(Database& db, const std::string& name) {
  const std::string fresh = Base64Encode(RandomBytes(32));
  Result<std::string> key =
      db.Write("setting key", [&](Tx& tx) { return db.settings().GetOrCreate(tx, name, fresh); });
  if (!key) return std::unexpected(key.error());
  Result<std::string> raw = Base64Decode(*key);
  if (!raw || raw->size() != 32) {
    return Fail(ErrorCode::kInternal, "error.internal", name + " setting is malformed");
  }
  return raw;
}

// The pepper's fingerprint is kept in the settings at first start, so that a server given
// another pepper file than the one this database was made with refuses to start, instead
// of starting and opening no receipt and no password. (A keyed hash: it says nothing of
// the pepper.)
Status CheckPepperBelongs(Database& db, const SecretBytes& pepper, const std::string& path) {
  const std::string mine = Base64Encode(KeyedHash(pepper.view(), "vd.pepper.check", ""));
  Result<std::string> stored = db.Write("pepper check", [&](Tx& tx) {
    return db.settings().GetOrCreate(tx, "pepper_check", mine);
  });
  if (!stored) return std::unexpected(stored.error());
  if (!ConstantTimeEqual(*stored, mine)) {
    return Fail(ErrorCode::kInvalidInput, "error.config",
                "pepper file " + path + " does not belong to this database (restore the pepper "
                "file backed up with it; without it no receipt and no password works)");
  }
  return {};
}

}  // namespace

Runtime::Runtime(const Config& config, const Clock& clock) : config_(config), clock_(clock) {}
Runtime::~Runtime() { Stop(); }

Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config, const Clock& clock) {
  if (auto s = InitCrypto(); !s) return std::unexpected(s.error());
  if (auto s = InitTotp(); !s) return std::unexpected(s.error());
  // The pepper before the database: a server that could open nothing does not migrate it.
  const std::string pepper_path = config.PepperPath();
  Result<SecretBytes> pepper = LoadPepper(pepper_path);
  if (!pepper) return std::unexpected(pepper.error());
  std::unique_ptr<Runtime> rt(new Runtime(config, clock));
  if (config.DatabaseUrl().starts_with("sqlite:")) {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) return Fail(ErrorCode::kStorage, "error.internal", "cannot create the data folder");
    std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
  }
  const int pool = config.worker_threads + 2;
  auto store = OpenStore(config.DatabaseUrl(), pool);
  if (!store) return std::unexpected(store.error());
  rt->store_ = std::move(*store);
  if (auto s = rt->store_->Migrate(); !s) return std::unexpected(s.error());
  if (auto s = CheckPepperBelongs(*rt->store_, *pepper, pepper_path); !s) {
    return std::unexpected(s.error());
  }

  auto catalogs = Catalogs::Load(config.locale_dir, config.default_language);
  if (!catalogs) return std::unexpected(catalogs.error());
  rt->catalogs_ = std::move(*catalogs);

  const std::string fresh_salt = Base64Encode(NewSalt());
  auto salt = rt->store_->Write("site salt", [&](Tx& tx) {
    return rt->store_->settings().GetOrCreate(tx, "site_salt", fresh_salt);
  });
  if (!salt) return std::unexpected(salt.error());
  auto raw_salt = Base64Decode(*salt);
  if (!raw_salt) return Fail(ErrorCode::kInternal, "error.internal", "site salt malformed");

  rt->gate_ = std::make_unique<Argon2Gate>(config.argon2_concurrency);
  ConversationPolicy policy;
  policy.receipt_pwhash = config.pwhash;
  policy.retention_days = config.retention_days;
  rt->conversations_ = std::make_unique<Conversations>(*rt->store_, clock, *rt->gate_, *raw_salt,
                                                       pepper->Clone(), policy);
  StaffPolicy staff_policy;
  staff_policy.password_pwhash = config.pwhash;
  rt->staff_ =
      std::make_unique<Staff>(*rt->store_, clock, *rt->gate_, std::move(*pepper), staff_policy);
  // Receipts and passwords from before schema 9 were hashed, unpeppered, with the parameters
  // in effect until now: they are stored with them at this first start, and so stay fixed
  // whatever [crypto] says later.
  if (auto s = rt->conversations_->AdoptLegacyKdf(config.pwhash); !s) return std::unexpected(s.error());
  if (auto s = rt->staff_->AdoptLegacyKdf(config.pwhash); !s) return std::unexpected(s.error());

  rt->sessions_ = std::make_unique<Sessions>(*rt->store_, clock, config.site.sessions);
  auto indicators = LoadIndicatorCatalog(*rt->store_, config.site.templates_dir);
  if (!indicators) return std::unexpected(indicators.error());
  rt->indicator_catalog_ = std::make_unique<IndicatorCatalog>(std::move(*indicators));
  rt->indicators_ = std::make_unique<IndicatorLists>(*rt->store_, clock, *rt->indicator_catalog_);
  rt->contacts_ = std::make_unique<Contacts>(*rt->store_, clock, *rt->indicator_catalog_);
  rt->help_ = std::make_unique<HelpPages>(*rt->store_, clock);
  rt->audit_ = std::make_unique<AuditLog>(*rt->store_, clock);
  std::vector<std::string> languages;
  for (const Language& l : rt->catalogs_->languages()) languages.push_back(l.code);
  if (auto loaded = rt->help_->LoadShipped(config.site.help_dir, languages); !loaded) {
    return std::unexpected(loaded.error());
  }
  auto csrf_key = SettingKey(*rt->store_, "csrf_key");
  if (!csrf_key) return std::unexpected(csrf_key.error());

  Store* db = rt->store_.get();
  auto reports = OpenReports(*rt->store_, clock, *rt->catalogs_, config.site.templates_dir,
                             config.site.report);
  if (!reports) return std::unexpected(reports.error());
  rt->reports_ = std::move(*reports);

  WebDeps deps{.clock = clock,
               .catalogs = *rt->catalogs_,
               .conversations = *rt->conversations_,
               .staff = *rt->staff_,
               .sessions = *rt->sessions_,
               .contacts = *rt->contacts_,
               .help = *rt->help_,
               .audit = *rt->audit_,
               .indicators = *rt->indicators_,
               .csrf_key = std::move(*csrf_key),
               .healthy = [db] { return Healthy(*db); },
               .metrics = &rt->metrics_,
               .reports = *rt->reports_};
  auto web = WebApp::Create(deps, config.site);
  if (!web) return std::unexpected(web.error());
  rt->web_ = std::move(*web);
  return rt;
}

Result<uint16_t> Runtime::Start() {
  HttpOptions options;
  if (auto s = ApplyListen(config_.listen, options); !s) return std::unexpected(s.error());
  options.io_threads = config_.io_threads;
  options.worker_threads = config_.worker_threads;
  options.max_connections_per_address = static_cast<size_t>(config_.connections_per_address);
  options.max_in_flight_per_address = static_cast<size_t>(config_.requests_per_address);
  if (!config_.site.trusted_proxy.empty()) options.unlimited_peers = {config_.site.trusted_proxy};
  // The hashing lane runs as many hashes at once as the gate admits, so no request ever
  // waits for the gate while holding a thread another page needs.
  options.hashing_threads = config_.argon2_concurrency;
  options.hashing_queue = static_cast<size_t>(config_.argon2_queue);
  options.hashing_queue_per_address = static_cast<size_t>(config_.argon2_queue_per_address);
  WebApp* web = web_.get();
  options.memory_handler = [web](const Request& r) { return web->HandleFromMemory(r); };
  options.placer = [web](const Request& r) { return web->Place(r); };
  server_ = std::make_unique<HttpServer>(
      options, [web](const Request& r) { return web->Handle(r); },
      [web](const Request& r, ErrorCode code) { return web->Refuse(r, code); });
  auto port = server_->Start();
  if (!port) return port;

  if (!config_.metrics_listen.empty()) {
    HttpOptions mopts;
    if (auto s = ApplyListen(config_.metrics_listen, mopts); !s) return std::unexpected(s.error());
    mopts.worker_threads = 1;
    mopts.hashing_threads = 1;  // nothing hashes here
    mopts.max_queue = 8;
    HttpServer* main_server = server_.get();
    Argon2Gate* gate = gate_.get();
    Store* store = store_.get();
    metrics_.AddGauge("vertrouwd_queue_depth", "Requests waiting for or running on a worker.",
                      [main_server] {
                        return std::vector<std::pair<std::string, double>>{
                            {"", static_cast<double>(main_server->queue_depth())}};
                      });
    metrics_.AddGauge("vertrouwd_hashing_queue_depth",
                      "Requests waiting for or running in the password-hashing lane.",
                      [main_server] {
                        return std::vector<std::pair<std::string, double>>{
                            {"", static_cast<double>(main_server->hashing_queue_depth())}};
                      });
    metrics_.AddGauge("vertrouwd_argon2_in_use", "Argon2id hashes running now (capacity as label).",
                      [gate] {
                        return std::vector<std::pair<std::string, double>>{
                            {"capacity=\"" + std::to_string(gate->capacity()) + "\"",
                             static_cast<double>(gate->in_use())}};
                      });
    metrics_.AddGauge("vertrouwd_conversations", "Conversations by state.", [store] {
      std::vector<std::pair<std::string, double>> out;
      auto counts = store->Read("count conversations",
                                [&](Tx& tx) { return store->conversations().CountByStatus(tx); });
      if (counts) {
        for (const auto& [status, n] : *counts) {
          out.emplace_back("status=\"" + std::string(ConversationStatusName(status)) + "\"",
                           static_cast<double>(n));
        }
      }
      return out;
    });
    // Spam is not deleted: it stays in the counts above, and a flood shows here.
    metrics_.AddGauge("vertrouwd_conversations_spam",
                      "Conversations marked as spam (also counted by state).", [store] {
                        auto n = store->Read("count spam", [&](Tx& tx) {
                          return store->conversations().CountSpam(tx);
                        });
                        return std::vector<std::pair<std::string, double>>{
                            {"", n ? static_cast<double>(*n) : 0.0}};
                      });
    Metrics* metrics = &metrics_;
    metrics_server_ = std::make_unique<HttpServer>(
        mopts,
        [metrics, store](const Request& r) {
          Response res;
          res.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          res.Set("Cache-Control", "no-store");
          if (r.path == "/metrics") {
            res.body = metrics->Render();
          } else if (r.path == "/healthz") {
            const bool ok = Healthy(*store);
            res.status = ok ? 200 : 503;
            res.body = ok ? "ok\n" : "unavailable\n";
          } else {
            res.status = 404;
            res.body = "not found\n";
          }
          return res;
        },
        [](const Request&, ErrorCode) {
          Response res;
          res.status = 400;
          res.body = "bad request\n";
          return res;
        });
    auto mport = metrics_server_->Start();
    if (!mport) return std::unexpected(mport.error());
    metrics_port_ = *mport;
  }
  return port;
}

void Runtime::Stop() {
  if (metrics_server_) metrics_server_->Stop();
  if (server_) server_->Stop();
}

void Runtime::Wait() {
  if (server_) server_->Wait();
}

Status Runtime::Maintain() {
  // Once across all servers sharing a database: whoever holds the lock does the work.
  constexpr int64_t kMaintenanceLock = 0x76640001;
  Result<bool> ran = store_->RunExclusive(kMaintenanceLock, [this] { return MaintainNow(); });
  if (!ran) return std::unexpected(ran.error());
  return {};
}

Status Runtime::MaintainNow() {
  if (auto n = conversations_->ExpireNow(); !n) return std::unexpected(n.error());
  if (auto n = sessions_->DeleteStale(); !n) return std::unexpected(n.error());
  return {};
}

Result<std::vector<DemoLogin>> SeedDemo(Runtime& rt, const std::string& data_dir) {
  const std::string path = data_dir + "/demo-logins.txt";
  std::vector<DemoLogin> logins;
  if (std::ifstream in(path); in) {
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      DemoLogin l;
      if (ss >> l.username >> l.password >> l.role >> l.organisation >> l.totp_base32) {
        logins.push_back(l);
      }
    }
    if (!logins.empty()) return logins;
  }
  struct OrgSeed {
    const char* slug;
    const char* name;
  };
  const OrgSeed orgs[] = {{"independent", "Onafhankelijke vertrouwenspersonen"},
                          {"shop", "SHOP"},
                          {"dehaven", "De Haven"}};
  for (const auto& o : orgs) {
    auto id = rt.staff().CreateOrganisation(o.slug, o.name);
    if (!id && id.error().code != ErrorCode::kConflict) return std::unexpected(id.error());
  }
  struct UserSeed {
    const char* username;
    Role role;
    const char* org;
  };
  const UserSeed users[] = {{"advisor.independent", Role::kAdvisor, "independent"},
                            {"advisor.shop", Role::kAdvisor, "shop"},
                            {"advisor.dehaven", Role::kAdvisor, "dehaven"},
                            {"coordinator.dehaven", Role::kCoordinator, "dehaven"},
                            {"analyst", Role::kAnalyst, ""},
                            {"admin", Role::kAdmin, ""}};
  for (const auto& u : users) {
    NewUser request;
    request.username = u.username;
    // Demo passwords are random too: a demo left running must not be open to anyone.
    request.password = RandomToken(12);
    request.role = u.role;
    request.organisation_slug = u.org;
    request.enroll_totp = true;
    auto created = rt.staff().CreateUser(request);
    if (!created) return std::unexpected(created.error());
    logins.push_back({u.username, request.password, std::string(RoleName(u.role)),
                      *u.org ? u.org : "-", created->totp_base32});
  }
  // A few entries in the referral directory, so that referrals can be tried out.
  for (const auto& [slug, name, services] :
       {std::tuple<const char*, const char*, std::vector<std::string>>{
            "shop", "SHOP", {"sexual_health", "social_work", "exit"}},
        {"dehaven", "De Haven", {"social_work", "housing", "shelter"}},
        {"ggd-haaglanden", "GGD Haaglanden (seksuele gezondheid)", {"sexual_health", "health"}}}) {
    DirectoryEntry e;
    e.slug = slug;
    e.name = name;
    e.services = services;
    e.languages = {"nl", "en"};
    e.updated_at = static_cast<int64_t>(std::time(nullptr));
    auto id = rt.store().Write("demo directory entry",
                               [&](Tx& tx) { return rt.store().directory().Insert(tx, e); });
    if (!id && id.error().code != ErrorCode::kConflict) return std::unexpected(id.error());
  }
  // Synthetic contact records of this year so far, so that reports have data to show.
  {
    auto catalog = LoadIndicatorCatalog(rt.store(), rt.config().site.templates_dir);
    if (!catalog) return std::unexpected(catalog.error());
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    SeedOptions seed;
    seed.contacts = 2000;
    seed.year = tm.tm_year + 1900;
    seed.last_month = tm.tm_mon + 1;
    if (const IndicatorList* current = catalog->Current()) {
      auto n = SeedContacts(rt.store(), *current, seed);
      if (!n) return std::unexpected(n.error());
    }
  }
  std::ofstream out(path, std::ios::trunc);
  std::filesystem::permissions(path, std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write);
  for (const auto& l : logins) {
    out << l.username << ' ' << l.password << ' ' << l.role << ' ' << l.organisation << ' '
        << l.totp_base32 << '\n';
  }
  if (!out) return Fail(ErrorCode::kStorage, "error.internal", "cannot write demo logins");
  return logins;
}

}  // namespace vd
