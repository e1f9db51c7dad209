#pragma once
// Store: the only door to the database. One implementation (SociStore, store/soci_store.h)
// serves both SQLite and PostgreSQL through SOCI; the same conformance tests run on both.
// Thread-safe: every call borrows a pooled connection. Binary values are base64 TEXT.
// Every method here is one transaction: it either happens whole or not at all; stores
// reached through Database (store/database.h) work inside the caller's transaction. Failures
// return kStorage (with a detail for the operator's log, never row content) or
// kNotFound/kConflict.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/audit_store.h"
#include "store/contact_store.h"
#include "store/conversation_store.h"
#include "store/database.h"
#include "store/directory_store.h"
#include "store/help_store.h"
#include "store/records.h"
#include "store/report_rows.h"
#include "store/report_store.h"
#include "store/session_store.h"
#include "store/settings_store.h"
#include "store/staff_store.h"

namespace vd {

// The database as one object. Besides Database (transactions and the aggregate stores), it
// migrates, runs exclusive jobs and scans contact records for reports on several connections.
//
// The non-virtual methods are the legacy face: each is one transaction around the matching
// aggregate-store call (store/legacy_store.cc). They go once the callers in src/domain,
// src/report, src/web and src/app open their own transactions with Read/Write.
class Store : public Database {
 public:
  ~Store() override = default;

  // Runs pending migrations (numbered, each in its own transaction). Idempotent.
  virtual Status Migrate() = 0;
  virtual Result<int> SchemaVersion() = 0;

  // Site-wide settings (e.g. "site_salt", "csrf_key"). GetOrCreate inserts `fresh` if the key
  // is absent and returns whatever is stored afterwards (first writer wins across servers).
  Result<std::optional<std::string>> GetSetting(const std::string& key);
  Result<std::string> GetOrCreateSetting(const std::string& key, const std::string& fresh);

  // Organisations.
  Result<int64_t> InsertOrganisation(const Organisation& org);  // kConflict on slug
  Result<std::vector<Organisation>> ListOrganisations();
  Result<Organisation> FindOrganisationBySlug(const std::string& slug);
  Result<Organisation> FindOrganisationById(int64_t id);
  Status SetOrganisationPublicKey(int64_t id, const std::string& public_key);

  // Users.
  Result<int64_t> InsertUser(const User& user);  // kConflict on username
  Result<User> FindUserByUsername(const std::string& username);
  Result<User> FindUserById(int64_t id);
  Result<std::vector<User>> ListUsers();
  Status RecordLoginSuccess(int64_t user_id);  // failed_logins = 0, locked_until = 0
  // Accepts `step` only if it is greater than the stored totp_last_step (atomic compare);
  // kConflict if the step was already used (a replayed code).
  Status AdvanceTotpStep(int64_t user_id, int64_t step);
  Status SetTotpSecret(int64_t user_id, const std::string& wrapped_totp_secret);
  // Key recovery: new password material and recovery wrap for the same secret key. Clears
  // the TOTP secret (it was wrapped under the old password; the person enrols again), the
  // lockout, and ends the user's sessions and device tokens, all in one transaction.
  Status ReplaceCredentials(int64_t user_id, const std::string& pw_salt,
                            const std::string& pw_verifier, const std::string& wrapped_secret_key,
                            const std::string& recovery_wrapped_secret_key);

  // Organisation key grants.
  Status UpsertOrgKeyGrant(const OrgKeyGrant& grant);
  Result<OrgKeyGrant> FindOrgKeyGrant(int64_t organisation_id, int64_t user_id);
  // Users of the organisation who have a public key but no grant yet.
  Result<std::vector<User>> UsersWithoutGrant(int64_t organisation_id);
  // Disables a staff account in one transaction: disabled = 1, the user's sessions and
  // organisation-key grants deleted. With `rotation` (an advisor leaving), also sets the
  // organisation's new public key and gives each user in `rotation->sealed_for` the new key:
  // prepended as "<sealed>," to an existing grant, or as a new grant when nobody else holds
  // one. kConflict (nothing changed) if the remaining grant holders are not exactly the
  // users in `sealed_for` (a colleague was granted meanwhile: the caller retries). The
  // user's device tokens (store/staff_store.h) are deleted too.
  using OrgKeyRotation = vd::OrgKeyRotation;
  Status DisableUser(int64_t user_id, const std::optional<OrgKeyRotation>& rotation);

