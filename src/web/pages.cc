#include "web/pages.h"

#include <spdlog/spdlog.h>

#include <charconv>

namespace vd {

std::optional<int64_t> ParseId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string Str(std::optional<std::string_view> v) { return std::string(v.value_or("")); }

std::vector<std::string> Strs(const FormFields& form, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view v : FormValues(form, name)) out.emplace_back(v);
  return out;
}

void RefreshIndicators(IndicatorLists& lists) {
  if (Status s = lists.Refresh(); !s) spdlog::error("indicator lists: {}", s.error().detail);
}

mustache::data MessageItems(const std::vector<PlainMessage>& messages, const char* worker_key) {
  mustache::data list{mustache::data::type::list};
  for (const PlainMessage& m : messages) {
    mustache::data item;
    item.set(worker_key, m.author == Author::kWorker);
    item.set("text", m.text);
    item.set("when", FormatDateTime(m.created_at));
    list.push_back(item);
  }
  return list;
}

}  // namespace vd
