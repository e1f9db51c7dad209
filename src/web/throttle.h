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
#include "web/address_key.h"

namespace vd {

struct BucketSpec {
  double burst = 5;            // tries allowed at once
  double refill_per_second = 0.1;
};


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
