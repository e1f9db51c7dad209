#pragma once
// The contact record in web: its form (phone-first, no JavaScript) — what it sends, parsed
// into a ContactInput (unvalidated: domain/contacts validates), and what it shows, built from
// a ContactInput — every field's codes with the chosen ones ticked, the signals of the
// current indicator list by category, and the referral rows — and the stored record's page.
// All spell the record's fields, so a new field is added here and in the domain, nowhere
// else in web.

#include <functional>
#include <string>
#include <vector>

#include "domain/contacts.h"
#include "domain/indicators.h"
#include "web/http.h"
#include "web/renderer.h"

namespace vd {

ContactInput ParseContactInput(const FormFields& form);

struct ContactFormChoices {
  const IndicatorCatalog& indicators;
  const std::vector<DirectoryEntry>& directory;  // active entries, offered for referrals
  std::string current_month;                     // "YYYY-MM": the first month offered
  size_t error_row = 0;                          // the referral row an error is about, or 0
};

// The form's fields for the staff_contact_form template (without action, error, case).
mustache::data ContactFormFields(const PageRenderer& page, const Ctx& ctx, const ContactInput& in,
                                 const ContactFormChoices& choices);

// A stored record for the staff_contact template: its facts in the page's language, its
// signals named as the list version it was made with, and its referrals, each organisation
// named by `organisation` (a directory id). Without notes and edit rights: the caller's.
mustache::data ContactRecordFields(const PageRenderer& page, const Ctx& ctx, const ContactRecord& r,
                                   const IndicatorCatalog& indicators,
                                   const std::function<std::string(int64_t)>& organisation);

}  // namespace vd
