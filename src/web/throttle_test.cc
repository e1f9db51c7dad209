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
TEST(ThrottleKeyTest, AnIpv6ClientIsItsSlash64ButTorCircuitsStayApart) {
  EXPECT_EQ(ThrottleKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ThrottleKey("::ffff:192.0.2.7"), "192.0.2.7");
  // Any address in one /64 is one client; the next /64 is another.
  EXPECT_EQ(ThrottleKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ThrottleKey("2001:db8:1:2::1"), ThrottleKey("2001:db8:1:2:ffff::9"));
  EXPECT_NE(ThrottleKey("2001:db8:1:2::1"), ThrottleKey("2001:db8:1:3::1"));
  // Tor's per-circuit addresses (HiddenServiceExportCircuitID) share a /64 but are apart.
  EXPECT_EQ(ThrottleKey("fc00:dead:beef:4dad::1:2"), "fc00:dead:beef:4dad::1:2");
  EXPECT_NE(ThrottleKey("fc00:dead:beef:4dad::1:2"), ThrottleKey("fc00:dead:beef:4dad::1:3"));
  EXPECT_EQ(ThrottleKey("fd12:3456::1"), "fd12:3456::1");
  // Not an address: its own key (the proxy header was already length-checked).
  EXPECT_EQ(ThrottleKey("not an address"), "not an address");
  EXPECT_EQ(ThrottleKey(""), "");
}

}  // namespace vd
