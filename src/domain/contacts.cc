#include "domain/contacts.h"

#include <algorithm>
#include <cassert>
#include <ctime>
#include <regex>
#include <set>

#include "crypto/crypto.h"

namespace vd {
namespace {

using Codes = std::vector<std::string>;

Error Invalid(const char* msgid, std::string detail) {
  return Error{ErrorCode::kInvalidInput, msgid, std::move(detail)};
}

bool In(const Codes& codes, std::string_view v) {
  return std::ranges::find(codes, v) != codes.end();
}

// One code of `codes`; an empty value is "unknown".
Result<std::string> One(const Codes& codes, const std::string& v, const char* field) {
  const std::string value = v.empty() ? "unknown" : v;
  if (!In(codes, value)) return std::unexpected(Invalid("staff_error.contact_code", field));
  return value;
}

// Several codes: sorted, unique; "unknown" only alone (stored as no codes).
Result<Codes> Many(const Codes& codes, Codes values, const char* field) {
  std::ranges::sort(values);
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (In(values, "unknown")) {
    if (values.size() > 1) return std::unexpected(Invalid("staff_error.contact_unknown_mixed", field));
    return Codes{};
  }
  for (const std::string& v : values) {
    if (!In(codes, v)) return std::unexpected(Invalid("staff_error.contact_code", field));
  }
  return values;
}

bool ValidDate(const std::string& d) {
  static const std::regex re("(20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])");
  return std::regex_match(d, re);
}

std::string CaseCode() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";  // Crockford
  std::string out = "K-";
  for (int i = 0; i < 8; ++i) {
    if (i == 4) out += '-';
    out += kAlphabet[RandomBelow(32)];
  }
  return out;
}

}  // namespace

// The coded fields' lists come from their definition (store/contact_fields.h).
const Codes& ContactCodes::Of(std::string_view field) {
  static const std::vector<Codes> lists = [] {
    std::vector<Codes> out;
    for (const ContactField& f : kContactFields) out.emplace_back(f.codes.begin(), f.codes.end());
    return out;
  }();
  for (size_t i = 0; i < kContactFields.size(); ++i) {
    if (kContactFields[i].name == field) return lists[i];
  }
  assert(false && "no contact field of that name");
  static const Codes none;
  return none;
}
const Codes& ContactCodes::Channels() { return Of("channel"); }
const Codes& ContactCodes::Locations() { return Of("location"); }
const Codes& ContactCodes::Languages() { return Of("language"); }
const Codes& ContactCodes::Genders() { return Of("gender"); }
const Codes& ContactCodes::AgeBands() { return Of("age_band"); }
const Codes& ContactCodes::Regions() { return Of("region"); }
const Codes& ContactCodes::Topics() { return Of("topic"); }
const Codes& ContactCodes::Advice() { return Of("advice"); }
const Codes& ContactCodes::Assessments() { return Of("assessment"); }

#define VD_CODES(fn, ...)                                  \
  const Codes& ContactCodes::fn() {                        \
    static const Codes codes = {__VA_ARGS__};              \
    return codes;                                          \
  }
VD_CODES(Escalations, "none", "comensha", "police", "veilig_thuis", "ggd", "care_org", "other",
         "unknown")
VD_CODES(Bases, "consent", "acute_danger", "unknown")
VD_CODES(YesNo, "yes", "no", "unknown")
VD_CODES(Services, "sexual_health", "health", "mental_health", "social_work", "legal", "debt",
         "housing", "shelter", "exit", "other")
VD_CODES(ReferralKinds, "warm", "cold", "unknown")
#undef VD_CODES

