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

Staff::Staff(Database& store, const Clock& clock, Argon2Gate& gate, SecretBytes pepper,
             StaffPolicy policy)
    : store_(store), clock_(clock), gate_(gate), pepper_(std::move(pepper)), policy_(policy) {}

Status Staff::AdoptLegacyKdf(const PwhashParams& legacy) {
  const std::string kdf = KdfText(KdfParams{legacy, false});
  return store_.Write("adopt legacy passwords", [&](Tx& tx) -> Status {
    Result<int64_t> adopted = store_.staff().AdoptLegacyKdf(tx, kdf);
    if (!adopted) return std::unexpected(adopted.error());
    return {};
  });
}

KdfParams Staff::StoredKdf(const User& user) const {
  Result<KdfParams> stored = ParseKdf(user.pw_kdf);
  return stored ? *stored : CurrentKdf();
}

Result<Organisation> Staff::FindOrganisation(int64_t id) {
  return store_.Read("find organisation",
                     [&](Tx& tx) { return store_.staff().FindOrganisationById(tx, id); });
}
Result<std::vector<User>> Staff::Users() {
  return store_.Read("list users", [&](Tx& tx) { return store_.staff().ListUsers(tx); });
}
Result<User> Staff::FindUser(int64_t id) {
  return store_.Read("find user", [&](Tx& tx) { return store_.staff().FindUserById(tx, id); });
}

Result<SecretBytes> Staff::ProveOwner(const User& user, std::string_view password,
                                      std::string_view totp_code, SecretBytes* totp_secret) {
  auto wrong = [] {
    return Fail(ErrorCode::kInvalidInput, "staff_error.current_password", "owner not proven");
  };
  if (password.size() > 1024 || user.disabled) return wrong();
  Result<std::string> salt = Base64Decode(user.pw_salt);
  if (!salt) return Fail(ErrorCode::kCrypto, "error.internal", "bad salt");
  Result<PasswordKeys> pw = HashPassword(password, *salt, StoredKdf(user));
  if (!pw) return std::unexpected(pw.error());
  bool ok = ConstantTimeEqual(Base64Decode(user.pw_verifier).value_or(""), pw->verifier);
  if (ok && user.totp_enabled) {
    Result<SecretBytes> totp = Unwrap(pw->wrap_key, user.wrapped_totp_secret);
    if (!totp) return Fail(ErrorCode::kCrypto, "error.internal", "totp secret did not open");
    std::optional<int64_t> step = VerifyTotp(*totp, totp_code, clock_.Now());
    ok = step && store_.Write("advance totp step", [&](Tx& tx) {
                   return store_.staff().AdvanceTotpStep(tx, user.id, *step);
                 }).has_value();
    if (ok) *totp_secret = std::move(*totp);
  }
  if (!ok) {
    if (Status s = RegisterFailure(user.id, std::nullopt); !s) return std::unexpected(s.error());
    return wrong();
  }
  return std::move(pw->wrap_key);
}

Result<SecretBytes> Staff::ChangePassword(int64_t user_id, std::string_view current_password,
                                          std::string_view totp_code,
                                          std::string_view new_password) {
  if (Status ok = CheckPassword(new_password); !ok) return std::unexpected(ok.error());
  Result<User> user = FindUser(user_id);
  if (!user) return std::unexpected(user.error());
  SecretBytes totp;
  Result<SecretBytes> old_wrap = ProveOwner(*user, current_password, totp_code, &totp);
  if (!old_wrap) return std::unexpected(old_wrap.error());
  Result<SecretBytes> secret = Unwrap(*old_wrap, user->wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "user key did not open");
  const std::string salt = NewSalt();
  Result<PasswordKeys> pw = HashPassword(new_password, salt, CurrentKdf());
  if (!pw) return std::unexpected(pw.error());
  const std::string wrapped_secret = Wrap(pw->wrap_key, secret->view());
  const std::string wrapped_totp = user->totp_enabled ? Wrap(pw->wrap_key, totp.view()) : "";
  Status s = store_.Write("change password", [&](Tx& tx) {
    return store_.staff().ReplacePassword(tx, user_id, Base64Encode(salt),
                                          Base64Encode(pw->verifier), KdfText(CurrentKdf()),
                                          wrapped_secret, wrapped_totp);
  });
  if (!s) return std::unexpected(s.error());
  return std::move(*secret);
}

