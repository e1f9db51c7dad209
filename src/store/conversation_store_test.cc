// Store conformance for conversations, messages and sessions (ConversationStore,
// SessionStore): the same tests on SQLite and on PostgreSQL, in the StoreTest suite of
// store_test.cc.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "store/store_test_fixture.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::FailureOf;
using store_test::Must;
using store_test::ReadOne;
using store_test::StoreTest;
using store_test::WriteOne;

// --- conversations and messages ------------------------------------------------------------

TEST_P(StoreTest, ConversationsRoundTripEveryField) {
  const int64_t org = AddOrg("o");
  Conversation c = MakeConversation(org, "1", 1000, 5000);
  c.status = ConversationStatus::kWaiting;
  c.first_reply_at = 0;
  Result<int64_t> id =
      WriteOne(*store_, &ConversationStore::Insert, c, WorkerMessage(0, "hello", 1000));
  ASSERT_TRUE(id.has_value()) << id.error().detail;

  for (Result<Conversation> back :
       {ReadOne(*store_, &ConversationStore::FindById, *id),
        ReadOne(*store_, &ConversationStore::FindByLookup, "lookup-1"),
        ReadOne(*store_, &ConversationStore::FindByPublicId, "pub-1")}) {
    ASSERT_TRUE(back.has_value()) << back.error().detail;
    EXPECT_EQ(back->id, *id);
    EXPECT_EQ(back->public_id, "pub-1");
    EXPECT_EQ(back->receipt_lookup, "lookup-1");
    EXPECT_EQ(back->organisation_id, org);
    EXPECT_EQ(back->public_key, "cpk-1");
    EXPECT_EQ(back->receipt_wrapped_secret_key, "rwsk-1");
    EXPECT_EQ(back->org_sealed_secret_key, "osk-1");
    EXPECT_EQ(back->status, ConversationStatus::kWaiting);
    EXPECT_EQ(back->language, "nl");
    EXPECT_EQ(back->answer_language, "ro");
    EXPECT_EQ(back->answer_age_band, "25-34");
    EXPECT_EQ(back->answer_work_setting, "unsaid");
    EXPECT_EQ(back->created_at, 1000);
    EXPECT_EQ(back->last_activity_at, 1000);
    EXPECT_EQ(back->expires_at, 5000);
    EXPECT_EQ(back->first_reply_at, 0);
  }
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, 999999)),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindByLookup, "nope")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindByPublicId, "nope")),
            ErrorCode::kNotFound);

  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, *id);
  ASSERT_TRUE(messages.has_value());
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].conversation_id, *id);
  EXPECT_EQ((*messages)[0].author, Author::kWorker);
  EXPECT_FALSE((*messages)[0].author_user_id.has_value());
  EXPECT_EQ((*messages)[0].ciphertext, "hello");
  EXPECT_EQ((*messages)[0].created_at, 1000);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, 999999)).empty());
}

TEST_P(StoreTest, ConversationClashesAreConflictsAndWriteNothing) {
  const int64_t org = AddOrg("o");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  Conversation same_lookup = MakeConversation(org, "2", 1000, 5000);
  same_lookup.receipt_lookup = "lookup-1";
  Conversation same_public_id = MakeConversation(org, "3", 1000, 5000);
  same_public_id.public_id = "pub-1";
  for (const Conversation& clash : {same_lookup, same_public_id}) {
    Result<int64_t> id =
        WriteOne(*store_, &ConversationStore::Insert, clash, WorkerMessage(0, "lost", 1000));
    ASSERT_FALSE(id.has_value());
    EXPECT_EQ(id.error().code, ErrorCode::kConflict);
  }
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).size(), 1u);
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).size(), 1u);
  EXPECT_EQ(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).at(0).message_count,
      1);

  Result<int64_t> nowhere = WriteOne(*store_, &ConversationStore::Insert,
                                     MakeConversation(999999, "4", 1, 2), WorkerMessage(0, "x", 1));
  ASSERT_FALSE(nowhere.has_value());
  EXPECT_EQ(nowhere.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, AppendMessageUpdatesTheConversation) {
  const int64_t org = AddOrg("o");
  const int64_t advisor = AddUser("adv", org);
  const int64_t c = AddConversation(org, "1", 1000, 5000);

  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c, "again", 1100),
                       ConversationStatus::kWaiting, 6000));
  Result<Conversation> after = ReadOne(*store_, &ConversationStore::FindById, c);
  EXPECT_EQ(after->status, ConversationStatus::kWaiting);
  EXPECT_EQ(after->last_activity_at, 1100);
  EXPECT_EQ(after->expires_at, 6000);
  EXPECT_EQ(after->first_reply_at, 0);  // a worker's message is not a reply

  Message reply;
  reply.conversation_id = c;
  reply.author = Author::kAdvisor;
  reply.author_user_id = advisor;
  reply.ciphertext = "reply";
  reply.created_at = 2500;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9000));
  after = ReadOne(*store_, &ConversationStore::FindById, c);
  EXPECT_EQ(after->status, ConversationStatus::kAnswered);
  EXPECT_EQ(after->last_activity_at, 2500);
  EXPECT_EQ(after->expires_at, 9000);
  EXPECT_EQ(after->first_reply_at, 2500);

  reply.created_at = 2600;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9100));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).first_reply_at,
            2500);  // the first one stays
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).last_activity_at, 2600);

  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, c);
  ASSERT_EQ(messages->size(), 4u);
  EXPECT_EQ((*messages)[0].ciphertext, "first-1");
  EXPECT_EQ((*messages)[1].ciphertext, "again");
  EXPECT_EQ((*messages)[2].author, Author::kAdvisor);
  EXPECT_EQ((*messages)[2].author_user_id, advisor);
  EXPECT_EQ((*messages)[2].created_at, 2500);
  EXPECT_LT((*messages)[2].id, (*messages)[3].id);
}

