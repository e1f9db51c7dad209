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
Status Store::ReplaceCredentials(int64_t user_id, const std::string& pw_salt,
                                 const std::string& pw_verifier,
                                 const std::string& wrapped_secret_key,
                                 const std::string& recovery_wrapped_secret_key) {
  return Write("replace credentials", [&](Tx& tx) {
    return staff().ReplaceCredentials(tx, user_id, pw_salt, pw_verifier, wrapped_secret_key,
                                      recovery_wrapped_secret_key);
  });
}
Result<OrgKeyGrant> Store::FindOrgKeyGrant(int64_t organisation_id, int64_t user_id) {
  return Read("find grant",
              [&](Tx& tx) { return staff().FindOrgKeyGrant(tx, organisation_id, user_id); });
}

// --- conversations -------------------------------------------------------------------------
Result<Conversation> Store::FindConversationById(int64_t id) {
  return Read("find conversation", [&](Tx& tx) { return conversations().FindById(tx, id); });
}

}  // namespace vd