Result<SecretBytes> Staff::BeginTotpChange(int64_t user_id, std::string_view password,
                                           std::string_view totp_code) {
  Result<User> user = FindUser(user_id);
  if (!user) return std::unexpected(user.error());
  SecretBytes totp;
  return ProveOwner(*user, password, totp_code, &totp);
}

Status Staff::ResetSecondFactor(const StaffContext& actor, int64_t user_id) {
  Result<User> target = FindUser(user_id);
  if (!target) return std::unexpected(target.error());
  if (Status may = MayManage(actor, *target); !may) return may;
  return store_.Write("reset second factor",
                      [&](Tx& tx) { return store_.staff().ResetTotp(tx, user_id); });
}

Status Staff::Enable(const StaffContext& actor, int64_t user_id) {
  Result<User> target = FindUser(user_id);
  if (!target) return std::unexpected(target.error());
  if (Status may = MayManage(actor, *target); !may) return may;
  return store_.Write("enable user", [&](Tx& tx) { return store_.staff().EnableUser(tx, user_id); });
}

Result<PasswordKeys> Staff::HashPassword(std::string_view password, std::string_view salt,
                                         const KdfParams& kdf) {
  Result<Argon2Gate::Slot> slot = gate_.Acquire();
  if (!slot) return std::unexpected(slot.error());
  return DerivePasswordKeys(password, salt, kdf, pepper_);
}

Result<Staff::FreshCredentials> Staff::NewCredentials(std::string_view password, User& into) {
  const std::string salt = NewSalt();
  Result<PasswordKeys> pw = HashPassword(password, salt, CurrentKdf());
  if (!pw) return std::unexpected(pw.error());
  into.pw_kdf = KdfText(CurrentKdf());
  const KeyPair user_key = GenerateKeyPair();
  RecoveryKey recovery = NewRecoveryKey();
  into.pw_salt = Base64Encode(salt);
  into.pw_verifier = Base64Encode(pw->verifier);
  into.public_key = Base64Encode(user_key.public_key);
  into.wrapped_secret_key = Wrap(pw->wrap_key, user_key.secret_key.view());
  into.recovery_wrapped_secret_key = Wrap(recovery.wrap_key, user_key.secret_key.view());
  return FreshCredentials{std::move(pw->wrap_key), std::move(recovery.display)};
}

Status Staff::CheckPassword(std::string_view password) const {
  // Length and variety, no composition rules (NIST SP 800-63B; GlobaLeaks checks the same).
  size_t code_points = 0;
  std::set<uint32_t> distinct;
  uint32_t cp = 0;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80) {
      if (code_points++) distinct.insert(cp);
      cp = c;
    } else {
      cp = (cp << 6) | (c & 0x3F);
    }
  }
  if (code_points) distinct.insert(cp);
  if (code_points < policy_.min_password_length || password.size() > 1024 ||
      distinct.size() < policy_.min_distinct_characters) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.password_policy", "password policy");
  }
  return {};
}