TEST_P(StoreTest, InboxFiltersOrdersAndCounts) {
  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t c1 = AddConversation(org, "1", 1000, 9000);
  AddConversation(org, "2", 2000, 9000);
  AddConversation(org, "3", 3000, 9000);
  AddConversation(other, "4", 4000, 9000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "m", 3500),
                       ConversationStatus::kWaiting, 9000));
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "m", 3600),
                       ConversationStatus::kWaiting, 9000));

  Result<std::vector<InboxEntry>> inbox =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10);
  ASSERT_TRUE(inbox.has_value()) << inbox.error().detail;
  ASSERT_EQ(inbox->size(), 3u);               // not the other organisation's
  EXPECT_EQ((*inbox)[0].public_id, "pub-1");  // most recent activity first
  EXPECT_EQ((*inbox)[0].status, ConversationStatus::kWaiting);
  EXPECT_EQ((*inbox)[0].language, "nl");
  EXPECT_EQ((*inbox)[0].created_at, 1000);
  EXPECT_EQ((*inbox)[0].last_activity_at, 3600);
  EXPECT_EQ((*inbox)[0].message_count, 3);
  EXPECT_EQ((*inbox)[1].public_id, "pub-3");
  EXPECT_EQ((*inbox)[1].message_count, 1);
  EXPECT_EQ((*inbox)[2].public_id, "pub-2");

  Result<std::vector<InboxEntry>> fresh =
      ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kNew, 10);
  ASSERT_EQ(fresh->size(), 2u);
  EXPECT_EQ((*fresh)[0].public_id, "pub-3");
  EXPECT_EQ((*fresh)[1].public_id, "pub-2");
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kWaiting, 10))
                .size(),
            1u);
  EXPECT_TRUE(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, ConversationStatus::kAnswered, 10))
          .empty());
  Result<std::vector<InboxEntry>> one =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 1);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].public_id, "pub-1");
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::Inbox, 999999, std::nullopt, 10)).empty());
}

TEST_P(StoreTest, CountConversationsByStatus) {
  Result<std::vector<std::pair<ConversationStatus, int64_t>>> none =
      ReadOne(*store_, &ConversationStore::CountByStatus);
  ASSERT_TRUE(none.has_value()) << none.error().detail;
  ASSERT_EQ(none->size(), 3u);  // zeros too, so that a metrics series never disappears
  for (const auto& [status, n] : *none) EXPECT_EQ(n, 0);

  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  AddConversation(org, "2", 2000, 6000);
  AddConversation(other, "3", 3000, 7000);
  Message reply = WorkerMessage(c1, "reply", 2500);
  reply.author = Author::kAdvisor;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9000));
  Result<std::vector<std::pair<ConversationStatus, int64_t>>> counts =
      ReadOne(*store_, &ConversationStore::CountByStatus);
  ASSERT_TRUE(counts.has_value());
  ASSERT_EQ(counts->size(), 3u);
  EXPECT_EQ((*counts)[0], std::make_pair(ConversationStatus::kNew, int64_t{2}));
  EXPECT_EQ((*counts)[1], std::make_pair(ConversationStatus::kWaiting, int64_t{0}));
  EXPECT_EQ((*counts)[2], std::make_pair(ConversationStatus::kAnswered, int64_t{1}));
}

