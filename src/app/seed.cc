#include "app/seed.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <random>
#include <span>
#include <string_view>
#include <utility>

#include "domain/contacts.h"

namespace vd {
namespace {

// A code and its weight (per mille unless said otherwise). The tables below are the stated
// distributions of docs/seed.md; keep the two in step.
using Weighted = std::vector<std::pair<const char*, int>>;

const Weighted kChannels = {{"outreach_visit", 350}, {"walk_in", 150}, {"platform", 200},
                            {"phone", 150},          {"online_outreach", 100}, {"other", 20},
                            {"unknown", 30}};
const Weighted kLocations = {{"window", 300}, {"club", 120}, {"private_house", 150},
                             {"escort", 100}, {"home", 130}, {"online", 100},
                             {"street", 20},  {"other", 30}, {"unknown", 50}};
const Weighted kGenders = {{"woman", 800},     {"man", 70},        {"trans_woman", 90},
                           {"trans_man", 10},  {"non_binary", 10}, {"unknown", 20}};
const Weighted kAgeBands = {{"18-24", 220}, {"25-34", 370},   {"35-44", 230},
                            {"45+", 120},   {"under_18", 2}, {"unknown", 58}};
const Weighted kRegions = {{"nl", 200},     {"eu_other", 350}, {"cee_non_eu", 80},
                           {"latin_america", 120}, {"africa", 60}, {"asia", 90},
                           {"other", 30},   {"unknown", 70}};
// Language by region of origin (per mille within the region).
const std::vector<std::pair<const char*, Weighted>> kLanguageByRegion = {
    {"nl", {{"nl", 750}, {"en", 200}, {"other", 50}}},
    {"eu_other", {{"ro", 350}, {"hu", 250}, {"bg", 200}, {"pl", 100}, {"en", 60}, {"nl", 40}}},
    {"cee_non_eu", {{"uk", 350}, {"ru", 350}, {"en", 150}, {"other", 150}}},
    {"latin_america", {{"es", 600}, {"pt", 300}, {"en", 100}}},
    {"africa", {{"en", 600}, {"other", 200}, {"nl", 100}, {"pt", 100}}},
    {"asia", {{"th", 500}, {"zh", 300}, {"en", 200}}},
    {"other", {{"en", 600}, {"other", 400}}},
    {"unknown", {{"unknown", 500}, {"en", 300}, {"nl", 200}}},
};
// Number of topics of a record (0 = none recorded), then topics without replacement.
const std::vector<int> kTopicCount = {150, 400, 300, 100, 50};
const Weighted kTopics = {{"health", 300},         {"safety", 120},         {"money_debts", 150},
                          {"housing", 100},        {"legal_status", 120},   {"work_conditions", 120},
                          {"leaving", 50},         {"violence", 40},        {"other", 50}};
const Weighted kAdvice = {{"information", 400}, {"support", 200}, {"health", 150},
                          {"safety", 60},       {"money_debts", 60}, {"legal", 60},
                          {"housing", 30},      {"work_rights", 20}, {"leaving", 10},
                          {"other", 10}};
// Share of records with at least one indicator, per location (per mille).
const std::vector<std::pair<const char*, int>> kIndicatorRate = {
    {"window", 80}, {"club", 120}, {"private_house", 150}, {"escort", 180}, {"home", 200},
    {"online", 120}, {"street", 250}, {"other", 100}, {"unknown", 100}};
const std::vector<int> kIndicatorCount = {0, 600, 250, 100, 50};  // 1..4 codes
const Weighted kDestinations = {{"comensha", 400}, {"police", 250}, {"veilig_thuis", 100},
                                {"ggd", 50},       {"care_org", 150}, {"other", 50}};
const Weighted kServices = {{"sexual_health", 300}, {"health", 100}, {"mental_health", 80},
                            {"social_work", 200},   {"legal", 80},   {"debt", 80},
                            {"housing", 60},        {"shelter", 30}, {"exit", 40},
                            {"other", 30}};
// Records per person: 1 (no case code), 2, 3-5, 6-10 (per mille of persons).
const std::vector<int> kCaseSize = {700, 120, 120, 60};
// Month weights, January..December (more contacts in spring and autumn).
const std::array<int, 12> kMonthWeight = {70, 70, 80, 90, 90, 80, 80, 70, 90, 90, 100, 90};

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  uint64_t Below(uint64_t n) { return rng_() % n; }
  bool Chance(int per_mille) { return static_cast<int>(Below(1000)) < per_mille; }
  template <typename W>
  size_t Index(const W& weights) {
    int64_t total = 0;
    for (const auto& w : weights) total += Weight(w);
    int64_t r = static_cast<int64_t>(Below(static_cast<uint64_t>(total)));
    for (size_t i = 0; i < weights.size(); ++i) {
      r -= Weight(weights[i]);
      if (r < 0) return i;
    }
    return weights.size() - 1;
  }
  std::string Pick(const Weighted& w) { return w[Index(w)].first; }

