// Contact records, the indicator list and the audit chain, on a temporary SQLite store.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <vector>

#include "crypto/crypto.h"
#include "domain/audit.h"
#include "domain/contacts.h"
#include "domain/indicators.h"

namespace vd {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ContactsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto());
    dir_ = std::filesystem::temp_directory_path() / ("vd-contacts-" + RandomToken(6));
    std::filesystem::create_directories(dir_);
    auto store = OpenStore("sqlite:" + (dir_ / "t.db").string(), 2);
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
    ASSERT_TRUE(store_->Migrate());
    auto catalog = IndicatorCatalog::LoadDir(std::string(VD_SOURCE_DIR) + "/data/indicators");
    ASSERT_TRUE(catalog.has_value()) << catalog.error().detail;
    catalog_ = std::move(*catalog);
    KeyPair org_key = GenerateKeyPair();
    Organisation o;
    o.slug = "dehaven";
    o.name = "De Haven";
    o.public_key = Base64Encode(org_key.public_key);
    const int64_t org = *store_->InsertOrganisation(o);
    User u;
    u.username = "adv";
    u.organisation_id = org;
    u.pw_salt = u.pw_verifier = u.public_key = u.wrapped_secret_key = "x";
    u.recovery_wrapped_secret_key = "x";
    u.created_at = 1;
    u.id = *store_->InsertUser(u);
    advisor_.user = u;
    advisor_.org_key = std::move(org_key);
    DirectoryEntry shop;
    shop.slug = "shop";
    shop.name = "SHOP";
    shop.updated_at = 1;
    shop_ = *store_->InsertDirectoryEntry(shop);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ContactInput Outreach() {
    ContactInput in;
    in.month = "2026-12";
    in.channel = "outreach_visit";
    in.location = "window";
    in.language = "hu";
    in.gender = "woman";
    in.age_band = "18-24";
    in.region = "eu_other";
    in.topics = {"health", "money_debts"};
    in.advice = {"information"};
    in.indicators = {"fin.debt", "doc.withheld"};
    in.assessment = "concern";
    in.escalation = "comensha";
    in.escalation_basis = "consent";
    in.escalation_anonymous = "yes";
    in.referral_org = std::to_string(shop_);
    in.referral_service = "sexual_health";
    in.referral_consent = "yes";
    in.referral_kind = "warm";
    in.referral_follow_up = "2027-01-05";
    in.notes = "CANARY-note-4471";
    return in;
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  IndicatorCatalog catalog_;
  FakeClock clock_{1798761600};  // 2027-01-01
  StaffContext advisor_;
  int64_t shop_ = 0;
};

TEST_F(ContactsTest, RecordsAnOutreachContactWithNotesSealed) {
  Contacts contacts(*store_, clock_, catalog_);
  auto id = contacts.Record(advisor_, Outreach());
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  auto stored = store_->FindContact(*id);
  EXPECT_EQ(stored->indicator_version, 1);
  EXPECT_EQ(stored->indicators, (std::vector<std::string>{"doc.withheld", "fin.debt"}));
  EXPECT_EQ(stored->sealed_notes.find("CANARY"), std::string::npos);
  auto view = contacts.Read(advisor_, *id);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->notes.value_or(""), "CANARY-note-4471");
  // Defaults for the next record: where and how, not who.
  auto next = contacts.Defaults(advisor_);
  EXPECT_EQ(next->channel, "outreach_visit");
  EXPECT_EQ(next->month, "2027-01");
  EXPECT_TRUE(next->topics.empty());
}

