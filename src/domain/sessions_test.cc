// A staff member sees and ends her own sessions (issue 14 item 3), and no one else's; a
// worker's session keeps its times to the minute (issue 16).

#include "domain/sessions.h"

#include <gtest/gtest.h>

#include <functional>

#include "domain/domain_test_util.h"
#include "store/database.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::FailureOf;

class StaffSessionsTest : public domain_test::StaffFixture {
 protected:
  StaffSessionsTest() : StaffFixture("sessions") {}
  void SetUp() override {
    StaffFixture::SetUp();
    sessions_ = std::make_unique<Sessions>(*store_, clock_, SessionPolicy{});
  }
  std::string Open(int64_t user_id, int64_t stage = 1) {
    Result<std::string> token = sessions_->Create(SessionKind::kStaff, user_id, std::nullopt,
                                                  stage, SecretBytes(), SecretBytes());
    EXPECT_TRUE(token.has_value());
    return token.value_or("");
  }
  std::unique_ptr<Sessions> sessions_;
};

TEST_F(StaffSessionsTest, SheSeesHerLiveSessionsAndWhichIsThisOne) {
  const auto ann = AddAdvisor("ann", "shop");
  const auto bob = AddAdvisor("bob", "shop");
  const std::string first = Open(ann.id);
  clock_.Advance(100);
  const std::string second = Open(ann.id, 0);
  (void)Open(bob.id);

  Result<std::vector<StaffSessionInfo>> mine = sessions_->ListStaff(ann.id, second);
  ASSERT_TRUE(mine.has_value());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_FALSE((*mine)[0].current);
  EXPECT_FALSE((*mine)[0].signing_in);
  EXPECT_TRUE((*mine)[1].current);
  EXPECT_TRUE((*mine)[1].signing_in);
  EXPECT_EQ((*mine)[1].created_at - (*mine)[0].created_at, 100);
  EXPECT_EQ((*mine)[0].handle.size(), 16u);
  EXPECT_NE((*mine)[0].handle, (*mine)[1].handle);
  // The handle is not the stored hash nor the token.
  EXPECT_EQ(first.find((*mine)[0].handle), std::string::npos);

  // A timed-out session is not listed.
  clock_.Advance(SessionPolicy{}.staff_idle_seconds + 1);
  EXPECT_TRUE(sessions_->ListStaff(ann.id, second)->empty());
}

TEST_F(StaffSessionsTest, SheEndsOneOfHersButNeverAnothersSession) {
  const auto ann = AddAdvisor("ann", "shop");
  const auto bob = AddAdvisor("bob", "shop");
  const std::string here = Open(ann.id);
  const std::string there = Open(ann.id);
  const std::string bobs = Open(bob.id);
  const std::string bob_handle = sessions_->ListStaff(bob.id, bobs)->at(0).handle;

  EXPECT_EQ(FailureOf(sessions_->EndStaff(ann.id, bob_handle)), ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(sessions_->EndStaff(ann.id, "not-a-handle")), ErrorCode::kNotFound);
  EXPECT_TRUE(sessions_->Load(bobs).has_value());

  std::string there_handle;
  const std::vector<StaffSessionInfo> listed = sessions_->ListStaff(ann.id, here).value();
  for (const StaffSessionInfo& s : listed) {
    if (!s.current) there_handle = s.handle;
  }
  ASSERT_TRUE(sessions_->EndStaff(ann.id, there_handle));
  EXPECT_EQ(FailureOf(sessions_->Load(there)), ErrorCode::kSessionExpired);
  EXPECT_TRUE(sessions_->Load(here).has_value());
  EXPECT_EQ(FailureOf(sessions_->EndStaff(ann.id, there_handle)), ErrorCode::kNotFound);
}

