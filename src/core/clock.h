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

// What a worker wrote and when she read it is stored to the whole minute and no finer
// (issue 16: the design keeps times coarse): the pages show minutes, the timeouts are
// minutes, and the order of messages within a minute comes from their row ids.
constexpr int64_t kStoredTimeStep = 60;
// `unix_seconds` rounded down to its minute (never later, so nothing outlives its timeout).
constexpr int64_t CoarseTime(int64_t unix_seconds) {
  const int64_t r = unix_seconds % kStoredTimeStep;
  return unix_seconds - (r < 0 ? r + kStoredTimeStep : r);
}

// "2026-11-29" for a Unix time (UTC).
std::string FormatDate(int64_t unix_seconds);
// "2026-11-29 14:05" for a Unix time (UTC).
std::string FormatDateTime(int64_t unix_seconds);

}  // namespace vd
