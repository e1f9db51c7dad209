#include "store/soci_contacts.h"

#include <array>
#include <sstream>
#include <string_view>
#include <stdexcept>

namespace vd::sql2 {
namespace {

using soci::indicator;
using soci::into;
using soci::use;

// Any constant works as long as every vertrouwd process uses the same one.
constexpr long long kAuditLockKey = 0x7664617564;  // "vdaud"

std::string JoinCodes(const std::vector<std::string>& codes) {
  std::string out;
  for (const std::string& c : codes) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

std::vector<std::string> SplitCodes(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string c; in >> c;) out.push_back(c);
  return out;
}

// The contacts table's columns, each named once: the integer and text columns of
// ContactRecord, then one text column per Choice::kOne field of the field table (named as the
// field). The column lists of SELECT, INSERT and UPDATE and the exchange with SOCI are made
// from these lists. Update leaves the columns marked kKeep as they were.
enum class OnUpdate { kSet, kKeep };
struct IntColumn {
  const char* name;
  int64_t ContactRecord::*member;
  OnUpdate update;
};
struct TextColumn {
  const char* name;
  std::string ContactRecord::*member;
};
constexpr IntColumn kIntColumns[] = {
    {"organisation_id", &ContactRecord::organisation_id, OnUpdate::kKeep},
    {"advisor_user_id", &ContactRecord::advisor_user_id, OnUpdate::kKeep},
    {"indicator_version", &ContactRecord::indicator_version, OnUpdate::kSet},
    {"created_at", &ContactRecord::created_at, OnUpdate::kKeep},
    {"updated_at", &ContactRecord::updated_at, OnUpdate::kSet},
};
constexpr TextColumn kTextColumns[] = {
    {"month", &ContactRecord::month},
    {"escalation", &ContactRecord::escalation},
    {"escalation_basis", &ContactRecord::escalation_basis},
    {"escalation_anonymous", &ContactRecord::escalation_anonymous},
    {"case_code", &ContactRecord::case_code},
    {"conversation_public_id", &ContactRecord::conversation_public_id},
    {"sealed_notes", &ContactRecord::sealed_notes},
};

// Every column name in exchange order, for `what`: kSelect (with the id first), kInsert
// ("a, b, c") or kUpdate ("a = ?, ..." of the kSet columns, placeholders :p0, :p1, ...).
enum class Clause { kSelect, kInsert, kInsertValues, kUpdate };
std::string ContactColumns(Clause clause) {
  std::vector<std::string> names;
  for (const IntColumn& c : kIntColumns) {
    if (clause != Clause::kUpdate || c.update == OnUpdate::kSet) names.emplace_back(c.name);
  }
  for (const TextColumn& c : kTextColumns) names.emplace_back(c.name);
  for (const ContactField& f : kContactFields) {
    if (f.choice == Choice::kOne) names.emplace_back(f.name);
  }
  std::string out = clause == Clause::kSelect ? "id" : "";
  for (size_t i = 0; i < names.size(); ++i) {
    if (!out.empty()) out += ", ";
    const std::string p = ":p" + std::to_string(i);
    out += clause == Clause::kInsertValues ? p : clause == Clause::kUpdate ? names[i] + " = " + p
                                                                          : names[i];
  }
  return out;
}

// One contacts row as SOCI exchanges it (SOCI speaks long long).
struct ContactRow {
  long long id = 0;
  std::array<long long, std::size(kIntColumns)> ints{};
  std::array<std::string, std::size(kTextColumns)> texts;
  FieldValues fields;

