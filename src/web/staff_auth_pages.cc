#include "web/staff_auth_pages.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "crypto/totp.h"
#include "web/inbox_links.h"
#include "web/pipeline.h"
#include "web/qr.h"

namespace vd {
namespace {

// The device cookie (OWASP): a browser that logged in before brings its own failure counter,
// so that guesses from elsewhere do not lock its owner out (see Staff::Login).
constexpr char kDeviceCookie[] = "vd_device";

}  // namespace

std::optional<Response> StaffAuthPages::Throttled(Ctx& ctx, const char* what) {
  if (login_throttle_.Allow(ClientKey(ctx.req, config_.trusted_proxy))) return std::nullopt;
  return ErrorPage(ctx, Error{ErrorCode::kTooManyRequests, "error.too_many",
                              std::string(what) + " throttled"});
}

Result<std::string_view> StaffAuthPages::NewPassword(const Ctx& ctx, const char* field,
                                                     const char* again) {
  const std::string_view password = FormValue(ctx.form, field).value_or("");
  if (password != FormValue(ctx.form, again).value_or("")) {
    return Fail(ErrorCode::kInvalidInput, "staff_error.password_mismatch", "passwords differ");
  }
  return password;
}

StaffAuthPages::StaffAuthPages(const WebParts& parts)
    : PageGroup(parts),
      login_throttle_(parts.deps.clock, parts.config.login_per_client, parts.config.login_global) {}

void StaffAuthPages::Register(Router& router) {
  using R = Role;
  router.Get("/staff/login", Access::Public(), [this](Ctx& c) { return LoginForm(c); });
  router.Post("/staff/login", Access::Public(), [this](Ctx& c) { return LoginPost(c); }, Lane::kHashing);
  router.Get("/staff/welcome", Access::Public(), [this](Ctx& c) { return WelcomeForm(c); });
  router.Post("/staff/welcome", Access::Public(), [this](Ctx& c) { return WelcomePost(c); }, Lane::kHashing);
  router.Get("/staff/recover", Access::Public(), [this](Ctx& c) { return RecoverForm(c); });
  router.Post("/staff/recover", Access::Public(), [this](Ctx& c) { return RecoverPost(c); }, Lane::kHashing);
  router.Get("/staff/enrol", Access::Enrolling(), [this](Ctx& c) { return EnrolForm(c); });
  router.Post("/staff/enrol", Access::Enrolling(), [this](Ctx& c) { return EnrolPost(c); });
  const auto all_staff = Access::Staff({R::kAdvisor, R::kCoordinator, R::kAnalyst, R::kAdmin});
  router.Get("/staff", all_staff, [this](Ctx& c) { return Home(c); });
  router.Get("/staff/account", all_staff, [this](Ctx& c) { return Account(c); });
  router.Post("/staff/account/password", all_staff, [this](Ctx& c) { return PasswordPost(c); },
              Lane::kHashing);
  router.Post("/staff/account/totp", all_staff, [this](Ctx& c) { return TotpPost(c); },
              Lane::kHashing);
  router.Post("/staff/account/sessions/{id}/end", all_staff,
              [this](Ctx& c) { return EndSessionPost(c); });
  router.Post("/staff/account/sessions/end-others", all_staff,
              [this](Ctx& c) { return EndOtherSessionsPost(c); });
  router.Post("/staff/logout", all_staff, [this](Ctx& c) { return Logout(c); });
}

Response StaffAuthPages::LoginForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  d.set("username", std::string(FormValue(ctx.form, "username").value_or("")));
  return RenderForm(ctx, "staff_login", d, Audience::kStaff, error);
}

Result<std::string> StaffAuthPages::EnrolmentSession(int64_t user_id, const SecretBytes& wrap_key) {
  // Keep the password key and a fresh TOTP secret until the first code is confirmed.
  SecretBytes totp = NewTotpSecret();
  SecretBytes pending(wrap_key.size() + totp.size());
  std::copy_n(wrap_key.data(), wrap_key.size(), pending.data());
  std::copy_n(totp.data(), totp.size(), pending.data() + wrap_key.size());
  return sessions_.Create(SessionKind::kStaff, user_id, std::nullopt, 0, SecretBytes(), pending);
}

