#pragma once
// The coordinator's pages: the referral directory (advisors read it), the indicator list
// with its versions made in the browser (advisors read it), and the help page editor per
// language. Roles are stated in Register.

#include "web/pages.h"

namespace vd {

class CoordinatorPages : PageGroup {
 public:
  explicit CoordinatorPages(const WebParts& parts) : PageGroup(parts) {}
  void Register(Router& router);

 private:
  Response DirectoryPage(Ctx& ctx, const Error* error = nullptr);
  Response DirectoryPost(Ctx& ctx);
  Response DirectoryActivePost(Ctx& ctx);
  Response IndicatorsPage(Ctx& ctx, const Error* error = nullptr);
  // What the editor offers for a new indicator: ILO, Dutch and HTCDS mappings, and the
  // languages besides nl and en that names may be written in.
  void AddMappingOptions(Ctx& ctx, mustache::data& d);
  Response IndicatorsPost(Ctx& ctx);
  Response HelpIndex(Ctx& ctx);
  Response HelpEdit(Ctx& ctx, const Error* error = nullptr);
  Response HelpSave(Ctx& ctx);
};

}  // namespace vd
