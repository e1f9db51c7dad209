#pragma once
// Rows of schema version 4, the reporting side: the release ledger (privacy budget spent per
// city and year), the city's population estimates, first-reply time counters, and the
// column-wise chunks in which the report engine scans contact records. Plain values; none of
// them can hold a worker's identity (response times are counts, never conversation ids).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "store/contact_fields.h"

namespace vd {

// One release in the ledger. `payload` is the serialised published tables (opaque here).
struct ReleaseRecord {
  int64_t id = 0;
  std::string city;
  std::string period_label;  // "2026", "2026-Q2", "2026-01..2026-06"
  std::string first_month;   // "YYYY-MM"
  std::string last_month;
  int64_t year = 0;          // the calendar year whose budget it spends
  std::string method;        // "laplace" or "threshold"
  std::string status;        // "draft" or "published"
  int64_t eps_num = 0;       // epsilon spent = eps_num / eps_den (0/1 for threshold mode)
  int64_t eps_den = 1;
  std::string code_version;
  int64_t created_at = 0;
  int64_t published_at = 0;  // 0 while a draft
  std::string payload;
};

// The terms of one calendar year's releases, fixed with the year's first release (schema 12)
// and never changed by configuration afterwards (it may only lower the cap).
struct ReleaseTerms {
  int64_t year = 0;
  std::string city;          // the name the year's reports carry
  int64_t cap_num = 0;       // the year's ε = cap_num / cap_den, per contact record
  int64_t cap_den = 1;
  std::string method;        // "laplace" or "threshold"
  std::string periods;       // "year": the whole year only; "quarters": the year and its quarters
  int64_t person_cap = 0;    // records of one case (person) per period that count
  std::string code_version;  // VD_VERSION that fixed them
  int64_t fixed_at = 0;
};

// A city's estimate of the share of one group in the sex-work population, from a public
// source (coordinators enter it; reach is reported against it).
struct PopulationEstimate {
  std::string city;
  int64_t year = 0;
  std::string dimension;     // "language", "gender", "region", ...
  std::string code;          // a code of that dimension's fixed list
  int64_t per_mille = 0;     // 0..1000
  std::string source;        // bibliographic reference, public
  int64_t updated_at = 0;
};

// Summed first-reply counters: how many conversations got their first advisor reply within
// `band` of the worker's first message, the month being that of the first message.
struct ResponseTimeCount {
  std::string band;  // "<1h", "1-4h", "4-24h", "1-3d", ">3d"
  int64_t count = 0;
};

// The bands of ResponseTimeCount, shortest first, and the band of a delay in seconds.
const std::vector<std::string>& ResponseTimeBands();
const std::string& ResponseTimeBand(int64_t seconds);

// A chunk of contact records in id order, column-wise so that the store's bulk fetch fills
// the vectors directly. Contact i's codes of a kMany field f are many[f][many_begin[f][i] ..
// many_begin[f][i + 1]), likewise indicators and referrals; the *_begin vectors have size + 1 entries. Only the
// fields reports use are filled (no notes, no advice, no conversation id).
// `one[FieldIndex(name)]` is the column of a reported Choice::kOne field (empty for fields
// reports do not count), `many[...]` the codes of a reported kMany field with their
// `many_begin[...]` offsets.
struct ContactChunk {
  size_t size = 0;
  std::vector<long long> id, organisation_id, indicator_version;
  std::vector<std::string> month, escalation, escalation_basis, case_code;
  std::array<std::vector<std::string>, kContactFields.size()> one;
  std::array<std::vector<uint32_t>, kContactFields.size()> many_begin;
  std::array<std::vector<std::string>, kContactFields.size()> many;
  std::vector<uint32_t> indicator_begin, referral_begin;
  std::vector<std::string> indicators;
  std::vector<long long> referral_directory;
  std::vector<std::string> referral_service;
};

}  // namespace vd
