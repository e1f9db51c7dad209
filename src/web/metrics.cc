#include "web/metrics.h"

#include <cstdio>
#include <sstream>

namespace vd {

void Metrics::Observe(const std::string& method, const std::string& route, unsigned status,
                      double seconds) {
  const std::string code_class = std::to_string(status / 100) + "xx";
  const std::string base = "method=\"" + method + "\",route=\"" + route + "\"";
  std::lock_guard lock(mu_);
  ++requests_[base + ",code=\"" + code_class + "\""];
  Series& s = latency_[base];
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
}

void Metrics::AddGauge(std::string name, std::string help, GaugeFn fn) {
  std::lock_guard lock(mu_);
  gauges_.push_back({std::move(name), std::move(help), std::move(fn)});
}

std::string Metrics::Render() const {
  std::ostringstream out;
  std::vector<Gauge> gauges;
  {
    std::lock_guard lock(mu_);
    out << "# HELP vertrouwd_http_requests_total Requests handled, by route pattern and status class.\n"
           "# TYPE vertrouwd_http_requests_total counter\n";
    for (const auto& [labels, n] : requests_) {
      out << "vertrouwd_http_requests_total{" << labels << "} " << n << "\n";
    }
    out << "# HELP vertrouwd_http_request_duration_seconds Time to handle a request.\n"
           "# TYPE vertrouwd_http_request_duration_seconds histogram\n";
    char buf[64];
    for (const auto& [labels, s] : latency_) {
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%g", kBuckets[i]);
        out << "vertrouwd_http_request_duration_seconds_bucket{" << labels << ",le=\"" << buf
            << "\"} " << s.buckets[i] << "\n";
      }
      out << "vertrouwd_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} "
          << s.count << "\n";
      std::snprintf(buf, sizeof buf, "%.6f", s.sum);
      out << "vertrouwd_http_request_duration_seconds_sum{" << labels << "} " << buf << "\n";
      out << "vertrouwd_http_request_duration_seconds_count{" << labels << "} " << s.count << "\n";
    }
    gauges = gauges_;
  }
  // Gauges may query the database: call them outside the lock.
  for (const Gauge& g : gauges) {
    out << "# HELP " << g.name << " " << g.help << "\n# TYPE " << g.name << " gauge\n";
    for (const auto& [labels, value] : g.fn()) {
      out << g.name;
      if (!labels.empty()) out << "{" << labels << "}";
      out << " " << value << "\n";
    }
  }
  return out.str();
}

}  // namespace vd
