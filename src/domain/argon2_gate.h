#pragma once
// Argon2Gate bounds how many Argon2id hashes run at once, so peak memory stays below
// capacity x Argon2id memory however many requests arrive. Thread-safe. Callers wait
// at most `wait` for a slot; after that they get kBusy (429: "busy, try again in a minute").

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/error.h"

namespace vd {

class Argon2Gate {
 public:
  explicit Argon2Gate(int capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  class Slot {
   public:
    explicit Slot(Argon2Gate* gate) : gate_(gate) {}
    Slot(Slot&& o) noexcept : gate_(o.gate_) { o.gate_ = nullptr; }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (gate_) gate_->Release();
    }

   private:
    Argon2Gate* gate_;
  };

  Result<Slot> Acquire(std::chrono::milliseconds wait = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, wait, [&] { return in_use_ < capacity_; })) {
      return Fail(ErrorCode::kBusy, "error.busy", "argon2 gate wait timed out");
    }
    ++in_use_;
    return Slot(this);
  }

  int in_use() const {
    std::lock_guard lock(mu_);
    return in_use_;
  }
  int capacity() const { return capacity_; }

 private:
  void Release() {
    {
      std::lock_guard lock(mu_);
      --in_use_;
    }
    cv_.notify_one();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  const int capacity_;
  int in_use_ = 0;
};

}  // namespace vd
