#include "report/release.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <numeric>

#include "core/text.h"

namespace vd::report {
namespace {

// The sum of the tables' stated shares (tables.h): a table gets share / total of a release's ε.
int64_t ShareTotal() {
  int64_t total = 0;
  for (const TableDef& t : ReportTables()) total += t.share;
  return total;
}

Fraction Reduce(int64_t num, int64_t den) {
  const int64_t g = std::gcd(num, den);
  return g > 0 ? Fraction{num / g, den / g} : Fraction{num, den};
}

// The kinds of period a release can be of; a month range is none of them.
enum class Kind { kYear, kQuarter, kMonths };

Kind KindOf(const Period& p) {
  const int m1 = std::stoi(p.first_month.substr(5, 2)), m2 = std::stoi(p.last_month.substr(5, 2));
  if (p.label.size() == 4 && m1 == 1 && m2 == 12) return Kind::kYear;
  if (p.label.size() == 7 && p.label[5] == 'Q' && (m1 - 1) % 3 == 0 && m2 == m1 + 2) return Kind::kQuarter;
  return Kind::kMonths;
}

// a < b for non-negative fractions with positive denominators.
bool Less(const Fraction& a, const Fraction& b) {
  return static_cast<__int128>(a.num) * b.den < static_cast<__int128>(b.num) * a.den;
}

std::string FractionText(int64_t num, int64_t den) {
  const Fraction f = Reduce(num, den);
  return f.den == 1 ? std::to_string(f.num) : std::to_string(f.num) + "/" + std::to_string(f.den);
}

Error Refused(ErrorCode code, const char* msgid, std::string detail) {
  return Error{code, msgid, std::move(detail)};
}

Error Corrupt(std::string detail) {
  return Error{ErrorCode::kInternal, "error.internal", "release payload: " + std::move(detail)};
}

// Payload strings: '%', whitespace and ':' are percent-encoded so that fields split on them.
std::string Esc(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (c == '%' || c == ':' || c <= ' ' || c == 0x7f) {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out.empty() ? "%00" : out;  // never an empty token
}

std::optional<std::string> Unesc(std::string_view s) {
  if (s == "%00") return std::string();
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

std::optional<int64_t> Int(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::string Cell(const PublishedCell& c) {
  return std::to_string(c.noisy) + ":" + (c.suppressed ? "1" : "0") + ":" + Esc(c.shown);
}

std::optional<PublishedCell> ParseCell(std::string_view tok) {
  const size_t a = tok.find(':');
  const size_t b = a == std::string_view::npos ? a : tok.find(':', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  auto noisy = Int(tok.substr(0, a));
  auto shown = Unesc(tok.substr(b + 1));
  const std::string_view s = tok.substr(a + 1, b - a - 1);
  if (!noisy || !shown || (s != "0" && s != "1")) return std::nullopt;
  return PublishedCell{*noisy, s == "1", *shown};
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> out;
  for (std::string_view w : Split(line, ' ')) {
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

}  // namespace

Result<Release> ReleaseFromRecord(const ReleaseRecord& rec) {
  Release r;
  r.id = rec.id;
  r.city = rec.city;
  r.period = {rec.period_label, rec.first_month, rec.last_month};
  auto method = ParseMethod(rec.method);
  if (!method) return std::unexpected(Corrupt("method"));
  r.method = *method;
  r.status = rec.status;
  r.code_version = rec.code_version;
  r.created_at = rec.created_at;
  r.published_at = rec.published_at;
  auto tables = DecodeTables(rec.payload);
  if (!tables) return std::unexpected(tables.error());
  r.tables = std::move(*tables);
  return r;
}

Fraction ReleaseEpsilon(const Fraction& cap, const Period& period, Periods periods) {
  const Kind kind = KindOf(period);
  if (kind == Kind::kYear) return periods == Periods::kYear ? Reduce(cap.num, cap.den) : Reduce(cap.num, cap.den * 2);
  if (kind == Kind::kQuarter && periods == Periods::kQuarters) return Reduce(cap.num, cap.den * 8);
  return Fraction{0, 1};
}

Allocation ReleaseAllocation(const Fraction& cap, const Period& period, Periods periods) {
  Allocation a;
  a.cap = cap;
  const Fraction eps = ReleaseEpsilon(cap, period, periods);
  const int64_t total = ShareTotal();
  for (const TableDef& t : ReportTables()) {
    if (t.share > 0) a.shares.emplace_back(std::string(t.id), Reduce(eps.num * t.share, eps.den * total));
  }
  return a;
}

std::string PeriodsCode(Periods periods) { return periods == Periods::kQuarters ? "quarters" : "year"; }

Result<Periods> ParsePeriods(std::string_view code) {
  if (code == "year") return Periods::kYear;
  if (code == "quarters") return Periods::kQuarters;
  return std::unexpected(Error{ErrorCode::kInvalidInput, "staff_error.report_periods", "periods"});
}

// Threshold mode is withdrawn (issue 15): exact counts released for overlapping periods, or a
// margin published in one table beside a cell suppressed in a linked one, recover suppressed
// cells exactly, and so does a coordinator's exact internal view of her own organisation
// subtracted from the city's tables. Making it sound means auditing every table of every
// released period of the year, and every internal view, together (τ-ARGUS's protection
// intervals over linked tables); with internal views of exact counts for each organisation
// that cannot be done for exact publication at all. Noise has none of these failures.
Result<ReleaseTerms> TermsFor(const std::optional<ReleaseTerms>& stored,
                              const ReleaseSettings& settings, const Period& period, int64_t now) {
  if (settings.method == Method::kThreshold) {
    return std::unexpected(Refused(ErrorCode::kInvalidInput, "staff_error.report_method_withdrawn",
                                   "threshold mode is withdrawn; set [report] method = \"laplace\""));
  }
  const Kind kind = KindOf(period);
  if (kind == Kind::kMonths) {
    return std::unexpected(Refused(ErrorCode::kInvalidInput, "staff_error.report_period_release",
                                   "a release is of a year (2026) or a quarter (2026-Q2)"));
  }
  if (settings.cap.num <= 0 || settings.cap.den <= 0 || settings.person_cap < 1) {
    return std::unexpected(Refused(ErrorCode::kInvalidInput, "staff_error.report_parameters",
                                   "cap and records per person must be positive"));
  }
  const std::string year = std::to_string(period.year());
  ReleaseTerms t;
  if (!stored) {
    t.year = period.year();
    t.city = settings.city;
    t.cap_num = settings.cap.num;
    t.cap_den = settings.cap.den;
    t.method = MethodCode(settings.method);
    t.periods = PeriodsCode(settings.periods);
    t.person_cap = settings.person_cap;
    t.code_version = settings.code_version;
    t.fixed_at = now;
  } else {
    t = *stored;
    if (stored->city != settings.city) {
      return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_city_fixed",
                                     "the releases of " + year + " were made for the city \"" +
                                         stored->city + "\"; [report] city is \"" + settings.city + "\""));
    }
    if (stored->method != MethodCode(settings.method)) {
      return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_method_mixed",
                                     "the releases of " + year + " use method " + stored->method));
    }
    if (stored->periods != PeriodsCode(settings.periods)) {
      return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_periods_fixed",
                                     year + " is released by \"" + stored->periods + "\" (fixed at its first release); [report] periods is \"" +
                                         PeriodsCode(settings.periods) + "\""));
    }
    const Fraction fixed{stored->cap_num, stored->cap_den};
    if (Less(fixed, settings.cap)) {
      return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_cap_fixed",
                                     "the privacy budget of " + year + " was fixed at epsilon " +
                                         FractionText(fixed.num, fixed.den) +
                                         " by its first release; [report] epsilon asks for " +
                                         FractionText(settings.cap.num, settings.cap.den)));
    }
    if (Less(settings.cap, fixed)) {
      t.cap_num = settings.cap.num;
      t.cap_den = settings.cap.den;
    }
    if (settings.person_cap > stored->person_cap) {
      return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_person_cap_fixed",
                                     "the records per person of " + year + " were fixed at " +
                                         std::to_string(stored->person_cap) +
                                         " by its first release; [report] max_records_per_person asks for " +
                                         std::to_string(settings.person_cap)));
    }
    t.person_cap = settings.person_cap;
  }
  if (kind == Kind::kQuarter && t.periods == PeriodsCode(Periods::kYear)) {
    return std::unexpected(Refused(ErrorCode::kConflict, "staff_error.report_period_mode",
                                   year + " is released as a whole year only (fixed at its first release)"));
  }
  return t;
}

