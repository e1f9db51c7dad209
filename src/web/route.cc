#include "web/route.h"

#include "core/text.h"

namespace vd {

void Router::Add(std::string method, std::string pattern, Access access, RouteFn fn) {
  Route r;
  r.method = std::move(method);
  for (std::string_view seg : Split(std::string_view(pattern).substr(1), '/')) {
    r.segments.emplace_back(seg);
  }
  r.pattern = std::move(pattern);
  r.access = std::move(access);
  r.fn = std::move(fn);
  routes_.push_back(std::move(r));
}

void Router::Pure(std::string pattern, std::string page, RouteFn fn) {
  Get(std::move(pattern), Access::Public(), std::move(fn));
  routes_.back().pure_page = std::move(page);
}

const Route* Router::Match(std::string_view method, std::string_view path,
                           std::map<std::string, std::string>& params, bool& path_known) const {
  if (method == "HEAD") method = "GET";
  const auto path_segments = Split(path.substr(path.empty() ? 0 : 1), '/');
  path_known = false;
  for (const Route& r : routes_) {
    if (r.segments.size() != path_segments.size()) continue;
    std::map<std::string, std::string> captured;
    bool ok = true;
    for (size_t i = 0; i < r.segments.size() && ok; ++i) {
      const std::string& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        if (path_segments[i].empty()) ok = false;
        captured[seg.substr(1, seg.size() - 2)] = std::string(path_segments[i]);
      } else if (seg != path_segments[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    path_known = true;
    if (r.method != method) continue;
    params = std::move(captured);
    return &r;
  }
  return nullptr;
}

}  // namespace vd
