// Issue 3 over HTTP, on SQLite and PostgreSQL: every role through every staff route against
// the permission matrix; an advisor's walk-in and outreach records seen by the coordinator and
// refused to the analyst; the phone form posted all-unknown and all-filled, without a
// browser; and `vertrouwd audit verify` catching an edited and a deleted audit row.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>

#include "store/contact_store_test_util.h"
#include "store/store_test_util.h"
#include "crypto/totp.h"
#include "domain/contacts.h"
#include "integration/http_client.h"
#include "integration/test_env.h"

namespace vd::testing {
namespace {

constexpr char kPassword[] = "correct horse battery staple";
using Form = std::vector<std::pair<std::string, std::string>>;

// The permission matrix (DESIGN.md roles): route -> roles allowed. Every staff route the
// server registers must be listed here, so a new route cannot slip in unreviewed.
const std::map<std::pair<std::string, std::string>, std::set<Role>>& Matrix() {
  using R = Role;
  static const std::set<Role> all = {R::kAdvisor, R::kCoordinator, R::kAnalyst, R::kAdmin};
  static const std::map<std::pair<std::string, std::string>, std::set<Role>> m = {
      {{"GET", "/staff"}, all},
      {{"POST", "/staff/logout"}, all},
      {{"GET", "/staff/c/{id}"}, {R::kAdvisor}},
      {{"POST", "/staff/c/{id}/reply"}, {R::kAdvisor}},
      // Spam is marked from the inbox row, without the conversation's key (issue 14).
      {{"POST", "/staff/c/{id}/spam"}, {R::kAdvisor, R::kCoordinator}},
      {{"POST", "/staff/c/{id}/not-spam"}, {R::kAdvisor, R::kCoordinator}},
      {{"GET", "/staff/help"}, {R::kCoordinator}},
      {{"GET", "/staff/help/{lang}/{slug}"}, {R::kCoordinator}},
      {{"POST", "/staff/help/{lang}/{slug}"}, {R::kCoordinator}},
      {{"GET", "/staff/contacts"}, {R::kAdvisor, R::kCoordinator}},
      {{"GET", "/staff/contacts/new"}, {R::kAdvisor}},
      {{"POST", "/staff/contacts/new"}, {R::kAdvisor}},
      {{"GET", "/staff/contacts/{id}"}, {R::kAdvisor, R::kCoordinator}},
      {{"GET", "/staff/contacts/{id}/edit"}, {R::kAdvisor}},
      {{"POST", "/staff/contacts/{id}/edit"}, {R::kAdvisor}},
      {{"POST", "/staff/followups/{id}/done"}, {R::kAdvisor}},
      {{"GET", "/staff/access"}, {R::kAdvisor}},
      {{"POST", "/staff/access/{id}/approve"}, {R::kAdvisor}},
      {{"GET", "/staff/directory"}, {R::kAdvisor, R::kCoordinator}},
      {{"POST", "/staff/directory"}, {R::kCoordinator}},
      {{"POST", "/staff/directory/{id}/active"}, {R::kCoordinator}},
      {{"GET", "/staff/indicators"}, {R::kAdvisor, R::kCoordinator}},
      {{"POST", "/staff/indicators"}, {R::kCoordinator}},
      {{"GET", "/staff/users"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users/{id}/disable"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users/{id}/code"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users/{id}/reset-totp"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users/{id}/enable"}, {R::kCoordinator, R::kAdmin}},
      {{"POST", "/staff/users/{id}/role"}, {R::kAdmin}},
      {{"GET", "/staff/organisations"}, {R::kAdmin}},
      {{"POST", "/staff/organisations"}, {R::kAdmin}},
      {{"GET", "/staff/organisations/{id}"}, {R::kAdmin}},
      {{"POST", "/staff/organisations/{id}"}, {R::kAdmin}},
      {{"GET", "/staff/account"}, all},
      {{"POST", "/staff/account/password"}, all},
      {{"POST", "/staff/account/totp"}, all},
      {{"POST", "/staff/account/sessions/{id}/end"}, all},
      {{"POST", "/staff/account/sessions/end-others"}, all},
      {{"GET", "/staff/audit"}, {R::kAdmin}},
      // Reports (issue 4): analysts read published releases; coordinators prepare and publish.
      {{"GET", "/staff/reports"}, {R::kCoordinator, R::kAnalyst}},
      {{"POST", "/staff/reports"}, {R::kCoordinator}},
      {{"GET", "/staff/reports/report.css"}, {R::kCoordinator, R::kAnalyst}},
      {{"GET", "/staff/reports/internal"}, {R::kCoordinator}},
      {{"GET", "/staff/reports/{id}"}, {R::kCoordinator, R::kAnalyst}},
      {{"GET", "/staff/reports/{id}/csv"}, {R::kCoordinator, R::kAnalyst}},
      {{"GET", "/staff/reports/{id}/json"}, {R::kCoordinator, R::kAnalyst}},
      {{"POST", "/staff/reports/{id}/publish"}, {R::kCoordinator}},
      {{"GET", "/staff/population"}, {R::kCoordinator}},
      {{"POST", "/staff/population"}, {R::kCoordinator}},
  };
  return m;
}

Form AllUnknown(const std::string& csrf) {
  return {{"csrf", csrf},          {"month", "unknown"},       {"channel", "unknown"},
          {"location", "unknown"}, {"language", "unknown"},    {"gender", "unknown"},
          {"age_band", "unknown"}, {"region", "unknown"},      {"topic", "unknown"},
          {"advice", "unknown"},   {"assessment", "unknown"},  {"escalation", "unknown"},
          {"escalation_basis", "unknown"}, {"escalation_anonymous", "unknown"},
          {"referral1_org", "none"}, {"referral1_service", "sexual_health"},
          {"referral1_consent", "unknown"}, {"referral1_kind", "unknown"},
          {"referral1_follow_up", ""}, {"referral2_org", "none"}, {"referral3_org", "none"},
          {"case_mode", "none"}, {"case_code", ""}, {"notes", ""}};
}

class ContactsHttpTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (!server_.Start(GetParam())) return;
    Runtime& rt = *server_.runtime;
    AddOrganisation(rt, "independent", "Onafhankelijke vertrouwenspersonen");
    AddOrganisation(rt, "shop", "SHOP");
    AddOrganisation(rt, "dehaven", "De Haven");
    totp_[Role::kAdvisor] = AddStaff(rt, "advisor.dehaven", kPassword, Role::kAdvisor, "dehaven");
    totp_[Role::kCoordinator] =
        AddStaff(rt, "coordinator.dehaven", kPassword, Role::kCoordinator, "dehaven");
    totp_[Role::kAnalyst] = AddStaff(rt, "analyst", kPassword, Role::kAnalyst, "");
    totp_[Role::kAdmin] = AddStaff(rt, "admin", kPassword, Role::kAdmin, "");
    auto port = rt.Start();
    ASSERT_TRUE(port.has_value());
    port_ = *port;
  }

