#include "web/throttle.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(ThrottleTest, BurstThenRefusedThenRefilled) {
  FakeClock clock(1000);
  Throttle t(clock, {5, 1.0 / 12}, {1000, 100});
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += t.Allow("198.51.100.1");
  EXPECT_EQ(allowed, 5);
  clock.Advance(12);
  EXPECT_TRUE(t.Allow("198.51.100.1"));
  EXPECT_FALSE(t.Allow("198.51.100.1"));
  EXPECT_TRUE(t.Allow("198.51.100.2"));  // another client has its own bucket
}

TEST(ThrottleTest, GlobalLimitHoldsAcrossManyAddresses) {
  FakeClock clock(1000);
  Throttle t(clock, {5, 1}, {50, 1});
  int allowed = 0;
  for (int i = 0; i < 1000; ++i) allowed += t.Allow("client-" + std::to_string(i));
  EXPECT_EQ(allowed, 50);
}

TEST(ThrottleTest, ForgetsClientsWhoseBucketsAreFull) {
  FakeClock clock(1000);
  Throttle t(clock, {2, 1}, {1000, 1000});
  for (int i = 0; i < 100; ++i) t.Allow("client-" + std::to_string(i));
  EXPECT_EQ(t.tracked_clients(), 100u);
  clock.Advance(120);
  t.Allow("another");
  EXPECT_EQ(t.tracked_clients(), 1u);
}

}  // namespace
}  // namespace vd
