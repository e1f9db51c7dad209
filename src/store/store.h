#pragma once
// Store: the only door to the database. One implementation (SociStore, store/soci_store.h)
// serves both SQLite and PostgreSQL through SOCI; the same conformance tests run on both.
// Thread-safe: every call borrows a pooled connection. Binary values are base64 TEXT.
// Every method here is one transaction: it either happens whole or not at all; stores
// reached through Database (store/database.h) work inside the caller's transaction. Failures return
// kStorage (with a detail for the operator's log, never row content) or kNotFound/kConflict.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "store/database.h"
#include "store/records.h"
#include "store/report_rows.h"

namespace vd {

enum class Role { kAdvisor, kCoordinator, kAnalyst, kAdmin };
std::string_view RoleName(Role role);                   // "advisor", ...
std::optional<Role> ParseRole(std::string_view name);

struct Organisation {
  int64_t id = 0;
  std::string slug;         // stable, URL-safe: "independent", "shop", "dehaven"
  std::string name;         // display name
  std::string public_key;   // base64; empty until the first advisor joins (no key yet)
};

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::kAdvisor;
  std::optional<int64_t> organisation_id;
  std::string pw_salt;             // base64
  std::string pw_verifier;         // base64
  std::string public_key;          // base64 X25519
  std::string wrapped_secret_key;  // Wrap() under the password wrap key
  std::string recovery_wrapped_secret_key;  // Wrap() under the recovery wrap key
  std::string wrapped_totp_secret; // Wrap() under the password wrap key; empty until enrolled
  bool totp_enabled = false;
  int64_t totp_last_step = 0;      // last accepted TOTP time step (replay guard)
  int64_t failed_logins = 0;
  int64_t locked_until = 0;        // Unix seconds; 0 when not locked
  bool disabled = false;
  int64_t created_at = 0;
};

// The organisation private key sealed to one staff member's public key.
struct OrgKeyGrant {
  int64_t organisation_id = 0;
  int64_t user_id = 0;
  std::string sealed_org_secret_key;  // SealTo(user public key, org secret key)
};

enum class ConversationStatus { kNew, kWaiting, kAnswered };
std::string_view ConversationStatusName(ConversationStatus s);  // "new", "waiting", "answered"
std::optional<ConversationStatus> ParseConversationStatus(std::string_view name);

struct Conversation {
  int64_t id = 0;
  std::string public_id;            // random token used in staff URLs
  std::string receipt_lookup;       // base64, unique
  int64_t organisation_id = 0;
  std::string public_key;           // base64 conversation public key
  std::string receipt_wrapped_secret_key;  // Wrap() under the receipt wrap key
  std::string org_sealed_secret_key;       // SealTo(org public key, conversation secret key)
  ConversationStatus status = ConversationStatus::kNew;
  std::string language;             // UI language code at start ("nl", "en", ...)
  // Optional answers, stored as fixed codes only ("" = not asked, "unsaid" = prefer not to say).
  std::string answer_language;
  std::string answer_age_band;
  std::string answer_work_setting;
  int64_t created_at = 0;
  int64_t last_activity_at = 0;
  int64_t expires_at = 0;
  int64_t first_reply_at = 0;       // 0 until an advisor first replies
};

enum class Author { kWorker, kAdvisor };

struct Message {
  int64_t id = 0;
  int64_t conversation_id = 0;
  Author author = Author::kWorker;
  std::optional<int64_t> author_user_id;  // advisor's id; never set for the worker
  std::string ciphertext;                 // SealTo(conversation public key, text)
  int64_t created_at = 0;
};

struct InboxEntry {
  std::string public_id;
  ConversationStatus status = ConversationStatus::kNew;
  std::string language;
  int64_t created_at = 0;
  int64_t last_activity_at = 0;
  int64_t message_count = 0;
};

// A help page for workers: Markdown source, rendered on display.
struct HelpPage {
  std::string language;  // catalog code: "nl", "pt_BR"
  std::string slug;      // "advisor", "health", ...
  std::string markdown;
  int64_t updated_at = 0;
  std::optional<int64_t> updated_by;  // staff user id; empty for the shipped text
};

enum class SessionKind { kStaff, kWorker };

struct Session {
  std::string id_hash;          // base64 of KeyedHash(token); the token itself is never stored
  SessionKind kind = SessionKind::kStaff;
  std::optional<int64_t> user_id;          // staff sessions
  std::optional<int64_t> conversation_id;  // worker sessions
  // Staff: 0 = password accepted, TOTP pending or enrolling; 1 = fully logged in.
  int64_t stage = 0;
  std::string wrapped_key;      // secret material wrapped under a key derived from the token
  std::string pending;          // stage-0 data, wrapped the same way (e.g. TOTP being enrolled)
  int64_t created_at = 0;
  int64_t last_seen_at = 0;
};

// The legacy face of the database: one transaction per call. Aggregates move from here to
// stores that take a Tx& (Database::contacts(), ...), so that one domain operation is one
// transaction; what is left here still commits at each call.
class Store : public Database {
 public:
  ~Store() override = default;

