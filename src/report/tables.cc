#include "report/tables.h"

#include <algorithm>
#include <array>
#include <bit>

#include "report/engine.h"
#include "report/tally.h"
#include "store/contact_fields.h"

namespace vd::report {
namespace {

using C = ContactChunk;

// A dimension over a contact field: its id and code prefix are the field's
// (store/contact_fields.h); a single-valued field is coded from its scan column.
consteval DimensionDef FieldDim(std::string_view name) {
  const ContactField& f = FieldNamed(name);
  return DimensionDef{.id = f.name,
                      .code_prefix = f.prefix,
                      .field = f.choice == Choice::kOne ? FieldIndex(name) : kNoField};
}

// Dimensions, each defined once and shared by the tables that use it.
constexpr DimensionDef kChannel = FieldDim("channel");
constexpr DimensionDef kLocation = FieldDim("location");
constexpr DimensionDef kLanguage = FieldDim("language");
constexpr DimensionDef kGender = FieldDim("gender");
constexpr DimensionDef kAgeBand = FieldDim("age_band");
constexpr DimensionDef kRegion = FieldDim("region");
constexpr DimensionDef kAssessment = FieldDim("assessment");
constexpr DimensionDef kTopic = FieldDim("topic");
constexpr DimensionDef kEscalation{.id = "escalation", .code_prefix = "c.escalation.",
                                   .column = &C::escalation};
// A record without escalation has no basis: it counts as "none".
constexpr DimensionDef kEscalationBasis{.id = "escalation_basis", .code_prefix = "c.basis.",
                                        .column = &C::escalation_basis, .empty_code = "none"};
constexpr DimensionDef kIndicatorCategory{"indicator_category", ""};
constexpr DimensionDef kReferralService{"referral_service", "c.service."};

std::vector<std::string> DirectoryCodes(const Codebook& cb) {
  std::vector<std::string> codes;
  for (const auto& [id, code] : cb.directory) codes.push_back(code);
  codes.push_back("other");
  return codes;
}
constexpr DimensionDef kReferralOrganisation{.id = "referral_organisation",
                                             .codes = DirectoryCodes};

std::vector<std::string> ResponseBands(const Codebook&) { return ResponseTimeBands(); }
constexpr DimensionDef kResponseBand{.id = "response_band", .code_prefix = "report.band.",
                                     .codes = ResponseBands};

std::vector<std::string> CaseBuckets(const Codebook&) { return {"1", "2", "3-5", "6+"}; }
constexpr DimensionDef kCaseRecords{.id = "case_records", .code_prefix = "report.case_records.",
                                    .codes = CaseBuckets};
size_t CaseBucket(int64_t records) {
  if (records <= 1) return 0;
  if (records == 2) return 1;
  if (records <= 5) return 2;
  return 3;
}

// A record counts once under each of its topics, at most `cap` of them: when it has more,
// the ones that come first in the codebook's order are kept. No topic recorded: "unknown".
void TallyTopics(const TallyArgs& a) {
  constexpr size_t kTopic = FieldIndex("topic");
  const std::vector<uint32_t>& begin = a.chunk.many_begin[kTopic];
  const std::vector<std::string>& topics = a.chunk.many[kTopic];
  std::array<int, 16> picked{};
  size_t n = 0;
  for (uint32_t k = begin[a.i]; k < begin[a.i + 1]; ++k) {
    const int t = a.dims[0].index.Find(topics[k]);
    if (t < 0) continue;
    if (std::find(picked.begin(), picked.begin() + n, t) != picked.begin() + n) continue;
    if (n < picked.size()) picked[n++] = t;
  }
  if (n == 0) {
    if (a.dims[0].unknown >= 0) ++a.cells[a.dims[0].unknown];
    return;
  }
  std::sort(picked.begin(), picked.begin() + n);
  for (size_t k = 0; k < std::min<size_t>(n, static_cast<size_t>(a.cap)); ++k) ++a.cells[picked[k]];
}

// A record counts once under each category of which it has at least one indicator (at most
// `cap` categories, the first in the codebook's order), in the column of its location.
// Records without indicators are in no cell.
void TallyIndicatorCategories(const TallyArgs& a) {
  const ContactChunk& c = a.chunk;
  const int loc = a.coded[1];
  if (c.indicator_begin[a.i] >= c.indicator_begin[a.i + 1] || loc < 0) return;
  uint64_t bits = 0;
  if (auto it = a.codebook.indicators.find(c.indicator_version[a.i]); it != a.codebook.indicators.end()) {
    for (uint32_t k = c.indicator_begin[a.i]; k < c.indicator_begin[a.i + 1]; ++k) {
      const int code = it->second.first.Find(c.indicators[k]);
      if (code >= 0) bits |= uint64_t{1} << it->second.second[static_cast<size_t>(code)];
    }
  }
  for (int64_t k = 0; k < a.cap && bits; ++k) {
    const int cat = std::countr_zero(bits);
    bits &= bits - 1;
    ++a.cells[static_cast<size_t>(cat) * a.dims[1].size + static_cast<size_t>(loc)];
  }
}

// Each referral of a record counts once, at most `cap` per record (the first recorded).
void TallyReferrals(const TallyArgs& a) {
  const ContactChunk& c = a.chunk;
  const uint32_t begin = c.referral_begin[a.i];
  const uint32_t end =
      std::min<uint32_t>(c.referral_begin[a.i + 1], begin + static_cast<uint32_t>(a.cap));
  for (uint32_t k = begin; k < end; ++k) {
    auto it = a.codebook.directory.find(c.referral_directory[k]);
    const size_t org = it == a.codebook.directory.end() ? a.codebook.directory_other : it->second;
    const int service = a.dims[1].index.Find(c.referral_service[k]);
    if (service >= 0) ++a.cells[org * a.dims[1].size + static_cast<size_t>(service)];
  }
}

std::vector<TableDef> MakeTables() {
  using S = Section;
  // Shares of the release's ε: the tables that answer the council's questions directly get
  // more (less noise). Today they sum to 21.
  std::vector<TableDef> t = {
      {.id = kTableChannelLocation, .dims = {kChannel, kLocation}, .share = 3, .section = S::kReach,
       .one_cell_per_record = true},
      {.id = kTableLanguage, .dims = {kLanguage}, .share = 2, .section = S::kReach, .one_cell_per_record = true},
      {.id = kTableGender, .dims = {kGender}, .share = 2, .section = S::kReach, .one_cell_per_record = true},
      {.id = kTableAgeBand, .dims = {kAgeBand}, .share = 1, .section = S::kReach, .one_cell_per_record = true},
      {.id = kTableRegion, .dims = {kRegion}, .share = 2, .section = S::kReach, .one_cell_per_record = true},
      {.id = "contacts_by_how_found", .dims = {FieldDim("how_found")}, .share = 1, .section = S::kReach,
       .one_cell_per_record = true},
      {.id = kTableTopics, .dims = {kTopic}, .sensitivity = kMaxTopicsPerRecord, .share = 1,
       .section = S::kOther, .tally = TallyTopics},
      // Share with any signal = (concern + strong) / all; strong signal = strong / all.
      {.id = kTableSignals, .dims = {kAssessment, kLocation}, .share = 3, .section = S::kSignals,
       .one_cell_per_record = true},
      {.id = kTableIndicatorCategories, .dims = {kIndicatorCategory, kLocation},
       .sensitivity = kMaxCategoriesPerRecord, .share = 2, .section = S::kSignals,
       .tally = TallyIndicatorCategories},
      {.id = kTableEscalations, .dims = {kEscalation, kEscalationBasis}, .share = 1,
       .section = S::kSignals, .one_cell_per_record = true},
      {.id = kTableReferrals, .dims = {kReferralOrganisation, kReferralService},
       .sensitivity = kMaxReferralsPerRecord, .share = 1, .section = S::kSignals,
       .tally = TallyReferrals},
      // Unit: a conversation (its first advisor reply), not contact records.
      {.id = kTableResponseTimes, .dims = {kResponseBand}, .share = 1, .section = S::kOther,
       .source = Source::kResponseTimes},
      // Adding or removing one record moves one case between two cells (or adds one to
      // "1"): Δ 2.
      {.id = kTableRepeatContacts, .dims = {kCaseRecords}, .sensitivity = 2, .share = 1,
       .section = S::kOther, .source = Source::kCases, .case_cell = CaseBucket},
      {.id = "contacts_by_channel", .dims = {kChannel}, .section = S::kReach,
       .source = Source::kDerived, .derived_from = kTableChannelLocation},
      {.id = "contacts_by_location", .dims = {kLocation}, .section = S::kReach,
       .source = Source::kDerived, .derived_from = kTableChannelLocation},
  };
  return t;
}

}  // namespace

const std::vector<TableDef>& ReportTables() {
  static const std::vector<TableDef> tables = [] {
    std::vector<TableDef> t = MakeTables();
    for (TableDef& def : t) {
      if (def.title.empty()) def.title = "report.table." + std::string(def.id);
    }
    return t;
  }();
  return tables;
}

const TableDef* FindTableDef(std::string_view id) {
  for (const TableDef& t : ReportTables()) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const DimensionDef* FindDimensionDef(std::string_view id) {
  for (const TableDef& t : ReportTables()) {
    for (const DimensionDef& d : t.dims) {
      if (d.id == id) return &d;
    }
  }
  return nullptr;
}

Section SectionOf(const TableSpec& spec) {
  if (const TableDef* def = FindTableDef(spec.id)) return def->section;
  if (const TableDef* base = FindTableDef(spec.derived_from)) return base->section;
  return Section::kOther;
}

std::vector<std::string> CodesOf(const DimensionDef& dim, const Codebook& codebook) {
  if (dim.codes) return dim.codes(codebook);
  auto it = codebook.codes.find(dim.id);
  if (it != codebook.codes.end()) return it->second;
  // A contact field the codebook does not list has its own fixed codes.
  for (const ContactField& f : kContactFields) {
    if (f.name == dim.id) return {f.codes.begin(), f.codes.end()};
  }
  return {};
}

}  // namespace vd::report