Response StaffAuthPages::WelcomeForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  d.set("username", std::string(FormValue(ctx.form, "username").value_or("")));
  return RenderForm(ctx, "staff_welcome", d, Audience::kStaff, error);
}

Response StaffAuthPages::WelcomePost(Ctx& ctx) {
  if (auto refused = Throttled(ctx, "welcome")) return std::move(*refused);
  const FormPage form = [&](const Error& e) { return WelcomeForm(ctx, &e); };
  Result<std::string_view> password = NewPassword(ctx, "password", "password2");
  if (!password) return form(password.error());
  Result<Welcomed> welcomed = deps_.staff.Welcome(FormValue(ctx.form, "username").value_or(""),
                                                  FormValue(ctx.form, "code").value_or(""),
                                                  *password);
  if (!welcomed) return FormOrError(ctx, welcomed.error(), form);
  if (auto old = RequestCookie(ctx.req, sessions_.cookie_name())) (void)sessions_.End(*old);
  Result<std::string> token = EnrolmentSession(welcomed->user.id, welcomed->wrap_key);
  if (!token) return ErrorPage(ctx, token.error());
  sessions_.Begin(ctx, *token);
  AuditLogin(ctx, welcomed->user.id, "staff.welcome", false);
  mustache::data d;
  d.set("recovery", welcomed->recovery_key);
  return Render(ctx, "staff_welcome_done", d, Audience::kStaff);
}

Response StaffAuthPages::RecoverForm(Ctx& ctx, const Error* error) {
  mustache::data d;
  d.set("username", std::string(FormValue(ctx.form, "username").value_or("")));
  return RenderForm(ctx, "staff_recover", d, Audience::kStaff, error);
}

Response StaffAuthPages::RecoverPost(Ctx& ctx) {
  if (auto refused = Throttled(ctx, "recovery")) return std::move(*refused);
  const FormPage form = [&](const Error& e) { return RecoverForm(ctx, &e); };
  Result<std::string_view> password = NewPassword(ctx, "password", "password2");
  if (!password) return form(password.error());
  Result<CreatedUser> recovered =
      deps_.staff.Recover(FormValue(ctx.form, "username").value_or(""),
                          FormValue(ctx.form, "recovery_key").value_or(""), *password);
  if (!recovered) return FormOrError(ctx, recovered.error(), form, {ErrorCode::kInvalidInput, ErrorCode::kUnauthorized});
  if (auto old = RequestCookie(ctx.req, sessions_.cookie_name())) (void)sessions_.End(*old);
  sessions_.Forget(ctx);
  AuditLogin(ctx, recovered->id, "staff.recover", false);
  mustache::data d;
  d.set("recovery", recovered->recovery_key);
  return Render(ctx, "staff_recovered", d, Audience::kStaff);
}

Result<std::string> StaffAuthPages::LoginSession(const LoginOutcome& login) {
  if (login.stage == LoginStage::kNeedsTotpEnrolment) {
    return EnrolmentSession(login.user.id, login.wrap_key);
  }
  Result<StaffContext> staff = deps_.staff.Context(login.user.id, login.user_secret_key);
  if (!staff) return std::unexpected(staff.error());
  return sessions_.Create(SessionKind::kStaff, login.user.id, std::nullopt, 1,
                          login.user_secret_key, SecretBytes());
}

