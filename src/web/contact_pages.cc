// Staff pages for the advisor's daily work: contact records (a phone-first form that works
// without JavaScript), follow-ups, the referral directory, the indicator list, the user list
// and the audit log; and the audit hook every staff route passes through. The role each
// route needs is stated in RegisterContactRoutes.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <filesystem>
#include <set>

#include "core/clock.h"
#include "crypto/crypto.h"
#include "web/app_internal.h"
#include "web/errors.h"

namespace vd {
namespace {

std::optional<int64_t> ParseId(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::string Str(std::optional<std::string_view> v) { return std::string(v.value_or("")); }

std::vector<std::string> Strs(const FormFields& form, std::string_view name) {
  std::vector<std::string> out;
  for (std::string_view v : FormValues(form, name)) out.emplace_back(v);
  return out;
}

ContactInput InputFromForm(const FormFields& f) {
  ContactInput in;
  in.month = Str(FormValue(f, "month"));
  // Each coded field is sent under its name (store/contact_fields.h).
  for (size_t i = 0; i < kContactFields.size(); ++i) {
    if (kContactFields[i].choice == Choice::kOne) {
      in.fields.one[i] = Str(FormValue(f, kContactFields[i].name));
    } else {
      in.fields.many[i] = Strs(f, kContactFields[i].name);
    }
  }
  in.indicators = Strs(f, "indicator");
  in.escalation = Str(FormValue(f, "escalation"));
  in.escalation_basis = Str(FormValue(f, "escalation_basis"));
  in.escalation_anonymous = Str(FormValue(f, "escalation_anonymous"));
  // Referral rows are "referral1_org", "referral2_org", ...; a row without an organisation
  // is unused and not kept.
  for (size_t row = 1; row <= ContactInput::kReferralRows; ++row) {
    auto field = [&](const char* name) {
      return Str(FormValue(f, "referral" + std::to_string(row) + "_" + name));
    };
    ReferralInput r{field("org"), field("service"), field("consent"), field("kind"),
                    field("follow_up")};
    if (!r.org.empty() && r.org != "none") in.referrals.push_back(std::move(r));
  }
  in.case_mode = Str(FormValue(f, "case_mode"));
  in.case_code = Str(FormValue(f, "case_code"));
  in.conversation = Str(FormValue(f, "conversation"));
  in.notes = Str(FormValue(f, "notes"));
  return in;
}

}  // namespace

Status WebApp::Impl::LoadContactData() {
  // Shipped reference data sits beside templates/ (the share folder or the checkout).
  const std::filesystem::path dir =
      std::filesystem::path(config.templates_dir).parent_path() / "data" / "indicators";
  Result<IndicatorCatalog> catalog = IndicatorCatalog::LoadDir(dir.string());
  if (!catalog) return std::unexpected(catalog.error());
  indicators = std::move(*catalog);
  // Then the versions coordinators made in the browser, kept in the database.
  return LoadStoredIndicatorLists(deps.store, indicators);
}

void WebApp::Impl::RefreshIndicators() {
  const IndicatorList* current = indicators.Current();
  if (Status s = LoadStoredIndicatorLists(deps.store, indicators, current ? current->version + 1 : 1);
      !s) {
    spdlog::error("indicator lists: {}", s.error().detail);
  }
}

void WebApp::Impl::RegisterContactRoutes() {
  using R = Role;
  const auto advisor = Access::Staff({R::kAdvisor});
  const auto coordinator = Access::Staff({R::kCoordinator});
  const auto casework = Access::Staff({R::kAdvisor, R::kCoordinator});
  Get("/staff/contacts", casework, [this](Ctx& c) { return ContactList(c); });
  Get("/staff/contacts/new", advisor, [this](Ctx& c) { return ContactForm(c); });
  Post("/staff/contacts/new", advisor, [this](Ctx& c) { return ContactPost(c); });
  Get("/staff/contacts/{id}", casework, [this](Ctx& c) { return ContactShow(c); });
  Get("/staff/contacts/{id}/edit", advisor, [this](Ctx& c) { return ContactForm(c); });
  Post("/staff/contacts/{id}/edit", advisor, [this](Ctx& c) { return ContactPost(c); });
  Post("/staff/followups/{id}/done", advisor, [this](Ctx& c) { return FollowUpDonePost(c); });
  Get("/staff/directory", casework, [this](Ctx& c) { return DirectoryPage(c); });
  Post("/staff/directory", coordinator, [this](Ctx& c) { return DirectoryPost(c); });
  Post("/staff/directory/{id}/active", coordinator,
       [this](Ctx& c) { return DirectoryActivePost(c); });
  Get("/staff/indicators", casework, [this](Ctx& c) { return IndicatorsPage(c); });
  Post("/staff/indicators", coordinator, [this](Ctx& c) { return IndicatorsPost(c); });
  Get("/staff/users", Access::Staff({R::kCoordinator, R::kAdmin}),
      [this](Ctx& c) { return UsersPage(c); });
  Post("/staff/users", Access::Staff({R::kCoordinator, R::kAdmin}),
       [this](Ctx& c) { return UsersPost(c); });
  Post("/staff/users/{id}/disable", Access::Staff({R::kCoordinator, R::kAdmin}),
       [this](Ctx& c) { return UserDisablePost(c); });
  Get("/staff/audit", Access::Staff({R::kAdmin}), [this](Ctx& c) { return AuditPage(c); });
}

void WebApp::Impl::AuditStaff(Ctx& ctx, const Route& route, unsigned status) {
  if (!ctx.staff) return;
  std::string record = ctx.audit_record;
  if (record.empty()) {
    auto id = ctx.params.find("id");
    if (id != ctx.params.end() && id->second.size() <= 64) record = id->second;
  }
  // The action code is the route pattern (no values), with the outcome class.
  std::string action = route.method + " " + route.pattern;
  if (status >= 400) action += " " + std::to_string(status);
  if (Status s = audit.Record(ctx.staff->user.id, action, record); !s) {
    spdlog::error("req {} audit failed: {}", ctx.req.request_id, s.error().detail);
  }
}

void WebApp::Impl::AddStaffHomeContacts(Ctx& ctx, mustache::data& d) {
  const Role role = ctx.staff->user.role;
  mustache::data links{mustache::data::type::list};
  auto link = [&](const char* href, std::string label) {
    mustache::data l;
    l.set("href", std::string(href));
    l.set("label", std::move(label));
    links.push_back(l);
  };
  if (role == Role::kAdvisor) link("/staff/contacts/new", T(ctx, "Record a contact"));
  if (role == Role::kAdvisor || role == Role::kCoordinator) {
    link("/staff/contacts", T(ctx, "Contact records"));
    link("/staff/directory", T(ctx, "Referral directory"));
    link("/staff/indicators", T(ctx, "Indicator list"));
  }
  if (role == Role::kCoordinator || role == Role::kAdmin) link("/staff/users", T(ctx, "Staff"));
  if (role == Role::kAdmin) link("/staff/audit", T(ctx, "Audit log"));
  if (role == Role::kCoordinator || role == Role::kAnalyst) link("/staff/reports", T(ctx, "Reports"));
  d.set("has_links", true);
  d.set("staff_links", links);
  if (role != Role::kAdvisor) return;
  Result<std::vector<FollowUp>> due = contacts.DueFollowUps(*ctx.staff);
  if (!due) return;
  mustache::data list{mustache::data::type::list};
  for (const FollowUp& f : *due) {
    mustache::data item;
    item.set("contact", std::to_string(f.contact_id));
    item.set("referral", std::to_string(f.referral_id));
    item.set("organisation", f.organisation_name);
    item.set("service", T(ctx, "c.service." + f.service));
    item.set("date", f.date);
    list.push_back(item);
  }
  d.set("has_followups", !due->empty());
  d.set("followups", list);
}

Response WebApp::Impl::ContactList(Ctx& ctx) {
  Result<std::vector<ContactRecord>> list = contacts.List(*ctx.staff);
  if (!list) return ErrorPage(ctx, list.error());
  mustache::data rows{mustache::data::type::list};
  for (const ContactRecord& c : *list) {
    mustache::data row;
    row.set("id", std::to_string(c.id));
    row.set("month", c.month == "unknown" ? T(ctx, "c.unknown") : c.month);
    row.set("channel", T(ctx, "c.channel." + c.fields.one[FieldIndex("channel")]));
    row.set("assessment", T(ctx, "c.assessment." + c.fields.one[FieldIndex("assessment")]));
    row.set("signals", std::to_string(c.indicators.size()));
    row.set("escalation", T(ctx, "c.escalation." + c.escalation));
    row.set("case", c.case_code);
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("empty", list->empty());
  d.set("advisor", ctx.staff->user.role == Role::kAdvisor);
  return Render(ctx, "staff_contacts", d, true);
}

Response WebApp::Impl::ContactForm(Ctx& ctx, const Error* error) {
  if (!error) RefreshIndicators();
  const StaffContext& staff = *ctx.staff;
  ContactInput in;
  const bool editing = ctx.params.contains("id");
  if (error) {
    in = InputFromForm(ctx.form);
  } else if (editing) {
    auto id = ParseId(ctx.params["id"]);
    if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "contact id"});
    Result<ContactView> view = contacts.Read(staff, *id);
    if (!view) return ErrorPage(ctx, view.error());
    if (view->record.advisor_user_id != staff.user.id) {
      return ErrorPage(ctx, Error{ErrorCode::kForbidden, "error.forbidden", "not own record"});
    }
    in = Contacts::InputFrom(view->record);
  } else {
    Result<ContactInput> defaults = contacts.Defaults(staff);
    if (!defaults) return ErrorPage(ctx, defaults.error());
    in = std::move(*defaults);
    if (auto c = ctx.req.Query("conversation")) in.conversation = std::string(*c);
  }
  auto options = [&](const std::vector<std::string>& codes, std::string_view prefix,
                     const std::set<std::string>& chosen) {
    mustache::data l{mustache::data::type::list};
    for (const std::string& code : codes) {
      mustache::data item;
      item.set("code", code);
      item.set("label", T(ctx, std::string(prefix) + code));
      item.set("checked", chosen.contains(code));
      l.push_back(item);
    }
    return l;
  };
  auto one = [](const std::string& v) { return std::set<std::string>{v.empty() ? "unknown" : v}; };
  auto group = [&](const char* name, std::string legend, const std::vector<std::string>& codes,
                   const char* prefix, const std::set<std::string>& chosen) {
    mustache::data g;
    g.set("name", std::string(name));
    g.set("legend", std::move(legend));
    g.set("options", options(codes, prefix, chosen));
    return g;
  };
  using C = ContactCodes;
  // The coded fields, each in its group of the form. Nothing ticked in a kMany field means
  // unknown, so a new form ticks nothing: choosing topics then takes one tap each, without
  // first unticking "unknown" (which stays offered).
  auto many = [](const std::vector<std::string>& v) { return std::set<std::string>(v.begin(), v.end()); };
  mustache::data singles{mustache::data::type::list};
  mustache::data multis{mustache::data::type::list};
  mustache::data outcome{mustache::data::type::list};
  for (size_t i = 0; i < kContactFields.size(); ++i) {
    const ContactField& f = kContactFields[i];
    const std::string name(f.name), prefix(f.prefix);
    mustache::data g = group(name.c_str(), T(ctx, f.label), C::Of(f.name), prefix.c_str(),
                             f.choice == Choice::kOne ? one(in.fields.one[i]) : many(in.fields.many[i]));
    (f.group == Group::kOutcome ? outcome : f.group == Group::kSubject ? multis : singles).push_back(g);
  }

