#pragma once
// Staff accounts: creation (with the advisor's key pair and recovery key), login with
// password + TOTP, lockout with back-off, TOTP enrolment and the per-request context that
// opens the organisation key. Thread-safe. Errors never say whether a username exists.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/crypto.h"
#include "domain/argon2_gate.h"
#include "domain/conversations.h"
#include "store/database.h"
#include "store/staff_store.h"

namespace vd {

struct StaffPolicy {
  PwhashParams password_pwhash;  // new passwords: these, peppered (older ones keep theirs)
  int64_t failures_before_lock = 5;
  int64_t base_lock_seconds = 60;     // doubled for every further failure
  int64_t max_lock_seconds = 3600;
  size_t min_password_length = 12;    // characters (code points)
  size_t min_distinct_characters = 6;
  int64_t enrolment_seconds = 72 * 3600;  // how long an enrolment code works
  // Device cookies (issue 14): how long one lets its browser past the account's lock, and
  // how many browsers a staff member keeps one in (the newest).
  int64_t device_token_seconds = 180 * 24 * 3600;
  int device_tokens_per_user = 10;
};

// A new account. The web and the CLI leave `password` empty: the account is invited, and
// only its owner sets a password, with the one-time enrolment code (Welcome). A password
// here provisions the account at once: tests, the benchmark and the synthetic demo only.
struct NewUser {
  std::string username;
  std::string password;
  Role role = Role::kAdvisor;
  std::string organisation_slug;  // required for advisors and coordinators
  bool enroll_totp = false;       // CLI and demo: enrol now and return the secret
  std::optional<int64_t> created_by;  // the staff member creating it (none from the CLI)
};

struct CreatedUser {
  int64_t id = 0;
  std::string enrolment_code;  // invited: shown once to whoever hands it over
  int64_t enrolment_expires_at = 0;
  std::string recovery_key;  // provisioned (and after Recover): shown once, to its owner
  std::string totp_base32;   // only when enroll_totp
};

// An invited staff member who has set her password: she enrols TOTP next (CompleteEnrolment
// with wrap_key) and is the only one who ever sees recovery_key.
struct Welcomed {
  User user;
  SecretBytes wrap_key;
  std::string recovery_key;
};

enum class LoginStage { kLoggedIn, kNeedsTotpEnrolment };

struct LoginOutcome {
  LoginStage stage = LoginStage::kLoggedIn;
  bool first_login = false;  // kLoggedIn: the account had never logged in before (audited)
  User user;
  SecretBytes user_secret_key;  // kLoggedIn: the staff member's X25519 secret key
  SecretBytes wrap_key;         // kNeedsTotpEnrolment: the password wrap key, to finish enrolling
  // kLoggedIn: the value of this browser's new device cookie (it replaces the one presented)
  // and how long the cookie should live, in seconds.
  std::string device_token;
  int64_t device_token_max_age = 0;
};

// What CompleteEnrolment returns: the user's secret key, now fully logged in.
struct Enrolled {
  SecretBytes user_secret_key;
  bool first_login = false;
};

// An advisor of the key holder's organisation who cannot read conversations yet.
struct AwaitingGrant {
  int64_t user_id = 0;
  std::string username;
  std::string created_by;  // username of whoever created the account; empty from the CLI
  int64_t created_at = 0;
};

// A grant a key holder should know of: who was given access, by whom, when.
struct GrantNotice {
  std::string username;
  std::string granted_by;
  int64_t granted_at = 0;
};

// What a key holder sees on her home page and on the access page.
struct GrantNews {
  bool key_holder = false;  // holds the organisation's current key: may approve
  std::vector<AwaitingGrant> waiting;
  std::vector<GrantNotice> since_last_visit;  // granted after her previous login
};

// Opens a grant (see staff.cc) with the advisor's key pair: the organisation keys it
// holds, newest first. kCrypto if any part does not open.
Result<std::vector<KeyPair>> OpenOrgKeyGrant(const KeyPair& me, std::string_view grant);

class Staff {
 public:
  // `pepper` (kPepperBytes from the pepper file) is mixed into every new password's keys. A
  // password is checked under the parameters stored with it (users.pw_kdf); a login under
  // older ones, or unpeppered, derives it again under the current ones (see Login).
  Staff(Database& store, const Clock& clock, Argon2Gate& gate, SecretBytes pepper,
        StaffPolicy policy);

  // At start-up: accounts from before schema 9 get `legacy` (the parameters in effect now,
  // unpeppered, as their passwords were hashed).
  Status AdoptLegacyKdf(const PwhashParams& legacy);

