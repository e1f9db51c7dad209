#include "domain/conversations.h"

#include <algorithm>
#include <tuple>

#include "core/text.h"

namespace vd {
namespace {

constexpr int64_t kDay = 86400;
constexpr std::string_view kUnsaid = "unsaid";
// Settings key prefix of a receipt KDF generation (the rest is its KdfText).
constexpr std::string_view kGenerationPrefix = "receipt_kdf:";

std::string GenerationKey(const KdfParams& kdf) {
  return std::string(kGenerationPrefix) + KdfText(kdf);
}

bool IsLanguageCode(std::string_view s) {
  // "nl", "pt_BR", "zh_CN": letters with at most one underscore, short.
  if (s.size() < 2 || s.size() > 8) return false;
  return std::ranges::all_of(s, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  });
}

Status ValidateAnswer(std::string_view value, const std::vector<std::string>& allowed) {
  if (value.empty() || value == kUnsaid) return {};
  if (std::ranges::find(allowed, value) != allowed.end()) return {};
  return Fail(ErrorCode::kInvalidInput, "error.bad_form", "unknown answer code");
}

}  // namespace

const std::vector<std::string>& AgeBandCodes() {
  static const std::vector<std::string> codes = {"18-24", "25-34", "35-44", "45+"};
  return codes;
}

const std::vector<std::string>& WorkSettingCodes() {
  static const std::vector<std::string> codes = {"window", "club",   "private_house", "escort",
                                                 "home",   "online", "street",        "other"};
  return codes;
}

Conversations::Conversations(Database& db, const Clock& clock, Argon2Gate& gate,
                             std::string site_salt, SecretBytes pepper, ConversationPolicy policy)
    : db_(db),
      clock_(clock),
      gate_(gate),
      site_salt_(std::move(site_salt)),
      pepper_(std::move(pepper)),
      policy_(policy) {}

Status Conversations::AdoptLegacyKdf(const PwhashParams& legacy) {
  const KdfParams kdf{legacy, false};
  const std::string now = std::to_string(clock_.Now());
  return db_.Write("adopt legacy receipts", [&](Tx& tx) -> Status {
    Result<int64_t> adopted = db_.conversations().AdoptLegacyKdf(tx, KdfText(kdf));
    if (!adopted) return std::unexpected(adopted.error());
    if (*adopted == 0) return {};
    Result<std::string> recorded = db_.settings().GetOrCreate(tx, GenerationKey(kdf), now);
    if (!recorded) return std::unexpected(recorded.error());
    return {};
  });
}

Result<std::vector<KdfParams>> Conversations::ReceiptGenerations() {
  const KdfParams current = CurrentKdf();
  using Settings = std::vector<std::pair<std::string, std::string>>;
  Result<Settings> recorded = db_.Read("receipt generations", [&](Tx& tx) {
    return db_.settings().List(tx, std::string(kGenerationPrefix));
  });
  if (!recorded) return std::unexpected(recorded.error());
  std::vector<KdfParams> out{current};
  for (const auto& [key, added_at] : *recorded) {
    Result<KdfParams> kdf = ParseKdf(std::string_view(key).substr(kGenerationPrefix.size()));
    if (!kdf) return Fail(ErrorCode::kInternal, "error.internal", "bad receipt generation");
    if (*kdf != current) out.push_back(*kdf);
  }
  return out;
}

int64_t Conversations::ExpiryFrom(int64_t now) const {
  return now + static_cast<int64_t>(policy_.retention_days) * kDay;
}

Result<std::string> Conversations::ValidateMessage(std::string_view text) const {
  if (!IsValidUtf8(text)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_encoding", "message not utf-8");
  }
  std::string normal = NormalizeNewlines(Trim(text));
  if (normal.empty()) {
    return Fail(ErrorCode::kInvalidInput, "error.message_empty", "empty message");
  }
  if (HasForbiddenControl(normal)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_encoding", "control character in message");
  }
  if (CodePointCount(normal) > policy_.max_message_chars) {
    return Fail(ErrorCode::kTooLarge, "error.message_too_long", "message too long");
  }
  return normal;
}

