// Secrets handled as secrets (issue 14): the pepper kept outside the database, and the KDF
// parameters stored with every hash. On SQLite and PostgreSQL, through the services the
// server runs: a database with another pepper (or none) opens no receipt and lets no one log
// in; a change of the Argon2id settings leaves old receipts and passwords working and
// upgrades each to the new settings at its next use; rows from before schema 9 too.

#include <gtest/gtest.h>

#include <filesystem>

#include "app/pepper.h"
#include "crypto/totp.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";

class PepperKdfTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    AddOrganisation(*server_.runtime, "dehaven", "De Haven");
    totp_ = *TotpSecretFromBase32(
        AddStaff(*server_.runtime, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven"));
  }

  Runtime& rt() { return *server_.runtime; }
  Store& store() { return server_.runtime->store(); }

  // Stops the server and starts it again on the same database with `config`.
  Result<std::unique_ptr<Runtime>> Reopen(const Config& config) {
    server_.runtime.reset();
    return Runtime::Open(config, server_.clock);
  }

  Result<StartedConversation> StartConversation() {
    return rt().conversations().Start("dehaven", "is this safe?", "nl", {});
  }
  Result<LoginOutcome> Login(Staff& staff, std::string_view password = kPassword) {
    server_.clock.Advance(30);  // a fresh TOTP step for every login
    return staff.Login("advisor.dehaven", password, TotpCode(totp_, server_.clock.Now()));
  }
  std::string PasswordKdf() {
    return store()
        .Read("t", [&](Tx& tx) { return store().staff().FindUserByUsername(tx, "advisor.dehaven"); })
        .value()
        .pw_kdf;
  }
  Conversation StoredConversation(int64_t id) {
    return store().Read("t", [&](Tx& tx) { return store().conversations().FindById(tx, id); }).value();
  }
  std::string SiteSalt() {
    auto salt = store().Read("t", [&](Tx& tx) { return store().settings().Get(tx, "site_salt"); });
    return *Base64Decode(**salt);
  }

  TestServer server_;
  SecretBytes totp_;
};

// What a thief with the database and another pepper gets: services wired as the server
// wires them, on the same database, with that pepper. (The server itself refuses to start
// with it, see below.)
TEST_P(PepperKdfTest, AnotherPepperOpensNoReceiptAndNoLogin) {
  if (!server_.runtime) return;
  Result<StartedConversation> started = StartConversation();
  ASSERT_TRUE(started.has_value()) << started.error().detail;
  ASSERT_TRUE(rt().conversations().Open(started->receipt).has_value());
  ASSERT_TRUE(Login(rt().staff()).has_value());

  Argon2Gate gate(2);
  ConversationPolicy policy;
  policy.receipt_pwhash = server_.config.pwhash;
  StaffPolicy staff_policy;
  staff_policy.password_pwhash = server_.config.pwhash;
  SecretBytes other(kPepperBytes);
  FillRandom(other);
  Conversations thief_conversations(store(), server_.clock, gate, SiteSalt(), other.Clone(), policy);
  Staff thief_staff(store(), server_.clock, gate, std::move(other), staff_policy);
  Result<OpenedConversation> opened = thief_conversations.Open(started->receipt);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::kNotFound);
  Result<LoginOutcome> login = Login(thief_staff);
  ASSERT_FALSE(login.has_value());
  EXPECT_EQ(login.error().code, ErrorCode::kUnauthorized);

  // The same services with the pepper file the database was made with open both.
  Result<SecretBytes> pepper = LoadPepper(server_.config.PepperPath());
  ASSERT_TRUE(pepper.has_value());
  Conversations right(store(), server_.clock, gate, SiteSalt(), pepper->Clone(), policy);
  Staff right_staff(store(), server_.clock, gate, std::move(*pepper), staff_policy);
  EXPECT_TRUE(right.Open(started->receipt).has_value());
  EXPECT_TRUE(Login(right_staff).has_value());
}

