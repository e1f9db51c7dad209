// Store conformance: the same tests on SQLite and on PostgreSQL.

#include "store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

namespace vd {
namespace {

enum class Backend { kSqlite, kPostgres };

std::string Unique() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

std::string PgConninfo() {
  std::string url = std::getenv("VD_TEST_PG_URL");
  return url.starts_with("pg:") ? url.substr(3) : url;
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kSqlite) {
      dir_ = std::filesystem::temp_directory_path() / ("vd-store-" + Unique());
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "t.db").string();
    } else {
      if (!std::getenv("VD_TEST_PG_URL") || !std::getenv("VD_TEST_PG_BIN")) {
        const char* req = std::getenv("VD_REQUIRE_PG");
        if (req && std::string(req) == "1") FAIL() << "PostgreSQL required but not configured";
        GTEST_SKIP() << "no PostgreSQL (run through tests/pg/with_postgres.sh)";
      }
      db_ = "vd_store_" + Unique();
      Psql("CREATE DATABASE " + db_);
      url_ = "pg:" + PgConninfo() + " dbname=" + db_;
    }
    auto store = OpenStore(url_, 4);
    ASSERT_TRUE(store.has_value()) << store.error().detail;
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate());
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!db_.empty()) Psql("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
  }
  void Psql(const std::string& sql) {
    const std::string cmd = std::string(std::getenv("VD_TEST_PG_BIN")) + "/psql -q -X '" + PgConninfo() +
                            "' -c '" + sql + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << sql;
  }

  int64_t AddOrg(const std::string& slug) {
    Organisation o;
    o.slug = slug;
    o.name = "Org " + slug;
    o.public_key = "pk-" + slug;
    auto id = store_->InsertOrganisation(o);
    EXPECT_TRUE(id.has_value());
    return id.value_or(0);
  }
  int64_t AddUser(const std::string& name, std::optional<int64_t> org, Role role = Role::kAdvisor) {
    User u;
    u.username = name;
    u.role = role;
    u.organisation_id = org;
    u.pw_salt = "salt";
    u.pw_verifier = "verifier";
    u.public_key = "upk-" + name;
    u.wrapped_secret_key = "wsk";
    u.recovery_wrapped_secret_key = "rwsk";
    u.created_at = 100;
    auto id = store_->InsertUser(u);
    EXPECT_TRUE(id.has_value()) << (id ? "" : id.error().detail);
    return id.value_or(0);
  }
  int64_t AddConversation(int64_t org, const std::string& tag, int64_t at, int64_t expires) {
    Conversation c;
    c.public_id = "pub-" + tag;
    c.receipt_lookup = "lookup-" + tag;
    c.organisation_id = org;
    c.public_key = "cpk";
    c.receipt_wrapped_secret_key = "rw";
    c.org_sealed_secret_key = "os";
    c.language = "nl";
    c.answer_age_band = "25-34";
    c.created_at = at;
    c.last_activity_at = at;
    c.expires_at = expires;
    Message m;
    m.ciphertext = "ct-" + tag;
    m.created_at = at;
    auto id = store_->InsertConversation(c, m);
    EXPECT_TRUE(id.has_value()) << (id ? "" : id.error().detail);
    return id.value_or(0);
  }

  std::filesystem::path dir_;
  std::string db_, url_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, MigrationsAreIdempotent) {
  EXPECT_TRUE(store_->Migrate());
  EXPECT_TRUE(store_->Migrate());
  EXPECT_EQ(*store_->SchemaVersion(), 1);
}

TEST_P(StoreTest, SqlitePragmasAreSet) {
  if (GetParam() != Backend::kSqlite) GTEST_SKIP() << "SQLite only";
  // WAL mode is persistent in the file; the others are per connection, so check through the
  // store's behaviour: a foreign key violation must be refused.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
  User u;
  u.username = "orphan";
  u.organisation_id = 999999;  // no such organisation
  u.created_at = 1;
  EXPECT_FALSE(store_->InsertUser(u).has_value());
}

TEST_P(StoreTest, SettingsFirstWriterWins) {
  EXPECT_FALSE(store_->GetSetting("k")->has_value());
  EXPECT_EQ(*store_->GetOrCreateSetting("k", "first"), "first");
  EXPECT_EQ(*store_->GetOrCreateSetting("k", "second"), "first");
  EXPECT_EQ(**store_->GetSetting("k"), "first");
}