Result<StartedConversation> Conversations::Start(const std::string& organisation_slug,
                                                 std::string_view message,
                                                 const std::string& ui_language,
                                                 const StartAnswers& answers) {
  Result<std::string> text = ValidateMessage(message);
  if (!text) return std::unexpected(text.error());
  if (!answers.language.empty() && answers.language != kUnsaid &&
      !IsLanguageCode(answers.language)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "bad language answer");
  }
  if (auto s = ValidateAnswer(answers.age_band, AgeBandCodes()); !s) return std::unexpected(s.error());
  if (auto s = ValidateAnswer(answers.work_setting, WorkSettingCodes()); !s) {
    return std::unexpected(s.error());
  }
  KeyPair conversation_key = GenerateKeyPair();
  const int64_t now = clock_.Now();
  Message first;
  first.author = Author::kWorker;
  first.ciphertext = SealTo(conversation_key.public_key, *text);
  first.created_at = now;
  // A lookup clash between two random receipts is astronomically unlikely; retry anyway.
  for (int attempt = 0; attempt < 3; ++attempt) {
    // The receipt keys do not depend on the organisation: derived before the transaction,
    // which then holds its connection for a few statements, not for an Argon2id run.
    std::string receipt = NewReceipt();
    Result<ReceiptKeys> keys = [&]() -> Result<ReceiptKeys> {
      Result<Argon2Gate::Slot> slot = gate_.Acquire();
      if (!slot) return std::unexpected(slot.error());
      return DeriveReceiptKeys(receipt, site_salt_, CurrentKdf(), pepper_);
    }();
    if (!keys) return std::unexpected(keys.error());

    Conversation c;
    c.public_id = RandomToken(12);
    c.receipt_lookup = keys->lookup;
    c.public_key = Base64Encode(conversation_key.public_key);
    c.receipt_wrapped_secret_key = Wrap(keys->wrap_key, conversation_key.secret_key.view());
    c.status = ConversationStatus::kNew;
    c.language = ui_language;
    c.answer_language = answers.language;
    c.answer_age_band = answers.age_band;
    c.answer_work_setting = answers.work_setting;
    c.created_at = now;
    c.last_activity_at = now;
    c.expires_at = ExpiryFrom(now);
    c.receipt_kdf = KdfText(CurrentKdf());

    // The organisation key is read in the transaction that inserts the conversation sealed
    // to it, so a key rotated meanwhile (an advisor left) is never used for a new one.
    Result<int64_t> id = db_.Write("start conversation", [&](Tx& tx) -> Result<int64_t> {
      Result<Organisation> org = db_.staff().FindOrganisationBySlug(tx, organisation_slug);
      if (!org) {
        if (org.error().code == ErrorCode::kNotFound) {
          return Fail(ErrorCode::kInvalidInput, "error.choose_organisation",
                      "unknown organisation");
        }
        return std::unexpected(org.error());
      }
      if (org->public_key.empty()) {
        return Fail(ErrorCode::kInvalidInput, "error.organisation_unavailable",
                    "organisation has no key");
      }
      Result<std::string> org_public = Base64Decode(org->public_key);
      if (!org_public) return Fail(ErrorCode::kCrypto, "error.internal", "bad organisation key");
      c.organisation_id = org->id;
      c.org_sealed_secret_key = SealTo(*org_public, conversation_key.secret_key.view());
      // Every server tries this generation from now on, whatever its own parameters.
      Result<std::string> generation =
          db_.settings().GetOrCreate(tx, GenerationKey(CurrentKdf()), std::to_string(now));
      if (!generation) return std::unexpected(generation.error());
      return db_.conversations().Insert(tx, c, first);
    });
    if (!id && id.error().code == ErrorCode::kConflict) continue;
    if (!id) return std::unexpected(id.error());
    return StartedConversation{std::move(receipt), *id, std::move(conversation_key.secret_key),
                               c.expires_at};
  }
  return Fail(ErrorCode::kInternal, "error.internal", "receipt collisions");
}

