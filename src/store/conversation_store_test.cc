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

#include "core/clock.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/store_test_fixture.h"
#include "store/store_test_util.h"

namespace vd {
namespace {

using store_test::FailureOf;
using store_test::Must;
using store_test::ReadOne;
using store_test::RawSqlite;
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
    // Times are kept to the minute (core/clock.h).
    EXPECT_EQ(back->created_at, CoarseTime(1000));
    EXPECT_EQ(back->last_activity_at, CoarseTime(1000));
    EXPECT_EQ(back->expires_at, CoarseTime(5000));
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
  EXPECT_EQ((*messages)[0].created_at, CoarseTime(1000));
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
  EXPECT_EQ(after->last_activity_at, CoarseTime(1100));
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
  EXPECT_EQ(after->last_activity_at, CoarseTime(2500));
  EXPECT_EQ(after->expires_at, 9000);
  EXPECT_EQ(after->first_reply_at, CoarseTime(2500));

  reply.created_at = 2600;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, 9100));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).first_reply_at,
            CoarseTime(2500));  // the first one stays
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c)).last_activity_at,
            CoarseTime(2600));

  Result<std::vector<Message>> messages = ReadOne(*store_, &ConversationStore::ListMessages, c);
  ASSERT_EQ(messages->size(), 4u);
  EXPECT_EQ((*messages)[0].ciphertext, "first-1");
  EXPECT_EQ((*messages)[1].ciphertext, "again");
  EXPECT_EQ((*messages)[2].author, Author::kAdvisor);
  EXPECT_EQ((*messages)[2].author_user_id, advisor);
  EXPECT_EQ((*messages)[2].created_at, CoarseTime(2500));
  EXPECT_LT((*messages)[2].id, (*messages)[3].id);
}

// Issue 16: what a worker wrote, and when, is stored to the minute whatever the caller
// passes; messages of one minute keep the order they were written in (their ids), even when
// the seconds given would order them the other way.
TEST_P(StoreTest, MessageTimesAreKeptToTheMinuteAndOrderedByIdWithinIt) {
  const int64_t org = AddOrg("o");
  const int64_t advisor = AddUser("adv", org);
  const int64_t minute = 1798761600 + 120;  // a whole minute
  const int64_t c = AddConversation(org, "1", minute + 7, minute + 90 * 86400 + 13);
  // Five more in the same minute, seconds counting down, both authors; then one a minute on.
  std::vector<std::string> written = {"first-1"};
  for (int i = 0; i < 6; ++i) {
    Message m =
        WorkerMessage(c, "m" + std::to_string(i), i < 5 ? minute + 59 - 10 * i : minute + 61);
    if (i == 1 || i == 3) {
      m.author = Author::kAdvisor;
      m.author_user_id = advisor;
    }
    ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, m,
                         m.author == Author::kAdvisor ? ConversationStatus::kAnswered
                                                      : ConversationStatus::kWaiting,
                         m.created_at + 90 * 86400 + 1));
    written.push_back(m.ciphertext);
  }

  const std::vector<Message> messages = Must(ReadOne(*store_, &ConversationStore::ListMessages, c));
  ASSERT_EQ(messages.size(), written.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i].ciphertext, written[i]) << i;  // the order they were written in
    EXPECT_EQ(messages[i].created_at, i < 6 ? minute : minute + 60) << i;
    if (i > 0) {
      EXPECT_LT(messages[i - 1].id, messages[i].id);
    }
  }
  const Conversation back = Must(ReadOne(*store_, &ConversationStore::FindById, c));
  EXPECT_EQ(back.created_at, minute);
  EXPECT_EQ(back.last_activity_at, minute + 60);
  EXPECT_EQ(back.first_reply_at, minute);  // the first advisor reply's minute
  EXPECT_EQ(back.waiting_since, minute);  // her first message after the last answer (m4)
  EXPECT_EQ(back.expires_at, minute + 60 + 90 * 86400);
  // At rest, too: no row holds a second.
  EXPECT_EQ(RawOne("SELECT CAST(COUNT(*) AS TEXT) FROM messages WHERE created_at % 60 <> 0"), "0");
  EXPECT_EQ(RawOne("SELECT CAST(COUNT(*) AS TEXT) FROM conversations WHERE created_at % 60 <> 0 "
                   "OR last_activity_at % 60 <> 0 OR expires_at % 60 <> 0 "
                   "OR first_reply_at % 60 <> 0 OR waiting_since % 60 <> 0"),
            "0");
  // The response time is counted from the minutes: the reply came in the first one.
  EXPECT_EQ(RawOne("SELECT band FROM response_times"), "<1h");
}