TEST_P(StoreTest, OrganisationsAndUsers) {
  const int64_t org = AddOrg("dehaven");
  Organisation dup;
  dup.slug = "dehaven";
  dup.name = "x";
  EXPECT_EQ(store_->InsertOrganisation(dup).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->FindOrganisationBySlug("dehaven")->id, org);
  EXPECT_EQ(store_->FindOrganisationById(org)->slug, "dehaven");
  EXPECT_EQ(store_->FindOrganisationBySlug("none").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(store_->SetOrganisationPublicKey(org, "newkey"));
  EXPECT_EQ(store_->FindOrganisationById(org)->public_key, "newkey");
  EXPECT_EQ(store_->ListOrganisations()->size(), 1u);

  const int64_t a = AddUser("a", org);
  const int64_t admin = AddUser("root", std::nullopt, Role::kAdmin);
  User dup_user;
  dup_user.username = "a";
  dup_user.created_at = 1;
  EXPECT_EQ(store_->InsertUser(dup_user).error().code, ErrorCode::kConflict);
  auto u = store_->FindUserByUsername("a");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->id, a);
  EXPECT_EQ(u->organisation_id, org);
  EXPECT_EQ(u->role, Role::kAdvisor);
  EXPECT_EQ(u->public_key, "upk-a");
  EXPECT_FALSE(store_->FindUserById(admin)->organisation_id.has_value());
  EXPECT_EQ(store_->FindUserById(admin)->role, Role::kAdmin);
  EXPECT_EQ(store_->ListUsers()->size(), 2u);

  ASSERT_TRUE(store_->RecordLoginFailure(a, 3, 12345));
  EXPECT_EQ(store_->FindUserById(a)->failed_logins, 3);
  EXPECT_EQ(store_->FindUserById(a)->locked_until, 12345);
  ASSERT_TRUE(store_->RecordLoginSuccess(a));
  EXPECT_EQ(store_->FindUserById(a)->failed_logins, 0);
  ASSERT_TRUE(store_->SetTotpSecret(a, "wrapped-totp"));
  EXPECT_TRUE(store_->FindUserById(a)->totp_enabled);
  EXPECT_EQ(store_->FindUserById(a)->wrapped_totp_secret, "wrapped-totp");
}

