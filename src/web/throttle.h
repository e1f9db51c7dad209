#pragma once
// In-memory token buckets keyed by client address, plus one global bucket per purpose.
// Addresses live only in this process's memory (never logged or stored) and are forgotten
// when their bucket is full again. Thread-safe.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace vd {

struct BucketSpec {
  double burst = 5;            // tries allowed at once
  double refill_per_second = 0.1;
};

// The bucket key for a client address. An IPv4 address (or IPv4-mapped IPv6) stands for
// itself. An IPv6 client usually holds a whole /64 and can send from any address in it, so
// its key is the /64 prefix; unique-local addresses (fc00::/7) never arrive from the
// internet, only from our own proxies (Tor gives each circuit one, see the onion service
// in docs/operations.md), and stand for themselves. Anything else is its own key.
std::string ThrottleKey(std::string_view address);

class Throttle {
 public:
  Throttle(const Clock& clock, BucketSpec per_client, BucketSpec global);
  // Takes one token from the client's bucket and the global one; false if either is empty.
  bool Allow(const std::string& client_address);
  size_t tracked_clients() const;

 private:
  struct Bucket {
    double tokens;
    int64_t updated;
  };
  bool Take(Bucket& b, const BucketSpec& spec, int64_t now);
  void Prune(int64_t now);

  const Clock& clock_;
  const BucketSpec per_client_;
  const BucketSpec global_spec_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> clients_;
  Bucket global_;
  int64_t last_prune_ = 0;
};

}  // namespace vd