Result<CreatedUser> Staff::CreateUser(const NewUser& request) {
  if (!ValidUsername(request.username)) {
    return Fail(ErrorCode::kInvalidInput, "error.bad_username", "bad username");
  }
  std::optional<Organisation> org;
  if (request.role == Role::kAdvisor || request.role == Role::kCoordinator) {
    Result<Organisation> found = FindOrganisationBySlug(request.organisation_slug);
    if (!found) {
      return Fail(ErrorCode::kInvalidInput, "error.choose_organisation", "unknown organisation");
    }
    org = std::move(*found);
  }
  User user;
  user.username = request.username;
  user.role = request.role;
  if (org) user.organisation_id = org->id;
  user.created_at = clock_.Now();
  user.created_by = request.created_by;
  CreatedUser created;
  if (request.password.empty()) {
    // Invited: no password and no keys until the owner uses the code (Welcome). The salt
    // is random so that a login attempt hashes as for anyone else, and never matches.
    EnrolmentCode code = NewEnrolmentCode();
    user.pw_salt = Base64Encode(NewSalt());
    user.pw_kdf = KdfText(CurrentKdf());
    user.enrol_hash = Base64Encode(code.hash);
    user.enrol_expires_at = user.created_at + policy_.enrolment_seconds;
    created.enrolment_code = std::move(code.display);
    created.enrolment_expires_at = user.enrol_expires_at;
  } else {
    if (Status ok = CheckPassword(request.password); !ok) return std::unexpected(ok.error());
    Result<FreshCredentials> fresh = NewCredentials(request.password, user);
    if (!fresh) return std::unexpected(fresh.error());
    created.recovery_key = std::move(fresh->recovery_key);
    if (request.enroll_totp) {
      SecretBytes totp = NewTotpSecret();
      user.wrapped_totp_secret = Wrap(fresh->wrap_key, totp.view());
      user.totp_enabled = true;
      created.totp_base32 = TotpSecretBase32(totp);
    }
  }
  // The first advisor of an organisation with keys creates its key pair, in the same
  // transaction as her account. Every later advisor waits for a key holder (ApproveGrant).
  Result<int64_t> id = store_.Write("create user", [&](Tx& tx) -> Result<int64_t> {
    Result<int64_t> inserted = store_.staff().InsertUser(tx, user);
    if (!inserted || !org || user.role != Role::kAdvisor || user.public_key.empty()) return inserted;
    User stored = user;
    stored.id = *inserted;
    if (Status s = BootstrapOrgKey(tx, org->id, stored); !s) return std::unexpected(s.error());
    return inserted;
  });
  if (!id) {
    if (id.error().code == ErrorCode::kConflict) {
      return Fail(ErrorCode::kConflict, "error.username_taken", "username taken");
    }
    return std::unexpected(id.error());
  }
  created.id = *id;
  return created;
}

Result<Welcomed> Staff::Welcome(std::string_view username, std::string_view code,
                                std::string_view new_password) {
  auto invalid = [] {
    return Fail(ErrorCode::kInvalidInput, "staff_error.enrolment_invalid", "enrolment refused");
  };
  if (Status ok = CheckPassword(new_password); !ok) return std::unexpected(ok.error());
  Result<std::string> hash = EnrolmentCodeHash(code);
  if (!hash) return invalid();
  // Hash before looking anything up: every refusal costs the same.
  User creds;
  Result<FreshCredentials> fresh = NewCredentials(new_password, creds);
  if (!fresh) return std::unexpected(fresh.error());
  Result<User> user = store_.Read("find user", [&](Tx& tx) {
    return store_.staff().FindUserByUsername(tx, std::string(username));
  });
  if (!user) {
    if (user.error().code == ErrorCode::kNotFound) return invalid();
    return std::unexpected(user.error());
  }
  Status spent = store_.Write("welcome", [&](Tx& tx) -> Status {
    Status s = store_.staff().SpendEnrolmentCode(tx, user->id, Base64Encode(*hash), clock_.Now(), creds);
    if (!s || user->role != Role::kAdvisor || !user->organisation_id) return s;
    User stored = *user;
    stored.public_key = creds.public_key;
    return BootstrapOrgKey(tx, *user->organisation_id, stored);
  });
  if (!spent) {
    if (spent.error().code == ErrorCode::kNotFound) return invalid();
    return std::unexpected(spent.error());
  }
  Welcomed out;
  out.user = *user;
  out.wrap_key = std::move(fresh->wrap_key);
  out.recovery_key = std::move(fresh->recovery_key);
  return out;
}

Status Staff::ReissueEnrolmentCode(const StaffContext& actor, int64_t user_id,
                                   CreatedUser* out) {
  Result<User> target = FindUser(user_id);
  if (!target) return std::unexpected(target.error());
  if (Status may = MayManage(actor, *target); !may) return may;
  EnrolmentCode code = NewEnrolmentCode();
  const int64_t expires = clock_.Now() + policy_.enrolment_seconds;
  Status s = store_.Write("reissue enrolment code", [&](Tx& tx) {
    return store_.staff().ReissueEnrolmentCode(tx, user_id, Base64Encode(code.hash), expires);
  });
  if (!s) {
    if (s.error().code == ErrorCode::kNotFound) {
      return Fail(ErrorCode::kInvalidInput, "staff_error.already_enrolled", "already enrolled");
    }
    return s;
  }
  out->id = user_id;
  out->enrolment_code = std::move(code.display);
  out->enrolment_expires_at = expires;
  return {};
}