// Schema 11 rounds down the times of rows written before it, keeping their order, zeros and
// staff sessions as they were.
TEST_P(StoreTest, SchemaElevenRoundsOlderRowsDownToTheMinute) {
  const int64_t org = AddOrg("o");
  const int64_t user = AddUser("adv", org);
  const int64_t minute = 1798761600;
  const int64_t waiting = AddConversation(org, "1", minute, minute + 86400);
  const int64_t answered = AddConversation(org, "2", minute, minute + 86400);
  Message reply = WorkerMessage(answered, "reply", minute);
  reply.author = Author::kAdvisor;
  reply.author_user_id = user;
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, reply,
                       ConversationStatus::kAnswered, minute + 86400));
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage,
                       WorkerMessage(waiting, "later", minute), ConversationStatus::kWaiting,
                       minute + 86400));
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w", waiting, minute + 17)));
  ASSERT_TRUE(
      WriteOne(*store_, &SessionStore::Insert, StaffSession("s", user, minute + 17, minute + 29)));
  // What a server before schema 11 wrote: seconds everywhere, later messages first in time.
  RawExec("UPDATE messages SET created_at = created_at + 50 - id");
  RawExec("UPDATE conversations SET created_at = created_at + 11, last_activity_at = "
          "last_activity_at + 23, expires_at = expires_at + 31, first_reply_at = CASE WHEN "
          "first_reply_at = 0 THEN 0 ELSE first_reply_at + 41 END, waiting_since = CASE WHEN "
          "waiting_since = 0 THEN 0 ELSE waiting_since + 5 END");
  ASSERT_EQ(RawOne("SELECT CAST(COUNT(*) AS TEXT) FROM messages WHERE created_at % 60 <> 0"), "4");

  const Dialect dialect = pg() ? Dialect::kPostgres : Dialect::kSqlite;
  bool found = false;
  for (const Migration& m : Migrations(dialect)) {
    if (m.version != 11) continue;
    found = true;
    for (const std::string& st : m.statements) RawExec(st);
  }
  ASSERT_TRUE(found);

  std::vector<std::string> texts;
  for (int64_t c : {waiting, answered}) {
    for (const Message& m : Must(ReadOne(*store_, &ConversationStore::ListMessages, c))) {
      EXPECT_EQ(m.created_at, minute) << m.ciphertext;
      texts.push_back(m.ciphertext);
    }
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"first-1", "later", "first-2", "reply"}));
  const Conversation w = Must(ReadOne(*store_, &ConversationStore::FindById, waiting));
  EXPECT_EQ(w.created_at, minute);
  EXPECT_EQ(w.last_activity_at, minute);
  EXPECT_EQ(w.expires_at, minute + 86400);
  EXPECT_EQ(w.first_reply_at, 0);  // never answered: still none
  EXPECT_EQ(w.waiting_since, minute);
  const Conversation a = Must(ReadOne(*store_, &ConversationStore::FindById, answered));
  EXPECT_EQ(a.first_reply_at, minute);
  EXPECT_EQ(a.waiting_since, 0);  // answered: not waiting
  const Session ws = Must(ReadOne(*store_, &SessionStore::Find, "w"));
  EXPECT_EQ(ws.created_at, minute);
  EXPECT_EQ(ws.last_seen_at, minute);
  const Session ss = Must(ReadOne(*store_, &SessionStore::Find, "s"));
  EXPECT_EQ(ss.created_at, minute + 17);  // staff sessions are not a worker's reads
  EXPECT_EQ(ss.last_seen_at, minute + 29);
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
  EXPECT_EQ((*inbox)[0].created_at, CoarseTime(1000));
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