TEST_P(PepperKdfTest, TheServerRefusesAPepperThatIsNotTheDatabases) {
  if (!server_.runtime) return;
  ASSERT_TRUE(StartConversation().has_value());
  Config other = server_.config;
  other.pepper_file = server_.data_dir + "/other.key";
  Result<SecretBytes> made = CreatePepper(other.pepper_file);
  ASSERT_TRUE(made.has_value());
  Result<std::unique_ptr<Runtime>> refused = Reopen(other);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().detail.find("does not belong to this database"), std::string::npos);
  EXPECT_EQ(refused.error().detail.find(made->view()), std::string::npos);

  Config missing = server_.config;
  missing.pepper_file = server_.data_dir + "/none.key";
  refused = Runtime::Open(missing, server_.clock);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().detail.find("missing"), std::string::npos);

  Result<std::unique_ptr<Runtime>> back = Runtime::Open(server_.config, server_.clock);
  ASSERT_TRUE(back.has_value()) << back.error().detail;
  server_.runtime = std::move(*back);
}

TEST_P(PepperKdfTest, NewArgon2SettingsKeepOldReceiptsAndPasswordsAndUpgradeThem) {
  if (!server_.runtime) return;
  const std::string old_kdf = KdfText(KdfParams{server_.config.pwhash, true});
  Result<StartedConversation> started = StartConversation();
  ASSERT_TRUE(started.has_value()) << started.error().detail;
  Conversation before = StoredConversation(started->conversation_id);
  EXPECT_EQ(before.receipt_kdf, old_kdf);
  EXPECT_EQ(PasswordKdf(), old_kdf);

  Config costlier = server_.config;
  costlier.pwhash.ops_limit += 1;
  costlier.pwhash.mem_limit *= 2;
  const std::string new_kdf = KdfText(KdfParams{costlier.pwhash, true});
  ASSERT_NE(new_kdf, old_kdf);
  Result<std::unique_ptr<Runtime>> reopened = Reopen(costlier);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().detail;
  server_.runtime = std::move(*reopened);

  // A new receipt is made under the new settings; an old one opens, and is re-keyed.
  Result<StartedConversation> fresh = StartConversation();
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(StoredConversation(fresh->conversation_id).receipt_kdf, new_kdf);
  EXPECT_EQ(rt().conversations().ReceiptGenerations()->size(), 2u);
  Result<OpenedConversation> opened = rt().conversations().Open(started->receipt);
  ASSERT_TRUE(opened.has_value()) << opened.error().detail;
  EXPECT_EQ(opened->conversation_id, started->conversation_id);
  Conversation after = StoredConversation(started->conversation_id);
  EXPECT_EQ(after.receipt_kdf, new_kdf);
  EXPECT_NE(after.receipt_lookup, before.receipt_lookup);
  EXPECT_NE(after.receipt_wrapped_secret_key, before.receipt_wrapped_secret_key);
  EXPECT_TRUE(rt().conversations().ReadAsWorker(opened->conversation_id, opened->secret_key));
  EXPECT_TRUE(rt().conversations().Open(GroupReceipt(started->receipt)).has_value());
  Result<OpenedConversation> wrong = rt().conversations().Open("0000000000000000");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::kNotFound);
  // No conversation needs the old generation now: retention forgets it.
  ASSERT_TRUE(rt().conversations().ExpireNow().has_value());
  EXPECT_EQ(rt().conversations().ReceiptGenerations()->size(), 1u);

  // The old password logs in, and is stored again under the new settings.
  Result<LoginOutcome> login = Login(rt().staff());
  ASSERT_TRUE(login.has_value()) << login.error().detail;
  EXPECT_EQ(PasswordKdf(), new_kdf);
  Result<LoginOutcome> again = Login(rt().staff());
  ASSERT_TRUE(again.has_value()) << again.error().detail;
  EXPECT_EQ(again->user_secret_key.view(), login->user_secret_key.view());
  EXPECT_FALSE(Login(rt().staff(), "not the password at all").has_value());
}

