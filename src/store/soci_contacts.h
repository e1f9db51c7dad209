#pragma once
// The SQL of schema 2 (contact records, referrals, case codes, the referral directory and
// the audit log), run by SociStore inside its transactions. Internal to src/store. These
// functions may throw SOCI exceptions; SociStore::Tx turns every one into an Error and
// rolls back, so each Store call still happens whole or not at all.

#include <soci/soci.h>

#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "store/contact_store.h"
#include "store/migrations.h"
#include "store/store.h"

namespace vd::sql2 {

long long InsertContact(soci::session& sql, const ContactRecord& c);
// The contact_codes kind of each Choice::kMany field is the field's name; signals are this.
inline constexpr std::string_view kSignalCodesKind = "indicator";
// One prepared INSERT of a contacts row without its codes and referrals, executed again for
// each record (bulk loads). Insert returns the new id.
class ContactInserter {
 public:
  explicit ContactInserter(soci::session& sql);
  ~ContactInserter();
  long long Insert(const ContactRecord& c);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};
bool UpdateContact(soci::session& sql, const ContactRecord& c);  // false: no such record
std::optional<ContactRecord> FindContact(soci::session& sql, long long id);
std::vector<ContactRecord> ListContacts(soci::session& sql, long long organisation_id,
                                        std::optional<long long> advisor_user_id, int limit);
std::optional<ContactRecord> LastContactBy(soci::session& sql, long long advisor_user_id);
std::vector<FollowUp> DueFollowUps(soci::session& sql, long long advisor_user_id,
                                   const std::string& until);
bool MarkFollowUpDone(soci::session& sql, long long referral_id, long long advisor_user_id);

// False (and nothing written) if the code exists.
bool InsertCase(soci::session& sql, const std::string& code, long long organisation_id,
                long long at);
std::optional<long long> FindCaseOrganisation(soci::session& sql, const std::string& code);

long long InsertDirectoryEntry(soci::session& sql, const DirectoryEntry& e);
bool UpdateDirectoryEntry(soci::session& sql, const DirectoryEntry& e);
std::vector<DirectoryEntry> ListDirectory(soci::session& sql, bool active_only);
std::optional<DirectoryEntry> FindDirectoryEntry(soci::session& sql, long long id);

AuditEntry AppendAudit(soci::session& sql, Dialect dialect, const AuditEntry& e,
                       const std::function<std::string(const AuditEntry&)>& hash_of);
std::vector<AuditEntry> ListAudit(soci::session& sql, long long after_id, int limit);

}  // namespace vd::sql2

namespace vd {
// The ContactStore over the functions above (soci_contact_store.cc).
std::unique_ptr<ContactStore> NewSociContactStore();
}  // namespace vd
