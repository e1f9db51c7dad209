#pragma once
// Rows of the advisor's daily work (schema version 2): contact records with their codes,
// referrals and escalation, case codes, the referral directory and the hash-chained audit
// log. Plain values; every descriptive field is a fixed code validated in domain/contacts
// before it gets here. Nothing here can hold a worker's name, phone, e-mail or message.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/contact_fields.h"

namespace vd {

struct Referral {
  int64_t id = 0;
  int64_t directory_id = 0;      // directory_organisations.id
  std::string service;           // service code ("sexual_health", ...)
  std::string consent;           // "yes": a referral is stored only with the worker's consent
  std::string kind;              // "warm", "cold", "unknown"
  std::string follow_up;         // "YYYY-MM-DD" or "" (none)
  bool follow_up_done = false;
};

// The values of the coded fields (store/contact_fields.h), one slot per field, indexed by
// FieldIndex("region"): `one` holds a Choice::kOne field's code, `many` a Choice::kMany
// field's codes (in a stored record sorted and unique; none = unknown). The slot of the other
// kind stays empty.
struct FieldValues {
  std::array<std::string, kContactFields.size()> one;
  std::array<std::vector<std::string>, kContactFields.size()> many;
  bool operator==(const FieldValues&) const = default;
};

struct ContactRecord {
  int64_t id = 0;
  int64_t organisation_id = 0;
  int64_t advisor_user_id = 0;
  std::string month;             // "YYYY-MM" or "unknown"; never a day
  FieldValues fields;            // channel, location, language, ... (store/contact_fields.h)
  int64_t indicator_version = 0;        // version of the indicator list the codes belong to
  std::vector<std::string> indicators;  // sorted, unique codes of that version
  std::string escalation;               // "none", "unknown", or a destination code
  std::string escalation_basis;         // "consent", "acute_danger" or "" when none
  std::string escalation_anonymous;     // "yes", "no", "unknown" or "" when none
  std::string case_code;                // "" or a generated case code
  std::string conversation_public_id;   // "" or the conversation this contact belongs to
  std::string sealed_notes;             // "" or SealTo(organisation public key, notes)
  std::vector<Referral> referrals;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

// A referral follow-up that is due, for the advisor's start page.
struct FollowUp {
  int64_t contact_id = 0;
  int64_t referral_id = 0;
  std::string organisation_name;
  std::string service;
  std::string date;  // "YYYY-MM-DD"
};

// A help organisation in the referral directory (public facts about an organisation only).
struct DirectoryEntry {
  int64_t id = 0;
  std::string slug;
  std::string name;
  std::vector<std::string> services;   // service codes
  std::vector<std::string> languages;  // language codes
  std::string contact;                 // the organisation's public contact details
  std::string opening_hours;
  bool active = true;
  int64_t updated_at = 0;
};

// One staff action. `record` is an id (a contact id, a conversation's public id, a user id),
// never content. `hash` = BLAKE2b over prev_hash and the other fields (domain/audit).
struct AuditEntry {
  int64_t id = 0;
  int64_t at = 0;
  int64_t user_id = 0;
  std::string action;
  std::string record;
  std::string prev_hash;  // hex; "" for the first entry
  std::string hash;       // hex
};

}  // namespace vd
