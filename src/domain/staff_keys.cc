// Staff and the organisation keys: opening a grant, approving a waiting colleague, the
// key a first advisor makes, and rotating it when an advisor leaves (disabled, or moved to
// another role or organisation). Accounts and logins are in staff.cc.

#include "domain/staff.h"

#include <cstring>
#include <map>
#include <set>

namespace vd {

// A grant is one or more sealed parts joined by ',' (base64 has no comma), newest first;
// each part opens to one or more 32-byte organisation secret keys, newest first. A grant
// made at once holds the whole key history in one part; a rotation, done by someone who
// cannot open the grant, prepends a part with the new key only.
Result<std::vector<KeyPair>> OpenOrgKeyGrant(const KeyPair& me, std::string_view grant) {
  std::vector<KeyPair> keys;
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= grant.size()) {
    size_t comma = grant.find(',', start);
    if (comma == std::string_view::npos) comma = grant.size();
    Result<SecretBytes> part = OpenSealed(me, grant.substr(start, comma - start));
    if (!part) return Fail(ErrorCode::kCrypto, "error.internal", "grant did not open");
    if (part->empty() || part->size() % 32 != 0) {
      return Fail(ErrorCode::kCrypto, "error.internal", "grant holds no whole keys");
    }
    for (size_t at = 0; at < part->size(); at += 32) {
      Result<KeyPair> key = KeyPairFromSecret(SecretBytes(part->data() + at, 32));
      if (!key) return std::unexpected(key.error());
      if (seen.insert(key->public_key).second) keys.push_back(std::move(*key));
    }
    start = comma + 1;
  }
  return keys;
}

Result<OrgKeyGrant> Staff::SealGrant(int64_t organisation_id, const User& user,
                                     const std::vector<const KeyPair*>& keys,
                                     std::optional<int64_t> by, int64_t at) {
  Result<std::string> user_public = Base64Decode(user.public_key);
  if (!user_public) return Fail(ErrorCode::kCrypto, "error.internal", "bad user public key");
  SecretBytes ring(32 * keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    std::memcpy(ring.data() + 32 * i, keys[i]->secret_key.data(), 32);
  }
  OrgKeyGrant grant;
  grant.organisation_id = organisation_id;
  grant.user_id = user.id;
  grant.sealed_org_secret_key = SealTo(*user_public, ring.view());
  grant.granted_by = by;
  grant.granted_at = at;
  return grant;
}

bool Staff::HoldsCurrentKey(const StaffContext& actor, const Organisation& org) {
  return actor.user.role == Role::kAdvisor && !actor.user.disabled && actor.org_key &&
         actor.user.organisation_id == org.id && !org.public_key.empty() &&
         Base64Encode(actor.org_key->public_key) == org.public_key;
}

Status Staff::MayManage(const StaffContext& actor, const User& target) {
  const bool admin = actor.user.role == Role::kAdmin;
  const bool own_coordinator = actor.user.role == Role::kCoordinator &&
                               target.role == Role::kAdvisor && actor.user.organisation_id &&
                               actor.user.organisation_id == target.organisation_id;
  if ((!admin && !own_coordinator) || target.id == actor.user.id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "may not manage this account");
  }
  return {};
}

Status Staff::Disable(const StaffContext& actor, int64_t user_id) {
  Result<User> target = store_.Read("find user", [&](Tx& tx) {
    return store_.staff().FindUserById(tx, user_id);
  });
  if (!target) return std::unexpected(target.error());
  if (Status may = MayManage(actor, *target); !may) return may;
  if (target->disabled) return {};
  // The new key pair is drawn once: a retried transaction seals the same key again.
  const KeyPair fresh = GenerateKeyPair();
  return store_.Write("disable user", [&](Tx& tx) -> Status {
    if (Status s = store_.staff().DisableUser(tx, target->id); !s) return s;
    if (target->role != Role::kAdvisor || !target->organisation_id) return {};
    return RotateAfterLeaving(tx, *target->organisation_id, fresh);
  });
}

