// Contact records, the indicator list and the audit chain, on a temporary SQLite store.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <thread>
#include <atomic>
#include <vector>

#include "store/contact_store_test_util.h"
#include "store/store_test_util.h"
#include "crypto/crypto.h"
#include "domain/audit.h"
#include "domain/contacts.h"
#include "domain/indicators.h"

namespace vd {
namespace {

using store_test::ReadOne;
using store_test::WriteOne;

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
    const int64_t org = *WriteOne(*store_, &StaffStore::InsertOrganisation, o);
    User u;
    u.username = "adv";
    u.organisation_id = org;
    u.pw_salt = u.pw_verifier = u.public_key = u.wrapped_secret_key = "x";
    u.recovery_wrapped_secret_key = "x";
    u.created_at = 1;
    u.id = *WriteOne(*store_, &StaffStore::InsertUser, u);
    advisor_.user = u;
    advisor_.org_key = std::move(org_key);
    DirectoryEntry shop;
    shop.slug = "shop";
    shop.name = "SHOP";
    shop.updated_at = 1;
    shop_ = *WriteOne(*store_, &DirectoryStore::Insert, shop);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ContactInput Outreach() {
    ContactInput in;
    in.month = "2026-12";
    in.fields.one[FieldIndex("channel")] = "outreach_visit";
    in.fields.one[FieldIndex("location")] = "window";
    in.fields.one[FieldIndex("language")] = "hu";
    in.fields.one[FieldIndex("gender")] = "woman";
    in.fields.one[FieldIndex("age_band")] = "18-24";
    in.fields.one[FieldIndex("region")] = "eu_other";
    in.fields.many[FieldIndex("topic")] = {"health", "money_debts"};
    in.fields.many[FieldIndex("advice")] = {"information"};
    in.indicators = {"fin.debt", "doc.withheld"};
    in.fields.one[FieldIndex("assessment")] = "concern";
    in.escalation = "comensha";
    in.escalation_basis = "consent";
    in.escalation_anonymous = "yes";
    in.referrals = {{std::to_string(shop_), "sexual_health", "yes", "warm", "2027-01-05"}};
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
  auto stored = ContactsInTx(*store_).Find(*id);
  EXPECT_EQ(stored->indicator_version, 1);
  EXPECT_EQ(stored->indicators, (std::vector<std::string>{"doc.withheld", "fin.debt"}));
  EXPECT_EQ(stored->sealed_notes.find("CANARY"), std::string::npos);
  auto view = contacts.Read(advisor_, *id);
  ASSERT_TRUE(view.has_value());
  EXPECT_EQ(view->notes.value_or(""), "CANARY-note-4471");
  // Defaults for the next record: where and how, not who.
  auto next = contacts.Defaults(advisor_);
  EXPECT_EQ(next->fields.one[FieldIndex("channel")], "outreach_visit");
  EXPECT_EQ(next->month, "2027-01");
  EXPECT_TRUE(next->fields.many[FieldIndex("topic")].empty());
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
      {[](ContactInput& in) { in.fields.one[FieldIndex("channel")] = "carrier-pigeon"; }, "staff_error.contact_code"},
      {[](ContactInput& in) { in.fields.many[FieldIndex("topic")] = {"health", "nonsense"}; }, "staff_error.contact_code"},
      {[](ContactInput& in) { in.fields.many[FieldIndex("topic")] = {"health", "unknown"}; }, "staff_error.contact_unknown_mixed"},
      {[](ContactInput& in) { in.indicators = {"zzz.nope"}; }, "staff_error.contact_indicator"},
      {[](ContactInput& in) { in.referrals[0].consent = "no"; }, "staff_error.referral_consent"},
      {[](ContactInput& in) { in.referrals[0].consent = ""; }, "staff_error.referral_consent"},
      {[](ContactInput& in) { in.escalation_basis = ""; }, "staff_error.escalation_basis"},
      {[](ContactInput& in) { in.escalation_basis = "unknown"; }, "staff_error.escalation_basis"},
      {[](ContactInput& in) { in.referrals[0].follow_up = "soon"; }, "staff_error.contact_date"},
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
  EXPECT_TRUE(ContactsInTx(*store_).List(*advisor_.user.organisation_id, std::nullopt, 10)->empty());
}

TEST_F(ContactsTest, SeveralReferralsInOneRecordEachRowCheckedOnItsOwn) {
  Contacts contacts(*store_, clock_, catalog_);
  DirectoryEntry ggd;
  ggd.slug = "ggd";
  ggd.name = "GGD";
  ggd.services = {"health"};
  ggd.updated_at = clock_.Now();
  const int64_t ggd_id = *WriteOne(*store_, &DirectoryStore::Insert, ggd);
  ContactInput in = Outreach();
  in.referrals.push_back({std::to_string(ggd_id), "health", "yes", "cold", ""});
  in.referrals.push_back({std::to_string(shop_), "debt", "yes", "unknown", "2027-01-20"});
  auto id = contacts.Record(advisor_, in);
  ASSERT_TRUE(id.has_value()) << id.error().detail;
  auto stored = ContactsInTx(*store_).Find(*id);
  ASSERT_EQ(stored->referrals.size(), 3u);
  EXPECT_EQ(stored->referrals[1].directory_id, ggd_id);
  EXPECT_EQ(stored->referrals[1].kind, "cold");
  EXPECT_EQ(stored->referrals[2].follow_up, "2027-01-20");
  // The form shows them back in the same rows.
  EXPECT_EQ(Contacts::InputFrom(*stored).referrals.size(), 3u);

  // A bad second row refuses the whole record and names the row.
  const size_t before = ContactsInTx(*store_).List(*advisor_.user.organisation_id, std::nullopt, 10)->size();
  ContactInput bad = in;
  bad.referrals[1].consent = "no";
  auto refused = contacts.Record(advisor_, bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().user_message, "staff_error.referral_consent");
  EXPECT_TRUE(refused.error().detail.starts_with("referral 2:")) << refused.error().detail;
  bad = in;
  bad.referrals[2].follow_up = "next week";
  refused = contacts.Record(advisor_, bad);
  ASSERT_FALSE(refused.has_value());
  EXPECT_TRUE(refused.error().detail.starts_with("referral 3:")) << refused.error().detail;
  // The same organisation and service twice, and more rows than the form has, are refused.
  bad = in;
  bad.referrals[1] = bad.referrals[0];
  EXPECT_EQ(contacts.Record(advisor_, bad).error().user_message, "staff_error.referral_twice");
  bad = in;
  bad.referrals.push_back({std::to_string(ggd_id), "other", "yes", "warm", ""});
  EXPECT_FALSE(contacts.Record(advisor_, bad).has_value());
  EXPECT_EQ(ContactsInTx(*store_).List(*advisor_.user.organisation_id, std::nullopt, 10)->size(), before);
}

// Recording a contact with a new case is one transaction: when the record cannot be stored
// after its case was written (here the advisor's account row is gone), neither remains.
TEST_F(ContactsTest, AFailureWhileRecordingLeavesNeitherTheCaseNorTheContact) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "t.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, ("DELETE FROM users WHERE id = " + std::to_string(advisor_.user.id)).c_str(),
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  Contacts contacts(*store_, clock_, catalog_);
  ContactInput in = Outreach();
  in.case_mode = "new";
  Result<int64_t> id = contacts.Record(advisor_, in);
  ASSERT_FALSE(id.has_value());  // kNotFound: a referenced row is missing
  long long cases = -1, records = -1;
  auto count = [](void* out, int, char** values, char**) {
    *static_cast<long long*>(out) = std::stoll(values[0]);
    return 0;
  };
  ASSERT_EQ(sqlite3_exec(db, "SELECT COUNT(*) FROM cases", count, &cases, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "SELECT COUNT(*) FROM contacts", count, &records, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_EQ(cases, 0);
  EXPECT_EQ(records, 0);
}

TEST_F(ContactsTest, EveryFieldUnknownIsAValidRecord) {
  Contacts contacts(*store_, clock_, catalog_);
  ContactInput in;
  in.month = "unknown";
  for (std::string* f : {&in.fields.one[FieldIndex("channel")], &in.fields.one[FieldIndex("location")], &in.fields.one[FieldIndex("language")], &in.fields.one[FieldIndex("gender")], &in.fields.one[FieldIndex("age_band")],
                         &in.fields.one[FieldIndex("region")], &in.fields.one[FieldIndex("assessment")], &in.escalation}) {
    *f = "unknown";
  }
  in.fields.many[FieldIndex("topic")] = {"unknown"};
  in.fields.many[FieldIndex("advice")] = {"unknown"};
  auto id = contacts.Record(advisor_, in);
  ASSERT_TRUE(id.has_value()) << id.error().user_message;
  EXPECT_TRUE(ContactsInTx(*store_).Find(*id)->fields.many[FieldIndex("topic")].empty());
}

TEST_F(ContactsTest, CaseCodesLinkRecordsOfTheSamePerson) {
  Contacts contacts(*store_, clock_, catalog_);
  ContactInput first = Outreach();
  first.case_mode = "new";
  auto a = contacts.Record(advisor_, first);
  ASSERT_TRUE(a.has_value());
  const std::string code = ContactsInTx(*store_).Find(*a)->case_code;
  EXPECT_EQ(code.size(), 11u);
  ContactInput second = Outreach();
  second.case_mode = "existing";
  second.case_code = code;
  auto b = contacts.Record(advisor_, second);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(ContactsInTx(*store_).Find(*b)->case_code, code);
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
  auto old = ContactsInTx(*store_).Find(old_id);
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
  EXPECT_EQ(ContactsInTx(*store_).Find(*id)->indicator_version, 2);
  EXPECT_EQ(ContactsInTx(*store_).Find(old_id)->indicator_version, 1);

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

// --- indicator list versions made in the browser -------------------------------------------

Indicator NewIndicator() {
  Indicator i;
  i.code = "fin.advance";
  i.category = "money";
  i.ilo = {9, 8};
  i.htcds = {"takes_earnings", "debt_bondage"};
  i.name = {{"nl", "Voorschot dat terugbetaald moet worden"}, {"en", "Advance to be paid back"}};
  i.explain = {{"nl", "Ze kreeg geld vooraf en moet dat afwerken."},
               {"en", "She was given money up front and must work it off."}};
  return i;
}

TEST_F(ContactsTest, ANewListVersionAddsRetiresAndRewordsWithoutChangingOldOnes) {
  const IndicatorList v1 = *catalog_.Current();
  ASSERT_EQ(v1.version, 1);
  // Add: mappings are normalised to the fixed lists' order; missing languages fall back to en.
  auto v2 = IndicatorCatalog::Derive(v1, {IndicatorChange::Kind::kAdd, NewIndicator()});
  ASSERT_TRUE(v2.has_value()) << v2.error().detail;
  EXPECT_EQ(v2->version, 2);
  const Indicator* added = v2->Find("fin.advance");
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->ilo, (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(added->htcds, (std::vector<std::string>{"debt_bondage", "takes_earnings"}));
  ASSERT_TRUE(SaveIndicatorVersion(*store_, catalog_, *v2, 7, clock_.Now()));
  EXPECT_EQ(catalog_.Current()->version, 2);
  EXPECT_EQ(catalog_.Name(2, "fin.advance", "ro"), "Advance to be paid back");  // English fallback
  EXPECT_EQ(catalog_.Version(1)->Find("fin.advance"), nullptr);  // v1 is untouched

  // Reword and retire, each a version of its own.
  Indicator reword;
  reword.code = "fin.debt";
  reword.name = {{"en", "A debt she is made to work off"}};
  auto v3 = IndicatorCatalog::Derive(*catalog_.Current(), {IndicatorChange::Kind::kReword, reword});
  ASSERT_TRUE(v3.has_value()) << v3.error().detail;
  ASSERT_TRUE(SaveIndicatorVersion(*store_, catalog_, *v3, 7, clock_.Now()));
  Indicator retire;
  retire.code = "doc.withheld";
  auto v4 = IndicatorCatalog::Derive(*catalog_.Current(), {IndicatorChange::Kind::kRetire, retire});
  ASSERT_TRUE(v4.has_value());
  ASSERT_TRUE(SaveIndicatorVersion(*store_, catalog_, *v4, 7, clock_.Now()));
  EXPECT_EQ(catalog_.Name(3, "fin.debt", "en"), "A debt she is made to work off");
  EXPECT_NE(catalog_.Name(1, "fin.debt", "en"), "A debt she is made to work off");
  EXPECT_EQ(catalog_.Name(3, "fin.debt", "nl"), catalog_.Name(1, "fin.debt", "nl"));  // kept
  EXPECT_FALSE(catalog_.Version(3)->Find("doc.withheld")->retired);
  EXPECT_TRUE(catalog_.Version(4)->Find("doc.withheld")->retired);

  // Stored in the database: a fresh catalog (a restart) loads them after the shipped files.
  auto restarted = IndicatorCatalog::LoadDir(std::string(VD_SOURCE_DIR) + "/data/indicators");
  ASSERT_TRUE(restarted.has_value());
  ASSERT_TRUE(LoadStoredIndicatorLists(*store_, *restarted));
  EXPECT_EQ(restarted->Current()->version, 4);
  EXPECT_EQ(restarted->Name(2, "fin.advance", "nl"), "Voorschot dat terugbetaald moet worden");
  EXPECT_EQ(IndicatorCatalog::ToToml(*restarted->Version(3)), IndicatorCatalog::ToToml(*catalog_.Version(3)));
  auto stored = ReadOne(*store_, &SettingsStore::Get, "indicator_list.v2");
  ASSERT_TRUE(stored.has_value() && stored->has_value());
  EXPECT_NE((*stored)->find("created_by = 7"), std::string::npos);

  // An existing version is never replaced: saving another v4 is refused, v4 stays as it was.
  const std::string v4_text = **ReadOne(*store_, &SettingsStore::Get, "indicator_list.v4");
  IndicatorList other = *v4;
  other.indicators.front().name["en"] = "Something else";
  auto again = SaveIndicatorVersion(*store_, catalog_, other, 8, clock_.Now());
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().user_message, "staff_error.indicator_version_taken");
  EXPECT_EQ(**ReadOne(*store_, &SettingsStore::Get, "indicator_list.v4"), v4_text);
}

TEST_F(ContactsTest, ACodeKeepsItsMeaningAcrossVersions) {
  const IndicatorList v1 = *catalog_.Current();
  // fin.debt with another category or mapping: Derive lets it through, the catalog refuses.
  Indicator changed = NewIndicator();
  changed.code = "fin.debt";
  changed.ilo = {1};
  auto v2 = IndicatorCatalog::Derive(v1, {IndicatorChange::Kind::kAdd, changed});
  ASSERT_TRUE(v2.has_value());
  auto refused = SaveIndicatorVersion(*store_, catalog_, *v2, 7, clock_.Now());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().user_message, "staff_error.indicator_meaning");
  EXPECT_NE(refused.error().detail.find("fin.debt"), std::string::npos);
  EXPECT_EQ(catalog_.Current()->version, 1);
  EXPECT_FALSE(
      ReadOne(*store_, &SettingsStore::Get, "indicator_list.v2")->has_value());  // nothing stored
  // A code added in the browser cannot come back later with another meaning either.
  ASSERT_TRUE(SaveIndicatorVersion(*store_, catalog_,
                                   *IndicatorCatalog::Derive(v1, {IndicatorChange::Kind::kAdd, NewIndicator()}),
                                   7, clock_.Now()));
  Indicator back = NewIndicator();
  back.category = "documents";
  auto v3 = IndicatorCatalog::Derive(*catalog_.Current(), {IndicatorChange::Kind::kAdd, back});
  ASSERT_TRUE(v3.has_value());
  EXPECT_EQ(catalog_.Add(*v3).error().user_message, "staff_error.indicator_meaning");

  // Bad input names what is wrong.
  struct Case {
    std::function<void(IndicatorChange&)> spoil;
    const char* msgid;
  };
  const Case cases[] = {
      {[](IndicatorChange& c) { c.indicator.code = "Fin Advance"; }, "staff_error.indicator_code"},
      {[](IndicatorChange& c) { c.indicator.category = "nowhere"; }, "staff_error.indicator_mapping"},
      {[](IndicatorChange& c) { c.indicator.ilo = {12}; }, "staff_error.indicator_mapping"},
      {[](IndicatorChange& c) { c.indicator.htcds = {"made_up"}; }, "staff_error.indicator_mapping"},
      {[](IndicatorChange& c) { c.indicator.dutch = {"made_up"}; }, "staff_error.indicator_mapping"},
      {[](IndicatorChange& c) { c.indicator.ilo = {}; c.indicator.htcds = {}; }, "staff_error.indicator_mapping"},
      {[](IndicatorChange& c) { c.indicator.name.erase("en"); }, "staff_error.indicator_texts"},
      {[](IndicatorChange& c) { c.indicator.explain["nl"] = "  "; }, "staff_error.indicator_texts"},
      {[](IndicatorChange& c) { c.indicator.code = "fin.advance"; c.kind = IndicatorChange::Kind::kRetire; },
       "staff_error.indicator_unknown"},
      {[](IndicatorChange& c) { c.indicator.code = "fin.nope"; c.kind = IndicatorChange::Kind::kReword; },
       "staff_error.indicator_unknown"},
  };
  for (const Case& c : cases) {
    IndicatorChange change{IndicatorChange::Kind::kAdd, NewIndicator()};
    c.spoil(change);
    auto r = IndicatorCatalog::Derive(v1, change);
    ASSERT_FALSE(r.has_value()) << c.msgid;
    EXPECT_EQ(r.error().user_message, c.msgid);
  }
  // The same code with the same meaning is a duplicate.
  const Indicator* debt = v1.Find("fin.debt");
  IndicatorChange dup{IndicatorChange::Kind::kAdd, *debt};
  EXPECT_EQ(IndicatorCatalog::Derive(v1, dup).error().user_message, "staff_error.indicator_exists");
}

TEST_F(ContactsTest, NewRecordsUseTheNewestVersionOldRecordsKeepTheirs) {
  Contacts contacts(*store_, clock_, catalog_);
  const int64_t old_id = *contacts.Record(advisor_, Outreach());
  Indicator retire;
  retire.code = "fin.debt";
  auto v2 = IndicatorCatalog::Derive(*catalog_.Current(), {IndicatorChange::Kind::kRetire, retire});
  ASSERT_TRUE(SaveIndicatorVersion(*store_, catalog_, *v2, 7, clock_.Now()));
  // fin.debt is no longer offered; a record with the other signal is made with v2.
  auto refused = contacts.Record(advisor_, Outreach());
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().user_message, "staff_error.contact_indicator");
  ContactInput in = Outreach();
  in.indicators = {"doc.withheld"};
  auto new_id = contacts.Record(advisor_, in);
  ASSERT_TRUE(new_id.has_value()) << new_id.error().detail;
  EXPECT_EQ(ContactsInTx(*store_).Find(*new_id)->indicator_version, 2);
  auto old = ContactsInTx(*store_).Find(old_id);
  EXPECT_EQ(old->indicator_version, 1);
  EXPECT_EQ(old->indicators, (std::vector<std::string>{"doc.withheld", "fin.debt"}));
  EXPECT_FALSE(catalog_.Version(old->indicator_version)->Find("fin.debt")->retired);
}

// Readers keep reading while versions are added: each sees a whole list, never a half one.
TEST_F(ContactsTest, CatalogReadersAreSafeWhileAVersionIsAdded) {
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const IndicatorList* list = catalog_.Current();
        ASSERT_NE(list, nullptr);
        ASSERT_GE(list->indicators.size(), 27u);
        ASSERT_FALSE(catalog_.Name(list->version, "fin.debt", "nl").empty());
        ASSERT_NE(catalog_.Version(1), nullptr);
        ++reads;
      }
    });
  }
  for (int i = 0; i < 40; ++i) {
    Indicator add = NewIndicator();
    add.code = "fin.extra_" + std::string(1, static_cast<char>('a' + i % 26)) +
               std::string(1, static_cast<char>('a' + i / 26));
    auto next = IndicatorCatalog::Derive(*catalog_.Current(), {IndicatorChange::Kind::kAdd, add});
    ASSERT_TRUE(next.has_value()) << next.error().detail;
    ASSERT_TRUE(catalog_.Add(*next));
  }
  stop = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(catalog_.Current()->version, 41);
  EXPECT_EQ(catalog_.Current()->indicators.size(), 27u + 40u);
  EXPECT_GT(reads.load(), 0);
}

}  // namespace
}  // namespace vd
