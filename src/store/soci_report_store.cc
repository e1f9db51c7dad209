// ReportStore on SOCI: the release ledger, population estimates and first-reply counters.
// (The contact scan and the seeder's bulk insert are in soci_report.cc.)

#include <ctime>

#include "store/soci_report.h"
#include "store/soci_row.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {

const std::vector<std::string>& ResponseTimeBands() {
  static const std::vector<std::string> bands = {"<1h", "1-4h", "4-24h", "1-3d", ">3d"};
  return bands;
}

const std::string& ResponseTimeBand(int64_t seconds) {
  const std::vector<std::string>& b = ResponseTimeBands();
  constexpr int64_t kHour = 3600;
  if (seconds < kHour) return b[0];
  if (seconds < 4 * kHour) return b[1];
  if (seconds < 24 * kHour) return b[2];
  if (seconds < 72 * kHour) return b[3];
  return b[4];
}

namespace {

using soci::into;
using soci::use;
using soci_row::Col;

// Any constant works as long as every vertrouwd process uses the same one.
constexpr long long kLedgerLockKey = 0x7664726c;  // "vdrl"

const auto kReleases = soci_row::Table(
    "report_releases", Col("id", &ReleaseRecord::id), Col("city", &ReleaseRecord::city),
    Col("period_label", &ReleaseRecord::period_label),
    Col("first_month", &ReleaseRecord::first_month), Col("last_month", &ReleaseRecord::last_month),
    Col("year", &ReleaseRecord::year), Col("method", &ReleaseRecord::method),
    Col("status", &ReleaseRecord::status), Col("eps_num", &ReleaseRecord::eps_num),
    Col("eps_den", &ReleaseRecord::eps_den), Col("code_version", &ReleaseRecord::code_version),
    Col("created_at", &ReleaseRecord::created_at),
    Col("published_at", &ReleaseRecord::published_at), Col("payload", &ReleaseRecord::payload));

const auto kEstimates = soci_row::Table(
    "population_estimates", Col("city", &PopulationEstimate::city),
    Col("year", &PopulationEstimate::year), Col("dimension", &PopulationEstimate::dimension),
    Col("code", &PopulationEstimate::code), Col("per_mille", &PopulationEstimate::per_mille),
    Col("source", &PopulationEstimate::source), Col("updated_at", &PopulationEstimate::updated_at));

std::string MonthOf(long long unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m", &tm);
  return buf;
}

// Exact fraction arithmetic for the budget check; overflow counts as "over the cap".
struct Fraction {
  __int128 num = 0, den = 1;
  bool overflow = false;
  void Add(int64_t n, int64_t d) {
    if (d <= 0 || n < 0) {
      overflow = true;
      return;
    }
    num = num * d + static_cast<__int128>(n) * den;
    den = den * d;
    const __int128 g = Gcd(num, den);
    if (g > 1) {
      num /= g;
      den /= g;
    }
    constexpr __int128 kLimit = static_cast<__int128>(1) << 62;
    if (num > kLimit || den > kLimit) overflow = true;
  }
  static __int128 Gcd(__int128 a, __int128 b) {
    while (b != 0) {
      const __int128 t = a % b;
      a = b;
      b = t;
    }
    return a < 0 ? -a : a;
  }
};

const auto kTerms = soci_row::Table(
    "report_terms", Col("year", &ReleaseTerms::year), Col("city", &ReleaseTerms::city),
    Col("cap_num", &ReleaseTerms::cap_num), Col("cap_den", &ReleaseTerms::cap_den),
    Col("method", &ReleaseTerms::method), Col("periods", &ReleaseTerms::periods),
    Col("person_cap", &ReleaseTerms::person_cap), Col("code_version", &ReleaseTerms::code_version),
    Col("fixed_at", &ReleaseTerms::fixed_at));

std::vector<std::pair<int64_t, int64_t>> Spent(soci::session& sql, long long year) {
  std::vector<std::pair<int64_t, int64_t>> out;
  long long num = 0, den = 1;
  soci::statement st =
      (sql.prepare << "SELECT eps_num, eps_den FROM report_releases WHERE year = :y ORDER BY id",
       use(year), into(num), into(den));
  st.execute();
  while (st.fetch()) out.emplace_back(num, den);
  return out;
}

class SociReportStore final : public ReportStore {
 public:
  explicit SociReportStore(Dialect dialect) : dialect_(dialect) {}