TEST_F(StaffSessionsTest, EndingTheOthersKeepsThisOne) {
  const auto ann = AddAdvisor("ann", "shop");
  const auto bob = AddAdvisor("bob", "shop");
  const std::string here = Open(ann.id);
  const std::string a = Open(ann.id);
  const std::string b = Open(ann.id, 0);
  const std::string bobs = Open(bob.id);

  Result<int64_t> ended = sessions_->EndOtherStaff(ann.id, here);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(*ended, 2);
  EXPECT_TRUE(sessions_->Load(here).has_value());
  EXPECT_EQ(FailureOf(sessions_->Load(a)), ErrorCode::kSessionExpired);
  EXPECT_EQ(FailureOf(sessions_->Load(b)), ErrorCode::kSessionExpired);
  EXPECT_TRUE(sessions_->Load(bobs).has_value());
  EXPECT_EQ(*sessions_->EndOtherStaff(ann.id, here), 0);
}

// A database whose writes can be refused as a full disk refuses them (kUnavailable), reads
// going on: the rest is the real store underneath.
class WritesRefused final : public store_test::ForwardingDatabase<Database> {
 public:
  using ForwardingDatabase::ForwardingDatabase;
  bool full = false;

 protected:
  Status Run(TxKind kind, const char* what, const std::function<Status(Tx&)>& body) override {
    if (kind == TxKind::kRead) return inner_.Read(what, body);
    if (full) return Fail(ErrorCode::kUnavailable, "error.storage_full", "test: disk full");
    return inner_.Write(what, body);
  }
};

// Issue 16: on a full disk a session still loads (her conversation can be read); the touch
// of last_seen_at waits until writes work again.
TEST_F(StaffSessionsTest, ASessionStillLoadsWhileWritesAreRefused) {
  WritesRefused db(*store_);
  Sessions sessions(db, clock_, SessionPolicy{});
  const auto ann = AddAdvisor("ann", "shop");
  Result<std::string> token =
      sessions.Create(SessionKind::kStaff, ann.id, std::nullopt, 1, SecretBytes(), SecretBytes());
  ASSERT_TRUE(token.has_value());
  const int64_t created = clock_.Now();
  clock_.Advance(120);  // past the once-a-minute touch
  db.full = true;
  Result<ActiveSession> loaded = sessions.Load(*token);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().detail;
  EXPECT_EQ(loaded->row.last_seen_at, created);  // not touched
  db.full = false;
  loaded = sessions.Load(*token);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->row.last_seen_at, clock_.Now());
}

// Issue 16: a worker's session keeps when she opened and last read her conversation to the
// minute, rounded down, so it never outlives its timeout; a staff session keeps its seconds.
TEST_F(StaffSessionsTest, AWorkersSessionKeepsItsTimesToTheMinute) {
  const auto ann = AddAdvisor("ann", "shop");  // shop gets its key
  const int64_t minute = 1798761600;
  clock_.Set(minute + 37);
  Result<StartedConversation> started = conversations_->Start("shop", "hello", "en", {});
  ASSERT_TRUE(started.has_value()) << started.error().detail;
  Result<std::string> token = sessions_->Create(SessionKind::kWorker, std::nullopt,
                                                started->conversation_id, 1,
                                                started->secret_key, SecretBytes());
  ASSERT_TRUE(token.has_value());
  Result<ActiveSession> opened = sessions_->Load(*token);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->row.created_at, minute);
  EXPECT_EQ(opened->row.last_seen_at, minute);
  const std::string staff = Open(ann.id);
  EXPECT_EQ(sessions_->ListStaff(ann.id, staff)->at(0).created_at, minute + 37);

  clock_.Set(minute + 107);  // she reads again in the next minute
  ASSERT_TRUE(sessions_->Load(*token).has_value());
  clock_.Set(minute + 108);
  EXPECT_EQ(sessions_->Load(*token)->row.last_seen_at, minute + 60);
  // Idle for the worker timeout counted from the stored minute: gone, 47 s before her read
  // at +107 would have timed out to the second.
  clock_.Set(minute + 60 + SessionPolicy{}.worker_idle_seconds + 1);
  EXPECT_EQ(FailureOf(sessions_->Load(*token)), ErrorCode::kSessionExpired);
}

}  // namespace
}  // namespace vd