  // Signals, grouped by category, from the current list.
  const IndicatorList* list = indicators.Current();
  const std::set<std::string> chosen_signals(in.indicators.begin(), in.indicators.end());
  mustache::data signal_groups{mustache::data::type::list};
  if (list) {
    for (const IndicatorCategory& cat : list->categories) {
      mustache::data opts{mustache::data::type::list};
      for (const Indicator& i : list->indicators) {
        if (i.category != cat.code || i.retired) continue;
        mustache::data item;
        item.set("code", i.code);
        item.set("label", indicators.Name(list->version, i.code, ctx.lang));
        item.set("hint", indicators.Explain(list->version, i.code, ctx.lang));
        item.set("checked", chosen_signals.contains(i.code));
        opts.push_back(item);
      }
      mustache::data g;
      g.set("legend", indicators.CategoryName(list->version, cat.code, ctx.lang));
      g.set("options", opts);
      signal_groups.push_back(g);
    }
  }
  mustache::data escalation{mustache::data::type::list};
  escalation.push_back(group("escalation", T(ctx, "Passed on to"), C::Escalations(), "c.escalation.",
                             one(in.escalation)));
  escalation.push_back(group("escalation_basis", T(ctx, "On what basis"), C::Bases(), "c.basis.",
                             one(in.escalation_basis)));
  escalation.push_back(group("escalation_anonymous", T(ctx, "Anonymously"), C::YesNo(), "c.yesno.",
                             one(in.escalation_anonymous)));
  // Referral rows: the ones the record has, then empty ones up to kReferralRows. Row n's
  // fields are named "referral<n>_..."; the row an error is about is marked.
  Result<std::vector<DirectoryEntry>> directory = contacts.Directory(true);
  if (!directory) return ErrorPage(ctx, directory.error());
  size_t error_row = 0;
  if (error && error->detail.starts_with("referral ") && error->detail.size() > 9) {
    error_row = static_cast<size_t>(error->detail[9] - '0');
  }
  mustache::data referral_rows{mustache::data::type::list};
  for (size_t row = 1; row <= ContactInput::kReferralRows; ++row) {
    const ReferralInput f = row <= in.referrals.size() ? in.referrals[row - 1] : ReferralInput{};
    const std::string prefix = "referral" + std::to_string(row) + "_";
    mustache::data orgs{mustache::data::type::list};
    for (const DirectoryEntry& e : *directory) {
      mustache::data item;
      item.set("code", std::to_string(e.id));
      item.set("label", e.name);
      item.set("checked", f.org == std::to_string(e.id));
      orgs.push_back(item);
    }
    mustache::data radios{mustache::data::type::list};
    radios.push_back(group((prefix + "consent").c_str(), T(ctx, "The worker consents to the referral"),
                           C::YesNo(), "c.yesno.", one(f.consent)));
    radios.push_back(group((prefix + "kind").c_str(), T(ctx, "Warm or cold referral"),
                           C::ReferralKinds(), "c.kind.", one(f.kind)));
    mustache::data r;
    r.set("row", std::to_string(row));
    r.set("prefix", prefix);
    r.set("open", !f.org.empty() || row == error_row);
    r.set("row_error", row == error_row);
    r.set("orgs", orgs);
    r.set("services", options(C::Services(), "c.service.", {f.service}));
    r.set("radios", radios);
    r.set("follow_up", f.follow_up);
    referral_rows.push_back(r);
  }

