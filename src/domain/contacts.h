#pragma once
// Contacts: the advisor's structured record of every contact on any channel, its signals
// (codes of a versioned indicator list), escalation and referrals, linked into cases without
// identity (a conversation or a generated case code); and the referral directory coordinators
// keep. Every field is a fixed code with "unknown"; the only free text, the notes, is sealed
// to the organisation key. Bad input is refused whole (kInvalidInput with a msgid), nothing
// stored. Advisors see and edit the records they made; coordinators read their
// organisation's records (without notes unless they hold the key). Thread-safe; each operation
// is one transaction (a record is validated against the directory, cases and conversations
// it is stored beside).

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "domain/conversations.h"
#include "domain/indicators.h"
#include "store/contact_fields.h"
#include "store/contact_store.h"
#include "store/database.h"
#include "store/directory_store.h"
#include "store/records.h"

namespace vd {

// Allowed codes per field, most common first; "unknown" is always allowed. The coded fields'
// lists are those of their definition (store/contact_fields.h).
struct ContactCodes {
  static const std::vector<std::string>& Of(std::string_view field);  // a kContactFields name
  static const std::vector<std::string>& Channels();
  static const std::vector<std::string>& Locations();
  static const std::vector<std::string>& Languages();
  static const std::vector<std::string>& Genders();
  static const std::vector<std::string>& AgeBands();
  static const std::vector<std::string>& Regions();
  static const std::vector<std::string>& Topics();
  static const std::vector<std::string>& Advice();
  static const std::vector<std::string>& Assessments();
  static const std::vector<std::string>& Escalations();
  static const std::vector<std::string>& Bases();
  static const std::vector<std::string>& YesNo();
  static const std::vector<std::string>& Services();
  static const std::vector<std::string>& ReferralKinds();
};

// One referral row of the form, unvalidated; org "" / "none" = the row is unused.
struct ReferralInput {
  std::string org;  // directory entry id
  std::string service, consent, kind, follow_up;
};

// What the form sends, unvalidated.
struct ContactInput {
  // The phone form offers this many referral rows (no JavaScript to add more).
  static constexpr size_t kReferralRows = 3;
  std::string month;  // "YYYY-MM" or "unknown"
  FieldValues fields;  // the coded fields (store/contact_fields.h), as sent
  std::vector<std::string> indicators;
  std::string escalation, escalation_basis, escalation_anonymous;
  // Referral rows, at most kReferralRows; unused rows are skipped. Each used row is
  // checked on its own; an error's detail names the row ("referral 2: consent").
  std::vector<ReferralInput> referrals;
  std::string case_mode;     // "none", "new", "existing"
  std::string case_code;     // for "existing"
  std::string conversation;  // "" or a conversation public id
  std::string notes;         // sealed to the organisation; never stored in plaintext
};

struct ContactView {
  ContactRecord record;
  std::optional<std::string> notes;  // only for a holder of the organisation key
};

class Contacts {
 public:
  Contacts(Database& db, const Clock& clock, const IndicatorCatalog& indicators)
      : db_(db), clock_(clock), indicators_(indicators) {}

  // Validates and stores a new record; returns its id.
  Result<int64_t> Record(const StaffContext& staff, const ContactInput& in);
  // Replaces a record the advisor made (the case link and creation time stay).
  Status Edit(const StaffContext& staff, int64_t id, const ContactInput& in);
  Result<ContactView> Read(const StaffContext& staff, int64_t id);
  Result<std::vector<ContactRecord>> List(const StaffContext& staff);
  // Defaults for the next form: the advisor's last record (month: now), else all unknown.
  Result<ContactInput> Defaults(const StaffContext& staff);
  static ContactInput InputFrom(const ContactRecord& r);
  Result<std::vector<FollowUp>> DueFollowUps(const StaffContext& staff);
  Status FollowUpDone(const StaffContext& staff, int64_t referral_id);
  std::string CurrentMonth() const;

  // Referral directory (coordinators edit; everyone may read; workers' help pages too).
  enum class Entries { kActive, kAll };
  Result<std::vector<DirectoryEntry>> Directory(Entries entries);
  Result<int64_t> AddDirectoryEntry(const StaffContext& staff, DirectoryEntry e);
  Result<DirectoryEntry> FindDirectoryEntry(int64_t id);
  // Old referrals keep pointing at an entry that is no longer offered, so entries are
  // switched off, never deleted.
  Status SetDirectoryEntryActive(int64_t id, bool active);

  const IndicatorCatalog& indicators() const { return indicators_; }

 private:
  Result<ContactRecord> Validate(Tx& tx, const StaffContext& staff, const ContactInput& in);
  Database& db_;
  const Clock& clock_;
  const IndicatorCatalog& indicators_;
};

}  // namespace vd