// A database from before schema 9: receipts and passwords hashed without the pepper and with
// no parameters stored. The first start gives them the parameters in effect; each works
// and is upgraded (peppered) at its first use.
TEST_P(PepperKdfTest, RowsFromBeforeThePepperOpenAndAreUpgraded) {
  if (!server_.runtime) return;
  const PwhashParams params = server_.config.pwhash;
  const std::string receipt = NewReceipt();
  ReceiptKeys receipt_keys = *DeriveReceiptKeys(receipt, SiteSalt(), params);
  KeyPair conversation_key = GenerateKeyPair();
  const std::string salt = NewSalt();
  PasswordKeys pw = *DerivePasswordKeys("an old password, unpeppered", salt, params);
  KeyPair user_key = GenerateKeyPair();
  SecretBytes totp = NewTotpSecret();
  const int64_t now = server_.clock.Now();
  Result<int64_t> conversation_id = store().Write("legacy rows", [&](Tx& tx) -> Result<int64_t> {
    User u;
    u.username = "advisor.legacy";
    u.role = Role::kAdvisor;
    u.organisation_id = store().staff().FindOrganisationBySlug(tx, "dehaven")->id;
    u.pw_salt = Base64Encode(salt);
    u.pw_verifier = Base64Encode(pw.verifier);
    u.public_key = Base64Encode(user_key.public_key);
    u.wrapped_secret_key = Wrap(pw.wrap_key, user_key.secret_key.view());
    u.recovery_wrapped_secret_key = Wrap(pw.wrap_key, user_key.secret_key.view());
    u.wrapped_totp_secret = Wrap(pw.wrap_key, totp.view());
    u.totp_enabled = true;
    u.created_at = now;
    if (auto id = store().staff().InsertUser(tx, u); !id) return id;
    Conversation c;
    c.public_id = RandomToken(12);
    c.receipt_lookup = receipt_keys.lookup;
    c.organisation_id = *u.organisation_id;
    c.public_key = Base64Encode(conversation_key.public_key);
    c.receipt_wrapped_secret_key = Wrap(receipt_keys.wrap_key, conversation_key.secret_key.view());
    c.org_sealed_secret_key = SealTo(conversation_key.public_key, "not for this test");
    c.language = "nl";
    c.created_at = c.last_activity_at = now;
    c.expires_at = now + 86400;
    Message first;
    first.ciphertext = SealTo(conversation_key.public_key, "from before the pepper");
    first.created_at = now;
    return store().conversations().Insert(tx, c, first);
  });
  ASSERT_TRUE(conversation_id.has_value()) << conversation_id.error().detail;
  EXPECT_EQ(StoredConversation(*conversation_id).receipt_kdf, "");

  // The first start after the migration.
  Result<std::unique_ptr<Runtime>> reopened = Reopen(server_.config);
  ASSERT_TRUE(reopened.has_value()) << reopened.error().detail;
  server_.runtime = std::move(*reopened);
  const std::string legacy = KdfText(KdfParams{params, false});
  const std::string current = KdfText(KdfParams{params, true});
  EXPECT_EQ(StoredConversation(*conversation_id).receipt_kdf, legacy);

  Result<OpenedConversation> opened = rt().conversations().Open(receipt);
  ASSERT_TRUE(opened.has_value()) << opened.error().detail;
  Result<ConversationView> view = rt().conversations().ReadAsWorker(*conversation_id, opened->secret_key);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->messages.at(0).text, "from before the pepper");
  EXPECT_EQ(StoredConversation(*conversation_id).receipt_kdf, current);
  EXPECT_TRUE(rt().conversations().Open(receipt).has_value());

  auto legacy_login = [&] {
    server_.clock.Advance(30);
    return rt().staff().Login("advisor.legacy", "an old password, unpeppered",
                              TotpCode(totp, server_.clock.Now()));
  };
  auto stored_kdf = [&] {
    return store()
        .Read("t", [&](Tx& tx) { return store().staff().FindUserByUsername(tx, "advisor.legacy"); })
        ->pw_kdf;
  };
  EXPECT_EQ(stored_kdf(), legacy);
  Result<LoginOutcome> login = legacy_login();
  ASSERT_TRUE(login.has_value()) << login.error().detail;
  EXPECT_EQ(login->user_secret_key.view(), user_key.secret_key.view());
  EXPECT_EQ(stored_kdf(), current);
  Result<LoginOutcome> again = legacy_login();
  ASSERT_TRUE(again.has_value()) << again.error().detail;
  EXPECT_EQ(again->user_secret_key.view(), user_key.secret_key.view());
}

INSTANTIATE_TEST_SUITE_P(Backends, PepperKdfTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
