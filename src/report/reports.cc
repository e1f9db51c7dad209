#include "report/reports.h"

#include <algorithm>

namespace vd::report {
namespace {

// "2026-01..2026-06" -> "vertrouwd-2026-01_2026-06": a file name without dots or slashes
// that a period label could bring.
std::string FileBase(std::string label) {
  for (const std::string_view from : {std::string_view(".."), std::string_view("/")}) {
    for (size_t p = label.find(from); p != std::string::npos; p = label.find(from, p + 1)) {
      label.replace(p, from.size(), "_");
    }
  }
  return "vertrouwd-" + label;
}

}  // namespace

Reports::Reports(Store& store, const Clock& clock, std::unique_ptr<ReportDomain> domain,
                 ReleaseSettings settings)
    : store_(store), clock_(clock), domain_(std::move(domain)), settings_(std::move(settings)) {}

Result<std::vector<Release>> Reports::List(Reader reader) {
  return ListReleases(store_, settings_.city, reader == Reader::kCoordinator ? "" : "published");
}

Result<Release> Reports::Prepare(const Period& period) {
  if (settings_.city.empty()) {
    return std::unexpected(
        Error{ErrorCode::kInvalidInput, "staff_error.report_city", "no [report] city configured"});
  }
  Result<Codebook> codebook = domain_->CurrentCodebook();
  if (!codebook) return std::unexpected(codebook.error());
  std::lock_guard lock(prepare_mu_);
  SodiumRandom rng;
  return PrepareRelease(store_, *codebook, period, settings_, rng, clock_.Now());
}

Result<Release> Reports::Publish(int64_t id) {
  const int64_t now = clock_.Now();
  // Found, published and read back in one transaction: the page shows what was published.
  Result<ReleaseRecord> rec = store_.Write("publish release", [&](Tx& tx) -> Result<ReleaseRecord> {
    ReportStore& ledger = store_.reports();
    Result<std::vector<ReleaseRecord>> recs = ledger.ListReleases(tx, settings_.city, "");
    if (!recs) return std::unexpected(recs.error());
    auto it = std::ranges::find(*recs, id, &ReleaseRecord::id);
    if (it == recs->end()) {
      return std::unexpected(Error{ErrorCode::kNotFound, "error.not_found", "release"});
    }
    if (it->status == "published") return *it;
    if (Status s = ledger.PublishRelease(tx, id, now); !s) return std::unexpected(s.error());
    it->status = "published";
    it->published_at = now;
    return *it;
  });
  if (!rec) return std::unexpected(rec.error());
  return ReleaseFromRecord(*rec);
}

Result<Document> Reports::Show(int64_t id, Reader reader, Format format, std::string_view lang,
                               const PageOptions& page) {
  Result<Release> r = FindReleaseById(store_, settings_.city, id);
  if (!r) return std::unexpected(r.error());
  if (r->status != "published" && reader != Reader::kCoordinator) {
    return std::unexpected(Error{ErrorCode::kNotFound, "error.not_found", "draft"});
  }
  return Render(*r, format, lang, page);
}

Result<Document> Reports::Render(const Release& release, Format format, std::string_view lang,
                                 const PageOptions& page) {
  Result<std::vector<PopulationEstimate>> pop = Population(release.period.year());
  if (!pop) return std::unexpected(pop.error());
  Document doc;
  const std::string base = FileBase(release.period.label);
  if (format == Format::kCsv) {
    doc.body = RenderCsv(release, LabelsFor(lang));
    doc.content_type = "text/csv; charset=utf-8";
    doc.filename = base + ".csv";
  } else if (format == Format::kJson) {
    doc.body = RenderJson(release, *pop);
    doc.content_type = "application/json";
    doc.filename = base + ".json";
  } else {
    HtmlOptions o;
    o.stylesheet_href = page.stylesheet_href;
    o.population = std::move(*pop);
    o.links = page.links;
    Result<std::optional<ReleaseTerms>> terms = store_.Read("find terms", [&](Tx& tx) {
      return store_.reports().FindTerms(tx, release.period.year());
    });
    if (!terms) return std::unexpected(terms.error());
    // Releases stored before the year's terms (and so before bounding) state records only.
    if (*terms && (*terms)->fixed_at <= release.created_at) o.person_cap = (*terms)->person_cap;
    doc.body = RenderHtml(release, LabelsFor(lang), o);
    doc.content_type = "text/html; charset=utf-8";
  }
  return doc;
}

Result<Document> Reports::Internal(const Period& period, int64_t organisation_id,
                                   std::string_view lang, const PageOptions& page) {
  Result<Codebook> codebook = domain_->CurrentCodebook();
  if (!codebook) return std::unexpected(codebook.error());
  Result<ExactReport> exact = BuildExact(store_, *codebook, period, organisation_id);
  if (!exact) return std::unexpected(exact.error());
  HtmlOptions o;
  o.internal = true;
  o.stylesheet_href = page.stylesheet_href;
  o.links = page.links;
  Document doc;
  doc.body = RenderHtml(ExactAsRelease(*exact, settings_.city), LabelsFor(lang), o);
  doc.content_type = "text/html; charset=utf-8";
  return doc;
}

Labels Reports::LabelsFor(std::string_view lang) {
  ReportDomain* domain = domain_.get();
  return MakeLabels(
      lang, [domain](std::string_view l, std::string_view msgid) { return domain->Translate(l, msgid); },
      domain_->CodeNames(ReportLanguage(lang)));
}

Result<std::vector<PopulationEstimate>> Reports::Population(int64_t year) {
  return store_.Read("list estimates", [&](Tx& tx) {
    return store_.reports().ListPopulationEstimates(tx, settings_.city, year);
  });
}

Status Reports::ReplacePopulation(int64_t year, const std::string& dimension,
                                  std::vector<PopulationEstimate> estimates) {
  for (PopulationEstimate& p : estimates) p.city = settings_.city;
  return store_.Write("replace estimates", [&](Tx& tx) {
    return store_.reports().ReplacePopulationEstimates(tx, settings_.city, year, dimension,
                                                       estimates);
  });
}

}  // namespace vd::report