  // Organisations (staff_orgs.cc). The command line (`vertrouwd org add`) creates one
  // without an actor; in the browser only an admin adds and renames them, names per language
  // included. kInvalidInput (staff_error.org_slug / staff_error.org_name) for a bad short
  // name or name, kConflict if the short name is taken, kForbidden for any other role.
  Result<int64_t> CreateOrganisation(const std::string& slug, const std::string& name);
  Result<int64_t> AddOrganisation(const StaffContext& actor, const std::string& slug,
                                  const std::string& name);
  // Sets the name staff see and the names per language workers see (an empty name in
  // `names` removes that language's row: workers then see `name`).
  Status RenameOrganisation(const StaffContext& actor, int64_t id, const std::string& name,
                            const std::vector<OrganisationName>& names);
  Result<std::vector<OrganisationName>> OrganisationNames();
  // slug -> the name set for `lang`, for the organisations that have one (one transaction).
  Result<std::map<std::string, std::string, std::less<>>> OrganisationNamesIn(std::string_view lang);
  // Organisations and accounts as stored, for pages that list or name them.
  Result<std::vector<Organisation>> Organisations();
  Result<Organisation> FindOrganisation(int64_t id);
  Result<std::vector<User>> Users();
  Result<User> FindUser(int64_t id);
  // Creates an account (see NewUser). kInvalidInput for a bad username, an unknown
  // organisation or (provisioned) a password the policy refuses; kConflict if taken.
  Result<CreatedUser> CreateUser(const NewUser& request);
  // The owner of an invited account sets her password with the enrolment code: her key pair
  // and recovery key are made now (the first advisor of an organisation also makes its key).
  // One answer (staff_error.enrolment_invalid) for an unknown name, a wrong, spent or expired
  // code and a disabled account; staff_error.password_policy for a weak password.
  Result<Welcomed> Welcome(std::string_view username, std::string_view code,
                           std::string_view new_password);
  // A new enrolment code for an account not enrolled yet (who may: as for Disable); the old
  // code stops working. staff_error.already_enrolled once it has enrolled.
  Status ReissueEnrolmentCode(const StaffContext& actor, int64_t user_id, CreatedUser* out);
  // The password policy: at least min_password_length characters, min_distinct_characters
  // different ones, at most 1024 bytes. staff_error.password_policy otherwise.
  Status CheckPassword(std::string_view password) const;

  // Checks password and (once enrolled) the TOTP code; wrong credentials of any kind count
  // toward the lockout. An unknown, disabled or locked account gets the answer and the
  // Argon2id work of a wrong password (kUnauthorized, "error.login_failed"). A lock set while
  // the password was hashed holds. `device_cookie`, a device token this account got at an
  // earlier login in the same browser, makes the attempt count on that token's own counter
  // and lock instead of the account's, so that guesses from elsewhere do not lock its owner
  // out. A full login whose password was stored under older KDF parameters (or unpeppered)
  // stores it again under the current ones, with its keys re-wrapped, in the login's own
  // transaction (one more Argon2id run, once).
  Result<LoginOutcome> Login(std::string_view username, std::string_view password,
                             std::string_view totp_code, std::string_view device_cookie = {});
  // Finishes enrolment: checks `code` against the new secret, stores the secret wrapped under
  // the password key and returns the user's secret key (now fully logged in).
  Result<Enrolled> CompleteEnrolment(int64_t user_id, const SecretBytes& wrap_key,
                                     const SecretBytes& totp_secret, std::string_view code);

  // Key recovery for a staff member who lost the password: the recovery key opens their
  // secret key, which is rewrapped under a new password with a new recovery key. TOTP must
  // be enrolled again. Organisation grants stay valid (they are sealed to the same key pair).
  // The lockout is lifted and every session ends. One answer, staff_error.recovery_failed, for
  // an unknown name, a disabled account and a key that does not open.
  Result<CreatedUser> Recover(std::string_view username, std::string_view recovery_key,
                              std::string_view new_password);

  // The staff context for a request. For advisors, opens the organisation key from their
  // grant. Never grants anything: an advisor without a grant reads nothing (ApproveGrant).
  Result<StaffContext> Context(int64_t user_id, const SecretBytes& user_secret_key);

  // Key grants only by approval. An advisor who holds her organisation's current key sees
  // the colleagues waiting for access and what was granted since her previous login; other
  // staff see nothing (key_holder false). Admins and coordinators never hold keys.
  Result<GrantNews> Grants(const StaffContext& actor);
  // Seals the actor's organisation keys (the whole history) to a waiting advisor of the same
  // organisation, in one transaction, recording who approved it and when. kForbidden unless
  // the actor holds a key; kNotFound unless the target is an enabled advisor of her
  // organisation; kConflict if it holds a grant already or the actor's key is not current.
  Status ApproveGrant(const StaffContext& actor, int64_t user_id);

