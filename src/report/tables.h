#pragma once
// The report's tables, each defined once (tables.cc): its id, dimensions, sensitivity, share
// of the release's budget, section of the report, how a record is tallied, and its labels.
// Everything else reads this one list: the engine fills the base tables in list order in one
// pass over the records (engine.h), the release splits ε by the stated shares and derives the
// derived tables (release.h), the renderers place and title each table (render.h), and the
// labels name each dimension's codes (labels.h). Adding a table is one entry, plus its catalog
// strings; a one-dimensional table over a single-valued contact field is one line. Constant
// data built once; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "report/report.h"
#include "store/report_rows.h"

namespace vd::report {

struct Codebook;
struct TallyArgs;

// Where the annual report shows a table: under question 1 (signals and what followed),
// question 2 (whom the service reaches) or the other figures.
enum class Section { kSignals, kReach, kOther };

// Which records a table counts.
enum class Source {
  kRecords,        // contact records of the period: the tally runs once per record
  kCases,          // cases by their number of the period's records (a record without a case
                   // code is a case of one): TableDef::case_cell places each case
  kResponseTimes,  // conversations by the band of their first advisor reply (the store's
                   // ResponseTimes; codes are its bands)
  kDerived,        // sums of a published base table's noisy cells; spends no budget
};

inline constexpr size_t kNoField = static_cast<size_t>(-1);

// One axis of a table.
struct DimensionDef {
  std::string_view id{};  // stable: "channel", ...; also the key of its codes in the Codebook
  // Msgid prefix naming a code ("c.channel." + code). Empty: the names come from the
  // report's domain (indicator categories, directory organisations) or "report.code.*".
  std::string_view code_prefix{};
  // A single-valued value of the record: the index of its field in kContactFields
  // (store/contact_fields.h; its column is ContactChunk::one[field]), or a column of the
  // store's scan outside the field table. The engine codes the value once per record: a
  // value outside the codes counts under "unknown", else "other", else not at all; an empty
  // value counts under `empty_code` when that is set.
  size_t field = kNoField;
  const std::vector<std::string> ContactChunk::*column = nullptr;
  std::string_view empty_code{};
  // Codes the report fixes itself (or builds from the codebook); nullptr: codebook.codes[id],
  // else (a contact field) the field's codes.
  std::vector<std::string> (*codes)(const Codebook&) = nullptr;
};

// Adds one record to a kRecords table's cells (row-major over its dims).
using TallyFn = void (*)(const TallyArgs& args);

struct TableDef {
  std::string_view id{};           // stable: stored in releases, shown in CSV and JSON
  std::vector<DimensionDef> dims{};  // one or two; for kDerived the base dims it keeps
  // Δ: the most one contact record changes the sum of the table's absolute cell values;
  // for multi-valued fields also how many values of a record count (its cap M).
  int64_t sensitivity = 1;
  // Share of the release's ε: share / (sum of every table's share). 0 for derived tables.
  int64_t share = 0;
  Section section = Section::kOther;
  Source source = Source::kRecords;
  // kRecords: how a record is counted; nullptr: once, in the cell of its dims' coded field
  // values (every dim then needs a column), not at all if one of them is not counted.
  TallyFn tally = nullptr;
  size_t (*case_cell)(int64_t records) = nullptr;  // kCases
  std::string_view derived_from{};                 // kDerived: the base table's id
  std::string title{};  // msgid of its title; left empty: "report.table." + id
  // Every counted record lies in exactly one cell (single-valued fields with "unknown"), so
  // the table's total estimates the number of records: the release publishes one total for
  // all such tables (ReconcileTotals, disclosure.h).
  bool one_cell_per_record = false;
};

// Ids of the tables that code refers to by name (tests, the renderer's key figures).
inline constexpr char kTableChannelLocation[] = "contacts_by_channel_location";
inline constexpr char kTableLanguage[] = "contacts_by_language";
inline constexpr char kTableGender[] = "contacts_by_gender";
inline constexpr char kTableAgeBand[] = "contacts_by_age_band";
inline constexpr char kTableRegion[] = "contacts_by_region";
inline constexpr char kTableTopics[] = "topics";
inline constexpr char kTableSignals[] = "signals_by_location";
inline constexpr char kTableIndicatorCategories[] = "indicator_categories_by_location";
inline constexpr char kTableEscalations[] = "escalations";
inline constexpr char kTableReferrals[] = "referrals";
inline constexpr char kTableResponseTimes[] = "response_times";
inline constexpr char kTableRepeatContacts[] = "repeat_contacts";

// Every table of the annual report in report order: the base tables (filled by the engine,
// protected by the release), then the derived ones.
const std::vector<TableDef>& ReportTables();

// The definition of table `id`, or nullptr (e.g. a table of an older stored release).
const TableDef* FindTableDef(std::string_view id);
// The first definition of dimension `id` in ReportTables(), or nullptr.
const DimensionDef* FindDimensionDef(std::string_view id);

// The section of a published table: its definition's, else its base table's, else kOther.
Section SectionOf(const TableSpec& spec);

// The dimension's codes in display order (see DimensionDef::codes).
std::vector<std::string> CodesOf(const DimensionDef& dim, const Codebook& codebook);

}  // namespace vd::report
