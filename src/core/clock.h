#pragma once
// Clock: the one source of "now" (seconds since the Unix epoch, UTC).
// Thread-safe. Tests use FakeClock to move time without sleeping.

#include <atomic>
#include <cstdint>
#include <string>

namespace vd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t Now() const override;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t Now() const override { return now_.load(); }
  void Advance(int64_t seconds) { now_ += seconds; }
  void Set(int64_t now) { now_ = now; }

 private:
  std::atomic<int64_t> now_;
};

// "2026-11-29" for a Unix time (UTC).
std::string FormatDate(int64_t unix_seconds);
// "2026-11-29 14:05" for a Unix time (UTC).
std::string FormatDateTime(int64_t unix_seconds);

}  // namespace vd