TEST_P(StoreTest, DeletingAConversationTakesMessagesAndWorkerSessions) {
  const int64_t org = AddOrg("dehaven");
  const int64_t staff = AddUser("adv", org);
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  const int64_t c2 = AddConversation(org, "2", 1000, 5000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c1, "more", 1100),
                       ConversationStatus::kWaiting, 5000));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w1", c1, 1000)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w2", c2, 1000)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("s1", staff, 1000, 1000)));

  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, c1));
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, c1)), ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).empty());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "w1")), ErrorCode::kNotFound);
  // Nothing else goes with it.
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "w2").has_value());
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "s1").has_value());
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::ListMessages, c2)).size(), 1u);

  EXPECT_EQ(FailureOf(WriteOne(*store_, &ConversationStore::Delete, c1)), ErrorCode::kNotFound);
}

TEST_P(StoreTest, AppendingToADeletedConversationWritesNothing) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  const int64_t c2 = AddConversation(org, "2", 1000, 5000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::Delete, c1));
  Status late = WriteOne(*store_, &ConversationStore::AppendMessage,
                         WorkerMessage(c1, "late", 1200), ConversationStatus::kWaiting, 9000);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, c1)).empty());
  // A worker session for it cannot be created either (it refers to nothing).
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w", c1, 1200))),
            ErrorCode::kNotFound);
  Result<std::vector<InboxEntry>> inbox =
      ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].message_count, 1);
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c2)).last_activity_at, 1000);
}

TEST_P(StoreTest, ExpiredConversationsGoWithEverythingTheyOwn) {
  const int64_t org = AddOrg("dehaven");
  const int64_t old = AddConversation(org, "old", 1000, 5000);
  const int64_t edge = AddConversation(org, "edge", 1000, 5001);
  const int64_t young = AddConversation(org, "young", 1000, 9000);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w-old", old, 1000)));
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 4999)), 0);
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 5000)),
            1);  // expires_at <= now
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 5000)), 0);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, old)), ErrorCode::kNotFound);
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::ListMessages, old)).empty());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "w-old")), ErrorCode::kNotFound);
  EXPECT_TRUE(ReadOne(*store_, &ConversationStore::FindById, edge).has_value());
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 9000)), 2);
  EXPECT_EQ(FailureOf(ReadOne(*store_, &ConversationStore::FindById, young)), ErrorCode::kNotFound);
}

TEST_P(StoreTest, ConcurrentAppendsAreNeverLost) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> failures{0};
  std::string first_error;
  std::mutex error_mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Message m = WorkerMessage(c1, "t" + std::to_string(t) + "-" + std::to_string(i), 2000 + i);
        if (t % 2 == 1) m.author = Author::kAdvisor;
        Status s = WriteOne(*store_, &ConversationStore::AppendMessage, m,
                            ConversationStatus::kWaiting, 9000 + i);
        if (!s) {
          ++failures;
          std::lock_guard lock(error_mu);
          if (first_error.empty()) first_error = s.error().detail;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << first_error;
  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, c1);
  ASSERT_TRUE(messages.has_value());
  EXPECT_EQ(messages->size(), 1u + kThreads * kEach);
  std::set<std::string> texts;
  for (const Message& m : *messages) texts.insert(m.ciphertext);
  EXPECT_EQ(texts.size(), 1u + kThreads * kEach);
  EXPECT_EQ(
      Must(ReadOne(*store_, &ConversationStore::Inbox, org, std::nullopt, 10)).at(0).message_count,
      1 + kThreads * kEach);
  EXPECT_GE(Must(ReadOne(*store_, &ConversationStore::FindById, c1)).first_reply_at, 2000);
}

// --- sessions ------------------------------------------------------------------------------

