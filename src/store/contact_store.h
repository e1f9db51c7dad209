#pragma once
// ContactStore: contact records with their codes, referrals and follow-ups, and the case codes
// that link records about one person without identifying her or him. Every method works
// inside the caller's transaction (Database::Write/Read); the same conformance tests run on
// SQLite and PostgreSQL. Failures: kNotFound for unknown ids, kConflict on a duplicate case
// code, kStorage otherwise (which spoils the transaction).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/records.h"

namespace vd {

class ContactStore {
 public:
  virtual ~ContactStore() = default;

  // Insert/Update write the record, its codes and referrals; Update replaces codes and
  // referrals (not the case link or the creation time). Insert returns the new id.
  virtual Result<int64_t> Insert(Tx& tx, const ContactRecord& c) = 0;
  virtual Status Update(Tx& tx, const ContactRecord& c) = 0;
  virtual Result<ContactRecord> Find(Tx& tx, int64_t id) = 0;
  // Newest first; only one advisor's records when `advisor_user_id` is set.
  virtual Result<std::vector<ContactRecord>> List(Tx& tx, int64_t organisation_id,
                                                  std::optional<int64_t> advisor_user_id,
                                                  int limit) = 0;
  // The advisor's most recently created record, if any.
  virtual Result<std::optional<ContactRecord>> LastBy(Tx& tx, int64_t advisor_user_id) = 0;
  // Open referral follow-ups of the advisor's records dated on or before `until` (YYYY-MM-DD).
  virtual Result<std::vector<FollowUp>> DueFollowUps(Tx& tx, int64_t advisor_user_id,
                                                     const std::string& until) = 0;
  virtual Status MarkFollowUpDone(Tx& tx, int64_t referral_id, int64_t advisor_user_id) = 0;

  // Case codes. InsertCase: kConflict if the code exists.
  virtual Status InsertCase(Tx& tx, const std::string& code, int64_t organisation_id,
                            int64_t at) = 0;
  virtual Result<int64_t> FindCaseOrganisation(Tx& tx, const std::string& code) = 0;
};

}  // namespace vd