Status Staff::RegisterFailure(int64_t user_id, std::optional<int64_t> device_id) {
  const int64_t now = clock_.Now();
  return store_.Write("login failure", [&](Tx& tx) -> Status {
    StaffStore& staff = store_.staff();
    Result<std::optional<int64_t>> failures = staff.CountLoginFailure(tx, user_id, device_id, now);
    if (!failures) return std::unexpected(failures.error());
    if (!*failures || **failures < policy_.failures_before_lock) return {};
    // The lock follows from the count this failure got, in the same transaction: parallel
    // failures each get their own count, and none sees the count without its lock.
    const int64_t doublings = std::min<int64_t>(**failures - policy_.failures_before_lock, 20);
    const int64_t lock = std::min(policy_.base_lock_seconds << doublings, policy_.max_lock_seconds);
    return staff.LockLogins(tx, user_id, device_id, now + lock);
  });
}

namespace {

// The hash a device cookie is stored under, or "" for a value we never issued.
std::string DeviceTokenHash(std::string_view cookie) {
  Result<std::string> raw = Base64Decode(cookie);
  if (!raw || raw->size() != 32) return "";
  return Base64Encode(KeyedHash(*raw, "vd.device.id", ""));
}

// What a login attempt names, as stored: the account (if the username exists) and the device
// token its cookie stands for (if it is a live token of that account). The token's counter
// judges the attempt when there is one, the account's otherwise.
struct LoginAttempt {
  std::optional<User> user;
  std::optional<DeviceToken> device;

  // The account whose counter a failure goes to; 0 (no row) when there is none to count on.
  int64_t user_id() const { return user && !user->disabled ? user->id : 0; }
  std::optional<int64_t> device_id() const {
    return device ? std::optional<int64_t>(device->id) : std::nullopt;
  }
  // Refused whatever the password: an unknown or disabled account, or a locked counter.
  bool Refused(int64_t now) const {
    if (!user || user->disabled) return true;
    return (device ? device->locked_until : user->locked_until) > now;
  }
};

Result<LoginAttempt> FindLoginAttempt(Database& store, std::string_view username,
                                      const std::string& device_hash, int64_t now,
                                      int64_t device_token_seconds) {
  return store.Read("login", [&](Tx& tx) -> Result<LoginAttempt> {
    LoginAttempt attempt;
    Result<User> user = store.staff().FindUserByUsername(tx, std::string(username));
    if (!user) {
      if (user.error().code == ErrorCode::kNotFound) return attempt;
      return std::unexpected(user.error());
    }
    attempt.user = std::move(*user);
    if (device_hash.empty()) return attempt;
    Result<DeviceToken> token = store.staff().FindDeviceToken(tx, device_hash);
    if (!token) {
      if (token.error().code == ErrorCode::kNotFound) return attempt;
      return std::unexpected(token.error());
    }
    // Another account's token, or an old one, is no token at all for this attempt.
    if (token->user_id == attempt.user->id && token->created_at > now - device_token_seconds) {
      attempt.device = std::move(*token);
    }
    return attempt;
  });
}

}  // namespace