  // Conversations and messages. InsertConversation inserts the conversation and its first
  // message in one transaction and returns the conversation id (kConflict on a lookup clash).
  Result<int64_t> InsertConversation(const Conversation& c, const Message& first);
  Result<Conversation> FindConversationByLookup(const std::string& receipt_lookup);
  Result<Conversation> FindConversationById(int64_t id);
  Result<Conversation> FindConversationByPublicId(const std::string& public_id);
  Result<std::vector<Message>> ListMessages(int64_t conversation_id);
  // Appends a message, sets status, last_activity_at = now, expires_at, and first_reply_at
  // (only if still 0 and the author is an advisor; that first reply is then counted in
  // response_times by the organisation, the month and the delay band), all in one transaction.
  // kNotFound if the conversation is gone.
  Status AppendMessage(const Message& m, ConversationStatus new_status, int64_t expires_at);
  // Deletes the conversation, its messages and its worker sessions. kNotFound if gone.
  Status DeleteConversation(int64_t id);
  // Deletes every conversation with expires_at <= now; returns how many.
  Result<int64_t> DeleteExpiredConversations(int64_t now);
  // The organisation's conversations, newest activity first, optionally one status only.
  Result<std::vector<InboxEntry>> Inbox(int64_t organisation_id,
                                        std::optional<ConversationStatus> status, int limit);

  // Runs `job` only if no other process holds the named lock (PostgreSQL session advisory
  // lock; on SQLite, one process owns the file, so a process-local lock). Returns false when
  // skipped because another server is running it. For periodic jobs that must run once
  // across all servers (retention, reminders).
  virtual Result<bool> RunExclusive(int64_t lock_key, const std::function<Status()>& job) = 0;

  // How many conversations are in each state (for the operator's metrics).
  Result<std::vector<std::pair<ConversationStatus, int64_t>>> CountConversationsByStatus();

  // Sessions.
  Status InsertSession(const Session& s);
  Result<Session> FindSession(const std::string& id_hash);  // kNotFound
  Status TouchSession(const std::string& id_hash, int64_t now);
  Status UpdateSession(const Session& s);  // stage, wrapped_key, pending, last_seen_at
  Status DeleteSession(const std::string& id_hash);
  // Deletes sessions idle since before `idle_before` or created before `created_before`.
  Result<int64_t> DeleteStaleSessions(int64_t idle_before, int64_t created_before);

  // Referral directory. Insert: kConflict on slug.
  Result<int64_t> InsertDirectoryEntry(const DirectoryEntry& e);
  Status UpdateDirectoryEntry(const DirectoryEntry& e);
  Result<std::vector<DirectoryEntry>> ListDirectory(bool active_only);
  Result<DirectoryEntry> FindDirectoryEntry(int64_t id);

  // Audit log. Appends in one serialised transaction: the id is the previous id + 1,
  // prev_hash the previous entry's hash, and `hash_of` (given the entry with id and
  // prev_hash filled in) its hash. Also moves the "audit_head" setting ("id:hash").
  Result<AuditEntry> AppendAudit(const AuditEntry& e,
                                 const std::function<std::string(const AuditEntry&)>& hash_of);
  // Entries with id > after_id in id order, at most `limit`.
  Result<std::vector<AuditEntry>> ListAudit(int64_t after_id, int limit);

  // Help pages (Markdown source per language and slug).
  Result<HelpPage> FindHelpPage(const std::string& language, const std::string& slug);
  // Every page of one language ("" = every language), ordered by language and slug.
  Result<std::vector<HelpPage>> ListHelpPages(const std::string& language);
  // Inserts the page unless one exists for its language and slug; true if inserted. Never
  // overwrites a coordinator's edit (used to load the shipped pages at start-up).
  Result<bool> InsertHelpPageIfAbsent(const HelpPage& page);
  // Inserts or replaces the page.
  Status SaveHelpPage(const HelpPage& page);