  // Runs pending migrations (numbered, each in its own transaction). Idempotent.
  virtual Status Migrate() = 0;
  virtual Result<int> SchemaVersion() = 0;

  // Site-wide settings (e.g. "site_salt", "csrf_key"). GetOrCreate inserts `fresh` if the key
  // is absent and returns whatever is stored afterwards (first writer wins across servers).
  virtual Result<std::optional<std::string>> GetSetting(const std::string& key) = 0;
  virtual Result<std::string> GetOrCreateSetting(const std::string& key,
                                                 const std::string& fresh) = 0;

  // Organisations.
  virtual Result<int64_t> InsertOrganisation(const Organisation& org) = 0;  // kConflict on slug
  virtual Result<std::vector<Organisation>> ListOrganisations() = 0;
  virtual Result<Organisation> FindOrganisationBySlug(const std::string& slug) = 0;
  virtual Result<Organisation> FindOrganisationById(int64_t id) = 0;
  virtual Status SetOrganisationPublicKey(int64_t id, const std::string& public_key) = 0;

  // Users.
  virtual Result<int64_t> InsertUser(const User& user) = 0;  // kConflict on username
  virtual Result<User> FindUserByUsername(const std::string& username) = 0;
  virtual Result<User> FindUserById(int64_t id) = 0;
  virtual Result<std::vector<User>> ListUsers() = 0;
  virtual Status RecordLoginFailure(int64_t user_id, int64_t failed_logins, int64_t locked_until) = 0;
  virtual Status RecordLoginSuccess(int64_t user_id) = 0;  // failed_logins = 0, locked_until = 0
  // Accepts `step` only if it is greater than the stored totp_last_step (atomic compare);
  // kConflict if the step was already used (a replayed code).
  virtual Status AdvanceTotpStep(int64_t user_id, int64_t step) = 0;
  virtual Status SetTotpSecret(int64_t user_id, const std::string& wrapped_totp_secret) = 0;
  // Key recovery: new password material and recovery wrap for the same secret key. Clears
  // the TOTP secret (it was wrapped under the old password; the person enrols again), the
  // lockout, and ends the user's sessions, all in one transaction.
  virtual Status ReplaceCredentials(int64_t user_id, const std::string& pw_salt,
                                    const std::string& pw_verifier,
                                    const std::string& wrapped_secret_key,
                                    const std::string& recovery_wrapped_secret_key) = 0;

  // Organisation key grants.
  virtual Status UpsertOrgKeyGrant(const OrgKeyGrant& grant) = 0;
  virtual Result<OrgKeyGrant> FindOrgKeyGrant(int64_t organisation_id, int64_t user_id) = 0;
  // Users of the organisation who have a public key but no grant yet.
  virtual Result<std::vector<User>> UsersWithoutGrant(int64_t organisation_id) = 0;
  // Disables a staff account in one transaction: disabled = 1, the user's sessions and
  // organisation-key grants deleted. With `rotation` (an advisor leaving), also sets the
  // organisation's new public key and gives each user in `rotation->sealed_for` the new key:
  // prepended as "<sealed>," to an existing grant, or as a new grant when nobody else holds
  // one. kConflict (nothing changed) if the remaining grant holders are not exactly the
  // users in `sealed_for` (a colleague was granted meanwhile: the caller retries).
  struct OrgKeyRotation {
    int64_t organisation_id = 0;
    std::string public_key;                     // base64, the new organisation public key
    std::map<int64_t, std::string> sealed_for;  // user id -> SealTo(user, new secret key)
  };
  virtual Status DisableUser(int64_t user_id, const std::optional<OrgKeyRotation>& rotation) = 0;

  // Conversations and messages. InsertConversation inserts the conversation and its first
  // message in one transaction and returns the conversation id (kConflict on a lookup clash).
  virtual Result<int64_t> InsertConversation(const Conversation& c, const Message& first) = 0;
  virtual Result<Conversation> FindConversationByLookup(const std::string& receipt_lookup) = 0;
  virtual Result<Conversation> FindConversationById(int64_t id) = 0;
  virtual Result<Conversation> FindConversationByPublicId(const std::string& public_id) = 0;
  virtual Result<std::vector<Message>> ListMessages(int64_t conversation_id) = 0;
  // Appends a message, sets status, last_activity_at = now, expires_at, and first_reply_at
  // (only if still 0 and the author is an advisor; that first reply is then counted in
  // response_times by the organisation, the month and the delay band), all in one transaction.
  // kNotFound if the conversation is gone.
  virtual Status AppendMessage(const Message& m, ConversationStatus new_status,
                               int64_t expires_at) = 0;
  // Deletes the conversation, its messages and its worker sessions. kNotFound if gone.
  virtual Status DeleteConversation(int64_t id) = 0;
  // Deletes every conversation with expires_at <= now; returns how many.
  virtual Result<int64_t> DeleteExpiredConversations(int64_t now) = 0;
  // The organisation's conversations, newest activity first, optionally one status only.
  virtual Result<std::vector<InboxEntry>> Inbox(int64_t organisation_id,
                                                std::optional<ConversationStatus> status,
                                                int limit) = 0;