// Issue 14: the inbox cannot be flooded. What waits for an answer comes oldest waiting first
// (a worker who writes again keeps her place); the other views latest activity first; spam
// only in its own view. Pages are sought from a row's key and visit every row once, ties too.
TEST_P(StoreTest, InboxPagesSeekEachViewInItsOrder) {
  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t advisor = AddUser("adv", org);
  auto reply = [&](int64_t c, int64_t at) {
    Message m = WorkerMessage(c, "reply", at);
    m.author = Author::kAdvisor;
    m.author_user_id = advisor;
    ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, m,
                         ConversationStatus::kAnswered, 99000));
  };
  auto worker = [&](int64_t c, int64_t at) {
    ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, WorkerMessage(c, "w", at),
                         ConversationStatus::kWaiting, 99000));
  };
  const int64_t c1 = AddConversation(org, "1", 1000, 99000);
  const int64_t c2 = AddConversation(org, "2", 2000, 99000);
  AddConversation(org, "3", 3000, 99000);
  AddConversation(org, "7", 3000, 99000);  // the same second as 3: the id breaks the tie
  AddConversation(other, "4", 1500, 99000);
  const int64_t c6 = AddConversation(org, "6", 600, 99000);
  worker(c1, 3500);  // writes again while waiting: keeps her place
  reply(c2, 2500);
  worker(c2, 4000);  // answered, then writes again: waits from 4000
  reply(c6, 4500);
  const int64_t c5 = AddConversation(org, "5", 5000, 99000);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::SetSpam, c5, SpamMark::kSpam));
  EXPECT_TRUE(Must(ReadOne(*store_, &ConversationStore::FindById, c5)).spam);
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c1)).waiting_since,
            CoarseTime(1000));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c2)).waiting_since,
            CoarseTime(4000));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c6)).waiting_since, 0);

  auto ids = [](const std::vector<InboxEntry>& rows) {
    std::vector<std::string> out;
    for (const InboxEntry& e : rows) out.push_back(e.public_id);
    return out;
  };
  auto page = [&](InboxView view, std::optional<InboxKey> from, PageDirection d, int limit) {
    return Must(ReadOne(*store_, &ConversationStore::InboxPage, org, InboxQuery{view, from, d, limit}));
  };
  using V = std::vector<std::string>;
  const auto fwd = PageDirection::kForward, back = PageDirection::kBackward;
  const std::vector<InboxEntry> waiting = page(InboxView::kWaiting, std::nullopt, fwd, 10);
  EXPECT_EQ(ids(waiting), (V{"pub-1", "pub-3", "pub-7", "pub-2"}));
  ASSERT_EQ(waiting.size(), 4u);
  EXPECT_EQ(waiting[0].key.at, CoarseTime(1000));  // waiting_since
  EXPECT_EQ(waiting[0].key.id, c1);
  EXPECT_EQ(waiting[0].status, ConversationStatus::kWaiting);
  EXPECT_EQ(waiting[0].message_count, 2);
  EXPECT_EQ(waiting[0].last_activity_at, CoarseTime(3500));
  EXPECT_EQ(waiting[0].waiting_since, CoarseTime(1000));
  EXPECT_FALSE(waiting[0].spam);
  EXPECT_EQ(ids(page(InboxView::kAnswered, std::nullopt, fwd, 10)), (V{"pub-6"}));
  EXPECT_EQ(ids(page(InboxView::kAll, std::nullopt, fwd, 10)),
            (V{"pub-6", "pub-2", "pub-1", "pub-7", "pub-3"}));
  const std::vector<InboxEntry> spam = page(InboxView::kSpam, std::nullopt, fwd, 10);
  EXPECT_EQ(ids(spam), (V{"pub-5"}));
  ASSERT_EQ(spam.size(), 1u);
  EXPECT_TRUE(spam[0].spam);
  EXPECT_EQ(spam[0].key.at, CoarseTime(5000));  // last_activity_at

  // One row at a time, forward from the start and backward from the end, every view.
  for (InboxView view : {InboxView::kWaiting, InboxView::kAnswered, InboxView::kAll, InboxView::kSpam}) {
    const V all = ids(page(view, std::nullopt, fwd, 100));
    V walked;
    std::optional<InboxKey> key;
    for (int guard = 0; guard < 20; ++guard) {
      std::vector<InboxEntry> one = page(view, key, fwd, 1);
      if (one.empty()) break;
      walked.push_back(one[0].public_id);
      key = one[0].key;
    }
    EXPECT_EQ(walked, all) << InboxViewName(view);
    V reversed(all.rbegin(), all.rend());
    EXPECT_EQ(ids(page(view, std::nullopt, back, 100)), reversed) << InboxViewName(view);
    if (key) {
      EXPECT_TRUE(page(view, key, fwd, 5).empty());
    }
  }
  // A page of two and the ones beside it; backward pages come nearest first.
  const std::vector<InboxEntry> first = page(InboxView::kWaiting, std::nullopt, fwd, 2);
  EXPECT_EQ(ids(first), (V{"pub-1", "pub-3"}));
  EXPECT_EQ(ids(page(InboxView::kWaiting, first[1].key, fwd, 2)), (V{"pub-7", "pub-2"}));
  EXPECT_EQ(ids(page(InboxView::kWaiting, waiting[3].key, back, 2)), (V{"pub-7", "pub-3"}));
  // A key whose row went (deleted, or moved to another view) still seeks.
  EXPECT_EQ(ids(page(InboxView::kWaiting, InboxKey{2999, 999999}, fwd, 10)),
            (V{"pub-3", "pub-7", "pub-2"}));

  // Not spam: back in the queue at its own waiting time; spam still counted.
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::CountSpam)), 1);
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::SetSpam, c5, SpamMark::kNotSpam));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::CountSpam)), 0);
  EXPECT_EQ(ids(page(InboxView::kWaiting, std::nullopt, fwd, 10)),
            (V{"pub-1", "pub-3", "pub-7", "pub-2", "pub-5"}));
  EXPECT_TRUE(page(InboxView::kSpam, std::nullopt, fwd, 10).empty());
  ASSERT_TRUE(WriteOne(*store_, &ConversationStore::SetSpam, c5, SpamMark::kSpam));
  int64_t counted = 0;
  for (const auto& [status, n] : Must(ReadOne(*store_, &ConversationStore::CountByStatus))) counted += n;
  EXPECT_EQ(counted, 7);
  EXPECT_EQ(FailureOf(WriteOne(*store_, &ConversationStore::SetSpam, 999999, SpamMark::kSpam)),
            ErrorCode::kNotFound);
  // Spam expires like everything else.
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 99000)), 7);
  EXPECT_TRUE(page(InboxView::kSpam, std::nullopt, fwd, 10).empty());
}

