#pragma once
// ConversationStore: a worker's conversations with an organisation, their sealed messages,
// the organisation's inbox, expiry and the counts for the operator's metrics. Every method
// works inside the caller's transaction (Database::Read/Write); the same conformance tests
// run on SQLite and PostgreSQL. Failures: kNotFound for an unknown or deleted conversation,
// kConflict on a receipt-lookup or public-id clash (reported by the Write), kStorage
// otherwise (which spoils the transaction).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace vd {

enum class ConversationStatus { kNew, kWaiting, kAnswered };
std::string_view ConversationStatusName(ConversationStatus s);  // "new", "waiting", "answered"
std::optional<ConversationStatus> ParseConversationStatus(std::string_view name);

struct Conversation {
  int64_t id = 0;
  std::string public_id;       // random token used in staff URLs
  std::string receipt_lookup;  // base64, unique
  int64_t organisation_id = 0;
  std::string public_key;                  // base64 conversation public key
  std::string receipt_wrapped_secret_key;  // Wrap() under the receipt wrap key
  std::string org_sealed_secret_key;       // SealTo(org public key, conversation secret key)
  ConversationStatus status = ConversationStatus::kNew;
  std::string language;  // UI language code at start ("nl", "en", ...)
  // Optional answers, stored as fixed codes only ("" = not asked, "unsaid" = prefer not to say).
  std::string answer_language;
  std::string answer_age_band;
  std::string answer_work_setting;
  int64_t created_at = 0;
  int64_t last_activity_at = 0;
  int64_t expires_at = 0;
  int64_t first_reply_at = 0;  // 0 until an advisor first replies
  // How receipt_lookup and the receipt wrap were derived (crypto's KdfText); '' only for a
  // row from before schema 9 until the next start adopts it (AdoptLegacyKdf).
  std::string receipt_kdf;
  // Kept by the store, not by its callers: when the worker started waiting for an answer
  // (the conversation's start, or her first message after an advisor's reply); 0 while
  // answered. A worker who writes again while waiting keeps her place in the queue.
  int64_t waiting_since = 0;
  bool spam = false;  // marked by staff: out of the inbox, still counted and expired
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

// The inbox's views of an organisation's conversations. kWaiting (new, or the worker wrote
// last) is ordered oldest waiting first, so that conversations arriving later, however many,
// queue behind it; the others show the latest activity first. Only kSpam shows spam.
enum class InboxView { kWaiting, kAnswered, kAll, kSpam };
std::string_view InboxViewName(InboxView v);  // "waiting", "answered", "all", "spam"
std::optional<InboxView> ParseInboxView(std::string_view name);

// A row's place in its view: the sort time (waiting_since for kWaiting, last_activity_at
// otherwise) and the id that breaks ties. Pages are sought from a key (keyset paging), so
// conversations arriving meanwhile neither repeat nor skip rows, and no page costs more than
// its own rows.
struct InboxKey {
  int64_t at = 0;
  int64_t id = 0;
  bool operator==(const InboxKey&) const = default;
};

enum class SpamMark { kNotSpam, kSpam };

enum class PageDirection { kForward, kBackward };  // with the view's order, or against it

struct InboxQuery {
  InboxView view = InboxView::kWaiting;
  std::optional<InboxKey> from;  // exclusive; none = the view's first (or, backward, last) row
  PageDirection direction = PageDirection::kForward;
  int limit = 0;
};

struct InboxEntry {
  InboxKey key;  // its place in the view it was read from (InboxPage only)
  std::string public_id;
  ConversationStatus status = ConversationStatus::kNew;
  std::string language;
  int64_t created_at = 0;
  int64_t last_activity_at = 0;
  int64_t message_count = 0;
  int64_t waiting_since = 0;
  bool spam = false;
};

class ConversationStore {
 public:
  virtual ~ConversationStore() = default;

  // Inserts the conversation and its first message; returns the conversation id. Sets
  // waiting_since from the status (created_at unless answered), whatever `c` says.
  virtual Result<int64_t> Insert(Tx& tx, const Conversation& c, const Message& first) = 0;
  virtual Result<Conversation> FindByLookup(Tx& tx, const std::string& receipt_lookup) = 0;
  virtual Result<Conversation> FindById(Tx& tx, int64_t id) = 0;
  virtual Result<Conversation> FindByPublicId(Tx& tx, const std::string& public_id) = 0;
  virtual Result<std::vector<Message>> ListMessages(Tx& tx, int64_t conversation_id) = 0;
  // Appends a message, sets status, last_activity_at = now, expires_at, waiting_since (0 when
  // answered; now if it was answered before, else unchanged), and first_reply_at
  // (only if still 0 and the author is an advisor; that first reply is then counted in
  // response_times by the organisation, the month and the delay band). kNotFound if the
  // conversation is gone (nothing written).
  virtual Status AppendMessage(Tx& tx, const Message& m, ConversationStatus new_status,
                               int64_t expires_at) = 0;
  // Deletes the conversation, its messages and its worker sessions. kNotFound if gone.
  virtual Status Delete(Tx& tx, int64_t id) = 0;
  // Deletes every conversation with expires_at <= now; returns how many.
  virtual Result<int64_t> DeleteExpired(Tx& tx, int64_t now) = 0;
  // Every conversation of the organisation, spam included, newest activity first, optionally
  // one status only: for checks and tools. The inbox pages use InboxPage.
  virtual Result<std::vector<InboxEntry>> Inbox(Tx& tx, int64_t organisation_id,
                                                std::optional<ConversationStatus> status,
                                                int limit) = 0;
  // A receipt opened under an older KDF generation, derived again under the current one:
  // new lookup, new wrap of the same secret key, new kdf; only if the row still has
  // `old_lookup` (kNotFound otherwise: deleted, or re-keyed by a concurrent open).
  virtual Status Rekey(Tx& tx, int64_t id, const std::string& old_lookup,
                       const std::string& new_lookup, const std::string& wrapped_secret_key,
                       const std::string& kdf) = 0;
  // Rows from before schema 9 get `kdf` (the parameters in effect then); returns how many.
  virtual Result<int64_t> AdoptLegacyKdf(Tx& tx, const std::string& kdf) = 0;
  // Whether any conversation's receipt was derived under `kdf` (retention forgets the
  // generations nobody needs any more).
  virtual Result<bool> AnyWithKdf(Tx& tx, const std::string& kdf) = 0;
  // Up to `q.limit` rows of one view of the organisation's inbox, starting next to `q.from`
  // and in the order walked (nearest to `q.from` first: backward pages come reversed). Each
  // view reads one index range on both databases.
  virtual Result<std::vector<InboxEntry>> InboxPage(Tx& tx, int64_t organisation_id,
                                                    const InboxQuery& q) = 0;
  // Marks the conversation as spam or not. kNotFound if it is gone.
  virtual Status SetSpam(Tx& tx, int64_t id, SpamMark mark) = 0;
  // How many conversations are marked as spam (they are in CountByStatus too).
  virtual Result<int64_t> CountSpam(Tx& tx) = 0;
  // How many conversations are in each state, every state in enum order (zeros included).
  virtual Result<std::vector<std::pair<ConversationStatus, int64_t>>> CountByStatus(Tx& tx) = 0;
};

}  // namespace vd