  Client LoggedIn(Role role) {
    static const std::map<Role, std::string> names = {{Role::kAdvisor, "advisor.dehaven"},
                                                      {Role::kCoordinator, "coordinator.dehaven"},
                                                      {Role::kAnalyst, "analyst"},
                                                      {Role::kAdmin, "admin"}};
    server_.clock.Advance(31);  // a fresh TOTP step: a code is accepted once
    Client c(port_);
    c.extra_headers["Accept-Language"] = "en";
    HttpResult r = LogIn(c, names.at(role), kPassword, totp_[role], server_.clock.Now());
    EXPECT_EQ(r.status, 303) << r.body;
    c.Get("/staff");  // picks up the csrf value
    return c;
  }

  // Coordinator adds SHOP to the directory; returns its id as the form uses it.
  std::string AddShop() {
    Client coordinator = LoggedIn(Role::kCoordinator);
    HttpResult added = coordinator.Post("/staff/directory",
                                        {{"csrf", coordinator.csrf},
                                         {"slug", "shop"},
                                         {"name", "SHOP Den Haag"},
                                         {"service", "sexual_health"},
                                         {"service", "social_work"},
                                         {"language", "nl"},
                                         {"language", "hu"},
                                         {"contact", "070 000 00 00"},
                                         {"hours", "ma-vr 9-17"}});
    EXPECT_EQ(added.status, 303) << added.body;
    auto list = store_test::ReadOne(server_.runtime->store(), &DirectoryStore::List, true);
    EXPECT_TRUE(list.has_value() && !list->empty());
    return list && !list->empty() ? std::to_string(list->front().id) : "";
  }

  Form Outreach(const std::string& csrf, const std::string& shop) {
    return {{"csrf", csrf},
            {"month", "2027-01"},
            {"channel", "outreach_visit"},
            {"location", "window"},
            {"language", "hu"},
            {"gender", "woman"},
            {"age_band", "18-24"},
            {"region", "eu_other"},
            {"topic", "health"},
            {"topic", "money_debts"},
            {"advice", "information"},
            {"advice", "health"},
            {"indicator", "fin.debt"},
            {"indicator", "doc.withheld"},
            {"assessment", "concern"},
            {"escalation", "comensha"},
            {"escalation_basis", "consent"},
            {"escalation_anonymous", "yes"},
            {"referral1_org", shop},
            {"referral1_service", "sexual_health"},
            {"referral1_consent", "yes"},
            {"referral1_kind", "warm"},
            {"referral1_follow_up", "2027-01-05"},
            {"case_mode", "new"},
            {"case_code", ""},
            {"notes", "CANARY-contact-note-8812"}};
  }