Result<OpenedConversation> Conversations::Open(std::string_view typed_receipt) {
  Result<std::string> receipt = ParseReceipt(typed_receipt);
  if (!receipt) return std::unexpected(receipt.error());
  Result<std::vector<KdfParams>> generations = ReceiptGenerations();
  if (!generations) return std::unexpected(generations.error());
  // Every generation for every receipt, right or wrong, under one slot of the gate: the time
  // an open takes says nothing about the receipt.
  Result<std::vector<ReceiptKeys>> keys = [&]() -> Result<std::vector<ReceiptKeys>> {
    Result<Argon2Gate::Slot> slot = gate_.Acquire();
    if (!slot) return std::unexpected(slot.error());
    std::vector<ReceiptKeys> out;
    out.reserve(generations->size());
    for (const KdfParams& kdf : *generations) {
      Result<ReceiptKeys> k = DeriveReceiptKeys(*receipt, site_salt_, kdf, pepper_);
      if (!k) return std::unexpected(k.error());
      out.push_back(std::move(*k));
    }
    return out;
  }();
  Wipe(*receipt);
  if (!keys) return std::unexpected(keys.error());
  struct Found {
    Conversation c;
    size_t generation = 0;
  };
  // Every lookup is made too, also after a match.
  Result<std::optional<Found>> found = db_.Read("open conversation", [&](Tx& tx) -> Result<std::optional<Found>> {
    std::optional<Found> match;
    for (size_t i = 0; i < keys->size(); ++i) {
      Result<Conversation> c = db_.conversations().FindByLookup(tx, (*keys)[i].lookup);
      if (!c && c.error().code != ErrorCode::kNotFound) return std::unexpected(c.error());
      if (c && !match) match = Found{std::move(*c), i};
    }
    return match;
  });
  if (!found) return std::unexpected(found.error());
  if (!*found) return Fail(ErrorCode::kNotFound, "error.receipt_unknown", "receipt opens nothing");
  const Conversation& c = (*found)->c;
  const size_t generation = (*found)->generation;
  if (c.expires_at <= clock_.Now()) {
    return Fail(ErrorCode::kNotFound, "error.receipt_unknown", "conversation expired");
  }
  Result<SecretBytes> secret = Unwrap((*keys)[generation].wrap_key, c.receipt_wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "receipt wrap did not open");
  if (generation != 0) {
    // The current generation's keys were derived above: re-keying costs no further hash.
    const ReceiptKeys& current = keys->front();
    const std::string wrapped = Wrap(current.wrap_key, secret->view());
    Status rekeyed = db_.Write("rekey conversation", [&](Tx& tx) {
      return db_.conversations().Rekey(tx, c.id, (*keys)[generation].lookup, current.lookup,
                                       wrapped, KdfText(generations->front()));
    });
    // Not found: deleted, or re-keyed by a concurrent open, a moment ago; this open stands.
    if (!rekeyed && rekeyed.error().code != ErrorCode::kNotFound) {
      return std::unexpected(rekeyed.error());
    }
  }
  return OpenedConversation{c.id, std::move(*secret)};
}

Result<Conversations::Stored> Conversations::Load(Tx& tx, Conversation c) {
  Result<std::vector<Message>> messages = db_.conversations().ListMessages(tx, c.id);
  if (!messages) return std::unexpected(messages.error());
  Result<Organisation> org = db_.staff().FindOrganisationById(tx, c.organisation_id);
  if (!org) return std::unexpected(org.error());
  return Stored{std::move(c), std::move(*messages), std::move(*org)};
}

Result<ConversationView> Conversations::Decrypt(const Stored& s, const KeyPair& conversation_key) {
  ConversationView view{s.meta, s.organisation.name, {}, s.organisation.slug};
  view.messages.reserve(s.messages.size());
  for (const Message& m : s.messages) {
    Result<SecretBytes> plain = OpenSealed(conversation_key, m.ciphertext);
    if (!plain) return Fail(ErrorCode::kCrypto, "error.internal", "message did not open");
    view.messages.push_back({m.author, std::string(plain->view()), m.created_at});
  }
  return view;
}

