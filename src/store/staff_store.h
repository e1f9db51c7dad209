#pragma once
// StaffStore: organisations, staff accounts and the organisation-key grants that let staff
// open conversations. Every method works inside the caller's transaction (Database::Read/
// Write), so "disable an advisor and rotate the organisation key" is DisableUser and
// RotateOrgKey in one Write; the same conformance tests run on SQLite and PostgreSQL.
// Failures: kNotFound for unknown ids, kConflict on a duplicate slug or username (reported by
// the Write; the statement spoils the transaction), kStorage otherwise.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace vd {

enum class Role { kAdvisor, kCoordinator, kAnalyst, kAdmin };
std::string_view RoleName(Role role);  // "advisor", ...
std::optional<Role> ParseRole(std::string_view name);

struct Organisation {
  int64_t id = 0;
  std::string slug;        // stable, URL-safe: "independent", "shop", "dehaven"
  std::string name;        // display name
  std::string public_key;  // base64; empty until the first advisor joins (no key yet)
};

// An organisation's name in one language, as workers see it (organisation_names).
struct OrganisationName {
  int64_t organisation_id = 0;
  std::string lang;  // a catalog code: "nl", "pt_BR"
  std::string name;
};

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::kAdvisor;
  std::optional<int64_t> organisation_id;
  std::string pw_salt;                      // base64
  std::string pw_verifier;                  // base64
  // How salt and verifier were derived (crypto's KdfText); '' only for a row from before
  // schema 9 until the next start adopts it (AdoptLegacyKdf).
  std::string pw_kdf;
  std::string public_key;                   // base64 X25519
  std::string wrapped_secret_key;           // Wrap() under the password wrap key
  std::string recovery_wrapped_secret_key;  // Wrap() under the recovery wrap key
  std::string wrapped_totp_secret;  // Wrap() under the password wrap key; empty until enrolled
  bool totp_enabled = false;
  int64_t totp_last_step = 0;  // last accepted TOTP time step (replay guard)
  int64_t failed_logins = 0;
  int64_t locked_until = 0;  // Unix seconds; 0 when not locked
  bool disabled = false;
  int64_t created_at = 0;
  std::optional<int64_t> created_by;  // the staff member who created it; none from the CLI
  // An invited account (no password, no keys yet) holds the hash of its one-time enrolment
  // code (base64) until its owner uses it; empty otherwise.
  std::string enrol_hash;
  int64_t enrol_expires_at = 0;
  int64_t last_login_at = 0;          // Unix seconds; 0 until the first login
  int64_t previous_login_at = 0;      // the login before the last one ("since your last visit")
};

// The organisation private key sealed to one staff member's public key.
struct OrgKeyGrant {
  int64_t organisation_id = 0;
  int64_t user_id = 0;
  std::string sealed_org_secret_key;  // SealTo(user public key, org secret key)
  std::optional<int64_t> granted_by;  // the key holder who approved it; none for the first
  int64_t granted_at = 0;             // advisor of an organisation and for older grants
};

// A browser a staff member logged in from (OWASP's "device cookie"): only the hash of its
// random token, whose account it is, and its own failure counter and lock. Nothing about the
// browser itself, nor any address.
struct DeviceToken {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string token_hash;  // base64 of a keyed hash of the cookie's random bytes
  int64_t failed_logins = 0;
  int64_t locked_until = 0;  // Unix seconds; 0 when not locked
  int64_t created_at = 0;    // a token is replaced by a new one at every login it serves
};

// A new organisation key pair, sealed for each remaining grant holder (an advisor left).
struct OrgKeyRotation {
  int64_t organisation_id = 0;
  std::string public_key;                     // base64, the new organisation public key
  std::map<int64_t, std::string> sealed_for;  // user id -> SealTo(user, new secret key)
};

class StaffStore {
 public:
  virtual ~StaffStore() = default;