  std::string IdFrom(const HttpResult& r) { return Extract(r.Header("location"), "/staff/contacts/([0-9]+)"); }

  TestServer server_;
  uint16_t port_ = 0;
  std::map<Role, std::string> totp_;
};

TEST_P(ContactsHttpTest, EveryRoleMeetsEveryStaffRouteAsTheMatrixSays) {
  if (!server_.runtime) return;
  // Every staff route the server registers is in the matrix, and the other way round.
  std::set<std::pair<std::string, std::string>> registered;
  for (const auto& r : server_.runtime->web().RouteTable()) {
    if (!r.staff) continue;
    registered.insert({r.method, r.pattern});
    ASSERT_TRUE(Matrix().contains({r.method, r.pattern})) << r.method << " " << r.pattern;
    const std::set<Role> roles(r.roles.begin(), r.roles.end());
    EXPECT_EQ(roles, Matrix().at({r.method, r.pattern})) << r.method << " " << r.pattern;
  }
  for (const auto& [route, roles] : Matrix()) EXPECT_TRUE(registered.contains(route)) << route.second;

  // A record to point {id} at.
  Client advisor = LoggedIn(Role::kAdvisor);
  HttpResult made = advisor.Post("/staff/contacts/new", AllUnknown(advisor.csrf));
  ASSERT_EQ(made.status, 303) << made.body;
  const std::string id = IdFrom(made);
  ASSERT_FALSE(id.empty());

  for (Role role : {Role::kAdvisor, Role::kCoordinator, Role::kAnalyst, Role::kAdmin}) {
    Client c = LoggedIn(role);
    for (const auto& [route, roles] : Matrix()) {
      if (route.second == "/staff/logout") continue;  // walked last
      std::string path = route.second;
      for (auto [from, to] : {std::pair<std::string, std::string>{"{id}", id}, {"{lang}", "nl"},
                              {"{slug}", "advisor"}}) {
        if (auto at = path.find(from); at != std::string::npos) path.replace(at, from.size(), to);
      }
      HttpResult r = route.first == "GET" ? c.Get(path) : c.Post(path, {{"csrf", c.csrf}});
      // Every staff route, report and indicator pages included, carries the security headers
      // whether it answers, refuses or fails validation.
      ExpectSecureHeaders(r, std::string(RoleName(role)) + " " + route.first + " " + path);
      const bool allowed = roles.contains(role);
      if (allowed) {
        EXPECT_NE(r.status, 403) << RoleName(role) << " " << route.first << " " << path;
        EXPECT_NE(r.status, 401) << RoleName(role) << " " << route.first << " " << path;
        EXPECT_LT(r.status, 500) << RoleName(role) << " " << route.first << " " << path << r.body;
      } else {
        EXPECT_EQ(r.status, 403) << RoleName(role) << " " << route.first << " " << path;
      }
    }
    EXPECT_EQ(c.Post("/staff/logout", {{"csrf", c.csrf}}).status, 303) << RoleName(role);
  }
}

