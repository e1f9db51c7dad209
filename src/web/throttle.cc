#include "web/throttle.h"

#include <algorithm>

namespace vd {

Throttle::Throttle(const Clock& clock, BucketSpec per_client, BucketSpec global)
    : clock_(clock),
      per_client_(per_client),
      global_spec_(global),
      global_{global.burst, clock.Now()} {}

bool Throttle::Take(Bucket& b, const BucketSpec& spec, int64_t now) {
  if (now > b.updated) {
    b.tokens = std::min(spec.burst, b.tokens + (now - b.updated) * spec.refill_per_second);
    b.updated = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

void Throttle::Prune(int64_t now) {
  if (now - last_prune_ < 60 && clients_.size() < 100000) return;
  last_prune_ = now;
  std::erase_if(clients_, [&](const auto& kv) {
    return kv.second.tokens + (now - kv.second.updated) * per_client_.refill_per_second >=
           per_client_.burst;
  });
}

bool Throttle::Allow(const std::string& client_address) {
  std::lock_guard lock(mu_);
  const int64_t now = clock_.Now();
  Prune(now);
  auto [it, inserted] = clients_.try_emplace(client_address, Bucket{per_client_.burst, now});
  // Check the client's own bucket first so one noisy client cannot drain the global one.
  if (!Take(it->second, per_client_, now)) return false;
  return Take(global_, global_spec_, now);
}

size_t Throttle::tracked_clients() const {
  std::lock_guard lock(mu_);
  return clients_.size();
}

}  // namespace vd