// Every refusal is BadLogin after the same Argon2id hash, for an unknown, disabled or locked
// account as for a wrong password or code, so neither the answer nor its timing says which
// usernames exist or which are locked. A failure still runs its (then empty) counting
// transaction for the same reason.
Result<LoginOutcome> Staff::Login(std::string_view username, std::string_view password,
                                  std::string_view totp_code, std::string_view device_cookie) {
  if (password.size() > 1024) return BadLogin();
  const int64_t now = clock_.Now();
  const std::string device_hash = DeviceTokenHash(device_cookie);
  Result<LoginAttempt> found =
      FindLoginAttempt(store_, username, device_hash, now, policy_.device_token_seconds);
  if (!found) return std::unexpected(found.error());
  const LoginAttempt& attempt = *found;
  auto refuse = [&]() -> Result<LoginOutcome> {
    if (auto s = RegisterFailure(attempt.user_id(), attempt.device_id()); !s) {
      return std::unexpected(s.error());
    }
    return BadLogin();
  };

  const std::optional<User>& user = attempt.user;
  // A fresh salt stands in for an unknown account's, and for one invited but not yet
  // enrolled (no salt stored): both cost one hash and fail like a wrong password.
  std::string salt = NewSalt();
  if (user) {
    Result<std::string> stored = Base64Decode(user->pw_salt);
    if (stored && stored->size() == salt.size()) salt = std::move(*stored);
  }
  const KdfParams kdf = user ? StoredKdf(*user) : CurrentKdf();
  Result<PasswordKeys> pw = HashPassword(password, salt, kdf);
  if (!pw) return std::unexpected(pw.error());
  if (attempt.Refused(now)) return refuse();
  const std::string stored_verifier = Base64Decode(user->pw_verifier).value_or("");
  if (!ConstantTimeEqual(stored_verifier, pw->verifier)) return refuse();

  LoginOutcome outcome;
  outcome.user = *user;
  if (!user->totp_enabled) {
    // The hash took a while: a lock (or a disable) set meanwhile holds.
    const int64_t later = clock_.Now();
    Result<LoginAttempt> again =
        FindLoginAttempt(store_, username, device_hash, later, policy_.device_token_seconds);
    if (!again) return std::unexpected(again.error());
    if (again->Refused(later) || !again->user || again->user->id != user->id) return BadLogin();
    outcome.stage = LoginStage::kNeedsTotpEnrolment;
    outcome.wrap_key = std::move(pw->wrap_key);
    return outcome;
  }
  Result<SecretBytes> totp = Unwrap(pw->wrap_key, user->wrapped_totp_secret);
  if (!totp) return Fail(ErrorCode::kCrypto, "error.internal", "totp secret did not open");
  std::optional<int64_t> step = VerifyTotp(*totp, totp_code, now);
  if (!step) return refuse();
  Result<SecretBytes> secret = Unwrap(pw->wrap_key, user->wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "user key did not open");
  // Stored under older parameters or before the pepper: derived again now, while the password
  // is at hand, and stored with the login below.
  struct Upgrade {
    std::string salt, verifier, wrapped_secret_key, wrapped_totp_secret;
  };
  std::optional<Upgrade> upgrade;
  if (kdf != CurrentKdf()) {
    const std::string fresh_salt = NewSalt();
    Result<PasswordKeys> fresh = HashPassword(password, fresh_salt, CurrentKdf());
    if (!fresh) return std::unexpected(fresh.error());
    upgrade = Upgrade{Base64Encode(fresh_salt), Base64Encode(fresh->verifier),
                      Wrap(fresh->wrap_key, secret->view()), Wrap(fresh->wrap_key, totp->view())};
  }

  // Accept in one transaction: the counter not locked now (a request that began before a
  // lock must not get in), the TOTP step not used before, the login stamped, and a new
  // device token for this browser in place of the one it presented.
  const std::string device_token = RandomToken(32);
  const int64_t later = clock_.Now();
  enum class Refusal { kNone, kLocked, kReplayed } refusal = Refusal::kNone;
  Status accepted = store_.Write("login", [&](Tx& tx) -> Status {
    StaffStore& staff = store_.staff();
    refusal = Refusal::kNone;
    if (Status s = staff.AcceptLogin(tx, user->id, attempt.device_id(), later); !s) {
      if (s.error().code == ErrorCode::kConflict) refusal = Refusal::kLocked;
      return s;
    }
    if (Status s = staff.AdvanceTotpStep(tx, user->id, *step); !s) {
      if (s.error().code == ErrorCode::kConflict) refusal = Refusal::kReplayed;
      return s;
    }
    Result<int64_t> before = staff.StampLogin(tx, user->id, now);
    if (!before) return std::unexpected(before.error());
    outcome.first_login = *before == 0;
    if (attempt.device) {
      if (Status s = staff.DeleteDeviceToken(tx, attempt.device->id); !s) return s;
    }
    DeviceToken fresh;
    fresh.user_id = user->id;
    fresh.token_hash = DeviceTokenHash(device_token);
    fresh.created_at = later;
    Result<int64_t> id = staff.InsertDeviceToken(tx, fresh, policy_.device_tokens_per_user,
                                                 later - policy_.device_token_seconds);
    if (!id) return std::unexpected(id.error());
    if (!upgrade) return {};
    Status upgraded = staff.UpgradePassword(tx, user->id, user->pw_verifier, upgrade->salt,
                                            upgrade->verifier, KdfText(CurrentKdf()),
                                            upgrade->wrapped_secret_key,
                                            upgrade->wrapped_totp_secret);
    // Not found: the password changed while this login hashed; the next login upgrades.
    if (!upgraded && upgraded.error().code != ErrorCode::kNotFound) return upgraded;
    return {};
  });
  if (!accepted) {
    if (refusal == Refusal::kLocked) return BadLogin();
    if (refusal != Refusal::kReplayed) return std::unexpected(accepted.error());
    if (auto s = RegisterFailure(attempt.user_id(), attempt.device_id()); !s) {
      return std::unexpected(s.error());
    }
    return Fail(ErrorCode::kUnauthorized, "error.totp_reused", "totp code replayed");
  }
  outcome.stage = LoginStage::kLoggedIn;
  outcome.user_secret_key = std::move(*secret);
  outcome.device_token = device_token;
  outcome.device_token_max_age = policy_.device_token_seconds;
  return outcome;
}

