// StaffStore conformance for the operation that spans several calls: disabling an advisor and
// rotating the organisation key in one transaction. The same tests on SQLite and PostgreSQL.
// (Organisations, users and grants call by call are in store_test.cc.)

#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::Backend;
using store_test::BackendName;
using store_test::FailureOf;
using store_test::ReadOne;
using store_test::WriteOne;

class StaffStoreTest : public store_test::FreshStoreTest,
                       public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    OpenFreshStore(GetParam(), "sstore", 2);
    if (IsSkipped() || HasFatalFailure()) return;
    org_ = AddOrganisation("dehaven", "De Haven");
    leaver_ = AddUser("leaver", org_);
    stays_ = AddUser("stays", org_);
    ASSERT_TRUE(WriteOne(*store_, &StaffStore::SetOrganisationPublicKey, org_, "old-pk"));
    for (int64_t user : {leaver_, stays_}) {
      ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant,
                           {org_, user, "old-" + std::to_string(user), std::nullopt, 0}));
    }
    Session s;
    s.id_hash = "leaver-session";
    s.user_id = leaver_;
    s.created_at = s.last_seen_at = 10;
    ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, s));
  }

  // Disables the leaver and rotates the key for `rotation` in one transaction.
  Status DisableAndRotate(const OrgKeyRotation& rotation) {
    return store_->Write("disable user", [&](Tx& tx) -> Status {
      if (Status s = store_->staff().DisableUser(tx, leaver_); !s) return s;
      return store_->staff().RotateOrgKey(tx, rotation);
    });
  }

  // Nothing of a disable-and-rotate has happened.
  void ExpectUntouched() {
    EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindUserById, leaver_)->disabled);
    EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "leaver-session").has_value());
    EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org_, leaver_)->sealed_org_secret_key,
              "old-" + std::to_string(leaver_));
    EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org_, stays_)->sealed_org_secret_key,
              "old-" + std::to_string(stays_));
    EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrganisationById, org_)->public_key, "old-pk");
  }

  int64_t org_ = 0, leaver_ = 0, stays_ = 0;
};

TEST_P(StaffStoreTest, ARenameReplacesTheNamesPerLanguageInOneGo) {
  const int64_t shop = AddOrganisation("shop", "SHOP");
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RenameOrganisation, org_, std::string("De Haven Amsterdam"),
                       std::vector<OrganisationName>{{org_, "ro", "Portul"}, {org_, "th", "ท่าเรือ"}}));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RenameOrganisation, shop, std::string("SHOP"),
                       std::vector<OrganisationName>{{shop, "en", "SHOP Den Haag"}}));
  std::vector<OrganisationName> names = ReadOne(*store_, &StaffStore::ListOrganisationNames).value();
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].lang, "ro");
  EXPECT_EQ(names[1].name, "ท่าเรือ");
  EXPECT_EQ(names[2].organisation_id, shop);
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrganisationById, org_)->name, "De Haven Amsterdam");

  // The second rename replaces the first's names; the other organisation's stay.
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::RenameOrganisation, org_, std::string("De Haven"),
                       std::vector<OrganisationName>{{org_, "bg", "Пристанището"}}));
  names = ReadOne(*store_, &StaffStore::ListOrganisationNames).value();
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].lang, "bg");
  EXPECT_EQ(names[1].organisation_id, shop);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::RenameOrganisation, int64_t{999999},
                               std::string("x"), std::vector<OrganisationName>{})),
            ErrorCode::kNotFound);
}

TEST_P(StaffStoreTest, DisableAndRotateCommitTogether) {
  ASSERT_TRUE(DisableAndRotate({org_, "new-pk", {{stays_, "new-for-stays"}}}));
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindUserById, leaver_)->disabled);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "leaver-session")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org_, leaver_)),
            ErrorCode::kNotFound);
  // The new key goes in front of the old one, which still opens older conversations.
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrgKeyGrant, org_, stays_)->sealed_org_secret_key,
            "new-for-stays,old-" + std::to_string(stays_));
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindOrganisationById, org_)->public_key, "new-pk");
}

TEST_P(StaffStoreTest, ARotationRefusedAfterTheDisableLeavesNothing) {
  // A colleague was granted meanwhile: the holders are not the users the key was sealed for.
  const int64_t newcomer = AddUser("newcomer", org_);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::UpsertOrgKeyGrant, {org_, newcomer, "old-n", std::nullopt, 0}));
  Status s = DisableAndRotate({org_, "new-pk", {{stays_, "new-for-stays"}}});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  ExpectUntouched();
}

TEST_P(StaffStoreTest, AStatementFailingAfterTheDisableLeavesNothing) {
  // A grant for a user that does not exist fails on its foreign key, after the leaver was
  // disabled in the same transaction.
  Status s = store_->Write("disable user", [&](Tx& tx) -> Status {
    if (Status ok = store_->staff().DisableUser(tx, leaver_); !ok) return ok;
    return store_->staff().UpsertOrgKeyGrant(tx, {org_, 999999, "x", std::nullopt, 0});
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);  // a referenced row is missing
  ExpectUntouched();
}

INSTANTIATE_TEST_SUITE_P(Backends, StaffStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

// Lockout (issue 14): failure counters that parallel logins cannot overwrite, and device
// tokens with counters of their own.
class LockoutStoreTest : public store_test::FreshStoreTest,
                         public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    OpenFreshStore(GetParam(), "lockstore", 8);
    if (IsSkipped() || HasFatalFailure()) return;
    org_ = AddOrganisation("dehaven", "De Haven");
    owner_ = AddUser("owner", org_);
    other_ = AddUser("other", org_);
  }
  Result<int64_t> AddToken(int64_t user, const std::string& hash, int64_t at, int keep = 10) {
    DeviceToken t;
    t.user_id = user;
    t.token_hash = hash;
    t.created_at = at;
    return WriteOne(*store_, &StaffStore::InsertDeviceToken, t, keep, 0);
  }
  std::optional<int64_t> Count(int64_t user, std::optional<int64_t> device, int64_t now) {
    Result<std::optional<int64_t>> n =
        WriteOne(*store_, &StaffStore::CountLoginFailure, user, device, now);
    EXPECT_TRUE(n.has_value()) << n.error().detail;
    return n.value_or(std::nullopt);
  }
  int64_t org_ = 0, owner_ = 0, other_ = 0;
};

