// StaffStore on SOCI: organisations, users and organisation-key grants.

#include <algorithm>
#include <set>

#include "store/soci_row.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {

// Never guess a role from a code that no longer parses: a wrong guess could grant access.
template <>
struct soci_row::Value<Role> : soci_row::CodeValue<Role, &RoleName, &ParseRole> {};

namespace {

using soci::into;
using soci::use;
using soci_row::Col;

const auto kUsers = soci_row::Table(
    "users", Col("id", &User::id), Col("username", &User::username), Col("role", &User::role),
    Col("organisation_id", &User::organisation_id), Col("pw_salt", &User::pw_salt),
    Col("pw_verifier", &User::pw_verifier), Col("pw_kdf", &User::pw_kdf),
    Col("public_key", &User::public_key),
    Col("wrapped_secret_key", &User::wrapped_secret_key),
    Col("recovery_wrapped_secret_key", &User::recovery_wrapped_secret_key),
    Col("wrapped_totp_secret", &User::wrapped_totp_secret),
    Col("totp_enabled", &User::totp_enabled), Col("totp_last_step", &User::totp_last_step),
    Col("failed_logins", &User::failed_logins), Col("locked_until", &User::locked_until),
    Col("disabled", &User::disabled), Col("created_at", &User::created_at),
    Col("created_by", &User::created_by), Col("enrol_hash", &User::enrol_hash),
    Col("enrol_expires_at", &User::enrol_expires_at), Col("last_login_at", &User::last_login_at),
    Col("previous_login_at", &User::previous_login_at));

const auto kOrganisations =
    soci_row::Table("organisations", Col("id", &Organisation::id), Col("slug", &Organisation::slug),
                    Col("name", &Organisation::name), Col("public_key", &Organisation::public_key));
const auto kOrganisationNames = soci_row::Table(
    "organisation_names", Col("organisation_id", &OrganisationName::organisation_id),
    Col("lang", &OrganisationName::lang), Col("name", &OrganisationName::name));

const auto kGrants = soci_row::Table(
    "org_key_grants", Col("organisation_id", &OrgKeyGrant::organisation_id),
    Col("user_id", &OrgKeyGrant::user_id),
    Col("sealed_org_secret_key", &OrgKeyGrant::sealed_org_secret_key),
    Col("granted_by", &OrgKeyGrant::granted_by), Col("granted_at", &OrgKeyGrant::granted_at));

const auto kDeviceTokens = soci_row::Table(
    "device_tokens", Col("id", &DeviceToken::id), Col("user_id", &DeviceToken::user_id),
    Col("token_hash", &DeviceToken::token_hash), Col("failed_logins", &DeviceToken::failed_logins),
    Col("locked_until", &DeviceToken::locked_until), Col("created_at", &DeviceToken::created_at));

class SociStaffStore final : public StaffStore {
 public:
  explicit SociStaffStore(Dialect dialect) : dialect_(dialect) {}

  // --- organisations ---------------------------------------------------------------------
  Result<int64_t> InsertOrganisation(Tx& tx, const Organisation& org) override {
    return Soci(tx).Guarded("insert organisation", [&](soci::session& sql) -> Result<int64_t> {
      return soci_row::InsertReturningId(sql, kOrganisations, org);
    });
  }

  Result<std::vector<Organisation>> ListOrganisations(Tx& tx) override {
    return Soci(tx).Guarded("list organisations",
                            [&](soci::session& sql) -> Result<std::vector<Organisation>> {
                              return soci_row::Select(sql, kOrganisations, " ORDER BY id");
                            });
  }

  Result<Organisation> FindOrganisationBySlug(Tx& tx, const std::string& slug) override {
    return FindOrganisation(tx, " WHERE slug = :v", slug);
  }
  Result<Organisation> FindOrganisationById(Tx& tx, int64_t id) override {
    return FindOrganisation(tx, " WHERE id = :v", static_cast<long long>(id));
  }

  Result<std::vector<OrganisationName>> ListOrganisationNames(Tx& tx) override {
    return Soci(tx).Guarded("list organisation names",
                            [&](soci::session& sql) -> Result<std::vector<OrganisationName>> {
                              return soci_row::Select(sql, kOrganisationNames,
                                                      " ORDER BY organisation_id, lang");
                            });
  }

