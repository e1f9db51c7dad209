// The legacy Store methods left for src/domain/staff.cc: each is one transaction around the
// matching aggregate-store call, with the operation name the per-call store used in the
// operator's log. They go once the staff service opens its own transactions with
// Database::Read/Write (issue 13); nothing new may call them (tests/check_layering.sh).

#include "store/store.h"

namespace vd {

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
Result<Conversation> Store::FindConversationById(int64_t id) {
  return Read("find conversation", [&](Tx& tx) { return conversations().FindById(tx, id); });
}

}  // namespace vd