TEST_F(ContactsTest, BadInputIsRefusedWholeAndNothingIsStored) {
  Contacts contacts(*store_, clock_, catalog_);
  struct Case {
    std::function<void(ContactInput&)> spoil;
    const char* msgid;
  };
  const Case cases[] = {
      {[](ContactInput& in) { in.month = "2027-02"; }, "staff_error.contact_future"},
      {[](ContactInput& in) { in.month = "2027-1"; }, "staff_error.contact_month"},
      {[](ContactInput& in) { in.channel = "carrier-pigeon"; }, "staff_error.contact_code"},
      {[](ContactInput& in) { in.topics = {"health", "nonsense"}; }, "staff_error.contact_code"},
      {[](ContactInput& in) { in.topics = {"health", "unknown"}; }, "staff_error.contact_unknown_mixed"},
      {[](ContactInput& in) { in.indicators = {"zzz.nope"}; }, "staff_error.contact_indicator"},
      {[](ContactInput& in) { in.referral_consent = "no"; }, "staff_error.referral_consent"},
      {[](ContactInput& in) { in.referral_consent = ""; }, "staff_error.referral_consent"},
      {[](ContactInput& in) { in.escalation_basis = ""; }, "staff_error.escalation_basis"},
      {[](ContactInput& in) { in.escalation_basis = "unknown"; }, "staff_error.escalation_basis"},
      {[](ContactInput& in) { in.referral_follow_up = "soon"; }, "staff_error.contact_date"},
      {[](ContactInput& in) { in.case_mode = "existing"; in.case_code = "K-0000-0000"; },
       "staff_error.case_unknown"},
  };
  for (const Case& c : cases) {
    ContactInput in = Outreach();
    c.spoil(in);
    auto id = contacts.Record(advisor_, in);
    ASSERT_FALSE(id.has_value()) << c.msgid;
    EXPECT_EQ(id.error().code, ErrorCode::kInvalidInput) << c.msgid;
    EXPECT_EQ(id.error().user_message, c.msgid);
  }
  EXPECT_TRUE(store_->ListContacts(*advisor_.user.organisation_id, std::nullopt, 10)->empty());
}

TEST_F(ContactsTest, EveryFieldUnknownIsAValidRecord) {
  Contacts contacts(*store_, clock_, catalog_);
  ContactInput in;
  in.month = "unknown";
  for (std::string* f : {&in.channel, &in.location, &in.language, &in.gender, &in.age_band,
                         &in.region, &in.assessment, &in.escalation}) {
    *f = "unknown";
  }
  in.topics = {"unknown"};
  in.advice = {"unknown"};
  auto id = contacts.Record(advisor_, in);
  ASSERT_TRUE(id.has_value()) << id.error().user_message;
  EXPECT_TRUE(store_->FindContact(*id)->topics.empty());
}

TEST_F(ContactsTest, CaseCodesLinkRecordsOfTheSamePerson) {
  Contacts contacts(*store_, clock_, catalog_);
  ContactInput first = Outreach();
  first.case_mode = "new";
  auto a = contacts.Record(advisor_, first);
  ASSERT_TRUE(a.has_value());
  const std::string code = store_->FindContact(*a)->case_code;
  EXPECT_EQ(code.size(), 11u);
  ContactInput second = Outreach();
  second.case_mode = "existing";
  second.case_code = code;
  auto b = contacts.Record(advisor_, second);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(store_->FindContact(*b)->case_code, code);
}

TEST_F(ContactsTest, IndicatorListV2LeavesV1RecordsMeaningAlone) {
  auto v1 = IndicatorCatalog::Parse(ReadText(std::string(VD_SOURCE_DIR) + "/data/indicators/v1.toml"));
  ASSERT_TRUE(v1.has_value()) << v1.error().detail;
  IndicatorCatalog only_v1;
  ASSERT_TRUE(only_v1.Add(*v1));
  Contacts before(*store_, clock_, only_v1);
  const int64_t old_id = *before.Record(advisor_, Outreach());
  const std::string old_name = only_v1.Name(1, "fin.debt", "en");

  IndicatorCatalog both;
  ASSERT_TRUE(both.Add(*v1));
  auto v2 = IndicatorCatalog::Parse(
      ReadText(std::string(VD_SOURCE_DIR) + "/tests/fixtures/indicators/v2.toml"));
  ASSERT_TRUE(v2.has_value()) << v2.error().detail;
  ASSERT_TRUE(both.Add(*v2));
  EXPECT_EQ(both.Current()->version, 2);
  // The old record keeps its version and codes, and reads exactly as before.
  auto old = store_->FindContact(old_id);
  EXPECT_EQ(old->indicator_version, 1);
  EXPECT_EQ(old->indicators, (std::vector<std::string>{"doc.withheld", "fin.debt"}));
  EXPECT_EQ(both.Name(old->indicator_version, "fin.debt", "en"), old_name);
  EXPECT_EQ(both.Name(old->indicator_version, "doc.withheld", "nl"),
            only_v1.Name(1, "doc.withheld", "nl"));
  EXPECT_EQ(both.Name(2, "fin.debt", "en"), "Debt to be worked off");
  // New records use v2: a retired code is refused, a new one accepted.
  Contacts after(*store_, clock_, both);
  EXPECT_EQ(after.Record(advisor_, Outreach()).error().user_message, "staff_error.contact_indicator");
  ContactInput in = Outreach();
  in.indicators = {"fin.debt", "onl.ads_controlled"};
  auto id = after.Record(advisor_, in);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(store_->FindContact(*id)->indicator_version, 2);
  EXPECT_EQ(store_->FindContact(old_id)->indicator_version, 1);

  // A list that would change what an old code means is refused.
  std::string bad = ReadText(std::string(VD_SOURCE_DIR) + "/tests/fixtures/indicators/v2.toml");
  bad.replace(bad.find("version = 2"), 11, "version = 3");
  bad.replace(bad.find("ilo = [9]"), 9, "ilo = [8]");
  auto v3 = IndicatorCatalog::Parse(bad);
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(both.Add(*v3).error().code, ErrorCode::kConflict);
}