Status Staff::RotateAfterLeaving(Tx& tx, int64_t org_id, const KeyPair& fresh) {
  StaffStore& staff = store_.staff();
  if (Status s = staff.LockOrganisation(tx, org_id); !s) return s;
  Result<Organisation> org = staff.FindOrganisationById(tx, org_id);
  if (!org) return std::unexpected(org.error());
  if (org->public_key.empty()) return {};
  // New conversations and notes are sealed to a key the leaving advisor never held; the
  // colleagues who hold the old key get the new one added to their grant.
  Result<std::vector<OrgKeyGrant>> grants = staff.ListGrants(tx, org_id);
  if (!grants) return std::unexpected(grants.error());
  OrgKeyRotation rotation{org_id, Base64Encode(fresh.public_key), {}};
  for (const OrgKeyGrant& g : *grants) {
    Result<User> holder = staff.FindUserById(tx, g.user_id);
    if (!holder) return std::unexpected(holder.error());
    Result<std::string> pub = Base64Decode(holder->public_key);
    if (!pub) return Fail(ErrorCode::kCrypto, "error.internal", "bad user public key");
    rotation.sealed_for[holder->id] = SealTo(*pub, fresh.secret_key.view());
  }
  // Nobody holds a key any more: nobody could approve, and waiting accounts get nothing.
  // Workers cannot choose the organisation until its next advisor is created.
  if (rotation.sealed_for.empty()) return staff.SetOrganisationPublicKey(tx, org_id, "");
  return staff.RotateOrgKey(tx, rotation);
}

Status Staff::ChangeRole(const StaffContext& actor, int64_t user_id, Role role,
                         const std::string& organisation_slug) {
  if (actor.user.role != Role::kAdmin || actor.user.id == user_id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "only admins change others' roles");
  }
  Result<User> target = FindUser(user_id);
  if (!target) return std::unexpected(target.error());
  std::optional<int64_t> org_id;
  if (role == Role::kAdvisor || role == Role::kCoordinator) {
    Result<Organisation> org = FindOrganisationBySlug(organisation_slug);
    if (!org) return Fail(ErrorCode::kInvalidInput, "error.choose_organisation", "unknown organisation");
    org_id = org->id;
  }
  if (target->role == role && target->organisation_id == org_id) return {};
  const KeyPair fresh = GenerateKeyPair();
  return store_.Write("change role", [&](Tx& tx) -> Status {
    // Her grants go with the old role: as an advisor of the new organisation she waits for a
    // key holder's approval like anyone new; the old organisation's key is rotated.
    if (Status s = store_.staff().ChangeRole(tx, user_id, role, org_id); !s) return s;
    if (target->role != Role::kAdvisor || !target->organisation_id) return {};
    return RotateAfterLeaving(tx, *target->organisation_id, fresh);
  });
}

Status Staff::BootstrapOrgKey(Tx& tx, int64_t organisation_id, const User& user) {
  StaffStore& staff = store_.staff();
  if (Status s = staff.LockOrganisation(tx, organisation_id); !s) return s;
  Result<Organisation> org = staff.FindOrganisationById(tx, organisation_id);
  if (!org) return std::unexpected(org.error());
  if (!org->public_key.empty()) return {};
  const KeyPair org_key = GenerateKeyPair();
  Result<OrgKeyGrant> grant = SealGrant(organisation_id, user, {&org_key}, std::nullopt, clock_.Now());
  if (!grant) return std::unexpected(grant.error());
  if (Status s = staff.UpsertOrgKeyGrant(tx, *grant); !s) return s;
  return staff.SetOrganisationPublicKey(tx, organisation_id, Base64Encode(org_key.public_key));
}

Result<StaffContext> Staff::Context(int64_t user_id, const SecretBytes& user_secret_key) {
  Result<User> user = FindUser(user_id);
  if (!user) return std::unexpected(user.error());
  if (user->disabled) return Fail(ErrorCode::kUnauthorized, "error.session_expired", "disabled");
  StaffContext ctx{*user, std::nullopt, {}};
  if (user->role != Role::kAdvisor || !user->organisation_id) return ctx;

  Result<OrgKeyGrant> grant = store_.Read("find grant", [&](Tx& tx) {
    return store_.staff().FindOrgKeyGrant(tx, *user->organisation_id, user->id);
  });
  if (!grant) {
    if (grant.error().code == ErrorCode::kNotFound) return ctx;  // waiting for an approval
    return std::unexpected(grant.error());
  }
  Result<KeyPair> me = KeyPairFromSecret(user_secret_key.Clone());
  if (!me) return std::unexpected(me.error());
  Result<std::vector<KeyPair>> keys = OpenOrgKeyGrant(*me, grant->sealed_org_secret_key);
  if (!keys) return std::unexpected(keys.error());
  ctx.org_key = std::move(keys->front());
  for (size_t i = 1; i < keys->size(); ++i) ctx.older_org_keys.push_back(std::move((*keys)[i]));
  return ctx;
}