TEST_P(ContactsHttpTest, AdvisorRecordsCoordinatorSeesAnalystCannotOpen) {
  if (!server_.runtime) return;
  const std::string shop = AddShop();
  Client advisor = LoggedIn(Role::kAdvisor);
  // A walk-in.
  Form walk_in = AllUnknown(advisor.csrf);
  for (auto& [k, v] : walk_in) {
    if (k == "channel") v = "walk_in";
    if (k == "month") v = "2027-01";
    if (k == "language") v = "ro";
    if (k == "topic") v = "legal_status";
  }
  HttpResult a = advisor.Post("/staff/contacts/new", walk_in);
  ASSERT_EQ(a.status, 303) << a.body;
  // An outreach contact with two signals, an escalation to CoMensha with consent and a
  // referral to SHOP.
  HttpResult b = advisor.Post("/staff/contacts/new", Outreach(advisor.csrf, shop));
  ASSERT_EQ(b.status, 303) << b.body;
  const std::string walk_id = IdFrom(a), outreach_id = IdFrom(b);
  HttpResult own = advisor.Get("/staff/contacts/" + outreach_id);
  ASSERT_EQ(own.status, 200);
  EXPECT_NE(own.body.find("CoMensha"), std::string::npos);
  EXPECT_NE(own.body.find("CANARY-contact-note-8812"), std::string::npos);
  EXPECT_NE(own.body.find("SHOP Den Haag"), std::string::npos);
  // The follow-up is on the advisor's start page.
  HttpResult home = advisor.Get("/staff");
  EXPECT_NE(home.body.find("2027-01-05"), std::string::npos) << home.body;
  // The next form starts from the last record's channel.
  HttpResult next = advisor.Get("/staff/contacts/new");
  EXPECT_NE(next.body.find("value=\"outreach_visit\" checked"), std::string::npos);

  Client coordinator = LoggedIn(Role::kCoordinator);
  HttpResult list = coordinator.Get("/staff/contacts");
  ASSERT_EQ(list.status, 200);
  EXPECT_NE(list.body.find("/staff/contacts/" + walk_id + "\""), std::string::npos);
  EXPECT_NE(list.body.find("/staff/contacts/" + outreach_id + "\""), std::string::npos);
  HttpResult seen = coordinator.Get("/staff/contacts/" + outreach_id);
  ASSERT_EQ(seen.status, 200);
  EXPECT_NE(seen.body.find("CoMensha"), std::string::npos);
  EXPECT_NE(seen.body.find("fin.debt"), std::string::npos);
  EXPECT_EQ(seen.body.find("CANARY-contact-note-8812"), std::string::npos);  // no org key
  EXPECT_EQ(coordinator.Post("/staff/contacts/" + outreach_id + "/edit", Outreach(coordinator.csrf, shop)).status, 403);

  // Switching SHOP off keeps old referrals readable and stops new ones.
  ASSERT_EQ(coordinator.Post("/staff/directory/" + shop + "/active", {{"csrf", coordinator.csrf}, {"active", "0"}}).status, 303);
  EXPECT_TRUE(store_test::ReadOne(server_.runtime->store(), &DirectoryStore::List, true)->empty());
  EXPECT_NE(coordinator.Get("/staff/contacts/" + outreach_id).body.find("SHOP Den Haag"), std::string::npos);
  ASSERT_EQ(coordinator.Post("/staff/directory/" + shop + "/active", {{"csrf", coordinator.csrf}, {"active", "1"}}).status, 303);

  Client analyst = LoggedIn(Role::kAnalyst);
  EXPECT_EQ(analyst.Get("/staff/contacts/" + outreach_id).status, 403);
  EXPECT_EQ(analyst.Get("/staff/contacts").status, 403);
  // Refusals are audited too: who, which route, which record; never content.
  bool refusal_audited = false;
  auto audit = store_test::ReadOne(server_.runtime->store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(audit.has_value());
  for (const AuditEntry& e : *audit) {
    if (e.action == "GET /staff/contacts/{id} 403" && e.record == outreach_id) refusal_audited = true;
    EXPECT_EQ(e.action.find("CANARY"), std::string::npos);
  }
  EXPECT_TRUE(refusal_audited);

  // Refused whole, with a clear message: referral without consent, escalation without basis,
  // a month in the future.
  const size_t before = ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size();
  for (auto [field, value, message] :
       std::array<std::array<std::string, 3>, 3>{{{"referral1_consent", "no", "consent"},
                                                  {"escalation_basis", "unknown", "basis"},
                                                  {"month", "2027-02", "future"}}}) {
    Form bad = Outreach(advisor.csrf, shop);
    for (auto& [k, v] : bad) {
      if (k == field) v = value;
    }
    HttpResult r = advisor.Post("/staff/contacts/new", bad);
    EXPECT_EQ(r.status, 400) << field;
    EXPECT_NE(r.body.find("class=\"error\""), std::string::npos) << field;
  }
  EXPECT_EQ(ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size(), before);
  // The note exists only sealed.
  auto stored = ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100);
  ASSERT_TRUE(stored.has_value());
  for (const ContactRecord& c : *stored) {
    EXPECT_EQ(c.sealed_notes.find("CANARY"), std::string::npos);
  }
  EXPECT_EQ(server_.log->str().find("CANARY-contact-note"), std::string::npos);
}

