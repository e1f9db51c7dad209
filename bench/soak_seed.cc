// Seeds a data folder for the soak run (bench/soak.sh): the three demo organisations, two
// advisors and one coordinator of De Haven with TOTP enrolled, all with the same password.
// Prints one line per staff member on standard output: "ROLE USERNAME TOTP_SECRET". The
// contact records the coordinator's reports count come from `vertrouwd seed`.

#include <cstdio>
#include <string>

#include "app/runtime.h"
#include "crypto/crypto.h"

int main(int argc, char** argv) {
  using namespace vd;
  if (argc < 3) {
    std::fprintf(stderr, "usage: vd_bench_soak_seed CONFIG.toml PASSWORD\n");
    return 2;
  }
  Config config = DefaultConfig();
  if (auto s = ApplyTomlFile(argv[1], config); !s) {
    std::fprintf(stderr, "%s\n", s.error().detail.c_str());
    return 1;
  }
  SystemClock clock;
  auto rt = Runtime::Open(config, clock);
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.error().detail.c_str());
    return 1;
  }
  Runtime& r = **rt;
  for (const char* slug : {"independent", "shop", "dehaven"}) (void)r.staff().CreateOrganisation(slug, slug);
  struct Who {
    const char* username;
    Role role;
    const char* label;
  };
  for (const Who& w : {Who{"soak.advisor1", Role::kAdvisor, "advisor"}, Who{"soak.advisor2", Role::kAdvisor, "advisor"},
                       Who{"soak.coordinator", Role::kCoordinator, "coordinator"}}) {
    NewUser u{w.username, argv[2], w.role, "dehaven", true, std::nullopt};
    auto created = r.staff().CreateUser(u);
    if (!created) {
      std::fprintf(stderr, "%s: %s\n", w.username, created.error().detail.c_str());
      return 1;
    }
    std::printf("%s %s %s\n", w.label, w.username, created->totp_base32.c_str());
  }
  return 0;
}