  Result<ReleaseRecord> FindRelease(Tx& tx, const std::string& city, const std::string& label,
                                    const std::string& method) override {
    return Soci(tx).Guarded("find release", [&](soci::session& sql) -> Result<ReleaseRecord> {
      return soci_row::SelectOne(sql, "release", kReleases,
                                 " WHERE city = :c AND period_label = :l AND method = :m", city,
                                 label, method);
    });
  }

  Result<std::vector<ReleaseRecord>> ListReleases(Tx& tx, const std::string& city,
                                                  const std::string& status) override {
    return Soci(tx).Guarded("list releases",
                            [&](soci::session& sql) -> Result<std::vector<ReleaseRecord>> {
                              std::vector<ReleaseRecord> out;
                              auto row = kReleases.Buffer();
                              soci::statement st(sql);
                              st.exchange(use(city));
                              if (!status.empty()) st.exchange(use(status));
                              row.Into(st);
                              Prepare(st, kReleases.Select() + " WHERE city = :c" +
                                              (status.empty() ? "" : " AND status = :s") +
                                              " ORDER BY created_at DESC, id DESC");
                              st.execute();
                              while (st.fetch()) out.push_back(row.Get());
                              return out;
                            });
  }

  Result<std::vector<std::pair<int64_t, int64_t>>> ReleasesSpent(Tx& tx, int64_t year) override {
    using Pairs = std::vector<std::pair<int64_t, int64_t>>;
    return Soci(tx).Guarded("releases spent", [&](soci::session& sql) -> Result<Pairs> {
      return Spent(sql, year);
    });
  }

  Result<std::optional<ReleaseTerms>> FindTerms(Tx& tx, int64_t year) override {
    using Found = std::optional<ReleaseTerms>;
    return Soci(tx).Guarded("find terms", [&](soci::session& sql) -> Result<Found> {
      std::vector<ReleaseTerms> found =
          soci_row::Select(sql, kTerms, " WHERE year = :y", static_cast<long long>(year));
      if (found.empty()) return Found{};
      return Found{std::move(found.front())};
    });
  }

  Status InsertTerms(Tx& tx, const ReleaseTerms& terms) override {
    return Soci(tx).Guarded("insert terms", [&](soci::session& sql) -> Status {
      long long present = 0;
      const long long y = terms.year;
      sql << "SELECT COUNT(*) FROM report_terms WHERE year = :y", use(y), into(present);
      if (present > 0) return Fail(ErrorCode::kConflict, "error.conflict", "terms of the year exist");
      soci_row::Insert(sql, kTerms, terms);
      return {};
    });
  }

  Result<std::vector<int64_t>> RecordsBeyondCaseCap(Tx& tx, const std::string& first_month,
                                                    const std::string& last_month,
                                                    int64_t per_case) override {
    return Soci(tx).Guarded(
        "records beyond case cap", [&](soci::session& sql) -> Result<std::vector<int64_t>> {
          std::vector<int64_t> out;
          long long id = 0;
          const long long cap = per_case;
          soci::statement st =
              (sql.prepare << "SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY "
                              "case_code ORDER BY id) AS n FROM contacts WHERE month >= :a AND "
                              "month <= :b AND case_code <> '') AS ranked WHERE n > :k ORDER BY id",
               use(first_month), use(last_month), use(cap), into(id));
          st.execute();
          while (st.fetch()) out.push_back(id);
          return out;
        });
  }

  Status ReserveBudget(Tx& tx, const ReleaseRecord& r, int64_t cap_num, int64_t cap_den) override {
    return Soci(tx).Guarded("reserve budget", [&](soci::session& sql) -> Status {
      // Servers sharing a PostgreSQL database queue here until commit, so that two releases
      // cannot both read the same spend; SQLite's BEGIN IMMEDIATE already serialises writers.
      if (dialect_ == Dialect::kPostgres) {
        sql << "SELECT pg_advisory_xact_lock(" << kLedgerLockKey << ")";
      }
      // One method per year: exact threshold-mode counts next to noisy ones of the same
      // records would give the noise away, whatever city name either carries.
      long long other_methods = 0;
      const long long y = r.year;
      sql << "SELECT COUNT(*) FROM report_releases WHERE year = :y AND method <> :m", use(y),
          use(r.method), into(other_methods);
      if (other_methods > 0) {
        return Fail(ErrorCode::kConflict, "staff_error.report_method_mixed",
                    "the releases of this year use another method");
      }
      Fraction spent;
      for (const auto& [n, d] : Spent(sql, r.year)) spent.Add(n, d);
      spent.Add(r.eps_num, r.eps_den);
      // spent <= cap  <=>  spent.num * cap_den <= cap_num * spent.den (all positive).
      if (cap_den <= 0 || cap_num < 0 || spent.overflow ||
          spent.num * cap_den > static_cast<__int128>(cap_num) * spent.den) {
        return Fail(ErrorCode::kConflict, "staff_error.report_budget",
                    "release would exceed the year's privacy budget");
      }
      return {};
    });
  }