Result<GrantNews> Staff::Grants(const StaffContext& actor) {
  GrantNews news;
  if (actor.user.role != Role::kAdvisor || !actor.user.organisation_id || !actor.org_key) {
    return news;
  }
  const int64_t org_id = *actor.user.organisation_id;
  return store_.Read("grant news", [&](Tx& tx) -> Result<GrantNews> {
    StaffStore& staff = store_.staff();
    Result<Organisation> org = staff.FindOrganisationById(tx, org_id);
    if (!org) return std::unexpected(org.error());
    GrantNews out;
    out.key_holder = HoldsCurrentKey(actor, *org);
    if (!out.key_holder) return out;
    Result<std::vector<User>> users = staff.ListUsers(tx);
    if (!users) return std::unexpected(users.error());
    std::map<int64_t, std::string> names;
    for (const User& u : *users) names[u.id] = u.username;
    auto name_of = [&](std::optional<int64_t> id) {
      auto it = id ? names.find(*id) : names.end();
      return it == names.end() ? std::string() : it->second;
    };
    Result<std::vector<User>> waiting = staff.UsersWithoutGrant(tx, org_id);
    if (!waiting) return std::unexpected(waiting.error());
    for (const User& u : *waiting) {
      if (u.role != Role::kAdvisor || u.disabled) continue;
      out.waiting.push_back({u.id, u.username, name_of(u.created_by), u.created_at});
    }
    Result<std::vector<OrgKeyGrant>> grants = staff.ListGrants(tx, org_id);
    if (!grants) return std::unexpected(grants.error());
    const int64_t last_visit = actor.user.previous_login_at;
    for (const OrgKeyGrant& g : *grants) {
      // A first visit has no last visit to compare with; one's own grant is no news.
      if (last_visit == 0 || g.user_id == actor.user.id || g.granted_at < last_visit) continue;
      out.since_last_visit.push_back({name_of(g.user_id), name_of(g.granted_by), g.granted_at});
    }
    return out;
  });
}

Status Staff::ApproveGrant(const StaffContext& actor, int64_t user_id) {
  if (actor.user.role != Role::kAdvisor || !actor.user.organisation_id || !actor.org_key) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "only key holders approve");
  }
  const int64_t org_id = *actor.user.organisation_id;
  std::vector<const KeyPair*> ring{&*actor.org_key};
  for (const KeyPair& k : actor.older_org_keys) ring.push_back(&k);
  const int64_t now = clock_.Now();
  return store_.Write("approve grant", [&](Tx& tx) -> Status {
    StaffStore& staff = store_.staff();
    if (Status s = staff.LockOrganisation(tx, org_id); !s) return s;
    Result<Organisation> org = staff.FindOrganisationById(tx, org_id);
    if (!org) return std::unexpected(org.error());
    Result<User> me = staff.FindUserById(tx, actor.user.id);
    if (!me) return std::unexpected(me.error());
    if (me->disabled || !HoldsCurrentKey(actor, *org)) {
      return Fail(ErrorCode::kConflict, "staff_error.grant_keys_changed", "approver key not current");
    }
    Result<User> target = staff.FindUserById(tx, user_id);
    // Anyone but a waiting colleague is "not found" (other organisations' accounts too).
    if (!target) return std::unexpected(target.error());
    if (target->role != Role::kAdvisor || target->disabled || target->organisation_id != org_id ||
        target->id == actor.user.id || target->public_key.empty()) {
      return Fail(ErrorCode::kNotFound, "error.not_found", "not a waiting colleague");
    }
    Result<OrgKeyGrant> existing = staff.FindOrgKeyGrant(tx, org_id, target->id);
    if (existing) return Fail(ErrorCode::kConflict, "staff_error.grant_exists", "already granted");
    if (existing.error().code != ErrorCode::kNotFound) return std::unexpected(existing.error());
    Result<OrgKeyGrant> grant = SealGrant(org_id, *target, ring, actor.user.id, now);
    if (!grant) return std::unexpected(grant.error());
    return staff.UpsertOrgKeyGrant(tx, *grant);
  });
}

}  // namespace vd
