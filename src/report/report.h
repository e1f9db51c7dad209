#pragma once
// The report data model shared by the engine (exact counts from contact records), disclosure
// control (discrete-Laplace noise or threshold suppression), the release ledger and the
// renderers (HTML with inline SVG, CSV, JSON). Every published table has a fixed codebook:
// its categories are set here in advance, never taken from the data, and every cell, zeros
// included, passes disclosure control. Plain values; no personal data can enter these types.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vd::report {

// One axis of a table: a fixed list of category codes, "unknown" included where it applies.
struct Dimension {
  std::string id;                  // "channel", "location", "indicator_category", ...
  std::vector<std::string> codes;  // fixed in advance; display names come from the catalogs
};

// A table definition. One contact record adds at most `sensitivity` to the sum of the
// absolute cell changes (L1): 1 for a single-valued field, M for a field capped at M values.
struct TableSpec {
  std::string id;               // stable: "contacts_by_channel", ...
  std::vector<Dimension> dims;  // one or two; cells are row-major over dims
  int64_t sensitivity = 1;
  // Set for tables derived from another (noisy) base table by summing its cells; derived
  // tables spend no budget of their own.
  std::string derived_from;
};

// Exact counts, row-major over spec.dims (for two dims: cell = i * dims[1].size() + j).
struct CountTable {
  TableSpec spec;
  std::vector<int64_t> cells;
};

// A reporting period: whole months, inclusive ("2026-01".."2026-12" for the year 2026).
struct Period {
  std::string label;        // "2026", "2026-Q2", "2026-01..2026-06"
  std::string first_month;  // "YYYY-MM"
  std::string last_month;   // "YYYY-MM"
  int year() const { return std::stoi(first_month.substr(0, 4)); }
};

// Exact tables for one period (and, for internal views, one organisation).
struct ExactReport {
  Period period;
  std::optional<int64_t> organisation_id;  // set: one organisation's internal, exact view
  int64_t records = 0;                     // contact records counted
  std::vector<CountTable> tables;
};

enum class Method { kDiscreteLaplace, kThreshold };

// One published cell. For kDiscreteLaplace `noisy` is the unclamped noisy count (may be
// negative; margins are sums of these so that parts add up) and `shown` is what is
// displayed: "0" for negatives, "< 10" below the display threshold, else the number. For
// kThreshold `suppressed` cells show "x" and `noisy` holds 0.
struct PublishedCell {
  int64_t noisy = 0;
  bool suppressed = false;
  std::string shown;
};

struct PublishedTable {
  TableSpec spec;
  Method method = Method::kDiscreteLaplace;
  // Budget this table spent, as a fraction epsilon = eps_num / eps_den (0/1 for derived
  // tables and for threshold mode); integers so that the sampler stays exact.
  int64_t eps_num = 0;
  int64_t eps_den = 1;
  // kDiscreteLaplace: values below it are shown as "< 10"; kThreshold: the minimum count.
  int64_t threshold = 10;
  std::vector<PublishedCell> cells;   // row-major as in CountTable
  std::vector<PublishedCell> row_margins;  // per dims[0] code (sum over dims[1]); 1-D: empty
  std::vector<PublishedCell> col_margins;  // per dims[1] code; 1-D: empty
  PublishedCell total;
};

// A release: the published form of one report, as stored in the ledger. Asking again for
// the same city, period and method returns this stored release, never new noise.
struct Release {
  int64_t id = 0;
  std::string city;
  Period period;
  Method method = Method::kDiscreteLaplace;
  std::string status;        // "draft" (coordinators preview) or "published" (analysts see)
  std::string code_version;  // VD_VERSION that made it
  int64_t created_at = 0;
  int64_t published_at = 0;
  std::vector<PublishedTable> tables;
};

}  // namespace vd::report
