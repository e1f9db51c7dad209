#pragma once
// Conversations: the anonymous worker's side and the advisor's side of one exchange.
// Message text exists in plaintext only in memory during a request; at rest it is sealed
// to the conversation's key pair, whose secret key is wrapped by a receipt-derived key (for
// the worker) and sealed to the organisation's key (for its advisors). Thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "domain/argon2_gate.h"
#include "store/conversation_store.h"
#include "store/database.h"
#include "store/settings_store.h"
#include "store/staff_store.h"

namespace vd {

// The inbox shows this many conversations a page (one an advisor can scan at 360 px too).
inline constexpr int kInboxPageSize = 50;

// Which page of the inbox: the first of a view, or the one next to a row's key.
struct InboxRequest {
  InboxView view = InboxView::kWaiting;
  std::optional<InboxKey> from;  // exclusive
  PageDirection direction = PageDirection::kForward;
};

// One page of a view, rows in the view's order, with the keys to ask for the pages beside it
// (the first row's key, backward; the last row's, forward), set only if such a page has rows.
struct InboxListing {
  std::vector<InboxEntry> rows;
  std::optional<InboxKey> previous;
  std::optional<InboxKey> next;
};

struct ConversationPolicy {
  PwhashParams receipt_pwhash;  // new receipts: these, peppered (older ones keep theirs)
  int retention_days = 90;     // expiry after this much inactivity
  size_t max_message_chars = 5000;
};

// The optional questions. Each value is a fixed code, "unsaid" (prefer not to say) or "".
struct StartAnswers {
  std::string language;     // language the worker prefers to be answered in
  std::string age_band;     // "18-24", "25-34", "35-44", "45+"
  std::string work_setting; // "window", "club", "private_house", "escort", "home", "online", "street", "other"
};

// Allowed codes, in display order, for forms and validation.
const std::vector<std::string>& AgeBandCodes();
const std::vector<std::string>& WorkSettingCodes();

// Decrypted text, in memory only until the page is rendered: wiped when it goes (copies the
// renderer makes of it are outside its reach).
struct PlainMessage {
  Author author = Author::kWorker;
  std::string text;
  int64_t created_at = 0;

  PlainMessage() = default;
  PlainMessage(Author a, std::string t, int64_t at) : author(a), text(std::move(t)), created_at(at) {}
  PlainMessage(const PlainMessage&) = default;
  PlainMessage(PlainMessage&&) = default;
  PlainMessage& operator=(const PlainMessage&) = default;
  PlainMessage& operator=(PlainMessage&&) = default;
  ~PlainMessage() { Wipe(text); }
};

struct ConversationView {
  Conversation meta;
  std::string organisation_name;
  std::vector<PlainMessage> messages;
  std::string organisation_slug;
};

struct StartedConversation {
  std::string receipt;  // 16 digits, shown once, never stored
  int64_t conversation_id = 0;
  SecretBytes secret_key;  // for the worker's session
  int64_t expires_at = 0;
};

struct OpenedConversation {
  int64_t conversation_id = 0;
  SecretBytes secret_key;
};

// What a logged-in staff member brings to a request: who they are and, for advisors, the
// organisation's key pair opened from their grant.
// When an advisor leaves, the organisation key is rotated; the keys before it stay in the
// remaining advisors' grants (older_org_keys, newest first) so old conversations and notes
// still open.
struct StaffContext {
  User user;
  std::optional<KeyPair> org_key;
  std::vector<KeyPair> older_org_keys;
};

// Opens something sealed to the organisation (a conversation key, contact notes) with the
// current organisation key or, failing that, an older one. kCrypto if none opens it.
Result<SecretBytes> OpenSealedByOrg(const StaffContext& staff, std::string_view sealed_b64);

// Each operation is one transaction of `db`; key derivation and decryption happen outside it,
// so no connection is held while Argon2id runs. `pepper` (kPepperBytes from the pepper file)
// is mixed into every new receipt's keys.
//
// Receipt KDF generations: every parameter set receipts were made under is recorded in the
// settings ("receipt_kdf:" + KdfText) when a conversation starts under it. A receipt's row is
// found by its lookup, so before the row is known every generation still in use is tried,
// for every receipt alike: a wrong receipt costs what a right one does. A receipt that opens
// under an older generation is re-keyed to the current one; retention forgets generations
// that no conversation needs any more, which keeps the list (and the cost of an open) short.
class Conversations {
 public:
  Conversations(Database& db, const Clock& clock, Argon2Gate& gate, std::string site_salt,
                SecretBytes pepper, ConversationPolicy policy);