std::string Contacts::CurrentMonth() const {
  const std::time_t t = static_cast<std::time_t>(clock_.Now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m", &tm);
  return buf;
}

Result<ContactRecord> Contacts::Validate(Tx& tx, const StaffContext& staff,
                                         const ContactInput& in) {
  if (staff.user.role != Role::kAdvisor || !staff.user.organisation_id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "not an advisor");
  }
  ContactRecord r;
  r.organisation_id = *staff.user.organisation_id;
  r.advisor_user_id = staff.user.id;
  static const std::regex month_re("(20[0-9]{2})-(0[1-9]|1[0-2])");
  r.month = in.month.empty() ? "unknown" : in.month;
  if (r.month != "unknown") {
    if (!std::regex_match(r.month, month_re)) return std::unexpected(Invalid("staff_error.contact_month", "month"));
    // "YYYY-MM" strings compare like the months they name.
    if (r.month > CurrentMonth()) return std::unexpected(Invalid("staff_error.contact_future", "future"));
  }
  using C = ContactCodes;
  // The coded fields, each checked against its own codes; the detail names the field.
  for (size_t f = 0; f < kContactFields.size(); ++f) {
    const ContactField& field = kContactFields[f];
    const Codes& codes = C::Of(field.name);
    const std::string name(field.name);
    if (field.choice == Choice::kOne) {
      Result<std::string> v = One(codes, in.fields.one[f], name.c_str());
      if (!v) return std::unexpected(v.error());
      r.fields.one[f] = *v;
    } else {
      Result<Codes> v = Many(codes, in.fields.many[f], name.c_str());
      if (!v) return std::unexpected(v.error());
      r.fields.many[f] = *v;
    }
  }
  if (Result<std::string> v = One(C::Escalations(), in.escalation, "escalation"); !v) {
    return std::unexpected(v.error());
  } else {
    r.escalation = *v;
  }

  const IndicatorList* list = indicators_.Current();
  if (!list) return Fail(ErrorCode::kInternal, "error.internal", "no indicator list");
  r.indicator_version = list->version;
  Codes signals = in.indicators;
  std::ranges::sort(signals);
  signals.erase(std::unique(signals.begin(), signals.end()), signals.end());
  for (const std::string& code : signals) {
    const Indicator* i = list->Find(code);
    if (!i || i->retired) return std::unexpected(Invalid("staff_error.contact_indicator", "indicator"));
  }
  r.indicators = signals;

  // An escalation to a real destination needs a basis: consent, or acute danger to life.
  if (r.escalation == "none" || r.escalation == "unknown") {
    r.escalation_basis.clear();
    r.escalation_anonymous.clear();
  } else {
    if (in.escalation_basis != "consent" && in.escalation_basis != "acute_danger") {
      return std::unexpected(Invalid("staff_error.escalation_basis", "escalation basis"));
    }
    r.escalation_basis = in.escalation_basis;
    Result<std::string> anon = One(C::YesNo(), in.escalation_anonymous, "anonymous");
    if (!anon) return std::unexpected(anon.error());
    r.escalation_anonymous = *anon;
  }

  if (in.referrals.size() > ContactInput::kReferralRows) {
    return std::unexpected(Invalid("staff_error.contact_code", "too many referral rows"));
  }
  for (size_t row = 0; row < in.referrals.size(); ++row) {
    const ReferralInput& f = in.referrals[row];
    if (f.org.empty() || f.org == "none") continue;
    const std::string where = "referral " + std::to_string(row + 1) + ": ";
    Referral ref;
    int64_t dir_id = 0;
    try {
      dir_id = std::stoll(f.org);
    } catch (...) {
      return std::unexpected(Invalid("staff_error.contact_code", where + "org"));
    }
    Result<DirectoryEntry> entry = db_.directory().Find(tx, dir_id);
    if (!entry) {
      if (entry.error().code == ErrorCode::kNotFound) {
        return std::unexpected(Invalid("staff_error.contact_code", where + "org"));
      }
      return std::unexpected(entry.error());
    }
    ref.directory_id = entry->id;
    if (!In(C::Services(), f.service)) {
      return std::unexpected(Invalid("staff_error.contact_code", where + "service"));
    }
    ref.service = f.service;
    if (f.consent != "yes") {
      return std::unexpected(Invalid("staff_error.referral_consent", where + "consent"));
    }
    ref.consent = "yes";
    Result<std::string> kind = One(C::ReferralKinds(), f.kind, "referral kind");
    if (!kind) return std::unexpected(Invalid("staff_error.contact_code", where + "kind"));
    ref.kind = *kind;
    if (!f.follow_up.empty()) {
      if (!ValidDate(f.follow_up)) {
        return std::unexpected(Invalid("staff_error.contact_date", where + "follow-up"));
      }
      ref.follow_up = f.follow_up;
    }
    for (const Referral& earlier : r.referrals) {
      if (earlier.directory_id == ref.directory_id && earlier.service == ref.service) {
        return std::unexpected(Invalid("staff_error.referral_twice", where + "twice"));
      }
    }
    r.referrals.push_back(ref);
  }

  if (!in.conversation.empty()) {
    Result<Conversation> c = db_.conversations().FindByPublicId(tx, in.conversation);
    if (!c || c->organisation_id != r.organisation_id) {
      return std::unexpected(Invalid("staff_error.contact_conversation", "conversation"));
    }
    r.conversation_public_id = in.conversation;
  }
  if (in.case_mode == "existing") {
    static const std::regex case_re("K-[0-9A-Z]{4}-[0-9A-Z]{4}");
    std::string code = in.case_code;
    std::ranges::transform(code, code.begin(), [](unsigned char ch) { return std::toupper(ch); });
    if (!std::regex_match(code, case_re)) return std::unexpected(Invalid("staff_error.case_unknown", "case"));
    Result<int64_t> org = db_.contacts().FindCaseOrganisation(tx, code);
    if (!org || *org != r.organisation_id) {
      return std::unexpected(Invalid("staff_error.case_unknown", "case"));
    }
    r.case_code = code;
  } else if (!in.case_mode.empty() && in.case_mode != "none" && in.case_mode != "new") {
    return std::unexpected(Invalid("staff_error.contact_code", "case mode"));
  }

  if (in.notes.size() > 5000) return std::unexpected(Invalid("error.message_too_long", "notes"));
  if (!in.notes.empty()) {
    Result<Organisation> org = db_.staff().FindOrganisationById(tx, r.organisation_id);
    if (!org) return std::unexpected(org.error());
    Result<std::string> pk = Base64Decode(org->public_key);
    if (!pk || pk->size() != 32) return Fail(ErrorCode::kForbidden, "error.no_org_key", "no org key");
    r.sealed_notes = SealTo(*pk, in.notes);
  }
  r.created_at = r.updated_at = clock_.Now();
  return r;
}

