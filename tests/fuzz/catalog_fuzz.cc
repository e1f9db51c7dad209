// Fuzzes the gettext catalog loader: the input is written as a .mo file next to a real
// default catalog, then Catalogs::Load runs on the folder and every lookup is exercised.
// A malformed catalog must be rejected or ignored, never crash the loader.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "i18n/i18n.h"

namespace fs = std::filesystem;

namespace {

const fs::path& Workdir() {
  // Never destroyed: the atexit clean-up below runs after static destructors may have.
  static const fs::path& dir = *new fs::path([] {
    fs::path d = fs::temp_directory_path() / ("vd-fuzz-catalog-" + std::to_string(getpid()));
    fs::create_directories(d / "en" / "LC_MESSAGES");
    fs::create_directories(d / "xx" / "LC_MESSAGES");
    fs::copy_file(fs::path(VD_BINARY_DIR) / "locale" / "en" / "LC_MESSAGES" / "vertrouwd.mo",
                  d / "en" / "LC_MESSAGES" / "vertrouwd.mo", fs::copy_options::overwrite_existing);
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(Workdir(), ec);
    });
    return d;
  }());
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = Workdir();
  {
    std::ofstream out(dir / "xx" / "LC_MESSAGES" / "vertrouwd.mo", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto catalogs = vd::Catalogs::Load(dir.string(), "en");
  if (!catalogs) return 0;
  for (const vd::Language& l : (*catalogs)->languages()) {
    (void)(*catalogs)->Translate(l.code, "home.title");
    (void)(*catalogs)->Translate(l.code, "language.native_name");
    (void)(*catalogs)->TranslatePlural(l.code, "one", "many", 3);
  }
  (void)(*catalogs)->Negotiate("xx, en;q=0.5");
  (void)(*catalogs)->Canonical("xx");
  return 0;
}
