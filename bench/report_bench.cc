// The report engine at scale: seeds N synthetic contact records (vertrouwd's seeder, fixed
// seed) into a SQLite file once, reusing the file when present, then times BuildExact for
// the year in fresh child processes (so that each run's peak RSS, VmHWM, is the building's
// own) and prints one line per size:
//   N records  best_ms  median_ms  peak_rss_mib  records_counted  best_cpu_ms
// Usage: vd_bench_report DATA_DIR N [N...]     (internal: vd_bench_report --build DB YEAR)

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/report_domain.h"
#include "app/seed.h"
#include "report/engine.h"
#include "store/store.h"

#ifndef VD_SOURCE_DIR
#define VD_SOURCE_DIR "."
#endif

extern char** environ;

namespace {

using namespace vd;

constexpr int kYear = 2026;
constexpr int kRuns = 3;

int Fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), e.detail.c_str());
  return 1;
}

long VmHwmKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// CPU time of this process (user + system), to tell the machine's load from our own cost.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

Result<IndicatorCatalog> Catalog() {
  return IndicatorCatalog::LoadDir(std::string(VD_SOURCE_DIR) + "/data/indicators");
}

// Child: open, build once, print "ms hwm_kb records".
int Build(const std::string& db) {
  // Two connections: the scan runs in two parts on two threads (VD_BENCH_POOL=1: one).
  const char* pool_env = std::getenv("VD_BENCH_POOL");
  auto store = OpenStore("sqlite:" + db, pool_env ? std::atoi(pool_env) : 2);
  if (!store) return Fail("open", store.error());
  auto catalog = Catalog();
  if (!catalog) return Fail("indicators", catalog.error());
  Store& opened = **store;
  auto directory =
      opened.Read("bench directory", [&](Tx& tx) { return opened.directory().List(tx, false); });
  if (!directory) return Fail("directory", directory.error());
  const report::Codebook cb = ReportCodebook(*catalog, *directory);
  auto period = report::ParsePeriod(std::to_string(kYear));
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = CpuMs();
  auto r = report::BuildExact(**store, cb, *period, std::nullopt);
  const double c1 = CpuMs();
  const auto t1 = std::chrono::steady_clock::now();
  if (!r) return Fail("build", r.error());
  std::printf("%.1f %ld %lld %.1f\n", std::chrono::duration<double, std::milli>(t1 - t0).count(),
              VmHwmKb(), static_cast<long long>(r->records), c1 - c0);
  return 0;
}

// Child: the store's scan alone (no counting), to split the cost between store and engine.
int ScanOnly(const std::string& db) {
  auto store = OpenStore("sqlite:" + db, 2);
  if (!store) return Fail("open", store.error());
  size_t rows = 0;
  const double c0 = CpuMs();
  std::atomic<size_t> rows_atomic = 0;
  Status s = (*store)->ScanContacts("2026-01", "2026-12", std::nullopt, 2,
                                    [&](int, const ContactChunk& c) { rows_atomic += c.size; });
  rows = rows_atomic;
  const double c1 = CpuMs();
  if (!s) return Fail("scan", s.error());
  std::printf("scan only: %zu rows, %.1f ms CPU\n", rows, c1 - c0);
  return 0;
}

int Seed(const std::string& db, long n) {
  const std::string tmp = db + ".part";
  std::filesystem::remove(tmp);
  auto store = OpenStore("sqlite:" + tmp, 1);
  if (!store) return Fail("open", store.error());
  if (Status s = (*store)->Migrate(); !s) return Fail("migrate", s.error());
  for (const auto& [slug, services] :
       {std::pair<const char*, std::vector<std::string>>{"shop", {"sexual_health", "social_work", "exit"}},
        {"dehaven", {"social_work", "housing", "shelter"}},
        {"ggd", {"sexual_health", "health"}}}) {
    DirectoryEntry e;
    e.slug = e.name = slug;
    e.services = services;
    auto id = (*store)->Write("bench directory entry",
                              [&](Tx& tx) { return (*store)->directory().Insert(tx, e); });
    if (!id) return Fail("directory", id.error());
  }
  auto catalog = Catalog();
  if (!catalog) return Fail("indicators", catalog.error());
  SeedOptions o;
  o.contacts = n;
  o.year = kYear;
  const auto t0 = std::chrono::steady_clock::now();
  auto done = SeedContacts(**store, *catalog->Current(), o);
  if (!done) return Fail("seed", done.error());
  store->reset();
  std::filesystem::rename(tmp, db);
  std::fprintf(stderr, "seeded %ld records in %.0f s\n", n,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

// Runs this binary with `args` and returns its standard output.
std::string RunChild(const std::vector<std::string>& args) {
  int fd[2];
  if (pipe(fd) != 0) return "";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd[1], 1);
  posix_spawn_file_actions_addclose(&actions, fd[0]);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fd[1]);
  std::string out;
  char buf[256];
  for (ssize_t k; rc == 0 && (k = read(fd[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(k));
  close(fd[0]);
  int status = 0;
  if (rc == 0) waitpid(pid, &status, 0);
  return rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--build") return Build(argv[2]);
  if (argc == 3 && std::string(argv[1]) == "--scan") return ScanOnly(argv[2]);
  if (argc == 4 && std::string(argv[1]) == "--seed") return Seed(argv[2], std::atol(argv[3]));
  if (argc < 3) {
    std::fprintf(stderr, "usage: vd_bench_report DATA_DIR N [N...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  for (int i = 2; i < argc; ++i) {
    const long n = std::atol(argv[i]);
    const std::string db = dir + "/report-" + std::to_string(n) + ".db";
    if (!std::filesystem::exists(db)) {
      // In a child too, so that the seeder's memory never counts toward a build.
      if (RunChild({argv[0], "--seed", db, std::to_string(n)}).empty() &&
          !std::filesystem::exists(db)) {
        std::fprintf(stderr, "seeding %ld failed\n", n);
        return 1;
      }
    }
    std::vector<double> ms, cpu;
    long hwm = 0;
    long long records = 0;
    for (int run = 0; run < kRuns; ++run) {
      const std::string out = RunChild({argv[0], "--build", db, std::to_string(kYear)});
      double t = 0, c = 0;
      long kb = 0;
      if (std::sscanf(out.c_str(), "%lf %ld %lld %lf", &t, &kb, &records, &c) != 4) {
        std::fprintf(stderr, "build of %ld failed\n", n);
        return 1;
      }
      ms.push_back(t);
      cpu.push_back(c);
      hwm = std::max(hwm, kb);
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf("%ld %.0f %.0f %.1f %lld %.0f\n", n, ms.front(), ms[ms.size() / 2],
                hwm / 1024.0, records, cpu.front());
    std::fflush(stdout);
  }
  return 0;
}
