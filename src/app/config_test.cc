#include "app/config.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(ConfigTest, TomlOverridesDefaults) {
  Config c = DefaultConfig();
  ASSERT_TRUE(ApplyTomlText(R"(
[server]
listen = "0.0.0.0:9000"
[storage]
data_dir = "/var/lib/vertrouwd"
[crypto]
argon2_ops = 4
argon2_mem_mib = 128
[site]
neutral_title = "Weer"
retention_days = 30
)", c));
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.DatabaseUrl(), "sqlite:/var/lib/vertrouwd/vertrouwd.db");
  EXPECT_EQ(c.pwhash.ops_limit, 4u);
  EXPECT_EQ(c.pwhash.mem_limit, 128u << 20);
  EXPECT_EQ(c.site.neutral_title, "Weer");
  EXPECT_EQ(c.retention_days, 30);
}

// Secure cookies (Secure, __Host-, HSTS) unless the configuration says the site is plain http.
TEST(ConfigTest, CookiesAreSecureUnlessTurnedOff) {
  Config c = DefaultConfig();
  EXPECT_TRUE(c.site.sessions.secure_cookies);
  ASSERT_TRUE(ApplyTomlText("[site]\nsecure_cookies = false\n", c));
  EXPECT_FALSE(c.site.sessions.secure_cookies);
}

TEST(ConfigTest, ReportSectionSetsCityBudgetAndMethod) {
  Config c = DefaultConfig();
  EXPECT_EQ(c.site.report.cap.num, 2);
  EXPECT_EQ(c.site.report.method, report::Method::kDiscreteLaplace);
  EXPECT_EQ(c.site.report.periods, report::Periods::kYear);
  EXPECT_EQ(c.site.report.person_cap, report::kDefaultPersonCap);
  ASSERT_TRUE(ApplyTomlText("[report]\ncity = \"Den Haag\"\nepsilon = \"1.25\"\nmethod = \"laplace\"\n"
                            "periods = \"quarters\"\nmax_records_per_person = 3\n", c));
  EXPECT_EQ(c.site.report.city, "Den Haag");
  EXPECT_EQ(c.site.report.cap.num, 125);
  EXPECT_EQ(c.site.report.cap.den, 100);
  EXPECT_EQ(c.site.report.method, report::Method::kDiscreteLaplace);
  EXPECT_EQ(c.site.report.periods, report::Periods::kQuarters);
  EXPECT_EQ(c.site.report.person_cap, 3);
  // Threshold mode is withdrawn (issue 15): a configuration asking for it does not load.
  for (const char* bad : {"[report]\ncity = \"X\"\nepsilonn = \"2\"\n", "[report]\nepsilon = \"0\"\n",
                          "[report]\nepsilon = \"-1\"\n", "[report]\nepsilon = \"1e9\"\n",
                          "[report]\nepsilon = \"11\"\n", "[report]\nmethod = \"noise\"\n",
                          "[report]\nepsilon = 2\n", "[report]\nmethod = \"threshold\"\n",
                          "[report]\nperiods = \"months\"\n", "[report]\nmax_records_per_person = 0\n",
                          "[report]\nmax_records_per_person = 11\n"}) {
    Config d = DefaultConfig();
    EXPECT_FALSE(ApplyTomlText(bad, d)) << bad;
  }
  auto eps = ParseEpsilon("0.5");
  ASSERT_TRUE(eps);
  EXPECT_EQ(eps->num * 2, eps->den);
  // The example configuration in docs/ parses, [report] included.
  Config e = DefaultConfig();
  EXPECT_TRUE(ApplyTomlFile(std::string(VD_SOURCE_DIR) + "/docs/vertrouwd.example.toml", e));
  EXPECT_EQ(e.site.report.city, "Den Haag");
}

TEST(ConfigTest, ProductionDefaultsAreNotTheTestMinimum) {
  Config c = DefaultConfig();
  EXPECT_GE(c.pwhash.mem_limit, 64u << 20);
  EXPECT_GE(c.pwhash.ops_limit, 2u);
}

TEST(ConfigTest, RejectsTyposBadTypesAndSyntax) {
  Config c = DefaultConfig();
  EXPECT_FALSE(ApplyTomlText("[server]\nlisten_addr = \"x\"\n", c));
  EXPECT_FALSE(ApplyTomlText("[nope]\n", c));
  EXPECT_FALSE(ApplyTomlText("[server]\nworker_threads = \"four\"\n", c));
  EXPECT_FALSE(ApplyTomlText("[site]\nexit_url = \"javascript:alert(1)\"\n", c));
  EXPECT_FALSE(ApplyTomlText("[site]\nretention_days = 0\n", c));
  EXPECT_FALSE(ApplyTomlText("[server\n", c));
  EXPECT_FALSE(ApplyTomlText("server = 3\n", c));
  // Found by fuzz_config: a float where a whole number belongs was cast (undefined for 1e300).
  EXPECT_FALSE(ApplyTomlText("[crypto]\nargon2_ops = 1e300\n", c));
  EXPECT_FALSE(ApplyTomlText("[crypto]\nargon2_ops = 2.5\n", c));
  EXPECT_FALSE(ApplyTomlText("[site]\nretention_days = -1e19\n", c));
}

// Issue 16's limits: read from the file, and nonsense refused at start, not at the first flood.
TEST(ConfigTest, PerAddressLimitsAndTheHashingLane) {
  Config c = DefaultConfig();
  EXPECT_EQ(c.connections_per_address, 32);
  EXPECT_EQ(c.requests_per_address, 8);
  EXPECT_EQ(c.argon2_queue, 32);
  EXPECT_EQ(c.argon2_queue_per_address, 2);
  ASSERT_TRUE(ApplyTomlText(R"(
[server]
connections_per_address = 0
requests_per_address = 20
[crypto]
argon2_concurrency = 4
argon2_queue = 100
argon2_queue_per_address = 0
)", c));
  EXPECT_EQ(c.connections_per_address, 0);
  EXPECT_EQ(c.requests_per_address, 20);
  EXPECT_EQ(c.argon2_concurrency, 4);
  EXPECT_EQ(c.argon2_queue, 100);
  EXPECT_EQ(c.argon2_queue_per_address, 0);
  for (const char* bad : {"[server]\nconnections_per_address = -1\n",
                          "[server]\nrequests_per_address = 1000000\n",
                          "[crypto]\nargon2_concurrency = 0\n", "[crypto]\nargon2_queue = 0\n",
                          "[crypto]\nargon2_queue_per_address = -2\n"}) {
    Config d = DefaultConfig();
    EXPECT_FALSE(ApplyTomlText(bad, d)) << bad;
  }
}

TEST(ConfigTest, ListenParsing) {
  HttpOptions o;
  ASSERT_TRUE(ApplyListen("127.0.0.1:8080", o));
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 8080);
  ASSERT_TRUE(ApplyListen("[::1]:0", o));
  EXPECT_EQ(o.host, "::1");
  EXPECT_FALSE(ApplyListen("localhost", o));
  EXPECT_FALSE(ApplyListen("h:70000", o));
  EXPECT_FALSE(ApplyListen("h:-1", o));
}

}  // namespace
}  // namespace vd