Response StaffAuthPages::LoginPost(Ctx& ctx) {
  if (auto refused = Throttled(ctx, "login")) return std::move(*refused);
  const std::string device =
      RequestCookie(ctx.req, sessions_.NamedCookie(kDeviceCookie)).value_or("");
  Result<LoginOutcome> login = deps_.staff.Login(FormValue(ctx.form, "username").value_or(""),
                                                 FormValue(ctx.form, "password").value_or(""),
                                                 FormValue(ctx.form, "code").value_or(""), device);
  if (!login) {
    return FormOrError(ctx, login.error(), [&](const Error& e) { return LoginForm(ctx, &e); },
                       {ErrorCode::kUnauthorized});
  }
  if (auto old = RequestCookie(ctx.req, sessions_.cookie_name())) (void)sessions_.End(*old);
  Result<std::string> token = LoginSession(*login);
  if (!token) return ErrorPage(ctx, token.error());
  sessions_.Begin(ctx, *token);
  if (!login->device_token.empty()) {
    ctx.cookies.push_back(sessions_.PersistentCookieHeader(kDeviceCookie, login->device_token,
                                                           login->device_token_max_age));
  }
  spdlog::info("req {} staff login", ctx.req.request_id);
  if (login->stage == LoginStage::kLoggedIn) {
    AuditLogin(ctx, login->user.id, "staff.login", login->first_login);
  }
  return Redirect(login->stage == LoginStage::kNeedsTotpEnrolment ? "/staff/enrol" : "/staff");
}

Response StaffAuthPages::EnrolForm(Ctx& ctx, const Error* error) {
  const SecretBytes& pending = ctx.session->pending;
  if (pending.size() != 32 + 20) {
    return ErrorPage(ctx, Error{ErrorCode::kSessionExpired, "error.session_expired", "enrol data"});
  }
  SecretBytes totp(pending.data() + 32, 20);
  Result<User> user = deps_.staff.FindUser(*ctx.session->row.user_id);
  if (!user) return ErrorPage(ctx, user.error());
  mustache::data d;
  // The secret in text form is wiped as soon as the page data has it (the page shows it, so
  // the rendered page and the QR encoder's buffers are copies this cannot reach).
  std::string uri = OtpauthUri("vertrouwd", user->username, totp);
  d.set("qr", QrSvg(uri, T(ctx, "QR code for your authenticator app")));
  Wipe(uri);
  std::string secret = TotpSecretBase32(totp);
  std::string grouped;
  grouped.reserve(secret.size() + secret.size() / 4);
  for (size_t i = 0; i < secret.size(); ++i) {
    if (i && i % 4 == 0) grouped += ' ';
    grouped += secret[i];
  }
  Wipe(secret);
  d.set("secret", grouped);
  Wipe(grouped);
  return RenderForm(ctx, "staff_enrol", d, Audience::kStaff, error);
}

Response StaffAuthPages::EnrolPost(Ctx& ctx) {
  const SecretBytes& pending = ctx.session->pending;
  if (pending.size() != 32 + 20) {
    return ErrorPage(ctx, Error{ErrorCode::kSessionExpired, "error.session_expired", "enrol data"});
  }
  SecretBytes wrap_key(pending.data(), 32);
  SecretBytes totp(pending.data() + 32, 20);
  const int64_t user_id = *ctx.session->row.user_id;
  Result<Enrolled> enrolled = deps_.staff.CompleteEnrolment(
      user_id, wrap_key, totp, FormValue(ctx.form, "code").value_or(""));
  if (!enrolled) {
    return FormOrError(ctx, enrolled.error(), [&](const Error& e) { return EnrolForm(ctx, &e); });
  }
  const SecretBytes& secret = enrolled->user_secret_key;
  Result<StaffContext> staff = deps_.staff.Context(user_id, secret);
  if (!staff) return ErrorPage(ctx, staff.error());
  (void)sessions_.End(ctx.session->token);
  Result<std::string> token =
      sessions_.Create(SessionKind::kStaff, user_id, std::nullopt, 1, secret, SecretBytes());
  if (!token) return ErrorPage(ctx, token.error());
  sessions_.Begin(ctx, *token);
  AuditLogin(ctx, user_id, "staff.enrol", enrolled->first_login);
  return Redirect("/staff");
}