  // Months: this one and the eleven before it, then "unknown" (never a day).
  mustache::data months{mustache::data::type::list};
  {
    const std::string current = contacts.CurrentMonth();
    int y = std::stoi(current.substr(0, 4)), m = std::stoi(current.substr(5, 2));
    for (int i = 0; i < 12; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d", y, m);
      mustache::data item;
      item.set("code", std::string(buf));
      item.set("label", std::string(buf));
      item.set("checked", in.month == buf);
      months.push_back(item);
      if (--m == 0) {
        m = 12;
        --y;
      }
    }
    mustache::data unknown;
    unknown.set("code", std::string("unknown"));
    unknown.set("label", T(ctx, "c.unknown"));
    unknown.set("checked", in.month == "unknown");
    months.push_back(unknown);
  }
  mustache::data d;
  d.set("action", editing ? "/staff/contacts/" + ctx.params["id"] + "/edit" : std::string("/staff/contacts/new"));
  d.set("editing", editing);
  d.set("months", months);
  d.set("singles", singles);
  d.set("multis", multis);
  d.set("signal_groups", signal_groups);
  d.set("list_version", std::to_string(list ? list->version : 0));
  d.set("outcome", outcome);
  d.set("escalation", escalation);
  d.set("referral_rows", referral_rows);
  d.set("case_none", in.case_mode.empty() || in.case_mode == "none");
  d.set("case_new", in.case_mode == "new");
  d.set("case_existing", in.case_mode == "existing");
  d.set("case_code", in.case_code);
  d.set("conversation", in.conversation);
  unsigned status = 200;
  if (error) {
    std::string message = T(ctx, error->user_message);
    if (error_row > 0) message = T(ctx, "Referral") + " " + std::to_string(error_row) + ": " + message;
    d.set("error", message);
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_contact_form", d, true, status);
}

Response WebApp::Impl::ContactPost(Ctx& ctx) {
  RefreshIndicators();
  const ContactInput in = InputFromForm(ctx.form);
  std::string id_text;
  if (ctx.params.contains("id")) {
    auto id = ParseId(ctx.params["id"]);
    if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "contact id"});
    Status s = contacts.Edit(*ctx.staff, *id, in);
    if (!s) {
      if (s.error().code == ErrorCode::kInvalidInput) return ContactForm(ctx, &s.error());
      return ErrorPage(ctx, s.error());
    }
    id_text = std::to_string(*id);
  } else {
    Result<int64_t> id = contacts.Record(*ctx.staff, in);
    if (!id) {
      if (id.error().code == ErrorCode::kInvalidInput) return ContactForm(ctx, &id.error());
      return ErrorPage(ctx, id.error());
    }
    id_text = std::to_string(*id);
  }
  ctx.audit_record = id_text;
  return Redirect(ctx, "/staff/contacts/" + id_text);
}