Result<ConversationView> Conversations::ReadAsWorker(int64_t conversation_id,
                                                     const SecretBytes& secret_key) {
  const int64_t now = clock_.Now();
  Result<Stored> stored = db_.Read("read conversation", [&](Tx& tx) -> Result<Stored> {
    Result<Conversation> c = db_.conversations().FindById(tx, conversation_id);
    if (!c) return std::unexpected(c.error());
    if (c->expires_at <= now) {
      return Fail(ErrorCode::kNotFound, "error.conversation_gone", "conversation expired");
    }
    return Load(tx, std::move(*c));
  });
  if (!stored) return std::unexpected(stored.error());
  Result<KeyPair> key = KeyPairFromSecret(secret_key.Clone());
  if (!key) return std::unexpected(key.error());
  return Decrypt(*stored, *key);
}

Status Conversations::WorkerReply(int64_t conversation_id, std::string_view text) {
  Result<std::string> valid = ValidateMessage(text);
  if (!valid) return std::unexpected(valid.error());
  const int64_t now = clock_.Now();
  return db_.Write("worker reply", [&](Tx& tx) -> Status {
    Result<Conversation> c = db_.conversations().FindById(tx, conversation_id);
    if (!c) return std::unexpected(c.error());
    Result<std::string> public_key = Base64Decode(c->public_key);
    if (!public_key) return Fail(ErrorCode::kCrypto, "error.internal", "bad conversation key");
    Message m;
    m.conversation_id = c->id;
    m.author = Author::kWorker;
    m.ciphertext = SealTo(*public_key, *valid);
    m.created_at = now;
    return db_.conversations().AppendMessage(tx, m, ConversationStatus::kWaiting, ExpiryFrom(now));
  });
}

Result<SecretBytes> OpenSealedByOrg(const StaffContext& staff, std::string_view sealed_b64) {
  if (staff.org_key) {
    if (Result<SecretBytes> s = OpenSealed(*staff.org_key, sealed_b64)) return s;
  }
  for (const KeyPair& older : staff.older_org_keys) {
    if (Result<SecretBytes> s = OpenSealed(older, sealed_b64)) return s;
  }
  return Fail(ErrorCode::kCrypto, "error.internal", "no organisation key opens this");
}

Status Conversations::Delete(int64_t conversation_id) {
  return db_.Write("delete conversation",
                   [&](Tx& tx) { return db_.conversations().Delete(tx, conversation_id); });
}

Result<int64_t> Conversations::InboxOrganisation(const StaffContext& staff) {
  const User& u = staff.user;
  // An advisor without the key is one no key holder has approved yet: she sees nothing of
  // the organisation's conversations, not even that they exist.
  const bool advisor = u.role == Role::kAdvisor && staff.org_key.has_value();
  if (!u.organisation_id || (!advisor && u.role != Role::kCoordinator)) {
    return Fail(ErrorCode::kForbidden, "error.forbidden",
                "inbox needs an advisor with a key or a coordinator");
  }
  return *u.organisation_id;
}

Result<InboxListing> Conversations::Inbox(const StaffContext& staff, const InboxRequest& request) {
  Result<int64_t> org = InboxOrganisation(staff);
  if (!org) return std::unexpected(org.error());
  return db_.Read("inbox", [&](Tx& tx) -> Result<InboxListing> {
    ConversationStore& store = db_.conversations();
    auto page = [&](std::optional<InboxKey> from, PageDirection direction, int limit) {
      return store.InboxPage(tx, *org, InboxQuery{request.view, from, direction, limit});
    };
    Result<std::vector<InboxEntry>> rows = page(request.from, request.direction, kInboxPageSize);
    if (!rows) return std::unexpected(rows.error());
    if (request.direction == PageDirection::kBackward) {
      if (rows->size() < static_cast<size_t>(kInboxPageSize)) {
        rows = page(std::nullopt, PageDirection::kForward, kInboxPageSize);
        if (!rows) return std::unexpected(rows.error());
      } else {
        std::ranges::reverse(*rows);
      }
    }
    InboxListing out{std::move(*rows), std::nullopt, std::nullopt};
    if (out.rows.empty()) return out;
    // One row beyond each end says whether a link there leads anywhere. (Two index seeks:
    // cheaper than counting the view.)
    for (auto [key, direction, link] :
         {std::tuple{out.rows.front().key, PageDirection::kBackward, &out.previous},
          std::tuple{out.rows.back().key, PageDirection::kForward, &out.next}}) {
      Result<std::vector<InboxEntry>> beyond = page(key, direction, 1);
      if (!beyond) return std::unexpected(beyond.error());
      if (!beyond->empty()) *link = key;
    }
    return out;
  });
}