void StaffAuthPages::AuditLogin(Ctx& ctx, int64_t user_id, const char* action, bool first) {
  // A first login is an event of its own: an account someone else created is now in use.
  for (const char* a : {first ? "staff.first_login" : nullptr, action}) {
    if (!a) continue;
    if (Status s = deps_.audit.Record(user_id, a, ""); !s) {
      spdlog::error("req {} audit failed: {}", ctx.req.request_id, s.error().detail);
    }
  }
}

Response StaffAuthPages::Home(Ctx& ctx) {
  const StaffContext& staff = *ctx.staff;
  mustache::data d;
  d.set("username", staff.user.username);
  d.set("role", T(ctx, "role." + std::string(RoleName(staff.user.role))));
  d.set("coordinator", staff.user.role == Role::kCoordinator);
  d.set("advisor", staff.user.role == Role::kAdvisor);
  if (staff.user.organisation_id) {
    if (auto org = deps_.staff.FindOrganisation(*staff.user.organisation_id)) {
      d.set("organisation", org->name);
    }
  }
  if (staff.user.role == Role::kAdvisor) {
    if (Status s = AddInbox(ctx, d); !s) return ErrorPage(ctx, s.error());
  }
  // A coordinator triages her organisation's inbox (spam) without reading it.
  if (staff.user.role == Role::kCoordinator && staff.user.organisation_id) {
    if (Status s = AddInboxPage(ctx, d); !s) return ErrorPage(ctx, s.error());
  }
  AddLinks(ctx, d);
  return Render(ctx, "staff_home", d, Audience::kStaff);
}

Status StaffAuthPages::AddInbox(Ctx& ctx, mustache::data& d) {
  const StaffContext& staff = *ctx.staff;
  d.set("has_key", staff.org_key.has_value());
  Result<GrantNews> news = deps_.staff.Grants(staff);
  if (!news) return std::unexpected(news.error());
  d.set("waiting_count", std::to_string(news->waiting.size()));
  d.set("has_waiting", !news->waiting.empty());
  mustache::data granted{mustache::data::type::list};
  for (const GrantNotice& g : news->since_last_visit) {
    mustache::data item;
    item.set("username", g.username);
    item.set("granted_by", g.granted_by.empty() ? T(ctx, "grant.first_advisor") : g.granted_by);
    item.set("granted_at", FormatDateTime(g.granted_at));
    granted.push_back(item);
  }
  d.set("has_granted", !news->since_last_visit.empty());
  d.set("granted", granted);
  if (!staff.org_key) return {};
  return AddInboxPage(ctx, d);
}