TEST_F(ContactsTest, AuditVerifyNamesAnEditedAndADeletedEntry) {
  AuditLog audit(*store_, clock_);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(audit.Record(7, "contact.view", std::to_string(i)));
  auto ok = audit.Verify();
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(ok->entries, 5);
  auto exec = [&](const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  };
  exec("UPDATE audit_log SET record = '99' WHERE id = 3");
  auto edited = audit.Verify();
  EXPECT_FALSE(edited->ok);
  EXPECT_EQ(edited->first_broken, 3);
  exec("UPDATE audit_log SET record = '2' WHERE id = 3");
  EXPECT_TRUE(audit.Verify()->ok);
  exec("DELETE FROM audit_log WHERE id = 4");
  auto deleted = audit.Verify();
  EXPECT_FALSE(deleted->ok);
  EXPECT_EQ(deleted->first_broken, 4);
}

TEST_F(ContactsTest, AuditVerifyNoticesTheNewestEntryRemoved) {
  AuditLog audit(*store_, clock_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(audit.Record(7, "x", ""));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DELETE FROM audit_log WHERE id = 3", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto v = audit.Verify();
  EXPECT_FALSE(v->ok);
  EXPECT_EQ(v->first_broken, 3);
}

// Every UI language (one locales/<lang>.po each) has a non-empty name for every category and
// a non-empty name and explanation for every indicator, in every released list version.
TEST(IndicatorTranslations, EveryIndicatorListCoversEveryUiLanguage) {
  namespace fs = std::filesystem;
  std::vector<std::string> langs;
  for (const auto& e : fs::directory_iterator(std::string(VD_SOURCE_DIR) + "/locales")) {
    if (e.path().extension() == ".po") langs.push_back(e.path().stem().string());
  }
  ASSERT_GE(langs.size(), 2u);
  int lists = 0;
  for (const auto& e : fs::directory_iterator(std::string(VD_SOURCE_DIR) + "/data/indicators")) {
    if (e.path().extension() != ".toml") continue;
    const std::string file = e.path().filename().string();
    auto list = IndicatorCatalog::Parse(ReadText(e.path().string()));
    ASSERT_TRUE(list.has_value()) << file << ": " << list.error().detail;
    ++lists;
    ASSERT_FALSE(list->categories.empty()) << file;
    ASSERT_FALSE(list->indicators.empty()) << file;
    for (const std::string& lang : langs) {
      for (const IndicatorCategory& c : list->categories) {
        auto it = c.name.find(lang);
        EXPECT_TRUE(it != c.name.end() && !it->second.empty())
            << file << ": category " << c.code << " has no name." << lang;
      }
      for (const Indicator& i : list->indicators) {
        auto n = i.name.find(lang);
        EXPECT_TRUE(n != i.name.end() && !n->second.empty())
            << file << ": indicator " << i.code << " has no name." << lang;
        auto x = i.explain.find(lang);
        EXPECT_TRUE(x != i.explain.end() && !x->second.empty())
            << file << ": indicator " << i.code << " has no explain." << lang;
      }
    }
  }
  EXPECT_GE(lists, 1);
}

}  // namespace
}  // namespace vd