std::string MethodCode(Method method) { return method == Method::kThreshold ? "threshold" : "laplace"; }

Result<Method> ParseMethod(std::string_view code) {
  if (code == "laplace") return Method::kDiscreteLaplace;
  if (code == "threshold") return Method::kThreshold;
  return std::unexpected(Error{ErrorCode::kInvalidInput, "staff_error.report_method", "method"});
}

std::string EncodeTables(const std::vector<PublishedTable>& tables) {
  std::string out = "vdrelease 1\n";
  for (const PublishedTable& t : tables) {
    out += "table " + Esc(t.spec.id) + " " + MethodCode(t.method) + " " + std::to_string(t.eps_num) + " " +
           std::to_string(t.eps_den) + " " + std::to_string(t.spec.sensitivity) + " " + Esc(t.spec.derived_from) +
           "\n";
    for (const Dimension& d : t.spec.dims) {
      out += "dim " + Esc(d.id);
      for (const std::string& c : d.codes) out += " " + Esc(c);
      out += "\n";
    }
    auto cells = [&](const char* name, const std::vector<PublishedCell>& v) {
      out += name;
      for (const PublishedCell& c : v) out += " " + Cell(c);
      out += "\n";
    };
    cells("cells", t.cells);
    cells("rows", t.row_margins);
    cells("cols", t.col_margins);
    out += "total " + Cell(t.total) + "\nend\n";
  }
  return out;
}

