#include "core/clock.h"

#include <chrono>
#include <cstdio>

namespace vd {

int64_t SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::chrono::sys_seconds ToSys(int64_t s) { return std::chrono::sys_seconds{std::chrono::seconds{s}}; }
}  // namespace

std::string FormatDate(int64_t unix_seconds) {
  const auto days = std::chrono::floor<std::chrono::days>(ToSys(unix_seconds));
  const std::chrono::year_month_day ymd{days};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string FormatDateTime(int64_t unix_seconds) {
  const int64_t secs_of_day = ((unix_seconds % 86400) + 86400) % 86400;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(secs_of_day / 3600),
                static_cast<int>(secs_of_day / 60 % 60));
  return FormatDate(unix_seconds) + " " + buf;
}

}  // namespace vd