  // At start-up: conversations from before schema 9 get `legacy` (the parameters in effect
  // now, unpeppered, as they were made), and that generation is recorded if any needs it.
  Status AdoptLegacyKdf(const PwhashParams& legacy);
  // The generations an open tries: the current one first, then the older ones recorded.
  Result<std::vector<KdfParams>> ReceiptGenerations();

  // Validates a message: trimmed, non-empty, valid UTF-8, no control characters, at most
  // max_message_chars code points. Returns the normalised text.
  Result<std::string> ValidateMessage(std::string_view text) const;

  // Worker side.
  Result<StartedConversation> Start(const std::string& organisation_slug,
                                    std::string_view message, const std::string& ui_language,
                                    const StartAnswers& answers);
  // One Argon2id run per receipt generation (see above); kNotFound for a receipt that opens
  // nothing (wrong, deleted, expired). Opened under an older generation, the conversation is
  // re-keyed to the current one in one transaction (new lookup, new wrap of its key).
  Result<OpenedConversation> Open(std::string_view typed_receipt);
  Result<ConversationView> ReadAsWorker(int64_t conversation_id, const SecretBytes& secret_key);
  Status WorkerReply(int64_t conversation_id, std::string_view text);
  Status Delete(int64_t conversation_id);

  // The organisation's inbox, one page of one view: what it says about each conversation
  // (status, times, language, number of messages), never what is in it. For advisors who
  // hold the organisation's key and for its coordinators (who hold none: they triage, they
  // do not read); kForbidden for everyone else. A backward request that reaches the start
  // answers with the first page, so the first page is always full.
  Result<InboxListing> Inbox(const StaffContext& staff, const InboxRequest& request = {});
  // Marks a conversation of the staff member's organisation as spam, or not: a spam
  // conversation leaves every view but kSpam, stays in the counts and expires on schedule.
  // Needs no conversation key, so a coordinator can do it from the inbox. Who may: as Inbox;
  // kNotFound for unknown ids and for another organisation's conversations.
  Status MarkSpam(const StaffContext& staff, const std::string& public_id, SpamMark mark);

  // Advisor side. kForbidden unless the staff member is an advisor of the conversation's
  // organisation holding its key; kNotFound for unknown ids.
  Result<ConversationView> ReadAsAdvisor(const StaffContext& staff, const std::string& public_id);
  Status AdvisorReply(const StaffContext& staff, const std::string& public_id,
                      std::string_view text);

  // Retention: deletes conversations past their expiry, and forgets the receipt generations
  // no conversation needs any more. Returns how many conversations went.
  Result<int64_t> ExpireNow();

  const ConversationPolicy& policy() const { return policy_; }

 private:
  // A conversation with what it takes to show it, read in one transaction.
  struct Stored {
    Conversation meta;
    std::vector<Message> messages;
    Organisation organisation;
  };
  Result<Stored> Load(Tx& tx, Conversation c);
  static Result<ConversationView> Decrypt(const Stored& s, const KeyPair& conversation_key);
  Result<Conversation> AuthorizeAdvisor(Tx& tx, const StaffContext& staff,
                                        const std::string& public_id);
  int64_t ExpiryFrom(int64_t now) const;
  KdfParams CurrentKdf() const { return KdfParams{policy_.receipt_pwhash, true}; }
  // The organisation whose inbox the staff member sees (see Inbox), or kForbidden.
  static Result<int64_t> InboxOrganisation(const StaffContext& staff);

  Database& db_;
  const Clock& clock_;
  Argon2Gate& gate_;
  std::string site_salt_;
  SecretBytes pepper_;
  ConversationPolicy policy_;
};

}  // namespace vd
