#include "domain/staff.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "crypto/totp.h"

namespace vd {
namespace {

bool ValidUsername(std::string_view u) {
  if (u.size() < 3 || u.size() > 64) return false;
  return std::ranges::all_of(u, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

auto BadLogin() {
  return Fail(ErrorCode::kUnauthorized, "error.login_failed", "login failed");
}

}  // namespace

Staff::Staff(Store& store, const Clock& clock, Argon2Gate& gate, StaffPolicy policy)
    : store_(store), clock_(clock), gate_(gate), policy_(policy) {}

Result<int64_t> Staff::CreateOrganisation(const std::string& slug, const std::string& name) {
  if (!ValidUsername(slug) || name.empty() || name.size() > 200) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_form", "bad organisation slug or name");
  }
  Organisation org;
  org.slug = slug;
  org.name = name;
  return store_.InsertOrganisation(org);
}

Result<std::vector<Organisation>> Staff::Organisations() { return store_.ListOrganisations(); }
Result<Organisation> Staff::FindOrganisation(int64_t id) { return store_.FindOrganisationById(id); }
Result<std::vector<User>> Staff::Users() { return store_.ListUsers(); }
Result<User> Staff::FindUser(int64_t id) { return store_.FindUserById(id); }

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

Status Staff::GrantOrgKeys(int64_t organisation_id, const User& user,
                           const std::vector<const KeyPair*>& keys) {
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
  return store_.UpsertOrgKeyGrant(grant);
}

Status Staff::Disable(const StaffContext& actor, int64_t user_id) {
  Result<User> target = store_.FindUserById(user_id);
  if (!target) return std::unexpected(target.error());
  const bool admin = actor.user.role == Role::kAdmin;
  const bool own_coordinator = actor.user.role == Role::kCoordinator &&
                               target->role == Role::kAdvisor && actor.user.organisation_id &&
                               actor.user.organisation_id == target->organisation_id;
  if ((!admin && !own_coordinator) || target->id == actor.user.id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "may not disable this account");
  }
  if (target->disabled) return {};
  for (int attempt = 0;; ++attempt) {
    std::optional<Store::OrgKeyRotation> rotation;
    if (target->role == Role::kAdvisor && target->organisation_id) {
      Result<Organisation> org = store_.FindOrganisationById(*target->organisation_id);
      if (!org) return std::unexpected(org.error());
      if (!org->public_key.empty()) {
        // New conversations and notes are sealed to a key the leaving advisor never held.
        // Colleagues who hold the old key get the new one added to their grant; if none
        // does, those still waiting get it (the old key was then held by nobody else).
        KeyPair fresh = GenerateKeyPair();
        Result<std::vector<User>> users = store_.ListUsers();
        if (!users) return std::unexpected(users.error());
        std::map<int64_t, std::string> holders, waiting;
        for (const User& u : *users) {
          if (u.id == target->id || u.disabled || u.role != Role::kAdvisor ||
              u.organisation_id != target->organisation_id) {
            continue;
          }
          Result<std::string> pub = Base64Decode(u.public_key);
          if (!pub) return Fail(ErrorCode::kCrypto, "error.internal", "bad user public key");
          Result<OrgKeyGrant> grant = store_.FindOrgKeyGrant(*target->organisation_id, u.id);
          if (!grant && grant.error().code != ErrorCode::kNotFound) {
            return std::unexpected(grant.error());
          }
          (grant ? holders : waiting)[u.id] = SealTo(*pub, fresh.secret_key.view());
        }
        rotation = Store::OrgKeyRotation{*target->organisation_id,
                                         Base64Encode(fresh.public_key),
                                         holders.empty() ? std::move(waiting) : std::move(holders)};
      }
    }
    Status s = store_.DisableUser(target->id, rotation);
    if (s || s.error().code != ErrorCode::kConflict || attempt >= 3) return s;
  }
}

Result<CreatedUser> Staff::CreateUser(const NewUser& request) {
  if (!ValidUsername(request.username)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_username", "bad username");
  }
  if (request.password.size() < policy_.min_password_length || request.password.size() > 1024) {
    return Fail(ErrorCode::kInvalidInput, "error.weak_password", "password length");
  }
  std::optional<Organisation> org;
  if (request.role == Role::kAdvisor || request.role == Role::kCoordinator) {
    Result<Organisation> found = store_.FindOrganisationBySlug(request.organisation_slug);
    if (!found) {
      return Fail(ErrorCode::kInvalidInput, "error.choose_organisation", "unknown organisation");
    }
    org = std::move(*found);
  }

  const std::string salt = NewSalt();
  Result<PasswordKeys> pw = [&]() -> Result<PasswordKeys> {
    Result<Argon2Gate::Slot> slot = gate_.Acquire();
    if (!slot) return std::unexpected(slot.error());
    return DerivePasswordKeys(request.password, salt, policy_.password_pwhash);
  }();
  if (!pw) return std::unexpected(pw.error());

  KeyPair user_key = GenerateKeyPair();
  RecoveryKey recovery = NewRecoveryKey();
  User user;
  user.username = request.username;
  user.role = request.role;
  if (org) user.organisation_id = org->id;
  user.pw_salt = Base64Encode(salt);
  user.pw_verifier = Base64Encode(pw->verifier);
  user.public_key = Base64Encode(user_key.public_key);
  user.wrapped_secret_key = Wrap(pw->wrap_key, user_key.secret_key.view());
  user.recovery_wrapped_secret_key = Wrap(recovery.wrap_key, user_key.secret_key.view());
  user.created_at = clock_.Now();
  CreatedUser created;
  if (request.enroll_totp) {
    SecretBytes totp = NewTotpSecret();
    user.wrapped_totp_secret = Wrap(pw->wrap_key, totp.view());
    user.totp_enabled = true;
    created.totp_base32 = TotpSecretBase32(totp);
  }
  Result<int64_t> id = store_.InsertUser(user);
  if (!id) {
    if (id.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, "error.username_taken", "username taken");
    }
    return std::unexpected(id.error());
  }
  user.id = *id;
  created.id = *id;
  created.recovery_key = recovery.display;