Response WebApp::Impl::ContactShow(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "contact id"});
  Result<ContactView> view = contacts.Read(*ctx.staff, *id);
  if (!view) return ErrorPage(ctx, view.error());
  const ContactRecord& r = view->record;
  mustache::data facts{mustache::data::type::list};
  auto fact = [&](std::string label, std::string value) {
    mustache::data f;
    f.set("label", std::move(label));
    f.set("value", std::move(value));
    facts.push_back(f);
  };
  auto join = [&](const std::vector<std::string>& codes, const std::string& prefix) {
    if (codes.empty()) return T(ctx, "c.unknown");
    std::string out;
    for (const std::string& c : codes) out += (out.empty() ? "" : ", ") + T(ctx, prefix + c);
    return out;
  };
  fact(T(ctx, "Month"), r.month == "unknown" ? T(ctx, "c.unknown") : r.month);
  for (size_t i = 0; i < kContactFields.size(); ++i) {
    const ContactField& f = kContactFields[i];
    const std::string prefix(f.prefix);
    fact(T(ctx, f.label), f.choice == Choice::kOne ? T(ctx, prefix + r.fields.one[i])
                                                   : join(r.fields.many[i], prefix));
  }
  std::string escalation = T(ctx, "c.escalation." + r.escalation);
  if (!r.escalation_basis.empty()) {
    escalation += " · " + T(ctx, "c.basis." + r.escalation_basis) + " · " + T(ctx, "Anonymously") +
                  ": " + T(ctx, "c.yesno." + r.escalation_anonymous);
  }
  fact(T(ctx, "Passed on to"), escalation);
  if (!r.case_code.empty()) fact(T(ctx, "Case code"), r.case_code);
  mustache::data signals{mustache::data::type::list};
  for (const std::string& code : r.indicators) {
    // Named as the list version the record was made with: a later list never changes it.
    mustache::data s;
    s.set("code", code);
    s.set("name", indicators.Name(r.indicator_version, code, ctx.lang));
    s.set("explain", indicators.Explain(r.indicator_version, code, ctx.lang));
    signals.push_back(s);
  }
  mustache::data referrals{mustache::data::type::list};
  for (const Referral& f : r.referrals) {
    mustache::data item;
    Result<DirectoryEntry> e = deps.store.FindDirectoryEntry(f.directory_id);
    item.set("organisation", e ? e->name : std::string("?"));
    item.set("service", T(ctx, "c.service." + f.service));
    item.set("kind", T(ctx, "c.kind." + f.kind));
    item.set("follow_up", f.follow_up);
    referrals.push_back(item);
  }
  mustache::data d;
  d.set("id", std::to_string(r.id));
  d.set("facts", facts);
  d.set("signals", signals);
  d.set("has_signals", !r.indicators.empty());
  d.set("list_version", std::to_string(r.indicator_version));
  d.set("referrals", referrals);
  d.set("has_referrals", !r.referrals.empty());
  if (view->notes) d.set("notes", *view->notes);
  d.set("has_notes", view->notes.has_value());
  d.set("sealed_notes", !r.sealed_notes.empty() && !view->notes);
  d.set("can_edit", ctx.staff->user.id == r.advisor_user_id);
  d.set("conversation", r.conversation_public_id);
  return Render(ctx, "staff_contact", d, true);
}

