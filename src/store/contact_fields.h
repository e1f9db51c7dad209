#pragma once
// The coded fields of a contact record, defined once: each field's name, whether it takes one
// code or several, its codes (stable: stored, counted and translated by code), the msgids of
// its label and codes, and whether and how reports count it. Validation, the form, the record
// page, the SQL exchange, the report scan, the seed generator, the codebook and the report
// labels read this table; a new field is one entry here, a migration and its translations.
// Plain constant data: thread-safe.
//
// Fields with rules of their own stay outside the table: the month, the signals (codes of a
// versioned indicator list), the escalation with its basis and anonymity (asked only when
// something was passed on), referrals, the case link and the sealed notes.

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace vd {

enum class Choice {
  kOne,   // exactly one code; "unknown" when none was given
  kMany,  // any number of codes; none means unknown
};

// Where the form and the record page show a field.
enum class Group {
  kContact,  // the contact and the person: channel, setting, language, gender, ...
  kSubject,  // what it was about and what was advised
  kOutcome,  // the advisor's assessment
};

enum class Reported {
  kNo,   // recorded for the advisor's own work only
  kYes,  // counted in the reports' tables
};

struct ContactField {
  // The field's id everywhere: the form field, the SQL column (kOne) or the contact_codes
  // kind (kMany), the report dimension and the population-estimate dimension.
  std::string_view name;
  Choice choice;
  // Every allowed code, in display order; "unknown" (and "other") where the field has them.
  std::span<const std::string_view> codes;
  std::string_view label;   // msgid of the field's name: "Region of origin"
  std::string_view prefix;  // msgid prefix of its codes: "c.region." + code
  Group group;
  Reported reported;
  // kMany: the most codes one record counts with in a report table (its sensitivity); the
  // first ones in `codes` order are kept. 1 for kOne.
  int cap;
};

namespace contact_codes {
inline constexpr std::string_view kChannel[] = {
    "outreach_visit", "walk_in", "platform", "phone", "online_outreach", "other", "unknown"};
inline constexpr std::string_view kLocation[] = {
    "window", "club", "private_house", "escort", "home", "online", "street", "other", "unknown"};
inline constexpr std::string_view kLanguage[] = {"nl", "en", "ro", "hu", "bg", "es", "pt",
                                                 "pl", "th", "zh", "ru", "uk", "other", "unknown"};
inline constexpr std::string_view kGender[] = {"woman",      "man",       "trans_woman",
                                               "trans_man",  "non_binary", "unknown"};
inline constexpr std::string_view kAgeBand[] = {"18-24", "25-34", "35-44",
                                                "45+",   "under_18", "unknown"};
inline constexpr std::string_view kRegion[] = {"nl",     "eu_other", "cee_non_eu", "latin_america",
                                               "africa", "asia",     "other",      "unknown"};
inline constexpr std::string_view kTopic[] = {
    "health",       "safety",  "money_debts", "housing", "legal_status", "work_conditions",
    "leaving",      "violence", "other",      "unknown"};
inline constexpr std::string_view kAdvice[] = {
    "information", "support", "health",      "safety",  "money_debts", "legal",
    "housing",     "work_rights", "leaving", "other",   "unknown"};
inline constexpr std::string_view kAssessment[] = {"none", "concern", "strong", "unknown"};
inline constexpr std::string_view kHowFound[] = {"outreach", "another_worker", "organisation",
                                                 "online",   "poster",         "other",
                                                 "unknown"};
}  // namespace contact_codes

inline constexpr std::array kContactFields = {
    ContactField{"channel", Choice::kOne, contact_codes::kChannel, "Channel", "c.channel.",
                 Group::kContact, Reported::kYes, 1},
    ContactField{"location", Choice::kOne, contact_codes::kLocation, "Where", "c.location.",
                 Group::kContact, Reported::kYes, 1},
    ContactField{"language", Choice::kOne, contact_codes::kLanguage, "Language of the contact",
                 "c.language.", Group::kContact, Reported::kYes, 1},
    ContactField{"gender", Choice::kOne, contact_codes::kGender, "Gender", "c.gender.",
                 Group::kContact, Reported::kYes, 1},
    ContactField{"age_band", Choice::kOne, contact_codes::kAgeBand, "Age", "c.age.",
                 Group::kContact, Reported::kYes, 1},
    ContactField{"region", Choice::kOne, contact_codes::kRegion, "Region of origin", "c.region.",
                 Group::kContact, Reported::kYes, 1},
    // How the worker first heard of the service: where outreach and publicity work.
    ContactField{"how_found", Choice::kOne, contact_codes::kHowFound, "How they found us",
                 "c.how_found.", Group::kContact, Reported::kYes, 1},
    ContactField{"topic", Choice::kMany, contact_codes::kTopic, "Topics", "c.topic.",
                 Group::kSubject, Reported::kYes, 3},
    ContactField{"advice", Choice::kMany, contact_codes::kAdvice, "Advice given", "c.advice.",
                 Group::kSubject, Reported::kNo, 1},
    ContactField{"assessment", Choice::kOne, contact_codes::kAssessment, "Assessment",
                 "c.assessment.", Group::kOutcome, Reported::kYes, 1},
};

// The field named `name`; a name not in the table does not compile where this is evaluated
// at compile time (constexpr/consteval contexts), and is a bug (assert) at run time.
consteval const ContactField& FieldNamed(std::string_view name) {
  for (const ContactField& f : kContactFields) {
    if (f.name == name) return f;
  }
  throw "no contact field of that name";  // not a constant expression: a compile error
}

// The field's index in kContactFields (for per-field arrays), looked up at compile time.
consteval std::size_t FieldIndex(std::string_view name) {
  for (std::size_t i = 0; i < kContactFields.size(); ++i) {
    if (kContactFields[i].name == name) return i;
  }
  throw "no contact field of that name";
}

}  // namespace vd