  // The first advisor of an organisation creates its key pair. Later advisors are granted
  // the key by the next colleague who logs in (see Context), since only they can open it.
  if (org && user.role == Role::kAdvisor && org->public_key.empty()) {
    KeyPair org_key = GenerateKeyPair();
    if (auto s = GrantOrgKeys(org->id, user, {&org_key}); !s) return std::unexpected(s.error());
    if (auto s = store_.SetOrganisationPublicKey(org->id, Base64Encode(org_key.public_key)); !s) {
      return std::unexpected(s.error());
    }
  }
  return created;
}

Status Staff::RegisterFailure(const User& user) {
  const int64_t failures = user.failed_logins + 1;
  int64_t locked_until = 0;
  if (failures >= policy_.failures_before_lock) {
    const int64_t doublings = std::min<int64_t>(failures - policy_.failures_before_lock, 20);
    const int64_t lock = std::min(policy_.base_lock_seconds << doublings, policy_.max_lock_seconds);
    locked_until = clock_.Now() + lock;
  }
  return store_.RecordLoginFailure(user.id, failures, locked_until);
}

Result<LoginOutcome> Staff::Login(std::string_view username, std::string_view password,
                                  std::string_view totp_code) {
  if (password.size() > 1024) return BadLogin();
  Result<User> user = store_.FindUserByUsername(std::string(username));
  if (!user && user.error().code != ErrorCode::kNotFound) return std::unexpected(user.error());

  const int64_t now = clock_.Now();
  if (user && user->locked_until > now) {
    return Fail(ErrorCode::kLocked, "error.account_locked", "account locked");
  }
  // Hash even for unknown users so timing does not tell which usernames exist.
  const std::string salt = user ? Base64Decode(user->pw_salt).value_or(NewSalt()) : NewSalt();
  Result<PasswordKeys> pw = [&]() -> Result<PasswordKeys> {
    Result<Argon2Gate::Slot> slot = gate_.Acquire();
    if (!slot) return std::unexpected(slot.error());
    return DerivePasswordKeys(password, salt, policy_.password_pwhash);
  }();
  if (!pw) return std::unexpected(pw.error());
  if (!user || user->disabled) return BadLogin();

  const std::string stored_verifier = Base64Decode(user->pw_verifier).value_or("");
  if (!ConstantTimeEqual(stored_verifier, pw->verifier)) {
    if (auto s = RegisterFailure(*user); !s) return std::unexpected(s.error());
    return BadLogin();
  }

  LoginOutcome outcome;
  outcome.user = *user;
  if (!user->totp_enabled) {
    outcome.stage = LoginStage::kNeedsTotpEnrolment;
    outcome.wrap_key = std::move(pw->wrap_key);
    return outcome;
  }
  Result<SecretBytes> totp = Unwrap(pw->wrap_key, user->wrapped_totp_secret);
  if (!totp) return Fail(ErrorCode::kCrypto, "error.internal", "totp secret did not open");
  std::optional<int64_t> step = VerifyTotp(*totp, totp_code, now);
  if (!step) {
    if (auto s = RegisterFailure(*user); !s) return std::unexpected(s.error());
    return BadLogin();
  }
  if (Status advanced = store_.AdvanceTotpStep(user->id, *step); !advanced) {
    if (advanced.error().code != ErrorCode::kConflict) return std::unexpected(advanced.error());
    if (auto s = RegisterFailure(*user); !s) return std::unexpected(s.error());
    return Fail(ErrorCode::kUnauthorized, "error.totp_reused", "totp code replayed");
  }
  Result<SecretBytes> secret = Unwrap(pw->wrap_key, user->wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "user key did not open");
  if (auto s = store_.RecordLoginSuccess(user->id); !s) return std::unexpected(s.error());
  outcome.stage = LoginStage::kLoggedIn;
  outcome.user_secret_key = std::move(*secret);
  return outcome;
}

