#include "web/metrics.h"

#include <gtest/gtest.h>

namespace vd {
namespace {

TEST(MetricsTest, CountsAndHistogramsPerRoutePattern) {
  Metrics m;
  m.Observe("GET", "/", 200, 0.002);
  m.Observe("GET", "/", 200, 0.2);
  m.Observe("POST", "/open", 429, 0.0001);
  m.AddGauge("vertrouwd_conversations", "Conversations by state.", [] {
    return std::vector<std::pair<std::string, double>>{{"status=\"new\"", 3}};
  });
  const std::string text = m.Render();
  EXPECT_NE(text.find("vertrouwd_http_requests_total{method=\"GET\",route=\"/\",code=\"2xx\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("vertrouwd_http_requests_total{method=\"POST\",route=\"/open\",code=\"4xx\"} 1"), std::string::npos);
  EXPECT_NE(text.find("vertrouwd_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"0.0025\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("vertrouwd_http_request_duration_seconds_bucket{method=\"GET\",route=\"/\",le=\"+Inf\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("vertrouwd_conversations{status=\"new\"} 3"), std::string::npos);
}

}  // namespace
}  // namespace vd