TEST_P(ContactsHttpTest, PhoneFormPostedAllUnknownAndAllFilled) {
  if (!server_.runtime) return;
  const std::string shop = AddShop();
  Client advisor = LoggedIn(Role::kAdvisor);
  HttpResult form = advisor.Get("/staff/contacts/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("type=\"radio\" name=\"channel\""), std::string::npos);
  EXPECT_EQ(form.body.find("<script>"), std::string::npos);
  HttpResult unknown = advisor.Post("/staff/contacts/new", AllUnknown(advisor.csrf));
  ASSERT_EQ(unknown.status, 303) << unknown.body;
  HttpResult filled = advisor.Post("/staff/contacts/new", Outreach(advisor.csrf, shop));
  ASSERT_EQ(filled.status, 303) << filled.body;
  auto u = ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(unknown)));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->fields.one[FieldIndex("channel")], "unknown");
  EXPECT_EQ(u->month, "unknown");
  EXPECT_TRUE(u->fields.many[FieldIndex("topic")].empty());
  EXPECT_TRUE(u->referrals.empty());
  auto f = ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(filled)));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->fields.one[FieldIndex("channel")], "outreach_visit");
  EXPECT_EQ(f->indicators.size(), 2u);
  EXPECT_EQ(f->escalation, "comensha");
  EXPECT_EQ(f->referrals.size(), 1u);
  EXPECT_FALSE(f->case_code.empty());

  // The advisor edits the record: the form comes back filled in, the case code stays.
  const std::string fid = IdFrom(filled);
  HttpResult edit = advisor.Get("/staff/contacts/" + fid + "/edit");
  ASSERT_EQ(edit.status, 200);
  EXPECT_NE(edit.body.find("value=\"fin.debt\" checked"), std::string::npos);
  Form changed = Outreach(advisor.csrf, shop);
  for (auto& [k, v] : changed) {
    if (k == "channel") v = "phone";
    if (k == "case_mode") v = "none";
    if (k == "notes") v = "";
  }
  ASSERT_EQ(advisor.Post("/staff/contacts/" + fid + "/edit", changed).status, 303);
  auto after = ContactsInTx(server_.runtime->store()).Find(std::stoll(fid));
  EXPECT_EQ(after->fields.one[FieldIndex("channel")], "phone");
  EXPECT_EQ(after->case_code, f->case_code);
  EXPECT_EQ(after->sealed_notes, f->sealed_notes);  // an empty notes field keeps the notes

  // The follow-up shows on the start page until it is marked done.
  HttpResult home = advisor.Get("/staff");
  const std::string referral = Extract(home.body, "/staff/followups/([0-9]+)/done");
  ASSERT_FALSE(referral.empty()) << home.body;
  EXPECT_EQ(advisor.Post("/staff/followups/" + referral + "/done", {{"csrf", advisor.csrf}}).status, 303);
  EXPECT_EQ(advisor.Get("/staff").body.find("/staff/followups/"), std::string::npos);
}

// The field added through the field table alone (issue 13): asked on the form, refused when
// it is not one of its codes, stored, and shown on the record page in the staff language.
TEST_P(ContactsHttpTest, HowTheyFoundUsIsAskedStoredAndShown) {
  if (!server_.runtime) return;
  const std::string shop = AddShop();
  Client advisor = LoggedIn(Role::kAdvisor);
  HttpResult form = advisor.Get("/staff/contacts/new");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("type=\"radio\" name=\"how_found\" value=\"another_worker\""),
            std::string::npos);
  EXPECT_NE(form.body.find("How they found us"), std::string::npos);

  const size_t before = ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size();
  Form bad = Outreach(advisor.csrf, shop);
  bad.push_back({"how_found", "a-friend-called-anna"});
  HttpResult refused = advisor.Post("/staff/contacts/new", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size(), before);
  EXPECT_EQ(refused.body.find("a-friend-called-anna"), std::string::npos);

  Form good = Outreach(advisor.csrf, shop);
  good.push_back({"how_found", "another_worker"});
  HttpResult saved = advisor.Post("/staff/contacts/new", good);
  ASSERT_EQ(saved.status, 303) << saved.body;
  auto stored = ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(saved)));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->fields.one[FieldIndex("how_found")], "another_worker");
  HttpResult page = advisor.Get("/staff/contacts/" + IdFrom(saved));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Another sex worker"), std::string::npos);
}

TEST_P(ContactsHttpTest, PhoneFormTakesThreeReferralsAndChecksEachRow) {
  if (!server_.runtime) return;
  const std::string shop = AddShop();
  Client advisor = LoggedIn(Role::kAdvisor);
  HttpResult form = advisor.Get("/staff/contacts/new");
  for (const char* row : {"referral1_org", "referral2_org", "referral3_org"}) {
    EXPECT_NE(form.body.find(std::string("name=\"") + row + "\""), std::string::npos) << row;
  }
  Form three = Outreach(advisor.csrf, shop);
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"referral2_org", shop}, {"referral2_service", "social_work"},
           {"referral2_consent", "yes"}, {"referral2_kind", "cold"},
           {"referral3_org", shop}, {"referral3_service", "debt"}, {"referral3_consent", "yes"},
           {"referral3_kind", "unknown"}, {"referral3_follow_up", "2027-01-09"}}) {
    three.emplace_back(k, v);
  }
  HttpResult saved = advisor.Post("/staff/contacts/new", three);
  ASSERT_EQ(saved.status, 303) << saved.body;
  auto stored = ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(saved)));
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->referrals.size(), 3u);
  EXPECT_EQ(stored->referrals[1].service, "social_work");
  EXPECT_EQ(stored->referrals[2].follow_up, "2027-01-09");
  // The edit form shows all three rows filled in.
  HttpResult edit = advisor.Get("/staff/contacts/" + IdFrom(saved) + "/edit");
  EXPECT_NE(edit.body.find("name=\"referral3_follow_up\" value=\"2027-01-09\""), std::string::npos);

  // Row 2 without consent: refused whole, the message names row 2, nothing stored.
  const size_t before = ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size();
  Form bad = three;
  for (auto& [k, v] : bad) {
    if (k == "referral2_consent") v = "unknown";
  }
  HttpResult refused = advisor.Post("/staff/contacts/new", bad);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("Referral 2: "), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("referral has-error\" open"), std::string::npos);
  // The rows come back as posted, so nothing has to be typed again.
  EXPECT_NE(refused.body.find("name=\"referral3_follow_up\" value=\"2027-01-09\""), std::string::npos);
  EXPECT_EQ(ContactsInTx(server_.runtime->store()).List(3, std::nullopt, 100)->size(), before);
}