  static ContactRow Of(const ContactRecord& c) {
    ContactRow row;
    row.id = c.id;
    for (size_t i = 0; i < std::size(kIntColumns); ++i) row.ints[i] = c.*kIntColumns[i].member;
    for (size_t i = 0; i < std::size(kTextColumns); ++i) row.texts[i] = c.*kTextColumns[i].member;
    row.fields.one = c.fields.one;
    return row;
  }
  // into() for a SELECT of ContactColumns(kSelect), use() for an INSERT (kInsert) or an
  // UPDATE (kUpdate) of them.
  void Exchange(soci::statement& st, Clause clause) {
    if (clause == Clause::kSelect) st.exchange(into(id));
    for (size_t i = 0; i < std::size(kIntColumns); ++i) {
      if (clause == Clause::kSelect) {
        st.exchange(into(ints[i]));
      } else if (clause != Clause::kUpdate || kIntColumns[i].update == OnUpdate::kSet) {
        st.exchange(use(ints[i]));
      }
    }
    for (std::string& t : texts) {
      if (clause == Clause::kSelect) {
        st.exchange(into(t));
      } else {
        st.exchange(use(t));
      }
    }
    for (size_t f = 0; f < kContactFields.size(); ++f) {
      if (kContactFields[f].choice != Choice::kOne) continue;
      if (clause == Clause::kSelect) {
        st.exchange(into(fields.one[f]));
      } else {
        st.exchange(use(fields.one[f]));
      }
    }
  }
  ContactRecord ToRecord() const {
    ContactRecord c;
    c.id = id;
    for (size_t i = 0; i < std::size(kIntColumns); ++i) c.*kIntColumns[i].member = ints[i];
    for (size_t i = 0; i < std::size(kTextColumns); ++i) c.*kTextColumns[i].member = texts[i];
    c.fields.one = fields.one;
    return c;
  }
};

void WriteChildren(soci::session& sql, long long id, const ContactRecord& c) {
  sql << "DELETE FROM contact_codes WHERE contact_id = :c", use(id);
  sql << "DELETE FROM referrals WHERE contact_id = :c", use(id);
  auto codes = [&](std::string_view kind, const std::vector<std::string>& list) {
    const std::string k(kind);
    for (const std::string& code : list) {
      sql << "INSERT INTO contact_codes (contact_id, kind, code) VALUES (:c, :k, :v)", use(id),
          use(k), use(code);
    }
  };
  for (size_t f = 0; f < kContactFields.size(); ++f) {
    if (kContactFields[f].choice == Choice::kMany) codes(kContactFields[f].name, c.fields.many[f]);
  }
  codes(kSignalCodesKind, c.indicators);
  for (const Referral& r : c.referrals) {
    const long long dir = r.directory_id, done = r.follow_up_done ? 1 : 0;
    sql << "INSERT INTO referrals (contact_id, directory_id, service, consent, kind, follow_up, "
           "follow_up_done) VALUES (:c, :d, :s, :y, :k, :f, :x)",
        use(id), use(dir), use(r.service), use(r.consent), use(r.kind), use(r.follow_up),
        use(done);
  }
}

void ReadChildren(soci::session& sql, ContactRecord& c) {
  const long long id = c.id;
  std::string kind, code;
  soci::statement st = (sql.prepare << "SELECT kind, code FROM contact_codes WHERE contact_id = :c "
                                       "ORDER BY kind, code",
                        use(id), into(kind), into(code));
  st.execute();
  while (st.fetch()) {
    if (kind == kSignalCodesKind) {
      c.indicators.push_back(code);
      continue;
    }
    size_t f = 0;
    while (f < kContactFields.size() &&
           (kContactFields[f].choice != Choice::kMany || kContactFields[f].name != kind)) {
      ++f;
    }
    if (f == kContactFields.size()) {
      throw std::runtime_error("unexpected value in column contact_codes.kind");
    }
    c.fields.many[f].push_back(code);
  }
  Referral r;
  long long rid = 0, dir = 0, done = 0;
  soci::statement rs =
      (sql.prepare << "SELECT id, directory_id, service, consent, kind, follow_up, follow_up_done "
                      "FROM referrals WHERE contact_id = :c ORDER BY id",
       use(id), into(rid), into(dir), into(r.service), into(r.consent), into(r.kind),
       into(r.follow_up), into(done));
  rs.execute();
  while (rs.fetch()) {
    r.id = rid;
    r.directory_id = dir;
    r.follow_up_done = done != 0;
    c.referrals.push_back(r);
  }
}

std::vector<ContactRecord> SelectContacts(soci::session& sql, const std::string& where,
                                          long long a, std::optional<long long> b, int limit) {
  std::vector<ContactRecord> out;
  ContactRow row;
  const long long lim = limit;
  soci::statement st(sql);
  st.exchange(use(a));
  if (b) st.exchange(use(*b));
  st.exchange(use(lim));
  row.Exchange(st, Clause::kSelect);
  st.alloc();
  static const std::string columns = ContactColumns(Clause::kSelect);
  st.prepare("SELECT " + columns + " FROM contacts WHERE " + where + " ORDER BY id DESC LIMIT :l");
  st.define_and_bind();
  st.execute();
  while (st.fetch()) out.push_back(row.ToRecord());
  for (ContactRecord& c : out) ReadChildren(sql, c);
  return out;
}

struct DirectoryRow {
  long long id = 0, active = 1, updated = 0;
  std::string slug, name, services, languages, contact, hours;
  void Exchange(soci::statement& st) {
    st.exchange(into(id));
    st.exchange(into(slug));
    st.exchange(into(name));
    st.exchange(into(services));
    st.exchange(into(languages));
    st.exchange(into(contact));
    st.exchange(into(hours));
    st.exchange(into(active));
    st.exchange(into(updated));
  }
  DirectoryEntry ToEntry() const {
    DirectoryEntry e;
    e.id = id;
    e.slug = slug;
    e.name = name;
    e.services = SplitCodes(services);
    e.languages = SplitCodes(languages);
    e.contact = contact;
    e.opening_hours = hours;
    e.active = active != 0;
    e.updated_at = updated;
    return e;
  }
};

constexpr const char* kDirectoryColumns =
    "id, slug, name, services, languages, contact, opening_hours, active, updated_at";

}  // namespace

struct ContactInserter::Impl {
  explicit Impl(soci::session& sql) : st(sql) {
    static const std::string query = "INSERT INTO contacts (" +
                                     ContactColumns(Clause::kInsert) + ") VALUES (" +
                                     ContactColumns(Clause::kInsertValues) + ") RETURNING id";
    row.Exchange(st, Clause::kInsert);
    st.exchange(into(id));
    st.alloc();
    st.prepare(query);
    st.define_and_bind();
  }
  ContactRow row;  // bound by address: refilled in place for each record
  long long id = 0;
  soci::statement st;
};

ContactInserter::ContactInserter(soci::session& sql) : impl_(std::make_unique<Impl>(sql)) {}
ContactInserter::~ContactInserter() = default;

long long ContactInserter::Insert(const ContactRecord& c) {
  impl_->row = ContactRow::Of(c);
  impl_->st.execute(true);
  return impl_->id;
}

long long InsertContact(soci::session& sql, const ContactRecord& c) {
  const long long id = ContactInserter(sql).Insert(c);
  WriteChildren(sql, id, c);
  return id;
}

bool UpdateContact(soci::session& sql, const ContactRecord& c) {
  static const std::string query =
      "UPDATE contacts SET " + ContactColumns(Clause::kUpdate) + " WHERE id = :id";
  ContactRow row = ContactRow::Of(c);
  soci::statement st(sql);
  row.Exchange(st, Clause::kUpdate);
  st.exchange(use(row.id));
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
  st.execute(true);
  if (st.get_affected_rows() == 0) return false;
  WriteChildren(sql, c.id, c);
  return true;
}

std::optional<ContactRecord> FindContact(soci::session& sql, long long id) {
  auto list = SelectContacts(sql, "id = :a", id, std::nullopt, 1);
  if (list.empty()) return std::nullopt;
  return std::move(list.front());
}

std::vector<ContactRecord> ListContacts(soci::session& sql, long long organisation_id,
                                        std::optional<long long> advisor_user_id, int limit) {
  return SelectContacts(sql,
                        advisor_user_id ? "organisation_id = :a AND advisor_user_id = :b"
                                        : "organisation_id = :a",
                        organisation_id, advisor_user_id, limit);
}

std::optional<ContactRecord> LastContactBy(soci::session& sql, long long advisor_user_id) {
  auto list = SelectContacts(sql, "advisor_user_id = :a", advisor_user_id, std::nullopt, 1);
  if (list.empty()) return std::nullopt;
  return std::move(list.front());
}

std::vector<FollowUp> DueFollowUps(soci::session& sql, long long advisor_user_id,
                                   const std::string& until) {
  std::vector<FollowUp> out;
  FollowUp f;
  long long contact = 0, referral = 0;
  soci::statement st =
      (sql.prepare << "SELECT c.id, r.id, d.name, r.service, r.follow_up FROM referrals r "
                      "JOIN contacts c ON c.id = r.contact_id "
                      "JOIN directory_organisations d ON d.id = r.directory_id "
                      "WHERE c.advisor_user_id = :a AND r.follow_up <> '' AND "
                      "r.follow_up <= :u AND r.follow_up_done = 0 ORDER BY r.follow_up, r.id",
       use(advisor_user_id), use(until), into(contact), into(referral),
       into(f.organisation_name), into(f.service), into(f.date));
  st.execute();
  while (st.fetch()) {
    f.contact_id = contact;
    f.referral_id = referral;
    out.push_back(f);
  }
  return out;
}

bool MarkFollowUpDone(soci::session& sql, long long referral_id, long long advisor_user_id) {
  soci::statement st =
      (sql.prepare << "UPDATE referrals SET follow_up_done = 1 WHERE id = :r AND contact_id IN "
                      "(SELECT id FROM contacts WHERE advisor_user_id = :a)",
       use(referral_id), use(advisor_user_id));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

bool InsertCase(soci::session& sql, const std::string& code, long long organisation_id,
                long long at) {
  soci::statement st = (sql.prepare << "INSERT INTO cases (code, organisation_id, created_at) "
                                       "VALUES (:c, :o, :t) ON CONFLICT (code) DO NOTHING",
                        use(code), use(organisation_id), use(at));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

std::optional<long long> FindCaseOrganisation(soci::session& sql, const std::string& code) {
  long long org = 0;
  sql << "SELECT organisation_id FROM cases WHERE code = :c", use(code), into(org);
  if (!sql.got_data()) return std::nullopt;
  return org;
}

long long InsertDirectoryEntry(soci::session& sql, const DirectoryEntry& e) {
  long long id = 0;
  const std::string services = JoinCodes(e.services), languages = JoinCodes(e.languages);
  const long long active = e.active ? 1 : 0, updated = e.updated_at;
  sql << "INSERT INTO directory_organisations (slug, name, services, languages, contact, "
         "opening_hours, active, updated_at) VALUES (:s, :n, :sv, :l, :c, :h, :a, :u) RETURNING id",
      use(e.slug), use(e.name), use(services), use(languages), use(e.contact),
      use(e.opening_hours), use(active), use(updated), into(id);
  return id;
}

bool UpdateDirectoryEntry(soci::session& sql, const DirectoryEntry& e) {
  const std::string services = JoinCodes(e.services), languages = JoinCodes(e.languages);
  const long long active = e.active ? 1 : 0, updated = e.updated_at, id = e.id;
  soci::statement st =
      (sql.prepare << "UPDATE directory_organisations SET name = :n, services = :sv, "
                      "languages = :l, contact = :c, opening_hours = :h, active = :a, "
                      "updated_at = :u WHERE id = :id",
       use(e.name), use(services), use(languages), use(e.contact), use(e.opening_hours),
       use(active), use(updated), use(id));
  st.execute(true);
  return st.get_affected_rows() > 0;
}

std::vector<DirectoryEntry> ListDirectory(soci::session& sql, bool active_only) {
  std::vector<DirectoryEntry> out;
  DirectoryRow row;
  soci::statement st(sql);
  row.Exchange(st);
  st.alloc();
  st.prepare(std::string("SELECT ") + kDirectoryColumns + " FROM directory_organisations" +
             (active_only ? " WHERE active = 1" : "") + " ORDER BY name, id");
  st.define_and_bind();
  st.execute();
  while (st.fetch()) out.push_back(row.ToEntry());
  return out;
}

std::optional<DirectoryEntry> FindDirectoryEntry(soci::session& sql, long long id) {
  DirectoryRow row;
  soci::statement st(sql);
  st.exchange(use(id));
  row.Exchange(st);
  st.alloc();
  st.prepare(std::string("SELECT ") + kDirectoryColumns +
             " FROM directory_organisations WHERE id = :id");
  st.define_and_bind();
  st.execute();
  if (!st.fetch()) return std::nullopt;
  return row.ToEntry();
}

AuditEntry AppendAudit(soci::session& sql, Dialect dialect, const AuditEntry& e,
                       const std::function<std::string(const AuditEntry&)>& hash_of) {
  // SQLite write transactions are already serialised (BEGIN IMMEDIATE); PostgreSQL servers
  // queue on an advisory lock so that two appends never read the same head.
  if (dialect == Dialect::kPostgres) sql << "SELECT pg_advisory_xact_lock(" << kAuditLockKey << ")";
  long long last = 0;
  std::string prev;
  indicator ind = soci::i_null;
  sql << "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", into(last, ind), into(prev);
  AuditEntry out = e;
  if (!sql.got_data() || ind != soci::i_ok) {
    last = 0;
    prev.clear();
  }
  out.id = last + 1;
  out.prev_hash = prev;
  out.hash = hash_of(out);
  const long long id = out.id, at = out.at, user = out.user_id;
  sql << "INSERT INTO audit_log (id, at, user_id, action, record, prev_hash, hash) "
         "VALUES (:i, :t, :u, :a, :r, :p, :h)",
      use(id), use(at), use(user), use(out.action), use(out.record), use(out.prev_hash),
      use(out.hash);
  // The head lives outside the chain so that removing the newest entries shows too.
  const std::string key = "audit_head", head = std::to_string(out.id) + ":" + out.hash;
  sql << "INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET "
         "value = excluded.value",
      use(key), use(head);
  return out;
}

std::vector<AuditEntry> ListAudit(soci::session& sql, long long after_id, int limit) {
  std::vector<AuditEntry> out;
  AuditEntry e;
  long long id = 0, at = 0, user = 0;
  const long long lim = limit;
  soci::statement st =
      (sql.prepare << "SELECT id, at, user_id, action, record, prev_hash, hash FROM audit_log "
                      "WHERE id > :a ORDER BY id LIMIT :l",
       use(after_id), use(lim), into(id), into(at), into(user), into(e.action), into(e.record),
       into(e.prev_hash), into(e.hash));
  st.execute();
  while (st.fetch()) {
    e.id = id;
    e.at = at;
    e.user_id = user;
    out.push_back(e);
  }
  return out;
}

}  // namespace vd::sql2