Result<std::vector<PublishedTable>> DecodeTables(std::string_view payload) {
  std::vector<PublishedTable> out;
  auto lines = Split(payload, '\n');
  if (lines.empty() || lines[0] != "vdrelease 1") return std::unexpected(Corrupt("version"));
  PublishedTable* t = nullptr;
  for (size_t i = 1; i < lines.size(); ++i) {
    auto w = Words(lines[i]);
    if (w.empty()) continue;
    if (w[0] == "table") {
      if (w.size() != 7 || t) return std::unexpected(Corrupt("table line"));
      out.emplace_back();
      t = &out.back();
      auto id = Unesc(w[1]);
      auto method = ParseMethod(w[2]);
      auto num = Int(w[3]), den = Int(w[4]), sens = Int(w[5]);
      auto derived = Unesc(w[6]);
      if (!id || !method || !num || !den || !sens || !derived) return std::unexpected(Corrupt("table fields"));
      t->spec.id = *id;
      t->method = *method;
      t->eps_num = *num;
      t->eps_den = *den;
      t->spec.sensitivity = *sens;
      t->spec.derived_from = *derived;
      continue;
    }
    if (!t) return std::unexpected(Corrupt("line outside a table"));
    if (w[0] == "dim") {
      if (w.size() < 2) return std::unexpected(Corrupt("dim"));
      Dimension d;
      auto id = Unesc(w[1]);
      if (!id) return std::unexpected(Corrupt("dim id"));
      d.id = *id;
      for (size_t k = 2; k < w.size(); ++k) {
        auto c = Unesc(w[k]);
        if (!c) return std::unexpected(Corrupt("code"));
        d.codes.push_back(*c);
      }
      t->spec.dims.push_back(std::move(d));
    } else if (w[0] == "cells" || w[0] == "rows" || w[0] == "cols" || w[0] == "total") {
      std::vector<PublishedCell> cells;
      for (size_t k = 1; k < w.size(); ++k) {
        auto c = ParseCell(w[k]);
        if (!c) return std::unexpected(Corrupt("cell"));
        cells.push_back(*c);
      }
      if (w[0] == "cells") t->cells = std::move(cells);
      else if (w[0] == "rows") t->row_margins = std::move(cells);
      else if (w[0] == "cols") t->col_margins = std::move(cells);
      else if (cells.size() == 1) t->total = cells[0];
      else return std::unexpected(Corrupt("total"));
    } else if (w[0] == "end") {
      size_t expected = 1;
      for (const Dimension& d : t->spec.dims) expected *= d.codes.size();
      if (t->spec.dims.empty() || t->cells.size() != expected) return std::unexpected(Corrupt("cell count"));
      t = nullptr;
    } else {
      return std::unexpected(Corrupt("unknown line"));
    }
  }
  if (t) return std::unexpected(Corrupt("unterminated table"));
  return out;
}

