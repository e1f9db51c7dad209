#pragma once
// Prometheus metrics: request counts and latency histograms per route pattern and status
// class, plus gauges read at scrape time. Labels are route patterns ("/staff/c/{id}"),
// never paths, addresses or anything about a person. Thread-safe.

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace vd {

class Metrics {
 public:
  // Records one handled request. `route` is the matched pattern or a fixed placeholder.
  void Observe(const std::string& method, const std::string& route, unsigned status,
               double seconds);

  // A gauge whose value is read when /metrics is scraped.
  using GaugeFn = std::function<std::vector<std::pair<std::string, double>>()>;
  // `name` is the metric name; each pair is (label set without braces, value), e.g.
  // {"status=\"new\"", 3}. An empty label set is allowed.
  void AddGauge(std::string name, std::string help, GaugeFn fn);

  // The text exposition format.
  std::string Render() const;

  static constexpr std::array<double, 11> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1.0,  2.5};

 private:
  struct Series {
    uint64_t count = 0;
    double sum = 0;
    std::array<uint64_t, kBuckets.size()> buckets{};
  };
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> requests_;  // labels -> count
  std::map<std::string, Series> latency_;     // labels -> histogram
  struct Gauge {
    std::string name, help;
    GaugeFn fn;
  };
  std::vector<Gauge> gauges_;
};

}  // namespace vd