Response WebApp::Impl::FollowUpDonePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "referral id"});
  if (Status s = contacts.FollowUpDone(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect(ctx, "/staff");
}

Response WebApp::Impl::DirectoryPage(Ctx& ctx, const Error* error) {
  Result<std::vector<DirectoryEntry>> list = contacts.Directory(false);
  if (!list) return ErrorPage(ctx, list.error());
  mustache::data rows{mustache::data::type::list};
  for (const DirectoryEntry& e : *list) {
    mustache::data row;
    row.set("name", e.name);
    std::string services, languages;
    for (const std::string& s : e.services) services += (services.empty() ? "" : ", ") + T(ctx, "c.service." + s);
    for (const std::string& l : e.languages) languages += (languages.empty() ? "" : ", ") + T(ctx, "c.language." + l);
    row.set("services", services);
    row.set("languages", languages);
    row.set("contact", e.contact);
    row.set("hours", e.opening_hours);
    row.set("active", e.active);
    row.set("id", std::to_string(e.id));
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("coordinator", ctx.staff->user.role == Role::kCoordinator);
  auto options = [&](const std::vector<std::string>& codes, const char* prefix) {
    mustache::data l{mustache::data::type::list};
    for (const std::string& c : codes) {
      if (c == "unknown" || c == "other") continue;
      mustache::data item;
      item.set("code", c);
      item.set("label", T(ctx, std::string(prefix) + c));
      l.push_back(item);
    }
    return l;
  };
  d.set("services", options(ContactCodes::Services(), "c.service."));
  d.set("languages", options(ContactCodes::Languages(), "c.language."));
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_directory", d, true, status);
}

Response WebApp::Impl::DirectoryPost(Ctx& ctx) {
  DirectoryEntry e;
  e.slug = Str(FormValue(ctx.form, "slug"));
  e.name = Str(FormValue(ctx.form, "name"));
  e.services = Strs(ctx.form, "service");
  e.languages = Strs(ctx.form, "language");
  e.contact = Str(FormValue(ctx.form, "contact"));
  e.opening_hours = Str(FormValue(ctx.form, "hours"));
  Result<int64_t> id = contacts.AddDirectoryEntry(*ctx.staff, e);
  if (!id) {
    if (id.error().code == ErrorCode::kInvalidInput) return DirectoryPage(ctx, &id.error());
    return ErrorPage(ctx, id.error());
  }
  ctx.audit_record = "directory:" + std::to_string(*id);
  return Redirect(ctx, "/staff/directory");
}

Response WebApp::Impl::DirectoryActivePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "directory id"});
  Result<DirectoryEntry> e = deps.store.FindDirectoryEntry(*id);
  if (!e) return ErrorPage(ctx, e.error());
  // Old referrals keep pointing at an entry that is no longer offered, so entries are
  // switched off, never deleted.
  e->active = FormValue(ctx.form, "active").value_or("") == "1";
  e->updated_at = deps.clock.Now();
  if (Status s = deps.store.UpdateDirectoryEntry(*e); !s) return ErrorPage(ctx, s.error());
  ctx.audit_record = "directory:" + std::to_string(*id);
  return Redirect(ctx, "/staff/directory");
}