Status StaffAuthPages::AddInboxPage(Ctx& ctx, mustache::data& d) {
  const StaffContext& staff = *ctx.staff;
  const InboxRequest request = ParseInboxRequest(
      ctx.req.Query("view"), ctx.req.Query("after"), ctx.req.Query("before"));
  const std::string_view current = InboxViewName(request.view);
  mustache::data tabs{mustache::data::type::list};
  for (auto [view, label] : {std::pair{InboxView::kWaiting, T(ctx, "staff_inbox.tab_waiting")},
                             std::pair{InboxView::kAnswered, T(ctx, "staff_inbox.tab_answered")},
                             std::pair{InboxView::kAll, T(ctx, "staff_inbox.tab_all")},
                             std::pair{InboxView::kSpam, T(ctx, "staff_inbox.tab_spam")}}) {
    mustache::data tab;
    tab.set("href", InboxUrl({view, std::nullopt, PageDirection::kForward}));
    tab.set("label", label);
    tab.set("current", view == request.view);
    tabs.push_back(tab);
  }
  d.set("tabs", tabs);
  Result<InboxListing> inbox = deps_.conversations.Inbox(staff, request);
  if (!inbox) return std::unexpected(inbox.error());
  const bool reader = staff.user.role == Role::kAdvisor;
  const bool spam_view = request.view == InboxView::kSpam;
  mustache::data rows{mustache::data::type::list};
  std::map<int64_t, std::string> counts;  // plural forms, translated once per count
  for (const InboxEntry& e : inbox->rows) {
    mustache::data row;
    row.set("id", e.public_id);
    row.set("status", T(ctx, "inbox." + std::string(ConversationStatusName(e.status))));
    row.set("status_code", std::string(ConversationStatusName(e.status)));
    row.set("language", e.language);
    row.set("activity", FormatDateTime(e.last_activity_at));
    row.set("waiting", e.waiting_since > 0 ? FormatDateTime(e.waiting_since) : std::string("–"));
    auto [count, fresh] = counts.try_emplace(e.message_count);
    if (fresh) {
      count->second = Replace(deps_.catalogs.TranslatePlural(ctx.lang, "{{n}} message",
                                                             "{{n}} messages", e.message_count),
                              "{{n}}", std::to_string(e.message_count));
    }
    row.set("count", count->second);
    rows.push_back(row);
  }
  d.set("inbox", true);
  d.set("reader", reader);  // only a key holder's rows link to the conversation
  d.set("spam_view", spam_view);
  d.set("rows", rows);
  d.set("empty", inbox->rows.empty());
  // A link that led past the end (its rows went meanwhile) offers the view's first page.
  d.set("stale", inbox->rows.empty() && request.from.has_value());
  d.set("first_href", InboxUrl({request.view, std::nullopt, PageDirection::kForward}));
  // The spam buttons bring her back to this page.
  d.set("view", std::string(current));
  if (request.from) {
    d.set("page_key", InboxKeyText(*request.from));
    d.set("page_after", request.direction == PageDirection::kForward);
  }
  d.set("has_pages", inbox->previous.has_value() || inbox->next.has_value());
  if (inbox->previous) {
    d.set("previous_href", InboxUrl({request.view, inbox->previous, PageDirection::kBackward}));
  }
  if (inbox->next) {
    d.set("next_href", InboxUrl({request.view, inbox->next, PageDirection::kForward}));
  }
  return {};
}