// Schema 10's backfill on a database that already has conversations: the new, the waiting
// (since the worker's first message after the last answer) and the answered (not waiting).
TEST_P(StoreTest, SchemaTenGivesWaitingConversationsTheirWaitingTime) {
  const int64_t org = AddOrg("dehaven");
  const int64_t advisor = AddUser("adv", org);
  auto append = [&](int64_t c, Author author, int64_t at) {
    Message m = WorkerMessage(c, "m", at);
    m.author = author;
    if (author == Author::kAdvisor) m.author_user_id = advisor;
    ASSERT_TRUE(WriteOne(*store_, &ConversationStore::AppendMessage, m,
                         author == Author::kAdvisor ? ConversationStatus::kAnswered
                                                    : ConversationStatus::kWaiting,
                         99000));
  };
  const int64_t fresh = AddConversation(org, "1", 1000, 99000);
  const int64_t again = AddConversation(org, "2", 1000, 99000);
  append(again, Author::kWorker, 1100);
  const int64_t back = AddConversation(org, "3", 1000, 99000);
  append(back, Author::kAdvisor, 1200);
  append(back, Author::kWorker, 1300);
  append(back, Author::kWorker, 1400);
  const int64_t answered = AddConversation(org, "4", 1000, 99000);
  append(answered, Author::kAdvisor, 1500);

  const Dialect dialect = pg() ? Dialect::kPostgres : Dialect::kSqlite;
  std::vector<std::string> backfill = {"UPDATE conversations SET waiting_since = 0"};
  for (const Migration& m : Migrations(dialect)) {
    if (m.version != 10) continue;
    for (const std::string& st : m.statements) {
      if (st.starts_with("UPDATE")) backfill.push_back(st);
    }
  }
  ASSERT_EQ(backfill.size(), 2u);
  if (pg()) {
    soci::session raw(*soci::factory_postgresql(), url_.starts_with("pg:") ? url_.substr(3) : url_);
    for (const std::string& st : backfill) raw << st;
  } else {
    RawSqlite raw(sqlite_path_);
    for (const std::string& st : backfill) ASSERT_EQ(raw.Exec(st), SQLITE_OK) << st;
  }
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, fresh)).waiting_since,
            CoarseTime(1000));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, again)).waiting_since,
            CoarseTime(1000));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, back)).waiting_since,
            CoarseTime(1300));
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, answered)).waiting_since, 0);
}

// The flood itself: 300 conversations arrive after a real one; it stays first in its view.
TEST_P(StoreTest, AFloodQueuesBehindTheConversationBeforeIt) {
  const int64_t org = AddOrg("dehaven");
  AddConversation(org, "real", 1000, 99000);
  for (int i = 0; i < 300; ++i) AddConversation(org, "spam" + std::to_string(i), 2000 + i, 99000);
  const std::vector<InboxEntry> first = Must(ReadOne(
      *store_, &ConversationStore::InboxPage, org,
      InboxQuery{InboxView::kWaiting, std::nullopt, PageDirection::kForward, 50}));
  ASSERT_EQ(first.size(), 50u);
  EXPECT_EQ(first[0].public_id, "pub-real");
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
  EXPECT_EQ(Must(ReadOne(*store_, &ConversationStore::FindById, c2)).last_activity_at,
            CoarseTime(1000));
}

TEST_P(StoreTest, ExpiredConversationsGoWithEverythingTheyOwn) {
  const int64_t org = AddOrg("dehaven");
  // Expiry is kept to the minute like every conversation time: "edge" expires a minute later.
  const int64_t old = AddConversation(org, "old", 1000, 4980);
  const int64_t edge = AddConversation(org, "edge", 1000, 5040);
  const int64_t young = AddConversation(org, "young", 1000, 9000);
  ASSERT_TRUE(WriteOne(*store_, &SessionStore::Insert, WorkerSession("w-old", old, 1000)));
  EXPECT_EQ(Must(WriteOne(*store_, &ConversationStore::DeleteExpired, 4979)), 0);
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
  EXPECT_GE(Must(ReadOne(*store_, &ConversationStore::FindById, c1)).first_reply_at,
            CoarseTime(2000));
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