  // --- Reports (schema 4) ------------------------------------------------------------------
  // The scan and the bulk insert stay here, not in ReportStore: a scan runs its parts on
  // several connections, each in a read transaction of its own, so it cannot take one Tx&;
  // the seeder's bulk insert shares the scan's column lists (soci_report.cc) and moves with
  // them when the contact record becomes a field table.
  // Scans the contact records of months first_month..last_month ("YYYY-MM", inclusive; records
  // with month "unknown" are never in a period), optionally of one organisation, calling
  // `chunk(part, c)` with up to ~10 000 records at a time in id order (bulk fetches, codes and
  // referrals merged in by contact id). The period's id range is split into at most `parts`
  // consecutive ranges (SQLite with a pool of 2+ connections and a large period; otherwise
  // one), each scanned on its own connection and thread in its own read transaction: calls
  // for one part are sequential, calls for different parts run concurrently. Each record is
  // in exactly one part and read whole from one snapshot.
  virtual Status ScanContacts(const std::string& first_month, const std::string& last_month,
                              std::optional<int64_t> organisation_id, int parts,
                              const std::function<void(int, const ContactChunk&)>& chunk) = 0;
  // The same in one part: every call sequential, on the caller's thread.
  Status ScanContacts(const std::string& first_month, const std::string& last_month,
                      std::optional<int64_t> organisation_id,
                      const std::function<void(const ContactChunk&)>& chunk) {
    return ScanContacts(first_month, last_month, organisation_id, 1,
                        [&](int, const ContactChunk& c) { chunk(c); });
  }
  // Bulk insert for the seeder: one transaction for the whole vector, statements prepared
  // once. Ids, cases and referral ids are assigned by the database (c.id is ignored).
  virtual Status InsertContactsBulk(const std::vector<ContactRecord>& contacts) = 0;

  // The release ledger. InsertRelease re-reads the city's spend for r.year in the same
  // serialised write transaction and refuses with kConflict (msgid staff_error.report_budget)
  // when spend + r.eps would exceed cap_num / cap_den; kConflict (error.conflict) too when a
  // release for the same city, period label and method exists. Returns the new id.
  Result<ReleaseRecord> FindRelease(const std::string& city, const std::string& label,
                                    const std::string& method);  // kNotFound
  // Newest first; every status when `status` is empty.
  Result<std::vector<ReleaseRecord>> ListReleases(const std::string& city,
                                                  const std::string& status);
  Result<std::vector<std::pair<int64_t, int64_t>>> ReleasesSpent(const std::string& city,
                                                                 int64_t year);
  Result<int64_t> InsertRelease(const ReleaseRecord& r, int64_t cap_num, int64_t cap_den);
  // draft -> published at `at`; kNotFound if no such draft.
  Status PublishRelease(int64_t id, int64_t at);

  // Population estimates of a city and year, by dimension and code.
  Result<std::vector<PopulationEstimate>> ListPopulationEstimates(const std::string& city,
                                                                  int64_t year);
  // Replaces every estimate of (city, year, dimension) with `estimates` in one transaction
  // (their city, year and dimension fields are ignored).
  Status ReplacePopulationEstimates(const std::string& city, int64_t year,
                                    const std::string& dimension,
                                    const std::vector<PopulationEstimate>& estimates);

  // First-reply counters (incremented by AppendMessage) summed over first_month..last_month,
  // optionally one organisation; every band, zeros included, in ResponseTimeBands() order.
  Result<std::vector<ResponseTimeCount>> ResponseTimes(const std::string& first_month,
                                                       const std::string& last_month,
                                                       std::optional<int64_t> organisation_id);
};

// Opens a store from a URL: "sqlite:/path/to/file.db" or a PostgreSQL connection string
// starting with "postgresql://" or "postgres://", or libpq "key=value" pairs prefixed "pg:".
// `pool_size` connections are opened up front.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, int pool_size);

}  // namespace vd