  // Organisations. Insert: kConflict on slug.
  virtual Result<int64_t> InsertOrganisation(Tx& tx, const Organisation& org) = 0;
  virtual Result<std::vector<Organisation>> ListOrganisations(Tx& tx) = 0;
  virtual Result<Organisation> FindOrganisationBySlug(Tx& tx, const std::string& slug) = 0;
  virtual Result<Organisation> FindOrganisationById(Tx& tx, int64_t id) = 0;
  virtual Status SetOrganisationPublicKey(Tx& tx, int64_t id, const std::string& public_key) = 0;
  // Every organisation's names per language, by organisation and language.
  virtual Result<std::vector<OrganisationName>> ListOrganisationNames(Tx& tx) = 0;
  // Sets the organisation's own name and replaces all its names per language with `names`
  // (none with an empty name). kNotFound for an unknown id.
  virtual Status RenameOrganisation(Tx& tx, int64_t id, const std::string& name,
                                    const std::vector<OrganisationName>& names) = 0;

  // Users. Insert: kConflict on username.
  virtual Result<int64_t> InsertUser(Tx& tx, const User& user) = 0;
  virtual Result<User> FindUserByUsername(Tx& tx, const std::string& username) = 0;
  virtual Result<User> FindUserById(Tx& tx, int64_t id) = 0;
  virtual Result<std::vector<User>> ListUsers(Tx& tx) = 0;
  virtual Status RecordLoginSuccess(Tx& tx, int64_t user_id) = 0;  // failed_logins, lock = 0
  // A completed login at `now`: previous_login_at takes last_login_at, which becomes `now`.
  // Returns the old last_login_at (0: this was the account's first login).
  virtual Result<int64_t> StampLogin(Tx& tx, int64_t user_id, int64_t now) = 0;
  // Accepts `step` only if it is greater than the stored totp_last_step (atomic compare);
  // kConflict if the step was already used (a replayed code).
  virtual Status AdvanceTotpStep(Tx& tx, int64_t user_id, int64_t step) = 0;
  // A new TOTP secret (enrolment): the replay guard starts afresh for it.
  virtual Status SetTotpSecret(Tx& tx, int64_t user_id, const std::string& wrapped_totp_secret) = 0;
  // Key recovery: new password material and recovery wrap for the same secret key. Clears
  // the TOTP secret (it was wrapped under the old password; the person enrols again) and the
  // lockout, and ends the user's sessions and device tokens.
  virtual Status ReplaceCredentials(Tx& tx, int64_t user_id, const std::string& pw_salt,
                                    const std::string& pw_verifier, const std::string& pw_kdf,
                                    const std::string& wrapped_secret_key,
                                    const std::string& recovery_wrapped_secret_key) = 0;

  // A password change by its owner: new salt and verifier, the same secret key and TOTP
  // secret wrapped under the new password key. Ends all of the user's sessions and device
  // tokens.
  virtual Status ReplacePassword(Tx& tx, int64_t user_id, const std::string& pw_salt,
                                 const std::string& pw_verifier, const std::string& pw_kdf,
                                 const std::string& wrapped_secret_key,
                                 const std::string& wrapped_totp_secret) = 0;
  // The same password derived again under the current KDF parameters (a login with older
  // ones): like ReplacePassword, but only if the verifier is still `old_verifier` (kNotFound
  // otherwise: changed meanwhile), and the user's sessions and device tokens stay.
  virtual Status UpgradePassword(Tx& tx, int64_t user_id, const std::string& old_verifier,
                                 const std::string& pw_salt, const std::string& pw_verifier,
                                 const std::string& pw_kdf, const std::string& wrapped_secret_key,
                                 const std::string& wrapped_totp_secret) = 0;
  // Rows from before schema 9 get `kdf` (the parameters in effect then); returns how many.
  virtual Result<int64_t> AdoptLegacyKdf(Tx& tx, const std::string& kdf) = 0;
  // An admin's reset of the second factor: TOTP cleared (enrolled again at the next login),
  // sessions and device tokens ended.
  virtual Status ResetTotp(Tx& tx, int64_t user_id) = 0;
  // A new role and organisation: the user's grants and sessions are deleted with the old.
  virtual Status ChangeRole(Tx& tx, int64_t user_id, Role role,
                            std::optional<int64_t> organisation_id) = 0;
  // Re-enables a disabled account (lockout cleared). It holds no grant: DisableUser removed it.
  virtual Status EnableUser(Tx& tx, int64_t user_id) = 0;

