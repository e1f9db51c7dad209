#include "web/contact_form.h"

#include <cstdio>
#include <set>

#include "web/pages.h"

namespace vd {

ContactInput ParseContactInput(const FormFields& f) {
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

mustache::data ContactFormFields(const PageRenderer& page, const Ctx& ctx, const ContactInput& in,
                                 const ContactFormChoices& choices) {
  auto options = [&](const std::vector<std::string>& codes, std::string_view prefix,
                     const std::set<std::string>& chosen) {
    mustache::data l{mustache::data::type::list};
    for (const std::string& code : codes) {
      mustache::data item;
      item.set("code", code);
      item.set("label", page.T(ctx, std::string(prefix) + code));
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
    mustache::data g = group(name.c_str(), page.T(ctx, f.label), C::Of(f.name), prefix.c_str(),
                             f.choice == Choice::kOne ? one(in.fields.one[i]) : many(in.fields.many[i]));
    (f.group == Group::kOutcome ? outcome : f.group == Group::kSubject ? multis : singles).push_back(g);
  }

  // Signals, grouped by category, from the current list.
  const IndicatorList* list = choices.indicators.Current();
  const std::set<std::string> chosen_signals(in.indicators.begin(), in.indicators.end());
  mustache::data signal_groups{mustache::data::type::list};
  if (list) {
    for (const IndicatorCategory& cat : list->categories) {
      mustache::data opts{mustache::data::type::list};
      for (const Indicator& i : list->indicators) {
        if (i.category != cat.code || i.retired) continue;
        mustache::data item;
        item.set("code", i.code);
        item.set("label", choices.indicators.Name(list->version, i.code, ctx.lang));
        item.set("hint", choices.indicators.Explain(list->version, i.code, ctx.lang));
        item.set("checked", chosen_signals.contains(i.code));
        opts.push_back(item);
      }
      mustache::data g;
      g.set("legend", choices.indicators.CategoryName(list->version, cat.code, ctx.lang));
      g.set("options", opts);
      signal_groups.push_back(g);
    }
  }
  mustache::data escalation{mustache::data::type::list};
  escalation.push_back(group("escalation", page.T(ctx, "Passed on to"), C::Escalations(), "c.escalation.",
                             one(in.escalation)));
  escalation.push_back(group("escalation_basis", page.T(ctx, "On what basis"), C::Bases(), "c.basis.",
                             one(in.escalation_basis)));
  escalation.push_back(group("escalation_anonymous", page.T(ctx, "Anonymously"), C::YesNo(), "c.yesno.",
                             one(in.escalation_anonymous)));
  // Referral rows: the ones the record has, then empty ones up to kReferralRows. Row n's
  // fields are named "referral<n>_..."; the row an error is about is marked.
  const size_t error_row = choices.error_row;
  mustache::data referral_rows{mustache::data::type::list};
  for (size_t row = 1; row <= ContactInput::kReferralRows; ++row) {
    const ReferralInput f = row <= in.referrals.size() ? in.referrals[row - 1] : ReferralInput{};
    const std::string prefix = "referral" + std::to_string(row) + "_";
    mustache::data orgs{mustache::data::type::list};
    for (const DirectoryEntry& e : choices.directory) {
      mustache::data item;
      item.set("code", std::to_string(e.id));
      item.set("label", e.name);
      item.set("checked", f.org == std::to_string(e.id));
      orgs.push_back(item);
    }
    mustache::data radios{mustache::data::type::list};
    radios.push_back(group((prefix + "consent").c_str(), page.T(ctx, "The worker consents to the referral"),
                           C::YesNo(), "c.yesno.", one(f.consent)));
    radios.push_back(group((prefix + "kind").c_str(), page.T(ctx, "Warm or cold referral"),
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
    const std::string current = choices.current_month;
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
    unknown.set("label", page.T(ctx, "c.unknown"));
    unknown.set("checked", in.month == "unknown");
    months.push_back(unknown);
  }
  mustache::data d;
  d.set("months", months);
  d.set("singles", singles);
  d.set("multis", multis);
  d.set("signal_groups", signal_groups);
  d.set("list_version", std::to_string(list ? list->version : 0));
  d.set("outcome", outcome);
  d.set("escalation", escalation);
  d.set("referral_rows", referral_rows);
  return d;
}

mustache::data ContactRecordFields(const PageRenderer& page, const Ctx& ctx, const ContactRecord& r,
                                   const IndicatorCatalog& indicators,
                                   const std::function<std::string(int64_t)>& organisation) {
  mustache::data facts{mustache::data::type::list};
  auto fact = [&](std::string label, std::string value) {
    mustache::data f;
    f.set("label", std::move(label));
    f.set("value", std::move(value));
    facts.push_back(f);
  };
  auto join = [&](const std::vector<std::string>& codes, const std::string& prefix) {
    if (codes.empty()) return page.T(ctx, "c.unknown");
    std::string out;
    for (const std::string& c : codes) out += (out.empty() ? "" : ", ") + page.T(ctx, prefix + c);
    return out;
  };
  fact(page.T(ctx, "Month"), r.month == "unknown" ? page.T(ctx, "c.unknown") : r.month);
  for (size_t i = 0; i < kContactFields.size(); ++i) {
    const ContactField& f = kContactFields[i];
    const std::string prefix(f.prefix);
    fact(page.T(ctx, f.label), f.choice == Choice::kOne ? page.T(ctx, prefix + r.fields.one[i])
                                                   : join(r.fields.many[i], prefix));
  }
  std::string escalation = page.T(ctx, "c.escalation." + r.escalation);
  if (!r.escalation_basis.empty()) {
    escalation += " · " + page.T(ctx, "c.basis." + r.escalation_basis) + " · " + page.T(ctx, "Anonymously") +
                  ": " + page.T(ctx, "c.yesno." + r.escalation_anonymous);
  }
  fact(page.T(ctx, "Passed on to"), escalation);
  if (!r.case_code.empty()) fact(page.T(ctx, "Case code"), r.case_code);
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
    item.set("organisation", organisation(f.directory_id));
    item.set("service", page.T(ctx, "c.service." + f.service));
    item.set("kind", page.T(ctx, "c.kind." + f.kind));
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
  return d;
}

}  // namespace vd