Result<Release> PrepareRelease(Store& store, const Codebook& codebook, const Period& period,
                               const ReleaseSettings& settings, RandomSource& rng, int64_t now) {
  const std::string method = MethodCode(settings.method);
  // The year's terms first: settings that differ from them release nothing, not even a
  // stored release under another name.
  Result<std::optional<ReleaseTerms>> stored_terms = store.Read("find terms", [&](Tx& tx) {
    return store.reports().FindTerms(tx, period.year());
  });
  if (!stored_terms) return std::unexpected(stored_terms.error());
  Result<ReleaseTerms> terms = TermsFor(*stored_terms, settings, period, now);
  if (!terms) return std::unexpected(terms.error());
  // Never new noise for a release that exists. (Looked up first to spare the scan; the write
  // below looks again.)
  Result<ReleaseRecord> existing = store.Read("find release", [&](Tx& tx) {
    return store.reports().FindRelease(tx, settings.city, period.label, method);
  });
  if (existing) return ReleaseFromRecord(*existing);
  if (existing.error().code != ErrorCode::kNotFound) return std::unexpected(existing.error());

  const Fraction cap{terms->cap_num, terms->cap_den};
  Result<Periods> periods = ParsePeriods(terms->periods);
  if (!periods) return std::unexpected(periods.error());
  const Allocation allocation = ReleaseAllocation(cap, period, *periods);
  if (Status s = CheckAllocation(allocation); !s) return std::unexpected(s.error());
  Result<ExactReport> exact = BuildExact(store, codebook, period, std::nullopt, terms->person_cap);
  if (!exact) return std::unexpected(exact.error());

  Release r;
  r.city = settings.city;
  r.period = period;
  r.method = settings.method;
  r.status = "draft";
  r.code_version = settings.code_version;
  r.created_at = now;
  Fraction spent{0, 1};
  for (const CountTable& ct : exact->tables) {
    Result<Fraction> share = ShareOf(allocation, ct.spec.id);
    if (!share) return std::unexpected(share.error());
    Result<PublishedTable> t = ProtectLaplace(ct, share->num, share->den, rng);
    if (!t) return std::unexpected(t.error());
    spent = Reduce(spent.num * share->den + share->num * spent.den, spent.den * share->den);
    r.tables.push_back(std::move(*t));
  }
  // One published total of records: every table that counts each record once gets the same.
  std::vector<PublishedTable*> counting_records;
  for (PublishedTable& t : r.tables) {
    const TableDef* def = FindTableDef(t.spec.id);
    if (def && def->one_cell_per_record) counting_records.push_back(&t);
  }
  if (Status s = ReconcileTotals(counting_records); !s) return std::unexpected(s.error());
  for (const TableDef& d : ReportTables()) {
    if (d.source != Source::kDerived) continue;
    const PublishedTable* base = nullptr;
    for (const PublishedTable& t : r.tables) {
      if (t.spec.id == d.derived_from) base = &t;
    }
    if (!base) continue;
    TableSpec spec;
    spec.id = d.id;
    spec.sensitivity = base->spec.sensitivity;
    spec.derived_from = d.derived_from;
    for (const Dimension& dim : base->spec.dims) {
      if (std::ranges::any_of(d.dims, [&](const DimensionDef& kept) { return kept.id == dim.id; })) {
        spec.dims.push_back(dim);
      }
    }
    Result<PublishedTable> derived = Derive(*base, spec);
    if (!derived) return std::unexpected(derived.error());
    r.tables.push_back(std::move(*derived));
  }

  ReleaseRecord rec;
  rec.city = r.city;
  rec.period_label = period.label;
  rec.first_month = period.first_month;
  rec.last_month = period.last_month;
  rec.year = period.year();
  rec.method = method;
  rec.status = "draft";
  rec.eps_num = spent.num;
  rec.eps_den = spent.den;
  rec.code_version = r.code_version;
  rec.created_at = now;
  rec.payload = EncodeTables(r.tables);
  // What the city has spent, the budget check and the new release are one write transaction
  // (ReserveBudget serialises the ledger until it ends), so two preparations at once, on this
  // server or another, cannot both fit into the same remaining budget. The scan and the noise
  // stay outside it: the body may run again, and must store the tables drawn once.
  struct Stored {
    int64_t id = 0;                         // ours, when we stored it
    std::optional<ReleaseRecord> existing;  // theirs, stored meanwhile
  };
  Result<Stored> stored = store.Write("prepare release", [&](Tx& tx) -> Result<Stored> {
    ReportStore& ledger = store.reports();
    const Status reserved = ledger.ReserveBudget(tx, rec, cap.num, cap.den);
    // From here every release committed before is visible: one stored meanwhile for this
    // period wins (it may be what spent the budget), and ours is dropped, noise and all.
    Result<ReleaseRecord> theirs = ledger.FindRelease(tx, settings.city, period.label, method);
    if (theirs) return Stored{0, std::move(*theirs)};
    if (theirs.error().code != ErrorCode::kNotFound) return std::unexpected(theirs.error());
    // The terms as they are now: the year's first release stores them; if another server
    // fixed them meanwhile, ours must be what they allow.
    Result<std::optional<ReleaseTerms>> now_terms = ledger.FindTerms(tx, period.year());
    if (!now_terms) return std::unexpected(now_terms.error());
    if (!*now_terms) {
      if (Status s = ledger.InsertTerms(tx, *terms); !s) return std::unexpected(s.error());
    } else {
      Result<ReleaseTerms> again = TermsFor(*now_terms, settings, period, now);
      if (!again) return std::unexpected(again.error());
      if (again->cap_num != terms->cap_num || again->cap_den != terms->cap_den ||
          again->person_cap != terms->person_cap || again->periods != terms->periods) {
        return std::unexpected(Refused(ErrorCode::kConflict, "error.conflict", "the year's terms were fixed meanwhile"));
      }
    }
    if (!reserved) return std::unexpected(reserved.error());
    Result<int64_t> id = ledger.InsertRelease(tx, rec);
    if (!id) return std::unexpected(id.error());
    return Stored{*id, std::nullopt};
  });
  if (!stored) return std::unexpected(stored.error());
  if (stored->existing) return ReleaseFromRecord(*stored->existing);
  r.id = stored->id;
  return r;
}

Result<std::vector<Release>> ListReleases(Database& db, const std::string& city,
                                          const std::string& status) {
  Result<std::vector<ReleaseRecord>> recs =
      db.Read("list releases", [&](Tx& tx) { return db.reports().ListReleases(tx, city, status); });
  if (!recs) return std::unexpected(recs.error());
  std::vector<Release> out;
  for (const ReleaseRecord& rec : *recs) {
    Result<Release> r = ReleaseFromRecord(rec);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

Result<Release> FindReleaseById(Database& db, const std::string& city, int64_t id) {
  Result<std::vector<ReleaseRecord>> recs =
      db.Read("find release", [&](Tx& tx) { return db.reports().ListReleases(tx, city, ""); });
  if (!recs) return std::unexpected(recs.error());
  for (const ReleaseRecord& rec : *recs) {
    if (rec.id == id) return ReleaseFromRecord(rec);
  }
  return std::unexpected(Error{ErrorCode::kNotFound, "error.not_found", "release"});
}

}  // namespace vd::report