  // The owner of an invited account sets her credentials with its enrolment code: sets the
  // password material and key pair (salt, verifier, kdf, public key and both wraps of `creds`)
  // and spends the code, only if `enrol_hash` is the account's unspent, unexpired code at
  // `now` and the account is enabled; kNotFound otherwise (one answer for every reason).
  // A new code (Reissue) replaces the old one; a spent code never works again.
  virtual Status SpendEnrolmentCode(Tx& tx, int64_t user_id, const std::string& enrol_hash,
                                    int64_t now, const User& creds) = 0;
  // A fresh code for an account that has not enrolled yet; kNotFound if it has.
  virtual Status ReissueEnrolmentCode(Tx& tx, int64_t user_id, const std::string& enrol_hash,
                                      int64_t expires_at) = 0;

  // Organisation key grants.
  virtual Status UpsertOrgKeyGrant(Tx& tx, const OrgKeyGrant& grant) = 0;
  virtual Result<OrgKeyGrant> FindOrgKeyGrant(Tx& tx, int64_t organisation_id, int64_t user_id) = 0;
  // Users of the organisation who have a public key but no grant yet.
  virtual Result<std::vector<User>> UsersWithoutGrant(Tx& tx, int64_t organisation_id) = 0;
  // The organisation's grants without their sealed keys, oldest first (who holds a key,
  // who approved it, when).
  virtual Result<std::vector<OrgKeyGrant>> ListGrants(Tx& tx, int64_t organisation_id) = 0;
  // Serialises key changes of one organisation until the transaction ends (approvals and
  // rotations must see each other: PostgreSQL row lock; SQLite writers are serial already).
  virtual Status LockOrganisation(Tx& tx, int64_t organisation_id) = 0;

  // Disables a staff account: disabled = 1, the user's sessions, device tokens and
  // organisation-key grants deleted.
  virtual Status DisableUser(Tx& tx, int64_t user_id) = 0;
  // Sets the organisation's new public key and gives each user in `sealed_for` the new key:
  // prepended as "<sealed>," to an existing grant, or as a new grant when nobody holds one.
  // kConflict if the current grant holders are not exactly the users in `sealed_for` (a
  // colleague was granted meanwhile: the caller rolls back and retries). Call it after
  // DisableUser of the leaver, in the same transaction, so that the leaver is no holder.
  virtual Status RotateOrgKey(Tx& tx, const OrgKeyRotation& rotation) = 0;

  // --- Lockout (issue 14) ------------------------------------------------------------------
  // A failed login counts on one counter: the device token's (`device_id`) when the attempt
  // presented a valid device cookie for the account, else the account's (users.failed_logins
  // and locked_until). Each counter has its own lock; a locked counter counts nothing more.

  // Adds one failure to the counter unless it is locked at `now`, in one statement, and
  // returns the new count: concurrent failures each see their own number. nullopt when the
  // counter was locked (nothing counted) or does not exist (user id 0, a token gone).
  virtual Result<std::optional<int64_t>> CountLoginFailure(Tx& tx, int64_t user_id,
                                                           std::optional<int64_t> device_id,
                                                           int64_t now) = 0;
  // Locks the counter until `locked_until` (Unix seconds). Call it in the transaction that
  // counted, so that no other transaction sees the count without its lock. kNotFound.
  virtual Status LockLogins(Tx& tx, int64_t user_id, std::optional<int64_t> device_id,
                            int64_t locked_until) = 0;
  // A login whose credentials passed: resets the counter (no failures, no lock), but only if
  // it is not locked at `now`, the account is not disabled and the token is the user's;
  // kConflict otherwise (locked or disabled while the password was being hashed).
  virtual Status AcceptLogin(Tx& tx, int64_t user_id, std::optional<int64_t> device_id,
                             int64_t now) = 0;

  // Device tokens: the hash of a random device cookie a browser got at a successful login.
  virtual Result<DeviceToken> FindDeviceToken(Tx& tx, const std::string& token_hash) = 0;
  // Inserts `token` (its id is ignored) and returns its id; deletes the user's tokens made
  // before `expired_before` and all but the newest `keep` (at least 1) of the others.
  virtual Result<int64_t> InsertDeviceToken(Tx& tx, const DeviceToken& token, int keep,
                                            int64_t expired_before) = 0;
  virtual Status DeleteDeviceToken(Tx& tx, int64_t id) = 0;  // nothing if already gone
};

}  // namespace vd