 private:
  static int64_t Weight(int w) { return w; }
  static int64_t Weight(const std::pair<const char*, int>& w) { return w.second; }
  std::mt19937_64 rng_;
};

// The fields whose distributions are stated above (docs/seed.md).
constexpr size_t kChannel = FieldIndex("channel"), kLocation = FieldIndex("location"),
                 kLanguage = FieldIndex("language"), kGender = FieldIndex("gender"),
                 kAgeBand = FieldIndex("age_band"), kRegion = FieldIndex("region"),
                 kTopic = FieldIndex("topic"), kAdviceField = FieldIndex("advice"),
                 kAssessment = FieldIndex("assessment");
constexpr std::array kStated = {kChannel, kLocation, kLanguage, kGender, kAgeBand,
                                kRegion,  kTopic,    kAdviceField, kAssessment};

// Every other field of the table (store/contact_fields.h) gets a code drawn uniformly from its
// list (kMany: none, one or two codes, never "unknown"). Its own stream, so that a new field
// leaves the synthetic values of the others as they were.
void DrawUnstated(Draw& draw, FieldValues& fields) {
  for (size_t f = 0; f < kContactFields.size(); ++f) {
    if (std::ranges::find(kStated, f) != kStated.end()) continue;
    const std::span<const std::string_view> codes = kContactFields[f].codes;
    if (kContactFields[f].choice == Choice::kOne) {
      fields.one[f] = std::string(codes[draw.Below(codes.size())]);
      continue;
    }
    std::vector<std::string>& many = fields.many[f];
    for (uint64_t n = draw.Below(3); n > 0; --n) {
      const std::string_view code = codes[draw.Below(codes.size())];
      if (code != "unknown") many.emplace_back(code);
    }
    std::ranges::sort(many);
    many.erase(std::unique(many.begin(), many.end()), many.end());
  }
}

const Weighted& LanguagesOf(const std::string& region) {
  for (const auto& [r, w] : kLanguageByRegion) {
    if (region == r) return w;
  }
  return kLanguageByRegion.back().second;
}

int IndicatorRate(const std::string& location) {
  for (const auto& [l, rate] : kIndicatorRate) {
    if (location == l) return rate;
  }
  return 100;
}

std::string CaseCodeFor(uint64_t n) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out = "K-";
  for (int i = 7; i >= 0; --i) {
    if (i == 3) out += '-';
    out += kAlphabet[(n >> (5 * i)) & 31];
  }
  return out;
}

struct SeedAuthor {
  int64_t organisation_id = 0;
  int64_t user_id = 0;
};

