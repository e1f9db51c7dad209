#pragma once
// The report pages (issue 4): coordinators prepare, preview and publish a period's release,
// see their own organisation's exact figures and enter population estimates; analysts read
// published releases (HTML, CSV, JSON). Roles are stated in Register; audit records ids only.

#include "report/reports.h"
#include "web/pages.h"

namespace vd {

class ReportPages : PageGroup {
 public:
  explicit ReportPages(const WebParts& parts) : PageGroup(parts) {}
  void Register(Router& router);

 private:
  Response ReportList(Ctx& ctx);
  // Draws the noise once and spends the budget; the draft is stored in the ledger.
  Response ReportPrepare(Ctx& ctx);
  Response ReportShow(Ctx& ctx, report::Format format);
  Response ReportPublish(Ctx& ctx);
  // The coordinator's own organisation's exact figures, marked internal, never stored.
  Response ReportInternal(Ctx& ctx);
  Response PopulationPage(Ctx& ctx);
  Response PopulationPost(Ctx& ctx);
};

}  // namespace vd
