// StaffStore conformance for the operation that spans several calls: disabling an advisor and
// rotating the organisation key in one transaction. The same tests on SQLite and PostgreSQL.
// (Organisations, users and grants call by call are in store_test.cc.)

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace vd