TEST_P(StoreTest, SessionsRoundTripAndUpdate) {
  const int64_t org = AddOrg("o");
  const int64_t user = AddUser("adv", org);
  const int64_t c = AddConversation(org, "1", 1000, 5000);
  Session staff = StaffSession("aGFzaDE=", user, 100, 100);
  staff.stage = 0;
  staff.wrapped_key = "wk";
  staff.pending = "pending-totp";
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, staff));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("aGFzaDI=", c, 200)));
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, staff)), ErrorCode::kConflict);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Insert, StaffSession("x", 999999, 1, 1))),
            ErrorCode::kNotFound);

  Result<Session> s = ReadOne(*store_, &SessionStore::Find, "aGFzaDE=");
  ASSERT_TRUE(s.has_value()) << s.error().detail;
  EXPECT_EQ(s->id_hash, "aGFzaDE=");
  EXPECT_EQ(s->kind, SessionKind::kStaff);
  EXPECT_EQ(s->user_id, user);
  EXPECT_FALSE(s->conversation_id.has_value());
  EXPECT_EQ(s->stage, 0);
  EXPECT_EQ(s->wrapped_key, "wk");
  EXPECT_EQ(s->pending, "pending-totp");
  EXPECT_EQ(s->created_at, 100);
  EXPECT_EQ(s->last_seen_at, 100);
  Result<Session> w = ReadOne(*store_, &SessionStore::Find, "aGFzaDI=");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->kind, SessionKind::kWorker);
  EXPECT_EQ(w->conversation_id, c);
  EXPECT_FALSE(w->user_id.has_value());
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "nope")), ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Touch, "aGFzaDE=", 150));
  EXPECT_EQ(Must(ReadOne(*store_, &SessionStore::Find, "aGFzaDE=")).last_seen_at, 150);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Touch, "nope", 1)), ErrorCode::kNotFound);

  staff.stage = 1;
  staff.wrapped_key = "wk2";
  staff.pending = "";
  staff.last_seen_at = 160;
  staff.created_at = 999;  // not updatable: the absolute timeout counts from creation
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Update, staff));
  s = ReadOne(*store_, &SessionStore::Find, "aGFzaDE=");
  EXPECT_EQ(s->stage, 1);
  EXPECT_EQ(s->wrapped_key, "wk2");
  EXPECT_EQ(s->pending, "");
  EXPECT_EQ(s->last_seen_at, 160);
  EXPECT_EQ(s->created_at, 100);
  staff.id_hash = "nope";
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Update, staff)), ErrorCode::kNotFound);

  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Delete, "aGFzaDE="));
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "aGFzaDE=")), ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::Delete, "aGFzaDE=")), ErrorCode::kNotFound);
}

TEST_P(StoreTest, AStaffMemberListsAndEndsOnlyHerOwnSessions) {
  const int64_t org = AddOrg("o");
  const int64_t ann = AddUser("ann", org);
  const int64_t bob = AddUser("bob", org);
  const int64_t c = AddConversation(org, "1", 1000, 5000);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("ann-late", ann, 300, 310)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("ann-early", ann, 100, 400)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("bob", bob, 200, 200)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("worker", c, 50)));

  std::vector<Session> mine = Must(ReadOne(*store_, &SessionStore::ListForUser, ann));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id_hash, "ann-early");
  EXPECT_EQ(mine[0].last_seen_at, 400);
  EXPECT_EQ(mine[1].id_hash, "ann-late");
  EXPECT_TRUE(Must(ReadOne(*store_, &SessionStore::ListForUser, int64_t{999999})).empty());

  // Ann cannot end Bob's session, nor a worker's; her own ends.
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::DeleteForUser, ann, "bob")),
            ErrorCode::kNotFound);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &SessionStore::DeleteForUser, ann, "worker")),
            ErrorCode::kNotFound);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::DeleteForUser, ann, "ann-late"));
  EXPECT_EQ(Must(ReadOne(*store_, &SessionStore::ListForUser, ann)).size(), 1u);
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "bob").has_value());
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "worker").has_value());
}

TEST_P(StoreTest, StaleSessionsAreDeleted) {
  const int64_t user = AddUser("a", std::nullopt, Role::kAdmin);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("idle", user, 500, 150)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("old", user, 100, 900)));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, StaffSession("fine", user, 500, 900)));
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 150, 100)), 0);  // strictly before
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 200, 0)), 1);    // idle since 150
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "idle")), ErrorCode::kNotFound);
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 0, 200)), 1);  // created at 100
  EXPECT_EQ(FailureOf(ReadOne(*store_, &SessionStore::Find, "old")), ErrorCode::kNotFound);
  EXPECT_TRUE(ReadOne(*store_, &SessionStore::Find, "fine").has_value());
  EXPECT_EQ(Must(WriteOne(*store_, &SessionStore::DeleteStale, 1000, 1000)), 1);
}

}  // namespace
}  // namespace vd
