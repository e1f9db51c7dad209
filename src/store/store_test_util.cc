#include "store/store_test_util.h"

#include <cstdlib>
#include <random>
#include <utility>

namespace vd::store_test {

void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "SQLite" : "PostgreSQL");
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

std::string Unique() {
  std::random_device rd;
  return std::to_string(rd()) + std::to_string(rd());
}

std::string PgConninfo() {
  const std::string url = Env("VD_TEST_PG_URL");
  return url.starts_with("pg:") ? url.substr(3) : url;
}

void Psql(const std::string& sql) {
  const std::string cmd = std::string(Env("VD_TEST_PG_BIN")) + "/psql -q -X '" + PgConninfo() +
                          "' -c '" + sql + "' >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << sql;
}

void SkipUnlessPostgres(bool with_psql) {
  if (Env("VD_TEST_PG_URL") != nullptr && (!with_psql || Env("VD_TEST_PG_BIN") != nullptr)) {
    return;
  }
  const char* require = Env("VD_REQUIRE_PG");
  if (require != nullptr && std::string(require) == "1") {
    FAIL() << "VD_REQUIRE_PG=1 but VD_TEST_PG_URL" << (with_psql ? " or VD_TEST_PG_BIN" : "")
           << " is not set: run the tests through tests/pg/with_postgres.sh";
  }
  GTEST_SKIP() << "no PostgreSQL server (run through tests/pg/with_postgres.sh)";
}

User TestUser(const std::string& username, int64_t org) {
  User u;
  u.username = username;
  u.organisation_id = org;
  u.pw_salt = u.pw_verifier = u.public_key = u.wrapped_secret_key = "x";
  u.recovery_wrapped_secret_key = "x";
  u.created_at = 1;
  return u;
}

ContactRecord TestContact(int64_t org, int64_t advisor, const std::string& month,
                          const std::string& channel, const std::string& location,
                          const std::string& language, const std::string& gender,
                          const std::string& age_band, const std::string& region) {
  ContactRecord c;
  c.organisation_id = org;
  c.advisor_user_id = advisor;
  c.month = month;
  c.fields.one[FieldIndex("channel")] = channel;
  c.fields.one[FieldIndex("location")] = location;
  c.fields.one[FieldIndex("language")] = language;
  c.fields.one[FieldIndex("gender")] = gender;
  c.fields.one[FieldIndex("age_band")] = age_band;
  c.fields.one[FieldIndex("region")] = region;
  c.indicator_version = 1;
  c.fields.one[FieldIndex("assessment")] = "none";
  c.escalation = "none";
  return c;
}

void FreshStoreTest::OpenFreshStore(Backend backend, const std::string& tag, int pool_size) {
  if (backend == Backend::kSqlite) {
    dir_ = std::filesystem::temp_directory_path() / ("vd-" + tag + "-" + Unique());
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + (dir_ / "t.db").string();
  } else {
    SkipUnlessPostgres(/*with_psql=*/true);
    if (IsSkipped() || HasFatalFailure()) return;
    db_ = "vd_" + tag + "_" + Unique();
    Psql("CREATE DATABASE " + db_);
    if (HasFatalFailure()) return;
    url_ = "pg:" + PgConninfo() + " dbname=" + db_;
  }
  auto store = OpenStore(url_, pool_size);
  ASSERT_TRUE(store.has_value()) << store.error().detail;
  store_ = std::move(*store);
  ASSERT_TRUE(store_->Migrate());
}

void FreshStoreTest::TearDown() {
  store_.reset();
  if (!dir_.empty()) std::filesystem::remove_all(dir_);
  if (!db_.empty()) Psql("DROP DATABASE IF EXISTS " + db_ + " WITH (FORCE)");
}

int64_t FreshStoreTest::AddOrganisation(const std::string& slug, const std::string& name) {
  Organisation o;
  o.slug = slug;
  o.name = name;
  return WriteOne(*store_, &StaffStore::InsertOrganisation, o).value_or(0);
}

int64_t FreshStoreTest::AddUser(const std::string& username, int64_t org) {
  return WriteOne(*store_, &StaffStore::InsertUser, TestUser(username, org)).value_or(0);
}

int64_t FreshStoreTest::StartConversation(int64_t org, const std::string& public_id,
                                          const std::string& receipt_lookup, int64_t at,
                                          int64_t expires_at) {
  Conversation c;
  c.public_id = public_id;
  c.receipt_lookup = receipt_lookup;
  c.organisation_id = org;
  c.public_key = c.receipt_wrapped_secret_key = c.org_sealed_secret_key = "k";
  c.language = "nl";
  c.created_at = c.last_activity_at = at;
  c.expires_at = expires_at;
  Message m;
  m.author = Author::kWorker;
  m.ciphertext = "x";
  m.created_at = at;
  return WriteOne(*store_, &ConversationStore::Insert, c, m).value_or(0);
}

}  // namespace vd::store_test
