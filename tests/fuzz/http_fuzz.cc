// Fuzzes the whole request path: raw bytes -> the server's Beast parser, limits and header
// checks (ServeBytes, the same code a connection runs) -> the real WebApp wired by Runtime
// on a temporary SQLite database with minimum Argon2 cost and a fake clock -> the bytes of
// the response. Every response must be well-formed HTTP with no 5xx status.
//
// So that the fuzzer gets past CSRF, "@CSRF@" in the input is replaced with the valid token
// for the anchor cookie "vd_a=fuzzanchorfuzzanchorfuzzanchor" (the seeds use both).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/config.h"
#include "app/pepper.h"
#include "app/runtime.h"
#include "core/clock.h"
#include "crypto/crypto.h"
#include "web/http.h"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kAnchor = "fuzzanchorfuzzanchorfuzzanchor";

std::string FormEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

struct World {
  fs::path dir;
  vd::FakeClock clock{1798761600};
  std::unique_ptr<vd::Runtime> runtime;
  std::string csrf;
  vd::HttpOptions options;

  World() {
    spdlog::set_level(spdlog::level::off);
    dir = fs::temp_directory_path() / ("vd-fuzz-http-" + std::to_string(getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    vd::Config config = vd::DefaultConfig();
    config.data_dir = dir.string();
    config.pwhash = vd::PwhashParams::Minimum();
    config.argon2_concurrency = 1;
    config.site.templates_dir = std::string(VD_SOURCE_DIR) + "/templates";
    config.site.static_dir = std::string(VD_SOURCE_DIR) + "/static";
    config.locale_dir = std::string(VD_BINARY_DIR) + "/locale";
    // The pepper file in the fresh data folder, as init makes it.
    if (!vd::InitCrypto() || !vd::CreatePepper(config.PepperPath())) std::abort();
    auto rt = vd::Runtime::Open(config, clock);
    if (!rt) {
      std::fprintf(stderr, "fuzz_http: runtime: %s\n", rt.error().detail.c_str());
      std::abort();
    }
    runtime = std::move(*rt);
    if (!runtime->staff().CreateOrganisation("shop", "SHOP")) std::abort();
    vd::Store& store = runtime->store();
    auto key = store.Write("fuzz csrf key", [&](vd::Tx& tx) {
      return store.settings().GetOrCreate(tx, "csrf_key", "");
    });
    auto raw = key ? vd::Base64Decode(*key) : vd::Result<std::string>(std::unexpected(key.error()));
    if (!raw) std::abort();
    csrf = FormEncode(vd::Base64Encode(vd::KeyedHash(*raw, "vd.csrf", kAnchor)));
  }
  ~World() {
    runtime.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

World& TheWorld() {
  static World* world = new World();  // lives for the whole process
  static bool registered = [] {
    std::atexit([] { std::error_code ec; fs::remove_all(TheWorld().dir, ec); });
    return true;
  }();
  (void)registered;
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = TheWorld();
  std::string input(reinterpret_cast<const char*>(data), size);
  for (size_t at; (at = input.find("@CSRF@")) != std::string::npos;) input.replace(at, 6, w.csrf);
  vd::WebApp& web = w.runtime->web();
  std::vector<unsigned> statuses;
  std::string out = vd::ServeBytes(
      input, w.options, [&](const vd::Request& r) { return web.Handle(r); },
      [&](const vd::Request& r, vd::ErrorCode c) { return web.Refuse(r, c); }, &statuses);
  if (statuses.size() > 0 && !out.starts_with("HTTP/1.")) std::abort();
  for (unsigned status : statuses) {
    if (status >= 500) {
      std::fprintf(stderr, "fuzz_http: status %u\n%.*s\n", status,
                   static_cast<int>(std::min<size_t>(out.size(), 4000)), out.data());
      std::abort();
    }
  }
  return 0;
}