  Result<int64_t> InsertRelease(Tx& tx, const ReleaseRecord& r) override {
    return Soci(tx).Guarded("insert release", [&](soci::session& sql) -> Result<int64_t> {
      return soci_row::InsertReturningId(sql, kReleases, r);
    });
  }

  Status PublishRelease(Tx& tx, int64_t id, int64_t at) override {
    return Soci(tx).Guarded("publish release", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "release",
                       "UPDATE report_releases SET status = 'published', published_at = :t "
                       "WHERE id = :id AND status = 'draft'",
                       static_cast<long long>(at), static_cast<long long>(id));
    });
  }

  Result<std::vector<PopulationEstimate>> ListPopulationEstimates(Tx& tx, const std::string& city,
                                                                  int64_t year) override {
    return Soci(tx).Guarded(
        "list estimates", [&](soci::session& sql) -> Result<std::vector<PopulationEstimate>> {
          return soci_row::Select(sql, kEstimates,
                                  " WHERE city = :c AND year = :y ORDER BY dimension, code", city,
                                  static_cast<long long>(year));
        });
  }

  Status ReplacePopulationEstimates(Tx& tx, const std::string& city, int64_t year,
                                    const std::string& dimension,
                                    const std::vector<PopulationEstimate>& estimates) override {
    return Soci(tx).Guarded("replace estimates", [&](soci::session& sql) -> Status {
      const long long y = year;
      sql << "DELETE FROM population_estimates WHERE city = :c AND year = :y AND dimension = :d",
          use(city), use(y), use(dimension);
      auto row = kEstimates.Buffer();
      soci::statement ins(sql);
      row.Use(ins);
      Prepare(ins, kEstimates.Insert());
      for (PopulationEstimate e : estimates) {
        e.city = city;
        e.year = year;
        e.dimension = dimension;
        row.Set(e);
        ins.execute(true);
      }
      return {};
    });
  }

  Result<std::vector<ResponseTimeCount>> ResponseTimes(
      Tx& tx, const std::string& first_month, const std::string& last_month,
      std::optional<int64_t> organisation_id) override {
    return Soci(tx).Guarded(
        "response times", [&](soci::session& sql) -> Result<std::vector<ResponseTimeCount>> {
          std::vector<ResponseTimeCount> out;
          for (const std::string& b : ResponseTimeBands()) out.push_back({b, 0});
          std::string band;
          long long count = 0;
          const long long org = organisation_id.value_or(0);
          soci::statement st(sql);
          st.exchange(use(first_month));
          st.exchange(use(last_month));
          if (organisation_id) st.exchange(use(org));
          st.exchange(into(band));
          st.exchange(into(count));
          Prepare(st, std::string("SELECT band, CAST(SUM(count) AS BIGINT) FROM response_times "
                                  "WHERE month >= :a AND month <= :b") +
                          (organisation_id ? " AND organisation_id = :o" : "") + " GROUP BY band");
          st.execute();
          while (st.fetch()) {
            for (ResponseTimeCount& r : out) {
              if (r.band == band) r.count = count;
            }
          }
          return out;
        });
  }

 private:
  const Dialect dialect_;
};

}  // namespace

namespace sql4 {

void RecordFirstReply(soci::session& sql, long long conversation_id, long long reply_at) {
  soci::statement st =
      (sql.prepare << "UPDATE conversations SET first_reply_at = :r WHERE id = :id AND "
                      "first_reply_at = 0",
       use(reply_at), use(conversation_id));
  st.execute(true);
  if (st.get_affected_rows() == 0) return;
  long long created = 0, org = 0;
  sql << "SELECT created_at, organisation_id FROM conversations WHERE id = :id",
      use(conversation_id), into(created), into(org);
  const std::string month = MonthOf(created);
  const std::string& band = ResponseTimeBand(reply_at - created);
  sql << "INSERT INTO response_times (organisation_id, month, band, count) "
         "VALUES (:o, :m, :b, 1) ON CONFLICT (organisation_id, month, band) "
         "DO UPDATE SET count = response_times.count + 1",
      use(org), use(month), use(band);
}

}  // namespace sql4

std::unique_ptr<ReportStore> NewSociReportStore(Dialect dialect) {
  return std::make_unique<SociReportStore>(dialect);
}

}  // namespace vd