Result<CreatedUser> Staff::Recover(std::string_view username, std::string_view recovery_key,
                                   std::string_view new_password) {
  if (new_password.size() < policy_.min_password_length || new_password.size() > 1024) {
    return Fail(ErrorCode::kInvalidInput, "error.weak_password", "password length");
  }
  Result<User> user = store_.FindUserByUsername(std::string(username));
  if (!user) return std::unexpected(user.error());
  Result<SecretBytes> recovery_wrap = RecoveryWrapKey(recovery_key);
  if (!recovery_wrap) return std::unexpected(recovery_wrap.error());
  Result<SecretBytes> secret = Unwrap(*recovery_wrap, user->recovery_wrapped_secret_key);
  if (!secret) {
    return Fail(ErrorCode::kUnauthorized, "error.recovery_key_format", "recovery key does not open");
  }
  const std::string salt = NewSalt();
  Result<PasswordKeys> pw = [&]() -> Result<PasswordKeys> {
    Result<Argon2Gate::Slot> slot = gate_.Acquire();
    if (!slot) return std::unexpected(slot.error());
    return DerivePasswordKeys(new_password, salt, policy_.password_pwhash);
  }();
  if (!pw) return std::unexpected(pw.error());
  RecoveryKey fresh = NewRecoveryKey();
  if (auto s = store_.ReplaceCredentials(user->id, Base64Encode(salt), Base64Encode(pw->verifier),
                                         Wrap(pw->wrap_key, secret->view()),
                                         Wrap(fresh.wrap_key, secret->view()));
      !s) {
    return std::unexpected(s.error());
  }
  CreatedUser out;
  out.id = user->id;
  out.recovery_key = fresh.display;
  return out;
}

Result<SecretBytes> Staff::CompleteEnrolment(int64_t user_id, const SecretBytes& wrap_key,
                                             const SecretBytes& totp_secret,
                                             std::string_view code) {
  Result<User> user = store_.FindUserById(user_id);
  if (!user) return std::unexpected(user.error());
  std::optional<int64_t> step = VerifyTotp(totp_secret, code, clock_.Now());
  if (!step) return Fail(ErrorCode::kInvalidInput, "error.totp_wrong", "enrolment code wrong");
  Result<SecretBytes> secret = Unwrap(wrap_key, user->wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "user key did not open");
  if (auto s = store_.SetTotpSecret(user_id, Wrap(wrap_key, totp_secret.view())); !s) {
    return std::unexpected(s.error());
  }
  if (auto s = store_.AdvanceTotpStep(user_id, *step); !s) return std::unexpected(s.error());
  if (auto s = store_.RecordLoginSuccess(user_id); !s) return std::unexpected(s.error());
  return secret;
}

Result<StaffContext> Staff::Context(int64_t user_id, const SecretBytes& user_secret_key,
                                    Colleagues colleagues) {
  Result<User> user = store_.FindUserById(user_id);
  if (!user) return std::unexpected(user.error());
  if (user->disabled) return Fail(ErrorCode::kUnauthorized, "error.session_expired", "disabled");
  StaffContext ctx{*user, std::nullopt, {}};
  if (user->role != Role::kAdvisor || !user->organisation_id) return ctx;

  Result<OrgKeyGrant> grant = store_.FindOrgKeyGrant(*user->organisation_id, user->id);
  if (!grant) {
    if (grant.error().code == ErrorCode::kNotFound) return ctx;  // waiting for a colleague
    return std::unexpected(grant.error());
  }
  Result<KeyPair> me = KeyPairFromSecret(user_secret_key.Clone());
  if (!me) return std::unexpected(me.error());
  Result<std::vector<KeyPair>> keys = OpenOrgKeyGrant(*me, grant->sealed_org_secret_key);
  if (!keys) return std::unexpected(keys.error());

  if (colleagues == Colleagues::kGrantWaiting) {
    // Only someone holding the organisation's current key hands the key history on.
    Result<Organisation> org = store_.FindOrganisationById(*user->organisation_id);
    if (!org) return std::unexpected(org.error());
    if (Base64Encode(keys->front().public_key) == org->public_key) {
      Result<std::vector<User>> waiting = store_.UsersWithoutGrant(*user->organisation_id);
      if (!waiting) return std::unexpected(waiting.error());
      std::vector<const KeyPair*> ring;
      for (const KeyPair& k : *keys) ring.push_back(&k);
      for (const User& colleague : *waiting) {
        if (colleague.role != Role::kAdvisor || colleague.disabled) continue;
        if (auto s = GrantOrgKeys(*user->organisation_id, colleague, ring); !s) {
          return std::unexpected(s.error());
        }
      }
    }
  }
  ctx.org_key = std::move(keys->front());
  for (size_t i = 1; i < keys->size(); ++i) ctx.older_org_keys.push_back(std::move((*keys)[i]));
  return ctx;
}

}  // namespace vd