Result<int64_t> Contacts::Record(const StaffContext& staff, const ContactInput& in) {
  // Checked and stored in one transaction: a directory entry switched off, or a conversation
  // deleted, meanwhile cannot slip in; the new case and the record commit together.
  return db_.Write("record contact", [&](Tx& tx) -> Result<int64_t> {
    Result<ContactRecord> r = Validate(tx, staff, in);
    if (!r) return std::unexpected(r.error());
    // A new referral goes only to an organisation still offered (edits may keep old ones).
    for (const Referral& ref : r->referrals) {
      Result<DirectoryEntry> e = db_.directory().Find(tx, ref.directory_id);
      if (!e) return std::unexpected(e.error());
      if (!e->active) return std::unexpected(Invalid("staff_error.contact_code", "inactive entry"));
    }
    if (in.case_mode == "new") {
      for (int attempt = 0;; ++attempt) {
        std::string code = CaseCode();
        Status s = db_.contacts().InsertCase(tx, code, r->organisation_id, r->created_at);
        if (s) {
          r->case_code = code;
          break;
        }
        if (s.error().code != ErrorCode::kConflict || attempt > 3) {
          return std::unexpected(s.error());
        }
      }
    }
    return db_.contacts().Insert(tx, *r);
  });
}

Status Contacts::Edit(const StaffContext& staff, int64_t id, const ContactInput& in) {
  return db_.Write("edit contact", [&](Tx& tx) -> Status {
    Result<ContactRecord> old = db_.contacts().Find(tx, id);
    if (!old) return std::unexpected(old.error());
    if (old->advisor_user_id != staff.user.id) {
      return Fail(ErrorCode::kForbidden, "error.forbidden", "not the record's advisor");
    }
    ContactInput keep = in;
    if (in.case_mode != "existing") {
      keep.case_mode = old->case_code.empty() ? "none" : "existing";
      keep.case_code = old->case_code;
    }
    Result<ContactRecord> r = Validate(tx, staff, keep);
    if (!r) return std::unexpected(r.error());
    r->id = id;
    r->created_at = old->created_at;
    if (in.notes.empty()) r->sealed_notes = old->sealed_notes;  // the form never shows notes back
    return db_.contacts().Update(tx, *r);
  });
}

Result<ContactView> Contacts::Read(const StaffContext& staff, int64_t id) {
  Result<ContactRecord> r =
      db_.Read("find contact", [&](Tx& tx) { return db_.contacts().Find(tx, id); });
  if (!r) return std::unexpected(r.error());
  const bool own_advisor = staff.user.role == Role::kAdvisor && r->advisor_user_id == staff.user.id;
  const bool coordinator = staff.user.role == Role::kCoordinator &&
                           staff.user.organisation_id == r->organisation_id;
  if (!own_advisor && !coordinator) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "not allowed to read this record");
  }
  ContactView v{*r, std::nullopt};
  if (!r->sealed_notes.empty() && staff.org_key &&
      staff.user.organisation_id == r->organisation_id) {
    Result<SecretBytes> plain = OpenSealedByOrg(staff, r->sealed_notes);
    if (plain) v.notes = std::string(plain->view());
  }
  return v;
}