TEST_P(ContactsHttpTest, AuditVerifyCommandCatchesAnEditedAndADeletedRow) {
  if (!server_.runtime) return;
  Client advisor = LoggedIn(Role::kAdvisor);
  for (int i = 0; i < 3; ++i) advisor.Get("/staff/contacts");
  auto entries = store_test::ReadOne(server_.runtime->store(), &AuditStore::List, 0, 100);
  ASSERT_GE(entries->size(), 4u);
  for (const AuditEntry& e : *entries) EXPECT_NE(e.user_id, 0);
  const std::string db = server_.data_dir + "/vertrouwd.db";
  // The command gets the same database URL the server uses (a SQLite file or a PostgreSQL
  // database), and the rows are changed behind the server's back with the database's own tool.
  const std::string url =
      GetParam() == Backend::kSqlite ? "sqlite:" + db : server_.database_url;
  auto verify = [&](std::string* out) {
    // --data: the pepper file is in the server's data folder (no configuration file).
    const std::string cmd = std::string(VD_BINARY_DIR) + "/src/app/vertrouwd audit verify --database '" +
                            url + "' --data '" + server_.data_dir + "' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    out->clear();
    while (p && fgets(buf, sizeof buf, p)) *out += buf;
    return p ? WEXITSTATUS(pclose(p)) : -1;
  };
  auto exec = [&](const char* sql) {
    if (GetParam() == Backend::kPostgres) {
      std::string conninfo = std::getenv("VD_TEST_PG_URL");
      if (conninfo.starts_with("pg:")) conninfo = conninfo.substr(3);
      const std::string cmd = std::string(std::getenv("VD_TEST_PG_BIN")) + "/psql -q -X -v ON_ERROR_STOP=1 '" +
                              conninfo + " dbname=" + server_.pg_dbname + "' -c \"" + sql + "\" >/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0) << sql;
      return;
    }
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, sql, nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(h);
  };
  std::string out;
  EXPECT_EQ(verify(&out), 0) << out;
  exec("UPDATE audit_log SET record = 'forged' WHERE id = 2");
  EXPECT_EQ(verify(&out), 1) << out;
  EXPECT_NE(out.find("entry 2"), std::string::npos) << out;
  exec("DELETE FROM audit_log WHERE id = 3");
  EXPECT_EQ(verify(&out), 1) << out;
  EXPECT_NE(out.find("entry 2"), std::string::npos) << out;  // still the first broken one
  exec("DELETE FROM audit_log WHERE id = 2");
  EXPECT_EQ(verify(&out), 1) << out;
  EXPECT_NE(out.find("entry 2 is missing"), std::string::npos) << out;
}