void StaffAuthPages::AddLinks(Ctx& ctx, mustache::data& d) {
  const Role role = ctx.staff->user.role;
  mustache::data links{mustache::data::type::list};
  auto link = [&](const char* href, std::string label) {
    mustache::data l;
    l.set("href", std::string(href));
    l.set("label", std::move(label));
    links.push_back(l);
  };
  if (role == Role::kAdvisor) {
    link("/staff/contacts/new", T(ctx, "Record a contact"));
    link("/staff/access", T(ctx, "Access to conversations"));
  }
  if (role == Role::kAdvisor || role == Role::kCoordinator) {
    link("/staff/contacts", T(ctx, "Contact records"));
    link("/staff/directory", T(ctx, "Referral directory"));
    link("/staff/indicators", T(ctx, "Indicator list"));
  }
  if (role == Role::kCoordinator || role == Role::kAdmin) link("/staff/users", T(ctx, "Staff"));
  if (role == Role::kAdmin) link("/staff/organisations", T(ctx, "Organisations"));
  if (role == Role::kAdmin) link("/staff/audit", T(ctx, "Audit log"));
  link("/staff/account", T(ctx, "Your account"));
  if (role == Role::kCoordinator || role == Role::kAnalyst) link("/staff/reports", T(ctx, "Reports"));
  d.set("has_links", true);
  d.set("staff_links", links);
  if (role != Role::kAdvisor) return;
  Result<std::vector<FollowUp>> due = deps_.contacts.DueFollowUps(*ctx.staff);
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

Response StaffAuthPages::Account(Ctx& ctx, const Error* error) {
  mustache::data d;
  d.set("username", ctx.staff->user.username);
  const std::string changed(ctx.req.Query("changed").value_or(""));
  d.set("changed", changed == "password");
  d.set("ended", changed == "sessions");
  // Her sessions: only when each began and was last used; the server keeps nothing about
  // the browser or the address, and the page says so rather than guess.
  Result<std::vector<StaffSessionInfo>> mine =
      sessions_.ListStaff(ctx.staff->user.id, ctx.session->token);
  if (!mine) return ErrorPage(ctx, mine.error());
  mustache::data rows{mustache::data::type::list};
  for (const StaffSessionInfo& s : *mine) {
    mustache::data row;
    row.set("handle", s.handle);
    row.set("started", FormatDateTime(s.created_at));
    row.set("seen", FormatDateTime(s.last_seen_at));
    row.set("current", s.current);
    row.set("signing_in", s.signing_in);
    rows.push_back(row);
  }
  d.set("sessions", rows);
  d.set("has_others", std::ranges::any_of(*mine, [](const auto& s) { return !s.current; }));
  return RenderForm(ctx, "staff_account", d, Audience::kStaff, error);
}

Response StaffAuthPages::EndSessionPost(Ctx& ctx) {
  const std::string& handle = ctx.params.at("id");
  // Her own session is ended by logging out, where the cookie goes too.
  Result<std::vector<StaffSessionInfo>> mine =
      sessions_.ListStaff(ctx.staff->user.id, ctx.session->token);
  if (!mine) return ErrorPage(ctx, mine.error());
  for (const StaffSessionInfo& s : *mine) {
    if (s.current && s.handle == handle) return Logout(ctx);
  }
  if (Status s = sessions_.EndStaff(ctx.staff->user.id, handle); !s) return ErrorPage(ctx, s.error());
  return Redirect("/staff/account?changed=sessions");
}

Response StaffAuthPages::EndOtherSessionsPost(Ctx& ctx) {
  Result<int64_t> ended = sessions_.EndOtherStaff(ctx.staff->user.id, ctx.session->token);
  if (!ended) return ErrorPage(ctx, ended.error());
  ctx.audit_record = std::to_string(*ended);
  return Redirect("/staff/account?changed=sessions");
}

Response StaffAuthPages::PasswordPost(Ctx& ctx) {
  const FormPage form = [&](const Error& e) { return Account(ctx, &e); };
  Result<std::string_view> fresh = NewPassword(ctx, "new_password", "new_password2");
  if (!fresh) return form(fresh.error());
  const int64_t user_id = ctx.staff->user.id;
  Result<SecretBytes> secret = deps_.staff.ChangePassword(
      user_id, FormValue(ctx.form, "password").value_or(""),
      FormValue(ctx.form, "code").value_or(""), *fresh);
  if (!secret) return FormOrError(ctx, secret.error(), form);
  // Every session of hers ended with the change; this browser continues in a new one.
  Result<std::string> token =
      sessions_.Create(SessionKind::kStaff, user_id, std::nullopt, 1, *secret, SecretBytes());
  if (!token) return ErrorPage(ctx, token.error());
  sessions_.Begin(ctx, *token);
  return Redirect("/staff/account?changed=password");
}

Response StaffAuthPages::TotpPost(Ctx& ctx) {
  const int64_t user_id = ctx.staff->user.id;
  Result<SecretBytes> wrap_key = deps_.staff.BeginTotpChange(
      user_id, FormValue(ctx.form, "password").value_or(""), FormValue(ctx.form, "code").value_or(""));
  if (!wrap_key) {
    return FormOrError(ctx, wrap_key.error(), [&](const Error& e) { return Account(ctx, &e); });
  }
  // Until the new code is confirmed on the enrolment page, the old authenticator stays.
  (void)sessions_.End(ctx.session->token);
  Result<std::string> token = EnrolmentSession(user_id, *wrap_key);
  if (!token) return ErrorPage(ctx, token.error());
  sessions_.Begin(ctx, *token);
  return Redirect("/staff/enrol");
}

Response StaffAuthPages::Logout(Ctx& ctx) {
  (void)sessions_.End(ctx.session->token);
  sessions_.Forget(ctx);
  Response res = Redirect("/staff/login");
  // Not "cookies": the device cookie must outlive the logout (it is what lets her back in
  // from this browser while someone elsewhere guesses her password); the session cookie
  // was cleared by name above and the session ended on the server.
  res.Set("Clear-Site-Data", "\"cache\", \"storage\"");
  return res;
}

}  // namespace vd
