#include "report/engine.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "report/tally.h"

namespace vd::report {
namespace {

int IndexOf(const std::vector<std::string>& codes, std::string_view code) {
  auto it = std::ranges::find(codes, code);
  return it == codes.end() ? -1 : static_cast<int>(it - codes.begin());
}

// "unknown" if the list has it, else "other", else -1.
int Fallback(const std::vector<std::string>& codes) {
  const int unknown = IndexOf(codes, "unknown");
  return unknown >= 0 ? unknown : IndexOf(codes, "other");
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

// A single-valued field as the engine codes it once per record, for every table using it.
struct FieldSlot {
  size_t field;  // kContactFields index, or kNoField: then `column`
  const std::vector<std::string> ContactChunk::*column;
  CodeIndex index;
  int empty = -1;  // the code of an empty value, when the dimension names one
  bool has_empty = false;
};

// A base table while it is being tallied.
struct TableTally {
  const TableDef* def;
  std::vector<DimLookup> dims;
  std::vector<int> slots;  // per dim: its FieldSlot, or -1
};

CodebookLookups MakeCodebookLookups(const Codebook& cb, const std::vector<std::string>& categories) {
  CodebookLookups out;
  std::map<int64_t, std::vector<std::string>> codes_by_version;
  std::map<int64_t, std::vector<int>> category_by_version;
  for (const auto& [key, category] : cb.indicator_category) {
    const int c = IndexOf(categories, category);
    if (c < 0) continue;
    codes_by_version[key.first].push_back(key.second);
    category_by_version[key.first].push_back(c);
  }
  for (auto& [version, codes] : codes_by_version) {
    out.indicators.emplace(version, std::pair{CodeIndex(codes, -1), category_by_version[version]});
  }
  for (size_t i = 0; i < cb.directory.size(); ++i) out.directory.emplace(cb.directory[i].first, i);
  out.directory_other = cb.directory.size();
  return out;
}

}  // namespace

std::vector<TableSpec> ReportSpecs(const Codebook& cb) {
  std::vector<TableSpec> specs;
  for (const TableDef& def : ReportTables()) {
    if (def.source == Source::kDerived) continue;
    TableSpec s;
    s.id = def.id;
    for (const DimensionDef& d : def.dims) s.dims.push_back(Dimension{std::string(d.id), CodesOf(d, cb)});
    s.sensitivity = def.sensitivity;
    specs.push_back(std::move(s));
  }
  return specs;
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
                               std::optional<int64_t> organisation_id, int64_t person_cap) {
  if (person_cap > 0 && organisation_id) {
    return Fail(ErrorCode::kInternal, "error.internal", "contribution bounding is for releases");
  }
  // The records contribution bounding leaves out (few: only cases past the cap have any).
  std::vector<int64_t> left_out;
  if (person_cap > 0) {
    Result<std::vector<int64_t>> ids = store.Read("records beyond case cap", [&](Tx& tx) {
      return store.reports().RecordsBeyondCaseCap(tx, period.first_month, period.last_month,
                                                  person_cap);
    });
    if (!ids) return std::unexpected(ids.error());
    left_out = std::move(*ids);
  }
  ExactReport out;
  out.period = period;
  out.organisation_id = organisation_id;
  for (TableSpec& spec : ReportSpecs(cb)) {
    size_t cells = 1;
    for (const Dimension& d : spec.dims) cells *= d.codes.size();
    out.tables.push_back(CountTable{std::move(spec), std::vector<int64_t>(cells, 0)});
  }

  // Lookups for every table, and one slot per single-valued field (coded once per record).
  std::vector<TableTally> tables;
  std::vector<FieldSlot> slots;
  std::vector<std::string> slot_dims;
  bool cases = false;
  for (const CountTable& table : out.tables) {
    const TableDef* def = FindTableDef(table.spec.id);
    if (!def || def->dims.size() != table.spec.dims.size() || def->dims.size() > 2) {
      return Fail(ErrorCode::kInternal, "error.internal", "report specs out of step");
    }
    TableTally t{def, {}, {}};
    for (size_t d = 0; d < def->dims.size(); ++d) {
      const DimensionDef& dim = def->dims[d];
      const std::vector<std::string>& codes = table.spec.dims[d].codes;
      t.dims.push_back(DimLookup{CodeIndex(codes, Fallback(codes)), codes.size(), IndexOf(codes, "unknown")});
      int slot = -1;
      if (dim.field != kNoField || dim.column) {
        auto it = std::ranges::find(slot_dims, dim.id);
        if (it == slot_dims.end()) {
          FieldSlot f{dim.field, dim.column, CodeIndex(codes, Fallback(codes))};
          if (!dim.empty_code.empty()) {
            f.has_empty = true;
            f.empty = IndexOf(codes, dim.empty_code);
          }
          slots.push_back(std::move(f));
          slot_dims.emplace_back(dim.id);
          slot = static_cast<int>(slots.size() - 1);
        } else {
          slot = static_cast<int>(it - slot_dims.begin());
        }
      } else if (def->source == Source::kRecords && !def->tally) {
        return Fail(ErrorCode::kInternal, "error.internal", "report table without a tally");
      }
      t.slots.push_back(slot);
    }
    cases = cases || def->source == Source::kCases;
    tables.push_back(std::move(t));
  }
  const std::vector<std::string> no_categories;
  auto categories = cb.codes.find("indicator_category");
  const std::vector<std::string>& category_codes = categories == cb.codes.end() ? no_categories : categories->second;
  if (category_codes.size() > 64) {
    return Fail(ErrorCode::kInternal, "error.internal", "more than 64 indicator categories");
  }
  const CodebookLookups lookups = MakeCodebookLookups(cb, category_codes);

  // One tally per scan part (the store may scan id ranges on two threads); summed below.
  struct Part {
    std::vector<std::vector<int64_t>> cells;
    std::unordered_map<std::string, uint32_t> cases;  // case code -> records in the period
    int64_t single_records = 0, records = 0;
  };
  constexpr int kParts = 2;
  std::vector<Part> parts(kParts);
  for (Part& p : parts) {
    for (const CountTable& table : out.tables) p.cells.push_back(table.cells);
    if (cases) p.cases.reserve(1 << 15);
  }

  Status scanned = store.ScanContacts(
      period.first_month, period.last_month, organisation_id, kParts,
      [&](int part_index, const ContactChunk& c) {
        Part& part = parts[static_cast<size_t>(part_index)];
        std::vector<int> coded(slots.size());
        std::array<int, 2> dims_coded{};
        std::vector<const std::vector<std::string>*> columns(slots.size());
        for (size_t s = 0; s < slots.size(); ++s) {
          columns[s] = slots[s].field != kNoField ? &c.one[slots[s].field] : &(c.*slots[s].column);
        }
        for (size_t i = 0; i < c.size; ++i) {
          if (!left_out.empty() && !c.case_code[i].empty() &&
              std::ranges::binary_search(left_out, static_cast<int64_t>(c.id[i]))) {
            if (cases) ++part.cases[c.case_code[i]];  // its case still has it; no table of records does
            continue;
          }
          ++part.records;
          for (size_t s = 0; s < slots.size(); ++s) {
            const std::string& value = (*columns[s])[i];
            coded[s] = slots[s].has_empty && value.empty() ? slots[s].empty : slots[s].index.Find(value);
          }
          for (size_t t = 0; t < tables.size(); ++t) {
            const TableTally& table = tables[t];
            if (table.def->source != Source::kRecords) continue;
            int64_t* cells = part.cells[t].data();
            for (size_t d = 0; d < table.slots.size() && d < dims_coded.size(); ++d) {
              dims_coded[d] = table.slots[d] >= 0 ? coded[static_cast<size_t>(table.slots[d])] : -1;
            }
            if (table.def->tally) {
              table.def->tally(TallyArgs{c, i, table.dims.data(), dims_coded.data(),
                                         table.def->sensitivity, lookups, cells});
              continue;
            }
            // Once, in the cell of the dims' coded values.
            size_t cell = 0;
            bool counted = true;
            for (size_t d = 0; d < table.dims.size(); ++d) {
              if (dims_coded[d] < 0) counted = false;
              cell = cell * table.dims[d].size + static_cast<size_t>(dims_coded[d]);
            }
            if (counted) ++cells[cell];
          }
          if (!cases) continue;
          if (c.case_code[i].empty()) {
            ++part.single_records;
          } else {
            ++part.cases[c.case_code[i]];
          }
        }
      });
  if (!scanned) return std::unexpected(scanned.error());

  // Sum the parts. A case's records may lie in both parts: merge the case maps first.
  std::unordered_map<std::string, uint32_t>& all_cases = parts[0].cases;
  for (size_t p = 0; p < parts.size(); ++p) {
    out.records += parts[p].records;
    for (size_t t = 0; t < out.tables.size(); ++t) {
      for (size_t i = 0; i < out.tables[t].cells.size(); ++i) out.tables[t].cells[i] += parts[p].cells[t][i];
    }
    if (p > 0) {
      for (const auto& [code, n] : parts[p].cases) all_cases[code] += n;
    }
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    std::vector<int64_t>& cells = out.tables[t].cells;
    if (tables[t].def->source == Source::kCases) {
      auto add = [&](size_t cell, int64_t n) {
        if (cell < cells.size()) cells[cell] += n;
      };
      for (const Part& p : parts) add(tables[t].def->case_cell(1), p.single_records);
      for (const auto& [code, n] : all_cases) add(tables[t].def->case_cell(n), 1);
    } else if (tables[t].def->source == Source::kResponseTimes) {
      auto times = store.Read("response times", [&](Tx& tx) {
        return store.reports().ResponseTimes(tx, period.first_month, period.last_month,
                                             organisation_id);
      });
      if (!times) return std::unexpected(times.error());
      for (const ResponseTimeCount& r : *times) {
        const int band = IndexOf(out.tables[t].spec.dims[0].codes, r.band);
        if (band >= 0) cells[static_cast<size_t>(band)] += r.count;
      }
    }
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