Result<CreatedUser> Staff::Recover(std::string_view username, std::string_view recovery_key,
                                   std::string_view new_password) {
  if (Status ok = CheckPassword(new_password); !ok) return std::unexpected(ok.error());
  Result<User> user = store_.Read("find user", [&](Tx& tx) {
    return store_.staff().FindUserByUsername(tx, std::string(username));
  });
  Result<SecretBytes> recovery_wrap = RecoveryWrapKey(recovery_key);
  if (!recovery_wrap) return std::unexpected(recovery_wrap.error());
  // One answer for an unknown name, a disabled account and a key that does not open, so
  // that the page tells no one which accounts exist.
  const auto refused = [] {
    return Fail(ErrorCode::kUnauthorized, "staff_error.recovery_failed", "recovery refused");
  };
  if (!user) return user.error().code == ErrorCode::kNotFound ? refused() : std::unexpected(user.error());
  if (user->disabled || user->recovery_wrapped_secret_key.empty()) return refused();
  Result<SecretBytes> secret = Unwrap(*recovery_wrap, user->recovery_wrapped_secret_key);
  if (!secret) return refused();
  const std::string salt = NewSalt();
  Result<PasswordKeys> pw = HashPassword(new_password, salt, CurrentKdf());
  if (!pw) return std::unexpected(pw.error());
  RecoveryKey fresh = NewRecoveryKey();
  Status replaced = store_.Write("replace credentials", [&](Tx& tx) {
    return store_.staff().ReplaceCredentials(tx, user->id, Base64Encode(salt),
                                             Base64Encode(pw->verifier), KdfText(CurrentKdf()),
                                             Wrap(pw->wrap_key, secret->view()),
                                             Wrap(fresh.wrap_key, secret->view()));
  });
  if (!replaced) return std::unexpected(replaced.error());
  CreatedUser out;
  out.id = user->id;
  out.recovery_key = fresh.display;
  return out;
}

Result<Enrolled> Staff::CompleteEnrolment(int64_t user_id, const SecretBytes& wrap_key,
                                          const SecretBytes& totp_secret, std::string_view code) {
  Result<User> user = FindUser(user_id);
  if (!user) return std::unexpected(user.error());
  const int64_t now = clock_.Now();
  std::optional<int64_t> step = VerifyTotp(totp_secret, code, now);
  if (!step) return Fail(ErrorCode::kInvalidInput, "error.totp_wrong", "enrolment code wrong");
  Result<SecretBytes> secret = Unwrap(wrap_key, user->wrapped_secret_key);
  if (!secret) return Fail(ErrorCode::kCrypto, "error.internal", "user key did not open");
  const std::string wrapped_totp = Wrap(wrap_key, totp_secret.view());
  Result<int64_t> before = store_.Write("complete enrolment", [&](Tx& tx) -> Result<int64_t> {
    StaffStore& staff = store_.staff();
    if (Status s = staff.SetTotpSecret(tx, user_id, wrapped_totp); !s) return std::unexpected(s.error());
    if (Status s = staff.AdvanceTotpStep(tx, user_id, *step); !s) return std::unexpected(s.error());
    if (Status s = staff.RecordLoginSuccess(tx, user_id); !s) return std::unexpected(s.error());
    return staff.StampLogin(tx, user_id, now);
  });
  if (!before) return std::unexpected(before.error());
  return Enrolled{std::move(*secret), *before == 0};
}

}  // namespace vd