TEST_P(ContactsHttpTest, CoordinatorAddsAnAdvisorToOwnOrganisationOnly) {
  if (!server_.runtime) return;
  Client coordinator = LoggedIn(Role::kCoordinator);
  HttpResult r = coordinator.Post("/staff/users", {{"csrf", coordinator.csrf},
                                                   {"username", "advisor.new"},
                                                   {"role", "admin"},  // ignored for coordinators
                                                   {"organisation", "shop"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("advisor.new"), std::string::npos);
  auto user =
      store_test::ReadOne(server_.runtime->store(), &StaffStore::FindUserByUsername, "advisor.new");
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->role, Role::kAdvisor);
  auto org =
      store_test::ReadOne(server_.runtime->store(), &StaffStore::FindOrganisationBySlug, "dehaven");
  EXPECT_EQ(user->organisation_id, org->id);
  HttpResult list = coordinator.Get("/staff/users");
  EXPECT_NE(list.body.find("advisor.new"), std::string::npos);
  EXPECT_EQ(list.body.find(">analyst<"), std::string::npos);  // other staff stay out of sight
}

TEST_P(ContactsHttpTest, CoordinatorMakesANewIndicatorListVersionInTheBrowser) {
  if (!server_.runtime) return;
  Client advisor = LoggedIn(Role::kAdvisor);
  HttpResult old_record = advisor.Post("/staff/contacts/new", Outreach(advisor.csrf, AddShop()));
  ASSERT_EQ(old_record.status, 303) << old_record.body;
  Client coordinator = LoggedIn(Role::kCoordinator);
  HttpResult page = coordinator.Get("/staff/indicators");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("name=\"htcds\" value=\"debt_bondage\""), std::string::npos);
  EXPECT_EQ(advisor.Get("/staff/indicators").body.find("name=\"action\""), std::string::npos);

  // Add one: nl and en only, so the page says which languages show English instead.
  HttpResult added = coordinator.Post("/staff/indicators", AddAdvanceIndicatorForm(coordinator.csrf));
  ASSERT_EQ(added.status, 303) << added.body;
  page = coordinator.Get("/staff/indicators");
  EXPECT_NE(page.body.find("· version 2</h1>"), std::string::npos);
  EXPECT_NE(page.body.find("Advance to be paid back"), std::string::npos);
  EXPECT_NE(page.body.find("Shown in English in: bg, es, hu, pl, pt_BR, ro, ru, th, uk, zh_CN<"), std::string::npos) << page.body;
  // Retire fin.debt as version 3.
  ASSERT_EQ(coordinator.Post("/staff/indicators", {{"csrf", coordinator.csrf}, {"action", "retire"},
                                                   {"code", "fin.debt"}}).status, 303);
  // A change of meaning is refused with a clear message, and nothing is stored.
  HttpResult refused = coordinator.Post("/staff/indicators",
                                        {{"csrf", coordinator.csrf}, {"action", "add"},
                                         {"code", "fin.advance"}, {"category", "documents"},
                                         {"ilo", "7"}, {"name_nl", "x"}, {"explain_nl", "x"},
                                         {"name_en", "x"}, {"explain_en", "x"}});
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("always keeps its category and mappings"), std::string::npos);
  EXPECT_NE(refused.body.find("(fin.advance)"), std::string::npos);
  HttpResult bad = coordinator.Post("/staff/indicators",
                                    {{"csrf", coordinator.csrf}, {"action", "add"},
                                     {"code", "fin.other"}, {"category", "money"},
                                     {"htcds", "made_up"}, {"name_nl", "x"}, {"explain_nl", "x"},
                                     {"name_en", "x"}, {"explain_en", "x"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_FALSE(
      store_test::ReadOne(server_.runtime->store(), &SettingsStore::Get, "indicator_list.v4")
          ->has_value());

  // The advisor's form now offers the new code and not the retired one; a new record is v3,
  // the old one stays v1 and still shows fin.debt by its v1 name.
  HttpResult form = advisor.Get("/staff/contacts/new");
  EXPECT_NE(form.body.find("value=\"fin.advance\""), std::string::npos);
  EXPECT_EQ(form.body.find("value=\"fin.debt\""), std::string::npos);
  Form next = Outreach(advisor.csrf, "none");
  for (auto& [k, v] : next) {
    if (k == "indicator" && v == "fin.debt") v = "fin.advance";
  }
  HttpResult made = advisor.Post("/staff/contacts/new", next);
  ASSERT_EQ(made.status, 303) << made.body;
  EXPECT_EQ(ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(made)))->indicator_version, 3);
  auto old = ContactsInTx(server_.runtime->store()).Find(std::stoll(IdFrom(old_record)));
  EXPECT_EQ(old->indicator_version, 1);
  EXPECT_NE(advisor.Get("/staff/contacts/" + IdFrom(old_record)).body.find("Debts to others"), std::string::npos);

  // Audit-logged, by version.
  std::set<std::string> audited;
  auto entries = store_test::ReadOne(server_.runtime->store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(entries.has_value());
  for (const AuditEntry& e : *entries) {
    if (e.action == "POST /staff/indicators") audited.insert(e.record);
  }
  EXPECT_TRUE(audited.contains("indicators:v2:add"));
  EXPECT_TRUE(audited.contains("indicators:v3:retire"));
}

TEST_P(ContactsHttpTest, CoordinatorDisablesAnAdvisorWhoseSessionEndsAtOnce) {
  if (!server_.runtime) return;
  Runtime& rt = *server_.runtime;
  const std::string second_totp = AddStaff(rt, "advisor2.dehaven", kPassword, Role::kAdvisor, "dehaven");
  Client advisor = LoggedIn(Role::kAdvisor);
  const int64_t waiting_id = store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor2.dehaven")->id;
  ASSERT_EQ(advisor.Post("/staff/access/" + std::to_string(waiting_id) + "/approve",
                         {{"csrf", advisor.csrf}}).status, 303);  // gives advisor2 the key
  server_.clock.Advance(31);
  Client second(port_);
  second.extra_headers["Accept-Language"] = "en";
  ASSERT_EQ(LogIn(second, "advisor2.dehaven", kPassword, second_totp, server_.clock.Now()).status, 303);
  ASSERT_EQ(second.Get("/staff").status, 200);
  const std::string old_public =
      store_test::ReadOne(rt.store(), &StaffStore::FindOrganisationBySlug, "dehaven")->public_key;
  const int64_t second_id =
      store_test::ReadOne(rt.store(), &StaffStore::FindUserByUsername, "advisor2.dehaven")->id;
  ASSERT_TRUE(
      store_test::ReadOne(rt.store(), &StaffStore::FindOrgKeyGrant, 3, second_id).has_value());

  Client coordinator = LoggedIn(Role::kCoordinator);
  HttpResult list = coordinator.Get("/staff/users");
  EXPECT_NE(list.body.find("/staff/users/" + std::to_string(second_id) + "/disable"), std::string::npos);
  // Without ticking the confirmation nothing happens.
  HttpResult unconfirmed = coordinator.Post("/staff/users/" + std::to_string(second_id) + "/disable",
                                            {{"csrf", coordinator.csrf}});
  EXPECT_EQ(unconfirmed.status, 400);
  EXPECT_FALSE(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, second_id)->disabled);
  HttpResult done = coordinator.Post("/staff/users/" + std::to_string(second_id) + "/disable",
                                     {{"csrf", coordinator.csrf}, {"confirm", "yes"}});
  ASSERT_EQ(done.status, 303) << done.body;

  EXPECT_TRUE(store_test::ReadOne(rt.store(), &StaffStore::FindUserById, second_id)->disabled);
  EXPECT_EQ(
      store_test::ReadOne(rt.store(), &StaffStore::FindOrgKeyGrant, 3, second_id).error().code,
      ErrorCode::kNotFound);
  EXPECT_NE(
      store_test::ReadOne(rt.store(), &StaffStore::FindOrganisationBySlug, "dehaven")->public_key,
      old_public);
  HttpResult after = second.Get("/staff");  // the session is gone
  EXPECT_EQ(after.status, 303);
  EXPECT_NE(after.Header("location").find("/staff/login"), std::string::npos);
  server_.clock.Advance(31);
  Client again(port_);
  EXPECT_NE(LogIn(again, "advisor2.dehaven", kPassword, second_totp, server_.clock.Now()).status, 303);
  // The remaining advisor still works with the organisation key (notes open).
  Form note = AllUnknown(advisor.csrf);
  for (auto& [k, v] : note) {
    if (k == "notes") v = "after the rotation";
  }
  HttpResult made = advisor.Post("/staff/contacts/new", note);
  ASSERT_EQ(made.status, 303) << made.body;
  EXPECT_NE(advisor.Get("/staff/contacts/" + IdFrom(made)).body.find("after the rotation"), std::string::npos);
  // The audit log names the account.
  bool audited = false;
  auto entries = store_test::ReadOne(rt.store(), &AuditStore::List, 0, 1000);
  ASSERT_TRUE(entries.has_value());
  for (const AuditEntry& e : *entries) {
    if (e.action == "POST /staff/users/{id}/disable" && e.record == "user:" + std::to_string(second_id)) audited = true;
  }
  EXPECT_TRUE(audited);
}