TEST_P(LockoutStoreTest, FiftyParallelFailuresEachCountOnce) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> seen;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      std::optional<int64_t> n = Count(owner_, std::nullopt, 100);
      std::lock_guard lock(mu);
      if (n) seen.insert(*n);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(seen.size(), 50u);  // 1 ... 50, each once: no two saw the same count
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindUserById, owner_)->failed_logins, 50);
}

TEST_P(LockoutStoreTest, ADeviceTokenHasItsOwnCounterAndLock) {
  const int64_t device = AddToken(owner_, "hash-owner", 100).value_or(0);
  ASSERT_NE(device, 0);
  Result<DeviceToken> found = ReadOne(*store_, &StaffStore::FindDeviceToken, "hash-owner");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, device);
  EXPECT_EQ(found->user_id, owner_);
  EXPECT_EQ(found->created_at, 100);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindDeviceToken, "hash-unknown")),
            ErrorCode::kNotFound);

  // The account is locked; the device counts and locks apart from it.
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::LockLogins, owner_, std::nullopt, 1000));
  EXPECT_EQ(Count(owner_, std::nullopt, 200), std::nullopt);
  EXPECT_EQ(Count(owner_, device, 200), 1);
  EXPECT_EQ(Count(owner_, device, 200), 2);
  // Another user's id does not reach this token.
  EXPECT_EQ(Count(other_, device, 200), std::nullopt);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AcceptLogin, other_, device, 200)),
            ErrorCode::kConflict);
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::AcceptLogin, owner_, device, 200));
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindDeviceToken, "hash-owner")->failed_logins, 0);
  // ... and the account's lock is left as it was.
  EXPECT_EQ(ReadOne(*store_, &StaffStore::FindUserById, owner_)->locked_until, 1000);

  ASSERT_TRUE(WriteOne(*store_, &StaffStore::LockLogins, owner_, device, 300));
  EXPECT_EQ(Count(owner_, device, 299), std::nullopt);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &StaffStore::AcceptLogin, owner_, device, 299)),
            ErrorCode::kConflict);
  EXPECT_EQ(Count(owner_, device, 300), 1);
}

TEST_P(LockoutStoreTest, TheNewestTenTokensOfAUserAreKeptAndExpiredOnesGo) {
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(AddToken(owner_, "o" + std::to_string(i), 100 + i));
  ASSERT_TRUE(AddToken(other_, "x", 50));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(FailureOf(ReadOne(*store_, &StaffStore::FindDeviceToken, "o" + std::to_string(i))),
              ErrorCode::kNotFound);
  }
  for (int i = 2; i < 12; ++i) {
    EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "o" + std::to_string(i)));
  }
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "x")) << "other users' stay";
  // Tokens made before the cut-off go at the next insert.
  DeviceToken t;
  t.user_id = owner_;
  t.token_hash = "fresh";
  t.created_at = 200;
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::InsertDeviceToken, t, 10, 108));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "o7"));
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "o8"));
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "fresh"));
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "x"));
  // A token's hash is unique.
  EXPECT_EQ(FailureOf(AddToken(other_, "fresh", 300)), ErrorCode::kConflict);
  const int64_t fresh = ReadOne(*store_, &StaffStore::FindDeviceToken, "fresh")->id;
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::DeleteDeviceToken, fresh));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "fresh"));
  EXPECT_TRUE(WriteOne(*store_, &StaffStore::DeleteDeviceToken, fresh)) << "gone is fine";
}

TEST_P(LockoutStoreTest, TokensEndWhenCredentialsChangeAndWhenTheAccountIsDisabled) {
  ASSERT_TRUE(AddToken(owner_, "owner-1", 100));
  ASSERT_TRUE(AddToken(other_, "other-1", 100));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::ReplaceCredentials, owner_, "s", "v", "k", "w", "r"));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "owner-1"));
  EXPECT_TRUE(ReadOne(*store_, &StaffStore::FindDeviceToken, "other-1"));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::DisableUser, other_));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "other-1"));
  // A password changed by its owner, and a second factor reset by an admin, end them too.
  ASSERT_TRUE(AddToken(owner_, "owner-2", 200));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::ReplacePassword, owner_, "s2", "v2", "k2", "w2", ""));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "owner-2"));
  ASSERT_TRUE(AddToken(owner_, "owner-3", 300));
  ASSERT_TRUE(WriteOne(*store_, &StaffStore::ResetTotp, owner_));
  EXPECT_FALSE(ReadOne(*store_, &StaffStore::FindDeviceToken, "owner-3"));
}

INSTANTIATE_TEST_SUITE_P(Backends, LockoutStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd
