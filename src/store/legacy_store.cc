// The legacy Store methods: each is one transaction around the matching aggregate-store call,
// with the operation name the per-call store used in the operator's log. They go once the
// callers in src/domain, src/report, src/web and src/app open their own transactions with
// Database::Read/Write (issue 13); nothing new should call them.

#include "store/store.h"

namespace vd {

// --- settings ------------------------------------------------------------------------------
Result<std::optional<std::string>> Store::GetSetting(const std::string& key) {
  return Read("get setting", [&](Tx& tx) { return settings().Get(tx, key); });
}
Result<std::string> Store::GetOrCreateSetting(const std::string& key, const std::string& fresh) {
  return Write("get or create setting",
               [&](Tx& tx) { return settings().GetOrCreate(tx, key, fresh); });
}

// --- organisations, users, grants ----------------------------------------------------------
Result<int64_t> Store::InsertOrganisation(const Organisation& org) {
  return Write("insert organisation", [&](Tx& tx) { return staff().InsertOrganisation(tx, org); });
}
Result<std::vector<Organisation>> Store::ListOrganisations() {
  return Read("list organisations", [&](Tx& tx) { return staff().ListOrganisations(tx); });
}
Result<Organisation> Store::FindOrganisationBySlug(const std::string& slug) {
  return Read("find organisation",
              [&](Tx& tx) { return staff().FindOrganisationBySlug(tx, slug); });
}
Result<Organisation> Store::FindOrganisationById(int64_t id) {
  return Read("find organisation", [&](Tx& tx) { return staff().FindOrganisationById(tx, id); });
}
Status Store::SetOrganisationPublicKey(int64_t id, const std::string& public_key) {
  return Write("set organisation key",
               [&](Tx& tx) { return staff().SetOrganisationPublicKey(tx, id, public_key); });
}
Result<int64_t> Store::InsertUser(const User& user) {
  return Write("insert user", [&](Tx& tx) { return staff().InsertUser(tx, user); });
}
Result<User> Store::FindUserByUsername(const std::string& username) {
  return Read("find user", [&](Tx& tx) { return staff().FindUserByUsername(tx, username); });
}
Result<User> Store::FindUserById(int64_t id) {
  return Read("find user", [&](Tx& tx) { return staff().FindUserById(tx, id); });
}
Result<std::vector<User>> Store::ListUsers() {
  return Read("list users", [&](Tx& tx) { return staff().ListUsers(tx); });
}
Status Store::RecordLoginSuccess(int64_t user_id) {
  return Write("record login success",
               [&](Tx& tx) { return staff().RecordLoginSuccess(tx, user_id); });
}
Status Store::AdvanceTotpStep(int64_t user_id, int64_t step) {
  return Write("advance totp step",
               [&](Tx& tx) { return staff().AdvanceTotpStep(tx, user_id, step); });
}
Status Store::SetTotpSecret(int64_t user_id, const std::string& wrapped_totp_secret) {
  return Write("set totp secret",
               [&](Tx& tx) { return staff().SetTotpSecret(tx, user_id, wrapped_totp_secret); });
}
Status Store::ReplaceCredentials(int64_t user_id, const std::string& pw_salt,
                                 const std::string& pw_verifier,
                                 const std::string& wrapped_secret_key,
                                 const std::string& recovery_wrapped_secret_key) {
  return Write("replace credentials", [&](Tx& tx) {
    return staff().ReplaceCredentials(tx, user_id, pw_salt, pw_verifier, wrapped_secret_key,
                                      recovery_wrapped_secret_key);
  });
}
Status Store::UpsertOrgKeyGrant(const OrgKeyGrant& grant) {
  return Write("upsert grant", [&](Tx& tx) { return staff().UpsertOrgKeyGrant(tx, grant); });
}
Result<OrgKeyGrant> Store::FindOrgKeyGrant(int64_t organisation_id, int64_t user_id) {
  return Read("find grant",
              [&](Tx& tx) { return staff().FindOrgKeyGrant(tx, organisation_id, user_id); });
}
Result<std::vector<User>> Store::UsersWithoutGrant(int64_t organisation_id) {
  return Read("users without grant",
              [&](Tx& tx) { return staff().UsersWithoutGrant(tx, organisation_id); });
}
Status Store::DisableUser(int64_t user_id, const std::optional<OrgKeyRotation>& rotation) {
  return Write("disable user", [&](Tx& tx) -> Status {
    if (Status s = staff().DisableUser(tx, user_id); !s || !rotation) return s;
    return staff().RotateOrgKey(tx, *rotation);
  });
}

// --- conversations -------------------------------------------------------------------------
Result<int64_t> Store::InsertConversation(const Conversation& c, const Message& first) {
  return Write("insert conversation", [&](Tx& tx) { return conversations().Insert(tx, c, first); });
}
Result<Conversation> Store::FindConversationByLookup(const std::string& receipt_lookup) {
  return Read("find conversation",
              [&](Tx& tx) { return conversations().FindByLookup(tx, receipt_lookup); });
}
Result<Conversation> Store::FindConversationById(int64_t id) {
  return Read("find conversation", [&](Tx& tx) { return conversations().FindById(tx, id); });
}
Result<Conversation> Store::FindConversationByPublicId(const std::string& public_id) {
  return Read("find conversation",
              [&](Tx& tx) { return conversations().FindByPublicId(tx, public_id); });
}
Result<std::vector<Message>> Store::ListMessages(int64_t conversation_id) {
  return Read("list messages",
              [&](Tx& tx) { return conversations().ListMessages(tx, conversation_id); });
}
Status Store::AppendMessage(const Message& m, ConversationStatus new_status, int64_t expires_at) {
  return Write("append message", [&](Tx& tx) {
    return conversations().AppendMessage(tx, m, new_status, expires_at);
  });
}
Status Store::DeleteConversation(int64_t id) {
  return Write("delete conversation", [&](Tx& tx) { return conversations().Delete(tx, id); });
}
Result<int64_t> Store::DeleteExpiredConversations(int64_t now) {
  return Write("delete expired", [&](Tx& tx) { return conversations().DeleteExpired(tx, now); });
}
Result<std::vector<InboxEntry>> Store::Inbox(int64_t organisation_id,
                                             std::optional<ConversationStatus> status, int limit) {
  return Read("inbox",
              [&](Tx& tx) { return conversations().Inbox(tx, organisation_id, status, limit); });
}
Result<std::vector<std::pair<ConversationStatus, int64_t>>> Store::CountConversationsByStatus() {
  return Read("count conversations", [&](Tx& tx) { return conversations().CountByStatus(tx); });
}

// --- sessions ------------------------------------------------------------------------------
Status Store::InsertSession(const Session& s) {
  return Write("insert session", [&](Tx& tx) { return sessions().Insert(tx, s); });
}
Result<Session> Store::FindSession(const std::string& id_hash) {
  return Read("find session", [&](Tx& tx) { return sessions().Find(tx, id_hash); });
}
Status Store::TouchSession(const std::string& id_hash, int64_t now) {
  return Write("touch session", [&](Tx& tx) { return sessions().Touch(tx, id_hash, now); });
}
Status Store::UpdateSession(const Session& s) {
  return Write("update session", [&](Tx& tx) { return sessions().Update(tx, s); });
}
Status Store::DeleteSession(const std::string& id_hash) {
  return Write("delete session", [&](Tx& tx) { return sessions().Delete(tx, id_hash); });
}
Result<int64_t> Store::DeleteStaleSessions(int64_t idle_before, int64_t created_before) {
  return Write("delete stale sessions",
               [&](Tx& tx) { return sessions().DeleteStale(tx, idle_before, created_before); });
}

// --- directory, audit, help ----------------------------------------------------------------
Result<int64_t> Store::InsertDirectoryEntry(const DirectoryEntry& e) {
  return Write("insert directory entry", [&](Tx& tx) { return directory().Insert(tx, e); });
}
Status Store::UpdateDirectoryEntry(const DirectoryEntry& e) {
  return Write("update directory entry", [&](Tx& tx) { return directory().Update(tx, e); });
}
Result<std::vector<DirectoryEntry>> Store::ListDirectory(bool active_only) {
  return Read("list directory", [&](Tx& tx) { return directory().List(tx, active_only); });
}
Result<DirectoryEntry> Store::FindDirectoryEntry(int64_t id) {
  return Read("find directory entry", [&](Tx& tx) { return directory().Find(tx, id); });
}
Result<AuditEntry> Store::AppendAudit(
    const AuditEntry& e, const std::function<std::string(const AuditEntry&)>& hash_of) {
  return Write("append audit", [&](Tx& tx) { return audit().Append(tx, e, hash_of); });
}
Result<std::vector<AuditEntry>> Store::ListAudit(int64_t after_id, int limit) {
  return Read("list audit", [&](Tx& tx) { return audit().List(tx, after_id, limit); });
}
Result<HelpPage> Store::FindHelpPage(const std::string& language, const std::string& slug) {
  return Read("find help page", [&](Tx& tx) { return help().Find(tx, language, slug); });
}
Result<std::vector<HelpPage>> Store::ListHelpPages(const std::string& language) {
  return Read("list help pages", [&](Tx& tx) { return help().List(tx, language); });
}
Result<bool> Store::InsertHelpPageIfAbsent(const HelpPage& page) {
  return Write("insert help page", [&](Tx& tx) { return help().InsertIfAbsent(tx, page); });
}
Status Store::SaveHelpPage(const HelpPage& page) {
  return Write("save help page", [&](Tx& tx) { return help().Save(tx, page); });
}

// --- reports -------------------------------------------------------------------------------
Result<ReleaseRecord> Store::FindRelease(const std::string& city, const std::string& label,
                                         const std::string& method) {
  return Read("find release",
              [&](Tx& tx) { return reports().FindRelease(tx, city, label, method); });
}
Result<std::vector<ReleaseRecord>> Store::ListReleases(const std::string& city,
                                                       const std::string& status) {
  return Read("list releases", [&](Tx& tx) { return reports().ListReleases(tx, city, status); });
}
Result<std::vector<std::pair<int64_t, int64_t>>> Store::ReleasesSpent(const std::string& city,
                                                                      int64_t year) {
  return Read("releases spent", [&](Tx& tx) { return reports().ReleasesSpent(tx, city, year); });
}
Result<int64_t> Store::InsertRelease(const ReleaseRecord& r, int64_t cap_num, int64_t cap_den) {
  return Write("insert release", [&](Tx& tx) -> Result<int64_t> {
    if (Status s = reports().ReserveBudget(tx, r, cap_num, cap_den); !s) {
      return std::unexpected(s.error());
    }
    return reports().InsertRelease(tx, r);
  });
}
Status Store::PublishRelease(int64_t id, int64_t at) {
  return Write("publish release", [&](Tx& tx) { return reports().PublishRelease(tx, id, at); });
}
Result<std::vector<PopulationEstimate>> Store::ListPopulationEstimates(const std::string& city,
                                                                       int64_t year) {
  return Read("list estimates",
              [&](Tx& tx) { return reports().ListPopulationEstimates(tx, city, year); });
}
Status Store::ReplacePopulationEstimates(const std::string& city, int64_t year,
                                         const std::string& dimension,
                                         const std::vector<PopulationEstimate>& estimates) {
  return Write("replace estimates", [&](Tx& tx) {
    return reports().ReplacePopulationEstimates(tx, city, year, dimension, estimates);
  });
}
Result<std::vector<ResponseTimeCount>> Store::ResponseTimes(
    const std::string& first_month, const std::string& last_month,
    std::optional<int64_t> organisation_id) {
  return Read("response times", [&](Tx& tx) {
    return reports().ResponseTimes(tx, first_month, last_month, organisation_id);
  });
}

}  // namespace vd