// The form's labels are composed at run time ("c.channel." + code), so catalog_test cannot see
// them: every code of every field must have its label in the two staff languages.
TEST(ContactLabelsTest, EveryCodeHasADutchAndAnEnglishLabel) {
  TestServer server;
  if (!server.Start(Backend::kSqlite)) return;
  const Catalogs& cat = server.runtime->catalogs();
  const std::vector<std::pair<std::string, const std::vector<std::string>*>> fields = {
      {"c.channel.", &ContactCodes::Channels()},     {"c.location.", &ContactCodes::Locations()},
      {"c.language.", &ContactCodes::Languages()},   {"c.gender.", &ContactCodes::Genders()},
      {"c.age.", &ContactCodes::AgeBands()},         {"c.region.", &ContactCodes::Regions()},
      {"c.topic.", &ContactCodes::Topics()},         {"c.advice.", &ContactCodes::Advice()},
      {"c.assessment.", &ContactCodes::Assessments()}, {"c.escalation.", &ContactCodes::Escalations()},
      {"c.basis.", &ContactCodes::Bases()},          {"c.yesno.", &ContactCodes::YesNo()},
      {"c.service.", &ContactCodes::Services()},     {"c.kind.", &ContactCodes::ReferralKinds()}};
  for (const char* lang : {"nl", "en"}) {
    for (const auto& [prefix, codes] : fields) {
      for (const std::string& code : *codes) {
        const std::string id = prefix + code;
        EXPECT_NE(cat.Translate(lang, id), id) << lang << ": no label for " << id;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ContactsHttpTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendName);

}  // namespace
}  // namespace vd::testing