Result<std::vector<SeedAuthor>> Advisors(Database& db, Tx& tx) {
  auto users = db.staff().ListUsers(tx);
  if (!users) return std::unexpected(users.error());
  std::vector<SeedAuthor> out;
  for (const User& u : *users) {
    if (u.role == Role::kAdvisor && u.organisation_id) out.push_back({*u.organisation_id, u.id});
  }
  if (!out.empty()) return out;
  // An empty database (benchmarks): a seed organisation and a disabled advisor who can never
  // log in (no key material), only there to own the synthetic records.
  Organisation org;
  org.slug = "seed";
  org.name = "Seed data";
  auto org_id = db.staff().InsertOrganisation(tx, org);
  if (!org_id) return std::unexpected(org_id.error());
  User u;
  u.username = "seed.advisor";
  u.role = Role::kAdvisor;
  u.organisation_id = *org_id;
  u.disabled = true;
  u.created_at = static_cast<int64_t>(std::time(nullptr));
  auto user_id = db.staff().InsertUser(tx, u);
  if (!user_id) return std::unexpected(user_id.error());
  out.push_back({*org_id, *user_id});
  return out;
}

}  // namespace

Result<int64_t> SeedContacts(Store& store, const IndicatorList& indicators,
                             const SeedOptions& o) {
  if (o.contacts < 0 || o.year < 2000 || o.year > 2099 || o.last_month < 1 ||
      o.last_month > 12) {
    return Fail(ErrorCode::kInvalidInput, "error.config", "seed: bad options");
  }
  // Who writes the records and where they refer to, in one transaction (the seed author is
  // created there when the database has no advisor).
  using Basis = std::pair<std::vector<SeedAuthor>, std::vector<DirectoryEntry>>;
  Result<Basis> basis = store.Write("seed authors", [&](Tx& tx) -> Result<Basis> {
    auto advisors = Advisors(store, tx);
    if (!advisors) return std::unexpected(advisors.error());
    auto directory = store.directory().List(tx, true);
    if (!directory) return std::unexpected(directory.error());
    return Basis{std::move(*advisors), std::move(*directory)};
  });
  if (!basis) return std::unexpected(basis.error());
  const std::vector<SeedAuthor>* advisors = &basis->first;
  const std::vector<DirectoryEntry>* directory = &basis->second;
  std::vector<const Indicator*> codes;
  for (const Indicator& i : indicators.indicators) {
    if (!i.retired) codes.push_back(&i);
  }
  Draw draw(o.seed);
  Draw unstated(o.seed ^ 0x756e737461746564);  // "unstated": a stream of its own
  std::vector<int> month_weights(kMonthWeight.begin(), kMonthWeight.begin() + o.last_month);

  std::vector<ContactRecord> batch;
  batch.reserve(10000);
  int64_t done = 0;
  uint64_t case_serial = draw.Below(uint64_t{1} << 30);
  // One person at a time: fixed demographics, organisation and case; each of the person's
  // records varies month, channel, setting, topics and signals.
  while (done < o.contacts) {
    const SeedAuthor& who = (*advisors)[draw.Below(advisors->size())];
    ContactRecord person;
    person.organisation_id = who.organisation_id;
    person.advisor_user_id = who.user_id;
    person.fields.one[kGender] = draw.Pick(kGenders);
    person.fields.one[kAgeBand] = draw.Pick(kAgeBands);
    person.fields.one[kRegion] = draw.Pick(kRegions);
    person.fields.one[kLanguage] = draw.Pick(LanguagesOf(person.fields.one[kRegion]));
    int64_t records = 1;
    switch (draw.Index(kCaseSize)) {
      case 1: records = 2; break;
      case 2: records = 3 + static_cast<int64_t>(draw.Below(3)); break;
      case 3: records = 6 + static_cast<int64_t>(draw.Below(5)); break;
      default: break;
    }
    if (records > 1) person.case_code = CaseCodeFor(++case_serial);
    for (int64_t k = 0; k < records && done < o.contacts; ++k, ++done) {
      ContactRecord c = person;
      const int month = static_cast<int>(draw.Index(month_weights)) + 1;
      c.month = std::to_string(o.year) + (month < 10 ? "-0" : "-") + std::to_string(month);
      std::tm tm{};
      tm.tm_year = o.year - 1900;
      tm.tm_mon = month - 1;
      tm.tm_mday = 1 + static_cast<int>(draw.Below(28));
      c.created_at = c.updated_at =
          static_cast<int64_t>(timegm(&tm)) + static_cast<int64_t>(draw.Below(86400));
      c.fields.one[kChannel] = draw.Pick(kChannels);
      c.fields.one[kLocation] = draw.Pick(kLocations);
      const size_t ntopics = draw.Index(kTopicCount);
      Weighted pool = kTopics;
      std::vector<std::string>& topics = c.fields.many[kTopic];
      for (size_t t = 0; t < ntopics && !pool.empty(); ++t) {
        const size_t i = draw.Index(pool);
        topics.emplace_back(pool[i].first);
        pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(i));
      }
      std::ranges::sort(topics);
      std::vector<std::string>& advice = c.fields.many[kAdviceField];
      advice.push_back(draw.Pick(kAdvice));
      if (draw.Chance(300)) advice.push_back(draw.Pick(kAdvice));
      std::ranges::sort(advice);
      advice.erase(std::unique(advice.begin(), advice.end()), advice.end());
      DrawUnstated(unstated, c.fields);
      c.indicator_version = indicators.version;
      std::string& assessment = c.fields.one[kAssessment];
      if (!codes.empty() && draw.Chance(IndicatorRate(c.fields.one[kLocation]))) {
        const size_t n = draw.Index(kIndicatorCount);
        for (size_t t = 0; t < n; ++t) c.indicators.push_back(codes[draw.Below(codes.size())]->code);
        std::ranges::sort(c.indicators);
        c.indicators.erase(std::unique(c.indicators.begin(), c.indicators.end()),
                           c.indicators.end());
        assessment = draw.Chance(300) ? "strong" : "concern";
      } else {
        assessment = draw.Chance(50) ? "concern" : (draw.Chance(100) ? "unknown" : "none");
      }
      c.escalation = "none";
      const int escalate = assessment == "strong" ? 400 : assessment == "concern" ? 50 : 0;
      if (draw.Chance(escalate)) {
        c.escalation = draw.Pick(kDestinations);
        c.escalation_basis = draw.Chance(750) ? "consent" : "acute_danger";
        c.escalation_anonymous = draw.Chance(600) ? "yes" : "no";
      } else if (draw.Chance(30)) {
        c.escalation = "unknown";
      }
      if (!directory->empty()) {
        const int referrals = draw.Chance(250) ? (draw.Chance(200) ? 2 : 1) : 0;
        for (int r = 0; r < referrals; ++r) {
          const DirectoryEntry& d = (*directory)[draw.Below(directory->size())];
          Referral ref;
          ref.directory_id = d.id;
          ref.service = d.services.empty() ? draw.Pick(kServices)
                                           : d.services[draw.Below(d.services.size())];
          ref.consent = "yes";
          ref.kind = draw.Chance(600) ? "warm" : "cold";
          c.referrals.push_back(std::move(ref));
        }
      }
      batch.push_back(std::move(c));
      if (batch.size() == 10000) {
        if (Status s = store.InsertContactsBulk(batch); !s) return std::unexpected(s.error());
        batch.clear();
      }
    }
  }
  if (!batch.empty()) {
    if (Status s = store.InsertContactsBulk(batch); !s) return std::unexpected(s.error());
  }
  return done;
}

Result<IndicatorCatalog> LoadIndicatorCatalog(Store& store, const std::string& templates_dir) {
  const std::filesystem::path dir =
      std::filesystem::path(templates_dir).parent_path() / "data" / "indicators";
  Result<IndicatorCatalog> catalog = IndicatorCatalog::LoadDir(dir.string());
  if (!catalog) return std::unexpected(catalog.error());
  if (Status s = LoadStoredIndicatorLists(store, *catalog); !s) return std::unexpected(s.error());
  return catalog;
}

}  // namespace vd