Response WebApp::Impl::IndicatorsPage(Ctx& ctx, const Error* error) {
  if (!error) RefreshIndicators();
  const IndicatorList* list = indicators.Current();
  const bool coordinator = ctx.staff->user.role == Role::kCoordinator;
  mustache::data groups{mustache::data::type::list};
  mustache::data live_codes{mustache::data::type::list}, all_codes{mustache::data::type::list};
  mustache::data categories{mustache::data::type::list};
  if (list) {
    for (const IndicatorCategory& cat : list->categories) {
      mustache::data items{mustache::data::type::list};
      for (const Indicator& i : list->indicators) {
        if (i.category != cat.code) continue;
        mustache::data item;
        item.set("code", i.code);
        item.set("name", indicators.Name(list->version, i.code, ctx.lang));
        item.set("explain", indicators.Explain(list->version, i.code, ctx.lang));
        std::string ilo, htcds;
        for (int64_t n : i.ilo) ilo += (ilo.empty() ? "" : ", ") + std::to_string(n);
        for (const std::string& h : i.htcds) htcds += (htcds.empty() ? "" : ", ") + h;
        for (const std::string& h : i.dutch) htcds += (htcds.empty() ? "" : ", ") + ("nl:" + h);
        item.set("ilo", ilo);
        item.set("other", htcds);
        item.set("retired", i.retired);
        // Languages without their own text show the English one; say which.
        std::string missing;
        for (const Language& l : deps.catalogs.languages()) {
          if (l.code == "en" || (i.name.contains(l.code) && i.explain.contains(l.code))) continue;
          missing += (missing.empty() ? "" : ", ") + l.code;
        }
        item.set("missing", missing);
        items.push_back(item);
        mustache::data option;
        option.set("code", i.code);
        option.set("label", i.code + " · " + indicators.Name(list->version, i.code, ctx.lang));
        all_codes.push_back(option);
        if (!i.retired) live_codes.push_back(option);
      }
      mustache::data g;
      g.set("name", indicators.CategoryName(list->version, cat.code, ctx.lang));
      g.set("items", items);
      groups.push_back(g);
      mustache::data c;
      c.set("code", cat.code);
      c.set("label", indicators.CategoryName(list->version, cat.code, ctx.lang));
      categories.push_back(c);
    }
  }
  mustache::data d;
  d.set("version", std::to_string(list ? list->version : 0));
  d.set("next_version", std::to_string(list ? list->version + 1 : 1));
  d.set("groups", groups);
  d.set("coordinator", coordinator);
  if (coordinator) {
    d.set("categories", categories);
    d.set("live_codes", live_codes);
    d.set("all_codes", all_codes);
    mustache::data ilo{mustache::data::type::list}, dutch{mustache::data::type::list},
        htcds{mustache::data::type::list};
    for (int64_t n : IndicatorMappings::Ilo()) {
      mustache::data o;
      o.set("code", std::to_string(n));
      o.set("label", std::to_string(n) + " · " + T(ctx, "ilo." + std::to_string(n)));
      ilo.push_back(o);
    }
    for (const std::string& g : IndicatorMappings::Dutch()) {
      mustache::data o;
      o.set("code", g);
      o.set("label", T(ctx, "dutch." + g));
      dutch.push_back(o);
    }
    for (const std::string& h : IndicatorMappings::Htcds()) {
      mustache::data o;
      o.set("code", h);
      o.set("label", h);
      htcds.push_back(o);
    }
    d.set("ilo", ilo);
    d.set("dutch", dutch);
    d.set("htcds", htcds);
    mustache::data others{mustache::data::type::list};
    for (const Language& l : deps.catalogs.languages()) {
      if (l.code == "nl" || l.code == "en") continue;
      mustache::data o;
      o.set("code", l.code);
      o.set("label", l.native_name);
      others.push_back(o);
    }
    d.set("other_languages", others);
  }
  unsigned status = 200;
  if (error) {
    std::string message = T(ctx, error->user_message);
    const std::string code = Str(FormValue(ctx.form, "code"));
    if (!code.empty() && code.size() <= 60) message += " (" + code + ")";
    d.set("error", message);
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_indicators", d, true, status);
}

Response WebApp::Impl::IndicatorsPost(Ctx& ctx) {
  RefreshIndicators();
  const IndicatorList* current = indicators.Current();
  if (!current) return ErrorPage(ctx, Error{ErrorCode::kInternal, "error.internal", "no list"});
  IndicatorChange change;
  const std::string action = Str(FormValue(ctx.form, "action"));
  Indicator& i = change.indicator;
  i.code = Str(FormValue(ctx.form, "code"));
  auto texts = [&](std::map<std::string, std::string>& out, const char* field) {
    for (const Language& l : deps.catalogs.languages()) {
      std::string v = Str(FormValue(ctx.form, std::string(field) + "_" + l.code));
      if (!v.empty()) out[l.code] = std::move(v);
    }
  };
  texts(i.name, "name");
  texts(i.explain, "explain");
  if (action == "add") {
    change.kind = IndicatorChange::Kind::kAdd;
    i.category = Str(FormValue(ctx.form, "category"));
    for (const std::string& n : Strs(ctx.form, "ilo")) {
      auto v = ParseId(n);
      i.ilo.push_back(v.value_or(0));
    }
    i.dutch = Strs(ctx.form, "dutch");
    i.htcds = Strs(ctx.form, "htcds");
  } else if (action == "retire") {
    change.kind = IndicatorChange::Kind::kRetire;
  } else if (action == "reword") {
    change.kind = IndicatorChange::Kind::kReword;
  } else {
    Error e{ErrorCode::kInvalidInput, "error.bad_form", "indicator action"};
    return IndicatorsPage(ctx, &e);
  }
  Result<IndicatorList> next = IndicatorCatalog::Derive(*current, change);
  Status saved = next ? SaveIndicatorVersion(deps.store, indicators, *next, ctx.staff->user.id,
                                             deps.clock.Now())
                      : Status(std::unexpected(next.error()));
  if (!saved) {
    const ErrorCode code = saved.error().code;
    if (code == ErrorCode::kInvalidInput || code == ErrorCode::kConflict) {
      return IndicatorsPage(ctx, &saved.error());
    }
    return ErrorPage(ctx, saved.error());
  }
  ctx.audit_record = "indicators:v" + std::to_string(next->version) + ":" + action;
  return Redirect(ctx, "/staff/indicators");
}

Response WebApp::Impl::UsersPage(Ctx& ctx, const Error* error) {
  Result<std::vector<User>> users = deps.store.ListUsers();
  if (!users) return ErrorPage(ctx, users.error());
  const StaffContext& staff = *ctx.staff;
  mustache::data rows{mustache::data::type::list};
  for (const User& u : *users) {
    // A coordinator sees the staff of her or his own organisation only.
    if (staff.user.role == Role::kCoordinator && u.organisation_id != staff.user.organisation_id) continue;
    mustache::data row;
    row.set("id", std::to_string(u.id));
    row.set("username", u.username);
    row.set("role", T(ctx, "role." + std::string(RoleName(u.role))));
    row.set("totp", u.totp_enabled);
    row.set("disabled", u.disabled);
    // Staff::Disable has the final word; this only decides whether to offer the button.
    const bool may = u.id != staff.user.id && !u.disabled &&
                     (staff.user.role == Role::kAdmin || u.role == Role::kAdvisor);
    row.set("can_disable", may);
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  const bool admin = staff.user.role == Role::kAdmin;
  d.set("admin", admin);
  if (admin) {
    mustache::data roles{mustache::data::type::list};
    for (Role r : {Role::kAdvisor, Role::kCoordinator, Role::kAnalyst, Role::kAdmin}) {
      mustache::data item;
      item.set("code", std::string(RoleName(r)));
      item.set("label", T(ctx, "role." + std::string(RoleName(r))));
      roles.push_back(item);
    }
    d.set("roles", roles);
    Result<std::vector<Organisation>> orgs = deps.store.ListOrganisations();
    mustache::data org_list{mustache::data::type::list};
    if (orgs) {
      for (const Organisation& o : *orgs) {
        mustache::data item;
        item.set("code", o.slug);
        item.set("label", o.name);
        org_list.push_back(item);
      }
    }
    d.set("orgs", org_list);
  }
  unsigned status = 200;
  if (error) {
    d.set("error", T(ctx, error->user_message));
    status = HttpStatusFor(error->code);
  }
  return Render(ctx, "staff_users", d, true, status);
}

Response WebApp::Impl::UsersPost(Ctx& ctx) {
  const StaffContext& staff = *ctx.staff;
  NewUser request;
  request.username = Str(FormValue(ctx.form, "username"));
  if (staff.user.role == Role::kCoordinator) {
    // A coordinator adds advisors to her or his own organisation only.
    request.role = Role::kAdvisor;
    Result<Organisation> org = deps.store.FindOrganisationById(staff.user.organisation_id.value_or(0));
    if (!org) return ErrorPage(ctx, org.error());
    request.organisation_slug = org->slug;
  } else {
    std::optional<Role> role = ParseRole(Str(FormValue(ctx.form, "role")));
    if (!role) {
      Error e{ErrorCode::kInvalidInput, "error.bad_form", "role"};
      return UsersPage(ctx, &e);
    }
    request.role = *role;
    request.organisation_slug = Str(FormValue(ctx.form, "organisation"));
  }
  // A one-time password, handed over in person; TOTP is set up at first login.
  request.password = RandomToken(15);
  Result<CreatedUser> created = deps.staff.CreateUser(request);
  if (!created) {
    if (created.error().code == ErrorCode::kInvalidInput ||
        created.error().code == ErrorCode::kConflict) {
      return UsersPage(ctx, &created.error());
    }
    return ErrorPage(ctx, created.error());
  }
  ctx.audit_record = "user:" + std::to_string(created->id);
  mustache::data d;
  d.set("username", request.username);
  d.set("role", T(ctx, "role." + std::string(RoleName(request.role))));
  d.set("password", request.password);
  d.set("recovery", created->recovery_key);
  return Render(ctx, "staff_user_created", d, true);
}

Response WebApp::Impl::UserDisablePost(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return ErrorPage(ctx, Error{ErrorCode::kNotFound, "error.not_found", "user id"});
  ctx.audit_record = "user:" + std::to_string(*id);
  if (FormValue(ctx.form, "confirm").value_or("") != "yes") {
    Error e{ErrorCode::kInvalidInput, "staff_error.disable_confirm", "not confirmed"};
    return UsersPage(ctx, &e);
  }
  if (Status s = deps.staff.Disable(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect(ctx, "/staff/users");
}

Response WebApp::Impl::AuditPage(Ctx& ctx) {
  Result<AuditVerdict> verdict = audit.Verify();
  if (!verdict) return ErrorPage(ctx, verdict.error());
  const int64_t after = std::max<int64_t>(0, verdict->entries - 200);
  Result<std::vector<AuditEntry>> entries = deps.store.ListAudit(after, 200);
  if (!entries) return ErrorPage(ctx, entries.error());
  mustache::data rows{mustache::data::type::list};
  for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
    mustache::data row;
    row.set("id", std::to_string(it->id));
    row.set("when", FormatDateTime(it->at));
    row.set("user", std::to_string(it->user_id));
    row.set("action", it->action);
    row.set("record", it->record);
    rows.push_back(row);
  }
  mustache::data d;
  d.set("rows", rows);
  d.set("ok", verdict->ok);
  d.set("entries", std::to_string(verdict->entries));
  d.set("broken", std::to_string(verdict->first_broken));
  return Render(ctx, "staff_audit", d, true);
}

std::vector<WebApp::RouteInfo> WebApp::RouteTable() const {
  std::vector<RouteInfo> out;
  for (const Route& r : impl_->routes) {
    out.push_back({r.method, r.pattern, r.access.kind == Access::Kind::kStaff, r.access.roles});
  }
  return out;
}

}  // namespace vd