  Status RenameOrganisation(Tx& tx, int64_t id, const std::string& name,
                            const std::vector<OrganisationName>& names) override {
    return Soci(tx).Guarded("rename organisation", [&](soci::session& sql) -> Status {
      const long long org = id;
      Status s = UpdateOne(sql, "organisation", "UPDATE organisations SET name = :n WHERE id = :id",
                           name, org);
      if (!s) return s;
      sql << "DELETE FROM organisation_names WHERE organisation_id = :id", use(org);
      for (OrganisationName n : names) {
        n.organisation_id = id;
        soci_row::Insert(sql, kOrganisationNames, n);
      }
      return {};
    });
  }

  Status SetOrganisationPublicKey(Tx& tx, int64_t id, const std::string& public_key) override {
    return Soci(tx).Guarded("set organisation key", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "organisation",
                       "UPDATE organisations SET public_key = :k WHERE id = :id", public_key,
                       static_cast<long long>(id));
    });
  }

  // --- users -----------------------------------------------------------------------------
  Result<int64_t> InsertUser(Tx& tx, const User& u) override {
    return Soci(tx).Guarded("insert user", [&](soci::session& sql) -> Result<int64_t> {
      return soci_row::InsertReturningId(sql, kUsers, u);
    });
  }

  Result<User> FindUserByUsername(Tx& tx, const std::string& username) override {
    return FindUser(tx, " WHERE username = :v", username);
  }
  Result<User> FindUserById(Tx& tx, int64_t id) override {
    return FindUser(tx, " WHERE id = :v", static_cast<long long>(id));
  }

  Result<std::vector<User>> ListUsers(Tx& tx) override {
    return Soci(tx).Guarded("list users", [&](soci::session& sql) -> Result<std::vector<User>> {
      return soci_row::Select(sql, kUsers, " ORDER BY id");
    });
  }

  Status RecordLoginSuccess(Tx& tx, int64_t user_id) override {
    return Soci(tx).Guarded("record login success", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "user",
                       "UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = :id",
                       static_cast<long long>(user_id));
    });
  }

  Result<int64_t> StampLogin(Tx& tx, int64_t user_id, int64_t now) override {
    return Soci(tx).Guarded("stamp login", [&](soci::session& sql) -> Result<int64_t> {
      const long long id = user_id, at = now;
      long long before = 0;
      sql << "SELECT last_login_at FROM users WHERE id = :id", use(id), into(before);
      if (!sql.got_data()) return std::unexpected(NotFoundError("user"));
      sql << "UPDATE users SET previous_login_at = last_login_at, last_login_at = :t "
             "WHERE id = :id",
          use(at), use(id);
      return static_cast<int64_t>(before);
    });
  }

  Status AdvanceTotpStep(Tx& tx, int64_t user_id, int64_t step) override {
    return Soci(tx).Guarded("advance totp step", [&](soci::session& sql) -> Status {
      // Compare and set in one statement: two logins racing with the same code cannot both
      // see the old step.
      const long long s = step, s_again = step, id = user_id;
      soci::statement st = (sql.prepare << "UPDATE users SET totp_last_step = :s "
                                           "WHERE id = :id AND totp_last_step < :s_again",
                            use(s), use(id), use(s_again));
      st.execute(true);
      if (st.get_affected_rows() > 0) return {};
      long long exists = 0;
      sql << "SELECT COUNT(*) FROM users WHERE id = :id", use(id), into(exists);
      if (exists == 0) return std::unexpected(NotFoundError("user"));
      return Fail(ErrorCode::kConflict, "error.totp_reused", "totp step already used");
    });
  }

  Status SetTotpSecret(Tx& tx, int64_t user_id, const std::string& wrapped_totp_secret) override {
    return Soci(tx).Guarded("set totp secret", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "user",
                       "UPDATE users SET wrapped_totp_secret = :t, totp_enabled = 1, totp_last_step = 0 "
                       "WHERE id = :id",
                       wrapped_totp_secret, static_cast<long long>(user_id));
    });
  }

  Status ReplaceCredentials(Tx& tx, int64_t user_id, const std::string& pw_salt,
                            const std::string& pw_verifier, const std::string& pw_kdf,
                            const std::string& wrapped_secret_key,
                            const std::string& recovery_wrapped_secret_key) override {
    return Soci(tx).Guarded("replace credentials", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      Status s = UpdateOne(
          sql, "user",
          "UPDATE users SET pw_salt = :s, pw_verifier = :v, pw_kdf = :k, wrapped_secret_key = :w, "
          "recovery_wrapped_secret_key = :r, wrapped_totp_secret = '', totp_enabled = 0, "
          "failed_logins = 0, locked_until = 0 WHERE id = :id",
          pw_salt, pw_verifier, pw_kdf, wrapped_secret_key, recovery_wrapped_secret_key, id);
      if (!s) return s;
      EndSignIns(sql, id);
      return {};
    });
  }

  Status ReplacePassword(Tx& tx, int64_t user_id, const std::string& pw_salt,
                         const std::string& pw_verifier, const std::string& pw_kdf,
                         const std::string& wrapped_secret_key,
                         const std::string& wrapped_totp_secret) override {
    return Soci(tx).Guarded("replace password", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      Status s = UpdateOne(sql, "user",
                           "UPDATE users SET pw_salt = :s, pw_verifier = :v, pw_kdf = :k, "
                           "wrapped_secret_key = :w, wrapped_totp_secret = :t WHERE id = :id",
                           pw_salt, pw_verifier, pw_kdf, wrapped_secret_key, wrapped_totp_secret,
                           id);
      if (!s) return s;
      EndSignIns(sql, id);
      return {};
    });
  }

  Status UpgradePassword(Tx& tx, int64_t user_id, const std::string& old_verifier,
                         const std::string& pw_salt, const std::string& pw_verifier,
                         const std::string& pw_kdf, const std::string& wrapped_secret_key,
                         const std::string& wrapped_totp_secret) override {
    return Soci(tx).Guarded("upgrade password", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "user",
                       "UPDATE users SET pw_salt = :s, pw_verifier = :v, pw_kdf = :k, "
                       "wrapped_secret_key = :w, wrapped_totp_secret = :t "
                       "WHERE id = :id AND pw_verifier = :old",
                       pw_salt, pw_verifier, pw_kdf, wrapped_secret_key, wrapped_totp_secret,
                       static_cast<long long>(user_id), old_verifier);
    });
  }

  Result<int64_t> AdoptLegacyKdf(Tx& tx, const std::string& kdf) override {
    return Soci(tx).Guarded("adopt legacy kdf", [&](soci::session& sql) -> Result<int64_t> {
      soci::statement st =
          (sql.prepare << "UPDATE users SET pw_kdf = :k WHERE pw_kdf = ''", use(kdf));
      st.execute(true);
      return static_cast<int64_t>(st.get_affected_rows());
    });
  }

  Status ResetTotp(Tx& tx, int64_t user_id) override {
    return Soci(tx).Guarded("reset totp", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      Status s = UpdateOne(sql, "user",
                           "UPDATE users SET wrapped_totp_secret = '', totp_enabled = 0 "
                           "WHERE id = :id",
                           id);
      if (!s) return s;
      EndSignIns(sql, id);
      return {};
    });
  }

  Status ChangeRole(Tx& tx, int64_t user_id, Role role,
                    std::optional<int64_t> organisation_id) override {
    return Soci(tx).Guarded("change role", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      const std::string role_name(RoleName(role));
      const long long org = organisation_id.value_or(0);
      soci::indicator org_ind = organisation_id ? soci::i_ok : soci::i_null;
      soci::statement st = (sql.prepare << "UPDATE users SET role = :r, organisation_id = :o "
                                           "WHERE id = :id",
                            use(role_name), use(org, org_ind), use(id));
      st.execute(true);
      if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError("user"));
      sql << "DELETE FROM org_key_grants WHERE user_id = :id", use(id);
      sql << "DELETE FROM sessions WHERE user_id = :id", use(id);
      return {};
    });
  }

  Status EnableUser(Tx& tx, int64_t user_id) override {
    return Soci(tx).Guarded("enable user", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "user",
                       "UPDATE users SET disabled = 0, failed_logins = 0, locked_until = 0 "
                       "WHERE id = :id",
                       static_cast<long long>(user_id));
    });
  }

  Status SpendEnrolmentCode(Tx& tx, int64_t user_id, const std::string& enrol_hash, int64_t now,
                            const User& c) override {
    return Soci(tx).Guarded("spend enrolment code", [&](soci::session& sql) -> Status {
      const long long id = user_id, at = now;
      soci::statement st =
          (sql.prepare << "UPDATE users SET pw_salt = :s, pw_verifier = :v, pw_kdf = :k, "
                          "public_key = :p, wrapped_secret_key = :w, "
                          "recovery_wrapped_secret_key = :r, "
                          "enrol_hash = '', enrol_expires_at = 0 WHERE id = :id AND "
                          "enrol_hash <> '' AND enrol_hash = :h AND enrol_expires_at > :t AND "
                          "disabled = 0",
           use(c.pw_salt), use(c.pw_verifier), use(c.pw_kdf), use(c.public_key),
           use(c.wrapped_secret_key),
           use(c.recovery_wrapped_secret_key), use(id), use(enrol_hash), use(at));
      st.execute(true);
      if (st.get_affected_rows() != 1) return std::unexpected(NotFoundError("enrolment code"));
      return {};
    });
  }

  Status ReissueEnrolmentCode(Tx& tx, int64_t user_id, const std::string& enrol_hash,
                              int64_t expires_at) override {
    return Soci(tx).Guarded("reissue enrolment code", [&](soci::session& sql) -> Status {
      return UpdateOne(sql, "invited user",
                       "UPDATE users SET enrol_hash = :h, enrol_expires_at = :t "
                       "WHERE id = :id AND public_key = '' AND disabled = 0",
                       enrol_hash, static_cast<long long>(expires_at),
                       static_cast<long long>(user_id));
    });
  }

  // --- organisation key grants -----------------------------------------------------------
  Status UpsertOrgKeyGrant(Tx& tx, const OrgKeyGrant& grant) override {
    return Soci(tx).Guarded("upsert grant", [&](soci::session& sql) -> Status {
      const long long org = grant.organisation_id, user = grant.user_id, at = grant.granted_at;
      soci::indicator by_ind = grant.granted_by ? soci::i_ok : soci::i_null;
      const long long by = grant.granted_by.value_or(0);
      sql << "INSERT INTO org_key_grants (organisation_id, user_id, sealed_org_secret_key, "
             "granted_by, granted_at) VALUES (:o, :u, :k, :b, :t) "
             "ON CONFLICT (organisation_id, user_id) DO UPDATE SET "
             "sealed_org_secret_key = excluded.sealed_org_secret_key, "
             "granted_by = excluded.granted_by, granted_at = excluded.granted_at",
          use(org), use(user), use(grant.sealed_org_secret_key), use(by, by_ind), use(at);
      return {};
    });
  }

  Result<OrgKeyGrant> FindOrgKeyGrant(Tx& tx, int64_t organisation_id, int64_t user_id) override {
    return Soci(tx).Guarded("find grant", [&](soci::session& sql) -> Result<OrgKeyGrant> {
      return soci_row::SelectOne(sql, "grant", kGrants,
                                 " WHERE organisation_id = :o AND user_id = :u",
                                 static_cast<long long>(organisation_id),
                                 static_cast<long long>(user_id));
    });
  }

  Result<std::vector<OrgKeyGrant>> ListGrants(Tx& tx, int64_t organisation_id) override {
    return Soci(tx).Guarded("list grants", [&](soci::session& sql) -> Result<std::vector<OrgKeyGrant>> {
      Result<std::vector<OrgKeyGrant>> grants =
          soci_row::Select(sql, kGrants, " WHERE organisation_id = :o ORDER BY granted_at, user_id",
                           static_cast<long long>(organisation_id));
      if (grants) {
        for (OrgKeyGrant& g : *grants) g.sealed_org_secret_key.clear();
      }
      return grants;
    });
  }

  Status LockOrganisation(Tx& tx, int64_t organisation_id) override {
    return Soci(tx).Guarded("lock organisation", [&](soci::session& sql) -> Status {
      if (dialect_ != Dialect::kPostgres) return {};
      long long id = organisation_id, locked = 0;
      sql << "SELECT id FROM organisations WHERE id = :o FOR UPDATE", use(id), into(locked);
      if (!sql.got_data()) return std::unexpected(NotFoundError("organisation"));
      return {};
    });
  }

  Result<std::vector<User>> UsersWithoutGrant(Tx& tx, int64_t organisation_id) override {
    return Soci(tx).Guarded(
        "users without grant", [&](soci::session& sql) -> Result<std::vector<User>> {
          return soci_row::Select(
              sql, kUsers,
              " u WHERE u.organisation_id = :o AND u.public_key <> '' AND NOT "
              "EXISTS (SELECT 1 FROM org_key_grants g WHERE g.organisation_id = "
              "u.organisation_id AND g.user_id = u.id) ORDER BY u.id",
              static_cast<long long>(organisation_id));
        });
  }

  Status DisableUser(Tx& tx, int64_t user_id) override {
    return Soci(tx).Guarded("disable user", [&](soci::session& sql) -> Status {
      const long long id = user_id;
      Status s = UpdateOne(sql, "user", "UPDATE users SET disabled = 1 WHERE id = :id", id);
      if (!s) return s;
      EndSignIns(sql, id);
      sql << "DELETE FROM org_key_grants WHERE user_id = :id", use(id);
      return {};
    });
  }

  Status RotateOrgKey(Tx& tx, const OrgKeyRotation& rotation) override {
    return Soci(tx).Guarded("rotate organisation key", [&](soci::session& sql) -> Status {
      const long long org = rotation.organisation_id;
      if (dialect_ == Dialect::kPostgres) {
        // Serialises rotations of one organisation (SQLite's BEGIN IMMEDIATE already does).
        long long locked = 0;
        sql << "SELECT id FROM organisations WHERE id = :o FOR UPDATE", use(org), into(locked);
      }
      std::set<long long> holders;
      {
        long long holder = 0;
        soci::statement q =
            (sql.prepare << "SELECT user_id FROM org_key_grants WHERE organisation_id = :o",
             use(org), into(holder));
        q.execute();
        while (q.fetch()) holders.insert(holder);
      }
      std::set<long long> recipients;
      for (const auto& [uid, sealed] : rotation.sealed_for) recipients.insert(uid);
      if (!holders.empty() && holders != recipients) {
        return Fail(ErrorCode::kConflict, "error.conflict", "grant holders changed");
      }
      for (const auto& [uid, sealed] : rotation.sealed_for) {
        const long long u = uid;
        if (holders.empty()) {
          sql << "INSERT INTO org_key_grants (organisation_id, user_id, sealed_org_secret_key) "
                 "VALUES (:o, :u, :k)",
              use(org), use(u), use(sealed);
        } else {
          const std::string prefix = sealed + ",";
          sql << "UPDATE org_key_grants SET sealed_org_secret_key = CAST(:p AS TEXT) || "
                 "sealed_org_secret_key WHERE organisation_id = :o AND user_id = :u",
              use(prefix), use(org), use(u);
        }
      }
      return UpdateOne(sql, "organisation",
                       "UPDATE organisations SET public_key = :k WHERE id = :o",
                       rotation.public_key, org);
    });
  }

  // --- lockout ---------------------------------------------------------------------------
  Result<std::optional<int64_t>> CountLoginFailure(Tx& tx, int64_t user_id,
                                                   std::optional<int64_t> device_id,
                                                   int64_t now) override {
    return Soci(tx).Guarded(
        "count login failure", [&](soci::session& sql) -> Result<std::optional<int64_t>> {
          // Read, add and write in one statement: a count read before the slow hash and
          // written back afterwards would let parallel guesses overwrite each other.
          const long long at = now, user = user_id, device = device_id.value_or(0);
          long long count = 0;
          if (device_id) {
            sql << "UPDATE device_tokens SET failed_logins = failed_logins + 1 "
                   "WHERE id = :d AND user_id = :u AND locked_until <= :now "
                   "RETURNING failed_logins",
                use(device), use(user), use(at), into(count);
          } else {
            sql << "UPDATE users SET failed_logins = failed_logins + 1 "
                   "WHERE id = :u AND locked_until <= :now RETURNING failed_logins",
                use(user), use(at), into(count);
          }
          if (!sql.got_data()) return std::optional<int64_t>();
          return std::optional<int64_t>(count);
        });
  }

  Status LockLogins(Tx& tx, int64_t user_id, std::optional<int64_t> device_id,
                    int64_t locked_until) override {
    return Soci(tx).Guarded("lock logins", [&](soci::session& sql) -> Status {
      const long long until = locked_until, user = user_id;
      if (device_id) {
        return UpdateOne(sql, "device token",
                         "UPDATE device_tokens SET locked_until = :l WHERE id = :d AND user_id = :u",
                         until, static_cast<long long>(*device_id), user);
      }
      return UpdateOne(sql, "user", "UPDATE users SET locked_until = :l WHERE id = :u", until,
                       user);
    });
  }

  Status AcceptLogin(Tx& tx, int64_t user_id, std::optional<int64_t> device_id,
                     int64_t now) override {
    return Soci(tx).Guarded("accept login", [&](soci::session& sql) -> Status {
      const long long at = now, user = user_id, user_again = user_id;
      Status s;
      if (device_id) {
        s = UpdateOne(sql, "device token",
                      "UPDATE device_tokens SET failed_logins = 0, locked_until = 0 "
                      "WHERE id = :d AND user_id = :u AND locked_until <= :now AND EXISTS "
                      "(SELECT 1 FROM users WHERE id = :u_again AND disabled = 0)",
                      static_cast<long long>(*device_id), user, at, user_again);
      } else {
        s = UpdateOne(sql, "user",
                      "UPDATE users SET failed_logins = 0, locked_until = 0 "
                      "WHERE id = :u AND disabled = 0 AND locked_until <= :now",
                      user, at);
      }
      if (s) return s;
      return Fail(ErrorCode::kConflict, "error.login_failed", "locked or disabled meanwhile");
    });
  }

  Result<DeviceToken> FindDeviceToken(Tx& tx, const std::string& token_hash) override {
    return Soci(tx).Guarded("find device token", [&](soci::session& sql) -> Result<DeviceToken> {
      return soci_row::SelectOne(sql, "device token", kDeviceTokens, " WHERE token_hash = :v",
                                 token_hash);
    });
  }

  Result<int64_t> InsertDeviceToken(Tx& tx, const DeviceToken& token, int keep,
                                    int64_t expired_before) override {
    return Soci(tx).Guarded("insert device token", [&](soci::session& sql) -> Result<int64_t> {
      const long long id = soci_row::InsertReturningId(sql, kDeviceTokens, token);
      const long long user = token.user_id, user_again = token.user_id, before = expired_before;
      const long long kept = std::max(keep, 1);
      sql << "DELETE FROM device_tokens WHERE user_id = :u AND (created_at < :before OR id NOT IN "
             "(SELECT id FROM device_tokens WHERE user_id = :u_again ORDER BY id DESC LIMIT :k))",
          use(user), use(before), use(user_again), use(kept);
      return id;
    });
  }

  Status DeleteDeviceToken(Tx& tx, int64_t id) override {
    return Soci(tx).Guarded("delete device token", [&](soci::session& sql) -> Status {
      const long long token = id;
      sql << "DELETE FROM device_tokens WHERE id = :id", use(token);
      return {};
    });
  }

 private:
  // What lets a user back in without her credentials: her sessions and device tokens.
  static void EndSignIns(soci::session& sql, long long user_id) {
    sql << "DELETE FROM sessions WHERE user_id = :id", use(user_id);
    sql << "DELETE FROM device_tokens WHERE user_id = :id", use(user_id);
  }

  template <typename V>
  Result<Organisation> FindOrganisation(Tx& tx, const char* where, const V& value) {
    return Soci(tx).Guarded("find organisation", [&](soci::session& sql) -> Result<Organisation> {
      return soci_row::SelectOne(sql, "organisation", kOrganisations, where, value);
    });
  }

  template <typename V>
  Result<User> FindUser(Tx& tx, const char* where, const V& value) {
    return Soci(tx).Guarded("find user", [&](soci::session& sql) -> Result<User> {
      return soci_row::SelectOne(sql, "user", kUsers, where, value);
    });
  }

  const Dialect dialect_;
};

}  // namespace

std::unique_ptr<StaffStore> NewSociStaffStore(Dialect dialect) {
  return std::make_unique<SociStaffStore>(dialect);
}

}  // namespace vd