TEST_P(StoreTest, TotpStepsCannotBeReplayed) {
  const int64_t a = AddUser("a", std::nullopt, Role::kAdmin);
  EXPECT_TRUE(store_->AdvanceTotpStep(a, 100));
  EXPECT_EQ(store_->AdvanceTotpStep(a, 100).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->AdvanceTotpStep(a, 99).error().code, ErrorCode::kConflict);
  EXPECT_TRUE(store_->AdvanceTotpStep(a, 101));
  EXPECT_EQ(store_->AdvanceTotpStep(999999, 5).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, GrantsAndUsersWaitingForOne) {
  const int64_t org = AddOrg("shop");
  const int64_t a = AddUser("a", org);
  const int64_t b = AddUser("b", org);
  ASSERT_TRUE(store_->UpsertOrgKeyGrant({org, a, "sealed-a"}));
  EXPECT_EQ(store_->FindOrgKeyGrant(org, a)->sealed_org_secret_key, "sealed-a");
  ASSERT_TRUE(store_->UpsertOrgKeyGrant({org, a, "sealed-a2"}));
  EXPECT_EQ(store_->FindOrgKeyGrant(org, a)->sealed_org_secret_key, "sealed-a2");
  EXPECT_EQ(store_->FindOrgKeyGrant(org, b).error().code, ErrorCode::kNotFound);
  auto waiting = store_->UsersWithoutGrant(org);
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ((*waiting)[0].id, b);
}

TEST_P(StoreTest, ConversationsMessagesAndInbox) {
  const int64_t org = AddOrg("dehaven");
  const int64_t other = AddOrg("shop");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  const int64_t c2 = AddConversation(org, "2", 2000, 6000);
  AddConversation(other, "3", 3000, 7000);
  Conversation clash;
  clash.public_id = "pub-x";
  clash.receipt_lookup = "lookup-1";
  clash.organisation_id = org;
  clash.created_at = 1;
  EXPECT_EQ(store_->InsertConversation(clash, Message{}).error().code, ErrorCode::kConflict);

  auto found = store_->FindConversationByLookup("lookup-1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, c1);
  EXPECT_EQ(found->answer_age_band, "25-34");
  EXPECT_EQ(store_->FindConversationByPublicId("pub-2")->id, c2);
  EXPECT_EQ(store_->FindConversationById(c2)->receipt_lookup, "lookup-2");
  EXPECT_EQ(store_->FindConversationByLookup("nope").error().code, ErrorCode::kNotFound);

  Message reply;
  reply.conversation_id = c1;
  reply.author = Author::kAdvisor;
  reply.author_user_id = AddUser("adv", org);
  reply.ciphertext = "reply";
  reply.created_at = 2500;
  ASSERT_TRUE(store_->AppendMessage(reply, ConversationStatus::kAnswered, 9000));
  auto c = store_->FindConversationById(c1);
  EXPECT_EQ(c->status, ConversationStatus::kAnswered);
  EXPECT_EQ(c->last_activity_at, 2500);
  EXPECT_EQ(c->expires_at, 9000);
  EXPECT_EQ(c->first_reply_at, 2500);
  reply.created_at = 2600;
  ASSERT_TRUE(store_->AppendMessage(reply, ConversationStatus::kAnswered, 9100));
  EXPECT_EQ(store_->FindConversationById(c1)->first_reply_at, 2500);
  auto messages = store_->ListMessages(c1);
  ASSERT_EQ(messages->size(), 3u);
  EXPECT_EQ((*messages)[0].author, Author::kWorker);
  EXPECT_FALSE((*messages)[0].author_user_id.has_value());
  EXPECT_EQ((*messages)[1].ciphertext, "reply");

  auto inbox = store_->Inbox(org, std::nullopt, 10);
  ASSERT_EQ(inbox->size(), 2u);
  EXPECT_EQ((*inbox)[0].public_id, "pub-1");  // most recent activity first
  EXPECT_EQ((*inbox)[0].message_count, 3);
  auto answered = store_->Inbox(org, ConversationStatus::kAnswered, 10);
  ASSERT_EQ(answered->size(), 1u);
  EXPECT_EQ(store_->Inbox(org, ConversationStatus::kNew, 10)->size(), 1u);
  EXPECT_EQ(store_->Inbox(org, std::nullopt, 1)->size(), 1u);
}

TEST_P(StoreTest, DeletingAConversationTakesMessagesAndSessions) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  Session s;
  s.id_hash = "h1";
  s.kind = SessionKind::kWorker;
  s.conversation_id = c1;
  s.created_at = s.last_seen_at = 1000;
  ASSERT_TRUE(store_->InsertSession(s));
  ASSERT_TRUE(store_->DeleteConversation(c1));
  EXPECT_EQ(store_->FindSession("h1").error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->ListMessages(c1)->empty());
  EXPECT_EQ(store_->DeleteConversation(c1).error().code, ErrorCode::kNotFound);
  Message m;
  m.conversation_id = c1;
  m.ciphertext = "late";
  m.created_at = 1;
  EXPECT_EQ(store_->AppendMessage(m, ConversationStatus::kWaiting, 1).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(store_->ListMessages(c1)->empty());  // nothing half-written
}

TEST_P(StoreTest, ExpiryAndStaleSessions) {
  const int64_t org = AddOrg("dehaven");
  AddConversation(org, "old", 1000, 5000);
  const int64_t young = AddConversation(org, "young", 1000, 9000);
  EXPECT_EQ(*store_->DeleteExpiredConversations(5000), 1);
  EXPECT_EQ(*store_->DeleteExpiredConversations(5000), 0);
  EXPECT_TRUE(store_->FindConversationById(young).has_value());

  Session a, b;
  a.id_hash = "a";
  a.kind = SessionKind::kStaff;
  a.created_at = 100;
  a.last_seen_at = 100;
  b = a;
  b.id_hash = "b";
  b.created_at = 500;
  b.last_seen_at = 900;
  b.wrapped_key = "wk";
  ASSERT_TRUE(store_->InsertSession(a));
  ASSERT_TRUE(store_->InsertSession(b));
  ASSERT_TRUE(store_->TouchSession("a", 150));
  EXPECT_EQ(store_->FindSession("a")->last_seen_at, 150);
  EXPECT_EQ(store_->FindSession("b")->wrapped_key, "wk");
  EXPECT_EQ(*store_->DeleteStaleSessions(200, 0), 1);  // a idle since 150
  EXPECT_EQ(*store_->DeleteStaleSessions(0, 600), 1);  // b created at 500
  ASSERT_TRUE(store_->DeleteSession("b"));
}

TEST_P(StoreTest, ConcurrentAppendsAreNeverLost) {
  const int64_t org = AddOrg("dehaven");
  const int64_t c1 = AddConversation(org, "1", 1000, 5000);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        Message m;
        m.conversation_id = c1;
        m.ciphertext = "t" + std::to_string(t) + "-" + std::to_string(i);
        m.created_at = 2000 + i;
        if (!store_->AppendMessage(m, ConversationStatus::kWaiting, 9000)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->ListMessages(c1)->size(), 401u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return info.param == Backend::kSqlite ? "Sqlite" : "Postgres"; });

}  // namespace
}  // namespace vd
