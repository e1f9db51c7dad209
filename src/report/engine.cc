#include "report/engine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <unordered_map>

namespace vd::report {
namespace {

// Maps a code to its index in a fixed list with one small open-addressing table (FNV-1a,
// load <= 1/4): a couple of byte compares per lookup, no allocation. Codes not in the list
// map to `fallback` (-1: not counted).
class CodeIndex {
 public:
  CodeIndex() = default;
  CodeIndex(const std::vector<std::string>& codes, int fallback) : fallback_(fallback) {
    const size_t size = std::bit_ceil(std::max<size_t>(8, codes.size() * 4));
    mask_ = size - 1;
    slots_.assign(size, Slot{});
    for (size_t i = 0; i < codes.size(); ++i) {
      size_t h = Hash(codes[i]) & mask_;
      while (slots_[h].index >= 0 && slots_[h].key != codes[i]) h = (h + 1) & mask_;
      if (slots_[h].index < 0) slots_[h] = Slot{codes[i], static_cast<int>(i)};
    }
  }
  int Find(std::string_view s) const {
    for (size_t h = Hash(s) & mask_;; h = (h + 1) & mask_) {
      const Slot& slot = slots_[h];
      if (slot.index < 0) return fallback_;
      if (slot.key == s) return slot.index;
    }
  }

 private:
  struct Slot {
    std::string key;
    int index = -1;
  };
  static size_t Hash(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int fallback_ = -1;
};

int IndexOf(const std::vector<std::string>& codes, std::string_view code) {
  auto it = std::ranges::find(codes, code);
  return it == codes.end() ? -1 : static_cast<int>(it - codes.begin());
}

// "unknown" if the list has it, else "other", else -1.
int Fallback(const std::vector<std::string>& codes) {
  const int unknown = IndexOf(codes, "unknown");
  return unknown >= 0 ? unknown : IndexOf(codes, "other");
}

CodeIndex IndexFor(const std::vector<std::string>& codes) {
  return CodeIndex(codes, Fallback(codes));
}

Dimension Dim(std::string id, std::vector<std::string> codes) {
  return Dimension{std::move(id), std::move(codes)};
}

TableSpec Spec(const char* id, std::vector<Dimension> dims, int64_t sensitivity) {
  TableSpec s;
  s.id = id;
  s.dims = std::move(dims);
  s.sensitivity = sensitivity;
  return s;
}

const std::vector<std::string>& CaseBuckets() {
  static const std::vector<std::string> buckets = {"1", "2", "3-5", "6+"};
  return buckets;
}

size_t CaseBucket(uint32_t records) {
  if (records <= 1) return 0;
  if (records == 2) return 1;
  if (records <= 5) return 2;
  return 3;
}

Error PeriodError(std::string detail) {
  return Error{ErrorCode::kInvalidInput, "staff_error.report_period", std::move(detail)};
}

// Parses exactly `digits` decimal digits.
std::optional<int> Digits(std::string_view s, size_t digits) {
  if (s.size() != digits) return std::nullopt;
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "YYYY-MM" with a valid year and month.
std::optional<std::pair<int, int>> Month(std::string_view s) {
  if (s.size() != 7 || s[4] != '-') return std::nullopt;
  auto y = Digits(s.substr(0, 4), 4);
  auto m = Digits(s.substr(5, 2), 2);
  if (!y || !m || *y < 2000 || *y > 2099 || *m < 1 || *m > 12) return std::nullopt;
  return std::pair{*y, *m};
}

std::string MonthText(int year, int month) {
  char buf[8];
  buf[0] = static_cast<char>('0' + year / 1000);
  buf[1] = static_cast<char>('0' + year / 100 % 10);
  buf[2] = static_cast<char>('0' + year / 10 % 10);
  buf[3] = static_cast<char>('0' + year % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + month / 10);
  buf[6] = static_cast<char>('0' + month % 10);
  buf[7] = 0;
  return buf;
}

}  // namespace

std::vector<TableSpec> ReportSpecs(const Codebook& cb) {
  std::vector<std::string> directory;
  for (const auto& [id, code] : cb.directory) directory.push_back(code);
  directory.push_back("other");
  return {
      Spec(kTableChannelLocation, {Dim("channel", cb.channels), Dim("location", cb.locations)},
           1),
      Spec(kTableLanguage, {Dim("language", cb.languages)}, 1),
      Spec(kTableGender, {Dim("gender", cb.genders)}, 1),
      Spec(kTableAgeBand, {Dim("age_band", cb.age_bands)}, 1),
      Spec(kTableRegion, {Dim("region", cb.regions)}, 1),
      Spec(kTableTopics, {Dim("topic", cb.topics)}, kMaxTopicsPerRecord),
      Spec(kTableSignals, {Dim("assessment", cb.assessments), Dim("location", cb.locations)},
           1),
      Spec(kTableIndicatorCategories,
           {Dim("indicator_category", cb.indicator_categories), Dim("location", cb.locations)},
           kMaxCategoriesPerRecord),
      Spec(kTableEscalations,
           {Dim("escalation", cb.escalations), Dim("escalation_basis", cb.bases)}, 1),
      Spec(kTableReferrals,
           {Dim("referral_organisation", directory), Dim("referral_service", cb.services)},
           kMaxReferralsPerRecord),
      Spec(kTableResponseTimes, {Dim("response_band", ResponseTimeBands())}, 1),
      Spec(kTableRepeatContacts, {Dim("case_records", CaseBuckets())}, 2),
  };
}

Result<Period> ParsePeriod(std::string_view text) {
  Period p;
  p.label = std::string(text);
  if (auto year = Digits(text, 4)) {
    if (*year < 2000 || *year > 2099) return std::unexpected(PeriodError("year out of range"));
    p.first_month = MonthText(*year, 1);
    p.last_month = MonthText(*year, 12);
    return p;
  }
  if (text.size() == 7 && text.substr(4, 2) == "-Q") {
    auto year = Digits(text.substr(0, 4), 4);
    auto q = Digits(text.substr(6, 1), 1);
    if (!year || !q || *year < 2000 || *year > 2099 || *q < 1 || *q > 4) {
      return std::unexpected(PeriodError("bad quarter"));
    }
    p.first_month = MonthText(*year, 3 * *q - 2);
    p.last_month = MonthText(*year, 3 * *q);
    return p;
  }
  if (text.size() == 16 && text.substr(7, 2) == "..") {
    auto first = Month(text.substr(0, 7));
    auto last = Month(text.substr(9, 7));
    if (!first || !last) return std::unexpected(PeriodError("bad month"));
    if (first->first != last->first) return std::unexpected(PeriodError("spans two years"));
    if (first->second > last->second) return std::unexpected(PeriodError("ends before start"));
    p.first_month = std::string(text.substr(0, 7));
    p.last_month = std::string(text.substr(9, 7));
    return p;
  }
  return std::unexpected(PeriodError("unrecognised period"));
}

Result<ExactReport> BuildExact(Store& store, const Codebook& cb, const Period& period,
                               std::optional<int64_t> organisation_id) {
  ExactReport out;
  out.period = period;
  out.organisation_id = organisation_id;
  for (TableSpec& spec : ReportSpecs(cb)) {
    size_t cells = 1;
    for (const Dimension& d : spec.dims) cells *= d.codes.size();
    out.tables.push_back(CountTable{std::move(spec), std::vector<int64_t>(cells, 0)});
  }
  // Table positions in ReportSpecs' order.
  enum : size_t {
    kChannelLocation, kLanguage, kGender, kAge, kRegion, kTopics, kSignals, kCategories,
    kEscalations, kReferrals, kResponse, kRepeat, kTables
  };
  if (out.tables.size() != kTables || out.tables[kRepeat].spec.id != kTableRepeatContacts) {
    return Fail(ErrorCode::kInternal, "error.internal", "report specs out of step");
  }
  if (cb.indicator_categories.size() > 64) {
    return Fail(ErrorCode::kInternal, "error.internal", "more than 64 indicator categories");
  }

  const CodeIndex channel_ix = IndexFor(cb.channels), location_ix = IndexFor(cb.locations),
                  language_ix = IndexFor(cb.languages), gender_ix = IndexFor(cb.genders),
                  age_ix = IndexFor(cb.age_bands), region_ix = IndexFor(cb.regions),
                  topic_ix = IndexFor(cb.topics), assessment_ix = IndexFor(cb.assessments),
                  escalation_ix = IndexFor(cb.escalations), basis_ix = IndexFor(cb.bases),
                  service_ix = IndexFor(cb.services);
  const int basis_none = IndexOf(cb.bases, "none");
  const int topic_unknown = IndexOf(cb.topics, "unknown");
  const size_t nloc = cb.locations.size(), nbasis = cb.bases.size(),
               nservice = cb.services.size();

  // Indicator code -> category index, one table per list version.
  std::map<int64_t, std::vector<std::string>> codes_by_version;
  std::map<int64_t, std::vector<int>> category_by_version;
  for (const auto& [key, category] : cb.indicator_category) {
    const int c = IndexOf(cb.indicator_categories, category);
    if (c < 0) continue;
    codes_by_version[key.first].push_back(key.second);
    category_by_version[key.first].push_back(c);
  }
  std::map<int64_t, std::pair<CodeIndex, std::vector<int>>> indicator_ix;
  for (auto& [version, codes] : codes_by_version) {
    indicator_ix.emplace(version, std::pair{CodeIndex(codes, -1), category_by_version[version]});
  }

  std::unordered_map<int64_t, size_t> directory_ix;
  for (size_t i = 0; i < cb.directory.size(); ++i) directory_ix.emplace(cb.directory[i].first, i);
  const size_t directory_other = cb.directory.size();

  // One tally per scan part (the store may scan id ranges on two threads); summed below.
  struct Tally {
    std::vector<std::vector<int64_t>> cells;
    std::unordered_map<std::string, uint32_t> cases;  // case code -> records in the period
    int64_t single_records = 0, records = 0;
  };
  constexpr int kParts = 2;
  std::vector<Tally> tallies(kParts);
  for (Tally& t : tallies) {
    for (const CountTable& table : out.tables) t.cells.push_back(table.cells);
    t.cases.reserve(1 << 15);
  }

  auto add = [](std::vector<int64_t>& t, int i) {
    if (i >= 0) ++t[static_cast<size_t>(i)];
  };
  auto add2 = [](std::vector<int64_t>& t, int i, int j, size_t n) {
    if (i >= 0 && j >= 0) ++t[static_cast<size_t>(i) * n + static_cast<size_t>(j)];
  };

  Status scanned = store.ScanContacts(
      period.first_month, period.last_month, organisation_id, kParts,
      [&](int part, const ContactChunk& c) {
        Tally& tally = tallies[static_cast<size_t>(part)];
        std::vector<int64_t>& channel_location = tally.cells[kChannelLocation];
        std::vector<int64_t>& language = tally.cells[kLanguage];
        std::vector<int64_t>& gender = tally.cells[kGender];
        std::vector<int64_t>& age = tally.cells[kAge];
        std::vector<int64_t>& region = tally.cells[kRegion];
        std::vector<int64_t>& topics = tally.cells[kTopics];
        std::vector<int64_t>& signals = tally.cells[kSignals];
        std::vector<int64_t>& categories = tally.cells[kCategories];
        std::vector<int64_t>& escalations = tally.cells[kEscalations];
        std::vector<int64_t>& referrals = tally.cells[kReferrals];
        int64_t cached_version = -1;
        const std::pair<CodeIndex, std::vector<int>>* version_ix = nullptr;
        std::array<int, 16> picked{};
        for (size_t i = 0; i < c.size; ++i) {
          ++tally.records;
          const int loc = location_ix.Find(c.location[i]);
          add2(channel_location, channel_ix.Find(c.channel[i]), loc, nloc);
          add(language, language_ix.Find(c.language[i]));
          add(gender, gender_ix.Find(c.gender[i]));
          add(age, age_ix.Find(c.age_band[i]));
          add(region, region_ix.Find(c.region[i]));
          add2(signals, assessment_ix.Find(c.assessment[i]), loc, nloc);
          const int esc = escalation_ix.Find(c.escalation[i]);
          const int basis =
              c.escalation_basis[i].empty() ? basis_none : basis_ix.Find(c.escalation_basis[i]);
          add2(escalations, esc, basis, nbasis);

          // Topics: the first kMaxTopicsPerRecord in codebook order.
          size_t n = 0;
          for (uint32_t k = c.topic_begin[i]; k < c.topic_begin[i + 1]; ++k) {
            const int t = topic_ix.Find(c.topics[k]);
            if (t < 0) continue;
            if (std::find(picked.begin(), picked.begin() + n, t) != picked.begin() + n) continue;
            if (n < picked.size()) picked[n++] = t;
          }
          if (n == 0) {
            add(topics, topic_unknown);
          } else {
            std::sort(picked.begin(), picked.begin() + n);
            for (size_t k = 0; k < std::min<size_t>(n, kMaxTopicsPerRecord); ++k) {
              ++topics[static_cast<size_t>(picked[k])];
            }
          }

          // Indicator categories: a bit per category, the lowest kMaxCategoriesPerRecord.
          if (c.indicator_begin[i] < c.indicator_begin[i + 1] && loc >= 0) {
            if (c.indicator_version[i] != cached_version) {
              cached_version = c.indicator_version[i];
              auto it = indicator_ix.find(cached_version);
              version_ix = it == indicator_ix.end() ? nullptr : &it->second;
            }
            uint64_t bits = 0;
            if (version_ix) {
              for (uint32_t k = c.indicator_begin[i]; k < c.indicator_begin[i + 1]; ++k) {
                const int code = version_ix->first.Find(c.indicators[k]);
                if (code >= 0) bits |= uint64_t{1} << version_ix->second[static_cast<size_t>(code)];
              }
            }
            for (int64_t k = 0; k < kMaxCategoriesPerRecord && bits; ++k) {
              const int cat = std::countr_zero(bits);
              bits &= bits - 1;
              ++categories[static_cast<size_t>(cat) * nloc + static_cast<size_t>(loc)];
            }
          }

          // Referrals: the first kMaxReferralsPerRecord recorded.
          const uint32_t rb = c.referral_begin[i];
          const uint32_t re = std::min<uint32_t>(c.referral_begin[i + 1],
                                                 rb + static_cast<uint32_t>(kMaxReferralsPerRecord));
          for (uint32_t k = rb; k < re; ++k) {
            auto it = directory_ix.find(c.referral_directory[k]);
            const size_t org = it == directory_ix.end() ? directory_other : it->second;
            const int service = service_ix.Find(c.referral_service[k]);
            if (service >= 0) ++referrals[org * nservice + static_cast<size_t>(service)];
          }

          if (c.case_code[i].empty()) {
            ++tally.single_records;
          } else {
            ++tally.cases[c.case_code[i]];
          }
        }
      });
  if (!scanned) return std::unexpected(scanned.error());

  // Sum the parts. A case's records may lie in both parts: merge the case maps first.
  std::unordered_map<std::string, uint32_t>& cases = tallies[0].cases;
  for (size_t p = 0; p < tallies.size(); ++p) {
    out.records += tallies[p].records;
    for (size_t t = 0; t < kTables; ++t) {
      for (size_t i = 0; i < out.tables[t].cells.size(); ++i) {
        out.tables[t].cells[i] += tallies[p].cells[t][i];
      }
    }
    out.tables[kRepeat].cells[0] += tallies[p].single_records;
    if (p > 0) {
      for (const auto& [code, n] : tallies[p].cases) cases[code] += n;
    }
  }
  for (const auto& [code, n] : cases) ++out.tables[kRepeat].cells[CaseBucket(n)];

  auto times = store.ResponseTimes(period.first_month, period.last_month, organisation_id);
  if (!times) return std::unexpected(times.error());
  for (const ResponseTimeCount& r : *times) {
    const int band = IndexOf(ResponseTimeBands(), r.band);
    if (band >= 0) out.tables[kResponse].cells[static_cast<size_t>(band)] += r.count;
  }
  return out;
}

const CountTable* FindTable(const ExactReport& report, std::string_view id) {
  for (const CountTable& t : report.tables) {
    if (t.spec.id == id) return &t;
  }
  return nullptr;
}

}  // namespace vd::report
