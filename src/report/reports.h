#pragma once
// Reports: the one service through which the staff pages and `vertrouwd report` list,
// prepare, show, publish and view reports and keep the city's population estimates. It is
// built once in src/app with a ReportDomain, which supplies what report/ may not include
// (the codebook from the domain's code lists and indicator lists, the names the domain gives
// codes, the catalogs' translations); so the codebook never passes through the web layer,
// and a handler reads: parse, one call, render. Thread-safe: preparations in one process run
// one at a time, and the store's write transaction settles races between servers (the
// second finds the first's release). Failures are the Results of release.h and the store.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "report/engine.h"
#include "report/labels.h"
#include "report/release.h"
#include "report/render.h"
#include "store/store.h"

namespace vd::report {

// What reports need from outside report/; implemented in src/app.
class ReportDomain {
 public:
  virtual ~ReportDomain() = default;
  // The codebook as of now: indicator list versions another server added count too.
  virtual Result<Codebook> CurrentCodebook() = 0;
  // The catalogs' translation of `msgid` (the msgid itself when untranslated).
  virtual std::string Translate(std::string_view lang, std::string_view msgid) const = 0;
  // The names the domain gives codes in `lang` (indicator categories, directory
  // organisations), as of now.
  virtual CodeNameFn CodeNames(std::string_view lang) = 0;
};

// Who asks: analysts see published releases only; to them a draft does not exist.
enum class Reader { kCoordinator, kAnalyst };
enum class Format { kHtml, kCsv, kJson };

// A rendered report, ready to serve or write.
struct Document {
  std::string body;
  std::string content_type;
  std::string filename;  // for downloads ("vertrouwd-2026.csv"); empty for HTML
};

// How an HTML report is served: empty for a standalone file (stylesheet embedded).
struct PageOptions {
  std::string stylesheet_href;
  std::vector<std::pair<std::string, std::string>> links;  // (href, label msgid)
};

class Reports {
 public:
  Reports(Store& store, const Clock& clock, std::unique_ptr<ReportDomain> domain,
          ReleaseSettings settings);

  const ReleaseSettings& settings() const { return settings_; }

  // The city's releases, newest first (analysts: published ones only).
  Result<std::vector<Release>> List(Reader reader);
  // The stored release of the period if there is one, else a new draft (release.h).
  // kInvalidInput ("staff_error.report_city") when no city is configured.
  Result<Release> Prepare(const Period& period);
  // Publishes the release `id` of the city (nothing to do if it is published); returns it.
  Result<Release> Publish(int64_t id);
  // The release `id` of the city rendered in `format` (kNotFound for analysts and drafts).
  Result<Document> Show(int64_t id, Reader reader, Format format, std::string_view lang,
                        const PageOptions& page);
  // `release` rendered in `format`, with the city's population estimates of its year.
  Result<Document> Render(const Release& release, Format format, std::string_view lang,
                          const PageOptions& page);
  // An organisation's exact figures for the period, as an HTML page marked internal: no
  // disclosure control, never stored.
  Result<Document> Internal(const Period& period, int64_t organisation_id, std::string_view lang,
                            const PageOptions& page);

  Labels LabelsFor(std::string_view lang);

  // The city's population estimates of `year`.
  Result<std::vector<PopulationEstimate>> Population(int64_t year);
  // Replaces the city's estimates of one dimension and year, whole or not at all.
  Status ReplacePopulation(int64_t year, const std::string& dimension,
                           std::vector<PopulationEstimate> estimates);

 private:
  Store& store_;
  const Clock& clock_;
  std::unique_ptr<ReportDomain> domain_;
  ReleaseSettings settings_;
  std::mutex prepare_mu_;  // one release preparation at a time in this process
};

}  // namespace vd::report