Result<std::vector<ContactRecord>> Contacts::List(const StaffContext& staff) {
  if (!staff.user.organisation_id) return std::vector<ContactRecord>{};
  std::optional<int64_t> advisor;
  if (staff.user.role == Role::kAdvisor) {
    advisor = staff.user.id;
  } else if (staff.user.role != Role::kCoordinator) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "role cannot list records");
  }
  return db_.Read("list contacts", [&](Tx& tx) {
    return db_.contacts().List(tx, *staff.user.organisation_id, advisor, 200);
  });
}

ContactInput Contacts::InputFrom(const ContactRecord& r) {
  ContactInput in;
  in.month = r.month;
  in.fields = r.fields;
  in.indicators = r.indicators;
  in.escalation = r.escalation;
  in.escalation_basis = r.escalation_basis;
  in.escalation_anonymous = r.escalation_anonymous;
  for (const Referral& f : r.referrals) {
    in.referrals.push_back(
        {std::to_string(f.directory_id), f.service, f.consent, f.kind, f.follow_up});
  }
  in.case_mode = r.case_code.empty() ? "none" : "existing";
  in.case_code = r.case_code;
  in.conversation = r.conversation_public_id;
  return in;
}

Result<ContactInput> Contacts::Defaults(const StaffContext& staff) {
  ContactInput in;
  Result<std::optional<ContactRecord>> last =
      db_.Read("last contact", [&](Tx& tx) { return db_.contacts().LastBy(tx, staff.user.id); });
  if (!last) return std::unexpected(last.error());
  if (*last) {
    // Where and how the advisor works carries over; what concerns the person does not.
    for (size_t f : {FieldIndex("channel"), FieldIndex("location"), FieldIndex("language")}) {
      in.fields.one[f] = (*last)->fields.one[f];
    }
  }
  in.month = CurrentMonth();
  return in;
}

Result<std::vector<FollowUp>> Contacts::DueFollowUps(const StaffContext& staff) {
  const std::time_t t = static_cast<std::time_t>(clock_.Now() + 7 * 86400);  // a week ahead
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  const std::string until = buf;
  return db_.Read("due follow-ups",
                  [&](Tx& tx) { return db_.contacts().DueFollowUps(tx, staff.user.id, until); });
}

Status Contacts::FollowUpDone(const StaffContext& staff, int64_t referral_id) {
  return db_.Write("follow-up done", [&](Tx& tx) {
    return db_.contacts().MarkFollowUpDone(tx, referral_id, staff.user.id);
  });
}

Result<std::vector<DirectoryEntry>> Contacts::Directory(Entries entries) {
  return db_.Read("list directory",
                  [&](Tx& tx) { return db_.directory().List(tx, entries == Entries::kActive); });
}

Result<DirectoryEntry> Contacts::FindDirectoryEntry(int64_t id) {
  return db_.Read("find directory entry", [&](Tx& tx) { return db_.directory().Find(tx, id); });
}

Status Contacts::SetDirectoryEntryActive(int64_t id, bool active) {
  const int64_t now = clock_.Now();
  return db_.Write("set directory entry active", [&](Tx& tx) -> Status {
    Result<DirectoryEntry> e = db_.directory().Find(tx, id);
    if (!e) return std::unexpected(e.error());
    e->active = active;
    e->updated_at = now;
    return db_.directory().Update(tx, *e);
  });
}

Result<int64_t> Contacts::AddDirectoryEntry(const StaffContext& staff, DirectoryEntry e) {
  if (staff.user.role != Role::kCoordinator) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "not a coordinator");
  }
  static const std::regex slug_re("[a-z0-9][a-z0-9-]{1,40}");
  if (!std::regex_match(e.slug, slug_re)) return std::unexpected(Invalid("staff_error.directory_slug", "slug"));
  if (e.name.empty() || e.name.size() > 120 || e.contact.size() > 500 ||
      e.opening_hours.size() > 500) {
    return std::unexpected(Invalid("staff_error.directory_fields", "fields"));
  }
  for (const std::string& s : e.services) {
    if (!In(ContactCodes::Services(), s)) return std::unexpected(Invalid("staff_error.contact_code", "service"));
  }
  for (const std::string& l : e.languages) {
    if (!In(ContactCodes::Languages(), l)) return std::unexpected(Invalid("staff_error.contact_code", "language"));
  }
  e.active = true;
  e.updated_at = clock_.Now();
  Result<int64_t> id =
      db_.Write("add directory entry", [&](Tx& tx) { return db_.directory().Insert(tx, e); });
  if (!id && id.error().code == ErrorCode::kConflict) {
    return std::unexpected(Invalid("staff_error.directory_slug", "slug taken"));
  }
  return id;
}

}  // namespace vd