Status Conversations::MarkSpam(const StaffContext& staff, const std::string& public_id,
                               SpamMark mark) {
  Result<int64_t> org = InboxOrganisation(staff);
  if (!org) return std::unexpected(org.error());
  return db_.Write("mark spam", [&](Tx& tx) -> Status {
    Result<Conversation> c = db_.conversations().FindByPublicId(tx, public_id);
    if (!c) return std::unexpected(c.error());
    if (c->organisation_id != *org) {
      return Fail(ErrorCode::kNotFound, "error.not_found", "conversation of another organisation");
    }
    return db_.conversations().SetSpam(tx, c->id, mark);
  });
}

Result<Conversation> Conversations::AuthorizeAdvisor(Tx& tx, const StaffContext& staff,
                                                     const std::string& public_id) {
  if (staff.user.role != Role::kAdvisor || !staff.user.organisation_id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "not an advisor");
  }
  Result<Conversation> c = db_.conversations().FindByPublicId(tx, public_id);
  if (!c) return std::unexpected(c.error());
  if (c->organisation_id != *staff.user.organisation_id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "conversation of another organisation");
  }
  if (!staff.org_key) {
    return Fail(ErrorCode::kForbidden, "error.no_org_key", "advisor has no organisation key yet");
  }
  return c;
}

Result<ConversationView> Conversations::ReadAsAdvisor(const StaffContext& staff,
                                                      const std::string& public_id) {
  Result<Stored> stored = db_.Read("read conversation", [&](Tx& tx) -> Result<Stored> {
    Result<Conversation> c = AuthorizeAdvisor(tx, staff, public_id);
    if (!c) return std::unexpected(c.error());
    return Load(tx, std::move(*c));
  });
  if (!stored) return std::unexpected(stored.error());
  Result<SecretBytes> secret = OpenSealedByOrg(staff, stored->meta.org_sealed_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "org seal did not open");
  Result<KeyPair> key = KeyPairFromSecret(std::move(*secret));
  if (!key) return std::unexpected(key.error());
  return Decrypt(*stored, *key);
}

Status Conversations::AdvisorReply(const StaffContext& staff, const std::string& public_id,
                                   std::string_view text) {
  Result<std::string> valid = ValidateMessage(text);
  if (!valid) return std::unexpected(valid.error());
  const int64_t now = clock_.Now();
  return db_.Write("advisor reply", [&](Tx& tx) -> Status {
    Result<Conversation> c = AuthorizeAdvisor(tx, staff, public_id);
    if (!c) return std::unexpected(c.error());
    Result<std::string> public_key = Base64Decode(c->public_key);
    if (!public_key) return Fail(ErrorCode::kCrypto, "error.internal", "bad conversation key");
    Message m;
    m.conversation_id = c->id;
    m.author = Author::kAdvisor;
    m.author_user_id = staff.user.id;
    m.ciphertext = SealTo(*public_key, *valid);
    m.created_at = now;
    return db_.conversations().AppendMessage(tx, m, ConversationStatus::kAnswered, ExpiryFrom(now));
  });
}

Result<int64_t> Conversations::ExpireNow() {
  const int64_t now = clock_.Now();
  const std::string current = GenerationKey(CurrentKdf());
  return db_.Write("expire conversations", [&](Tx& tx) -> Result<int64_t> {
    Result<int64_t> deleted = db_.conversations().DeleteExpired(tx, now);
    if (!deleted) return deleted;
    Result<std::vector<std::pair<std::string, std::string>>> generations =
        db_.settings().List(tx, std::string(kGenerationPrefix));
    if (!generations) return std::unexpected(generations.error());
    for (const auto& [key, added_at] : *generations) {
      if (key == current) continue;
      Result<bool> used =
          db_.conversations().AnyWithKdf(tx, key.substr(kGenerationPrefix.size()));
      if (!used) return std::unexpected(used.error());
      if (!*used) {
        if (Status s = db_.settings().Delete(tx, key); !s) return std::unexpected(s.error());
      }
    }
    return deleted;
  });
}

}  // namespace vd