  // Runs `job` only if no other process holds the named lock (PostgreSQL session advisory
  // lock; on SQLite, one process owns the file, so a process-local lock). Returns false when
  // skipped because another server is running it. For periodic jobs that must run once
  // across all servers (retention, reminders).
  virtual Result<bool> RunExclusive(int64_t lock_key, const std::function<Status()>& job) = 0;

  // How many conversations are in each state (for the operator's metrics).
  virtual Result<std::vector<std::pair<ConversationStatus, int64_t>>> CountConversationsByStatus() = 0;

  // Sessions.
  virtual Status InsertSession(const Session& s) = 0;
  virtual Result<Session> FindSession(const std::string& id_hash) = 0;  // kNotFound
  virtual Status TouchSession(const std::string& id_hash, int64_t now) = 0;
  virtual Status UpdateSession(const Session& s) = 0;  // stage, wrapped_key, pending, last_seen_at
  virtual Status DeleteSession(const std::string& id_hash) = 0;
  // Deletes sessions idle since before `idle_before` or created before `created_before`.
  virtual Result<int64_t> DeleteStaleSessions(int64_t idle_before, int64_t created_before) = 0;

  // Referral directory. Insert: kConflict on slug.
  virtual Result<int64_t> InsertDirectoryEntry(const DirectoryEntry& e) = 0;
  virtual Status UpdateDirectoryEntry(const DirectoryEntry& e) = 0;
  virtual Result<std::vector<DirectoryEntry>> ListDirectory(bool active_only) = 0;
  virtual Result<DirectoryEntry> FindDirectoryEntry(int64_t id) = 0;

  // Audit log. Appends in one serialised transaction: the id is the previous id + 1,
  // prev_hash the previous entry's hash, and `hash_of` (given the entry with id and
  // prev_hash filled in) its hash. Also moves the "audit_head" setting ("id:hash").
  virtual Result<AuditEntry> AppendAudit(
      const AuditEntry& e, const std::function<std::string(const AuditEntry&)>& hash_of) = 0;
  // Entries with id > after_id in id order, at most `limit`.
  virtual Result<std::vector<AuditEntry>> ListAudit(int64_t after_id, int limit) = 0;

  // Help pages (Markdown source per language and slug).
  virtual Result<HelpPage> FindHelpPage(const std::string& language, const std::string& slug) = 0;
  // Every page of one language ("" = every language), ordered by language and slug.
  virtual Result<std::vector<HelpPage>> ListHelpPages(const std::string& language) = 0;
  // Inserts the page unless one exists for its language and slug; true if inserted. Never
  // overwrites a coordinator's edit (used to load the shipped pages at start-up).
  virtual Result<bool> InsertHelpPageIfAbsent(const HelpPage& page) = 0;
  // Inserts or replaces the page.
  virtual Status SaveHelpPage(const HelpPage& page) = 0;

  // --- Reports (schema 4) ------------------------------------------------------------------
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
  virtual Result<ReleaseRecord> FindRelease(const std::string& city, const std::string& label,
                                            const std::string& method) = 0;  // kNotFound
  // Newest first; every status when `status` is empty.
  virtual Result<std::vector<ReleaseRecord>> ListReleases(const std::string& city,
                                                          const std::string& status) = 0;
  virtual Result<std::vector<std::pair<int64_t, int64_t>>> ReleasesSpent(const std::string& city,
                                                                         int64_t year) = 0;
  virtual Result<int64_t> InsertRelease(const ReleaseRecord& r, int64_t cap_num,
                                        int64_t cap_den) = 0;
  // draft -> published at `at`; kNotFound if no such draft.
  virtual Status PublishRelease(int64_t id, int64_t at) = 0;

  // Population estimates of a city and year, by dimension and code.
  virtual Result<std::vector<PopulationEstimate>> ListPopulationEstimates(const std::string& city,
                                                                          int64_t year) = 0;
  // Replaces every estimate of (city, year, dimension) with `estimates` in one transaction
  // (their city, year and dimension fields are ignored).
  virtual Status ReplacePopulationEstimates(const std::string& city, int64_t year,
                                            const std::string& dimension,
                                            const std::vector<PopulationEstimate>& estimates) = 0;

  // First-reply counters (incremented by AppendMessage) summed over first_month..last_month,
  // optionally one organisation; every band, zeros included, in ResponseTimeBands() order.
  virtual Result<std::vector<ResponseTimeCount>> ResponseTimes(
      const std::string& first_month, const std::string& last_month,
      std::optional<int64_t> organisation_id) = 0;
};

// Opens a store from a URL: "sqlite:/path/to/file.db" or a PostgreSQL connection string
// starting with "postgresql://" or "postgres://", or libpq "key=value" pairs prefixed "pg:".
// `pool_size` connections are opened up front.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, int pool_size);

}  // namespace vd