  // Self-service. The owner changes her password: the current one (and her TOTP code) must
  // be right; her keys and TOTP secret are wrapped anew; all her sessions end (the caller
  // starts a new one with the returned secret key). staff_error.current_password if either
  // is wrong (counted as a failed login), staff_error.password_policy for a weak one.
  Result<SecretBytes> ChangePassword(int64_t user_id, std::string_view current_password,
                                     std::string_view totp_code, std::string_view new_password);
  // A new authenticator: after the password and a code of the current one, returns the
  // password wrap key for CompleteEnrolment with a fresh TOTP secret. The old one keeps
  // working until the new one is confirmed.
  Result<SecretBytes> BeginTotpChange(int64_t user_id, std::string_view password,
                                      std::string_view totp_code);
  // Administration (who may: as for Disable). Resetting the second factor makes the owner
  // enrol TOTP again at her next login and ends her sessions; enabling a disabled account
  // lets it log in again, and an advisor then waits for a key holder's approval.
  Status ResetSecondFactor(const StaffContext& actor, int64_t user_id);
  // An admin moves a colleague to another role or organisation (organisation_slug for
  // advisors and coordinators). Her keys are removed and her sessions end; an advisor waits
  // for a key holder's approval in her (new) organisation, and the organisation she leaves
  // as an advisor gets a new key, as when an advisor is disabled.
  Status ChangeRole(const StaffContext& actor, int64_t user_id, Role role,
                    const std::string& organisation_slug);
  Status Enable(const StaffContext& actor, int64_t user_id);

  // Disables a staff account (admins: anyone but themselves; coordinators: advisors of their
  // own organisation): logins and sessions end at once. For an advisor, the grant is deleted
  // and the organisation key rotated: a new key pair, whose secret key is added to every
  // remaining key holder's grant (sealed to them, so the actor need not hold the key),
  // becomes the organisation's public key for new conversations and notes. Older keys stay
  // in the remaining grants, so old conversations stay readable. When no key holder remains
  // the organisation has no key (workers cannot choose it) until its next advisor is
  // created; advisors still waiting get nothing. kForbidden otherwise.
  Status Disable(const StaffContext& actor, int64_t user_id);

 private:
  // One failed login on the account's counter, or on the device token's; locks it with
  // back-off from the returned count. Counts nothing for user id 0 or a locked counter.
  Status RegisterFailure(int64_t user_id, std::optional<int64_t> device_id);
  // The password wrap key of `user` if `password` and (once enrolled) `totp_code` are right;
  // staff_error.current_password otherwise, counted as a failed login.
  Result<SecretBytes> ProveOwner(const User& user, std::string_view password,
                                 std::string_view totp_code, SecretBytes* totp_secret);
  // Argon2id of `password` with `salt` under `kdf`, one of the gate's slots held while it runs.
  Result<PasswordKeys> HashPassword(std::string_view password, std::string_view salt,
                                    const KdfParams& kdf);
  KdfParams CurrentKdf() const { return KdfParams{policy_.password_pwhash, true}; }
  // The parameters stored with `user`'s password; the current ones for a row without any
  // it can use (an unknown account's stand-in hash costs what a current one does).
  KdfParams StoredKdf(const User& user) const;
  // A new key pair and recovery key under a new password: sets the password and key
  // columns of `into`, returns the password wrap key and the recovery key to show once.
  struct FreshCredentials {
    SecretBytes wrap_key;
    std::string recovery_key;
  };
  Result<FreshCredentials> NewCredentials(std::string_view password, User& into);
  // Admins may manage anyone but themselves, coordinators the advisors of their organisation.
  static Status MayManage(const StaffContext& actor, const User& target);
  // In `tx`, after an advisor's grant was removed: the organisation's key rotated to `fresh`
  // for the remaining key holders, or none left if there are none.
  Status RotateAfterLeaving(Tx& tx, int64_t organisation_id, const KeyPair& fresh);
  Result<Organisation> FindOrganisationBySlug(const std::string& slug) {
    return store_.Read("find organisation",
                       [&](Tx& tx) { return store_.staff().FindOrganisationBySlug(tx, slug); });
  }
  // In `tx`: if the organisation has no key yet, makes one and seals it to `user`.
  Status BootstrapOrgKey(Tx& tx, int64_t organisation_id, const User& user);
  // Seals `keys` (newest first) to `user` as one grant, approved by `by` at `at`.
  static Result<OrgKeyGrant> SealGrant(int64_t organisation_id, const User& user,
                                       const std::vector<const KeyPair*>& keys,
                                       std::optional<int64_t> by, int64_t at);
  // Whether `actor` holds her organisation's current key (what approving requires).
  static bool HoldsCurrentKey(const StaffContext& actor, const Organisation& org);

  Database& store_;
  const Clock& clock_;
  Argon2Gate& gate_;
  SecretBytes pepper_;
  StaffPolicy policy_;
};

}  // namespace vd
