#include "web/advisor_pages.h"

#include <spdlog/spdlog.h>

#include "web/contact_form.h"
#include "web/inbox_links.h"

namespace vd {

void AdvisorPages::Register(Router& router) {
  using R = Role;
  const auto advisor = Access::Staff({R::kAdvisor});
  const auto casework = Access::Staff({R::kAdvisor, R::kCoordinator});
  router.Get("/staff/c/{id}", advisor, [this](Ctx& c) { return Conversation(c); });
  router.Post("/staff/c/{id}/reply", advisor, [this](Ctx& c) { return Reply(c); });
  router.Post("/staff/c/{id}/spam", casework, [this](Ctx& c) { return Spam(c, SpamMark::kSpam); });
  router.Post("/staff/c/{id}/not-spam", casework,
              [this](Ctx& c) { return Spam(c, SpamMark::kNotSpam); });
  router.Get("/staff/contacts", casework, [this](Ctx& c) { return ContactList(c); });
  router.Get("/staff/contacts/new", advisor, [this](Ctx& c) { return ContactForm(c); });
  router.Post("/staff/contacts/new", advisor, [this](Ctx& c) { return ContactPost(c); });
  router.Get("/staff/contacts/{id}", casework, [this](Ctx& c) { return ContactShow(c); });
  router.Get("/staff/contacts/{id}/edit", advisor, [this](Ctx& c) { return ContactForm(c); });
  router.Post("/staff/contacts/{id}/edit", advisor, [this](Ctx& c) { return ContactPost(c); });
  router.Post("/staff/followups/{id}/done", advisor, [this](Ctx& c) { return FollowUpDone(c); });
  router.Get("/staff/access", advisor, [this](Ctx& c) { return Access(c); });
  router.Post("/staff/access/{id}/approve", advisor, [this](Ctx& c) { return ApproveAccess(c); });
}

Response AdvisorPages::Access(Ctx& ctx, const Error* error) {
  Result<GrantNews> news = deps_.staff.Grants(*ctx.staff);
  if (!news) return ErrorPage(ctx, news.error());
  mustache::data waiting{mustache::data::type::list};
  for (const AwaitingGrant& w : news->waiting) {
    mustache::data row;
    row.set("id", std::to_string(w.user_id));
    row.set("username", w.username);
    row.set("created_by", w.created_by.empty() ? T(ctx, "grant.created_by_operator") : w.created_by);
    row.set("created_at", FormatDateTime(w.created_at));
    row.set("approve", Replace(T(ctx, "Give {{name}} access"), "{{name}}", w.username));
    waiting.push_back(row);
  }
  mustache::data d;
  d.set("key_holder", news->key_holder);
  d.set("waiting", waiting);
  d.set("none_waiting", news->waiting.empty());
  return RenderForm(ctx, "staff_access", d, Audience::kStaff, error);
}

Response AdvisorPages::ApproveAccess(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "user id");
  ctx.audit_record = "user:" + std::to_string(*id);
  Status s = deps_.staff.ApproveGrant(*ctx.staff, *id);
  if (!s) {
    return FormOrError(ctx, s.error(), [&](const Error& e) { return Access(ctx, &e); },
                       {ErrorCode::kConflict});
  }
  spdlog::info("req {} access granted", ctx.req.request_id);
  return Redirect("/staff/access");
}

Response AdvisorPages::Conversation(Ctx& ctx, const Error* error) {
  const std::string& id = ctx.params["id"];
  Result<ConversationView> view = deps_.conversations.ReadAsAdvisor(*ctx.staff, id);
  if (!view) return ErrorPage(ctx, view.error());
  mustache::data d;
  d.set("id", id);
  d.set("messages", MessageItems(view->messages, "worker"));
  d.set("status", T(ctx, "inbox." + std::string(ConversationStatusName(view->meta.status))));
  d.set("language", view->meta.language);
  auto answer = [&](const std::string& value, std::string_view prefix) {
    if (value.empty()) return T(ctx, "answer.not_asked");
    if (value == "unsaid") return T(ctx, "answer.unsaid");
    return prefix.empty() ? value : T(ctx, std::string(prefix) + value);
  };
  d.set("answer_language", answer(view->meta.answer_language, ""));
  d.set("answer_age", answer(view->meta.answer_age_band, "age."));
  d.set("answer_setting", answer(view->meta.answer_work_setting, "setting."));
  d.set("expires", FormatDate(view->meta.expires_at));
  if (error) d.set("draft", std::string(FormValue(ctx.form, "message").value_or("")));
  return RenderForm(ctx, "staff_conversation", d, Audience::kStaff, error);
}

Response AdvisorPages::Reply(Ctx& ctx) {
  const std::string& id = ctx.params["id"];
  Status s = deps_.conversations.AdvisorReply(*ctx.staff, id,
                                             FormValue(ctx.form, "message").value_or(""));
  if (!s) {
    return FormOrError(ctx, s.error(), [&](const Error& e) { return Conversation(ctx, &e); },
                       {ErrorCode::kInvalidInput, ErrorCode::kTooLarge});
  }
  spdlog::info("req {} advisor reply", ctx.req.request_id);
  return Redirect("/staff/c/" + id);
}

Response AdvisorPages::Spam(Ctx& ctx, SpamMark mark) {
  // The audit log records the act with the conversation's public id (the route's {id}).
  Status s = deps_.conversations.MarkSpam(*ctx.staff, ctx.params["id"], mark);
  if (!s) return ErrorPage(ctx, s.error());
  spdlog::info("req {} conversation {}", ctx.req.request_id,
               mark == SpamMark::kSpam ? "marked spam" : "marked not spam");
  return Redirect(InboxUrl(ParseInboxRequest(FormValue(ctx.form, "view"),
                                             FormValue(ctx.form, "after"),
                                             FormValue(ctx.form, "before"))));
}

Response AdvisorPages::ContactList(Ctx& ctx) {
  Result<std::vector<ContactRecord>> list = deps_.contacts.List(*ctx.staff);
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
  return Render(ctx, "staff_contacts", d, Audience::kStaff);
}

Result<ContactInput> AdvisorPages::ContactFormInput(Ctx& ctx, const Error* error) {
  const StaffContext& staff = *ctx.staff;
  if (error) return ParseContactInput(ctx.form);
  if (!ctx.params.contains("id")) {
    Result<ContactInput> defaults = deps_.contacts.Defaults(staff);
    if (defaults) {
      if (auto c = ctx.req.Query("conversation")) defaults->conversation = std::string(*c);
    }
    return defaults;
  }
  auto id = ParseId(ctx.params["id"]);
  if (!id) return Fail(ErrorCode::kNotFound, "error.not_found", "contact id");
  Result<ContactView> view = deps_.contacts.Read(staff, *id);
  if (!view) return std::unexpected(view.error());
  if (view->record.advisor_user_id != staff.user.id) {
    return Fail(ErrorCode::kForbidden, "error.forbidden", "not own record");
  }
  return Contacts::InputFrom(view->record);
}

Response AdvisorPages::ContactForm(Ctx& ctx, const Error* error) {
  if (!error) RefreshIndicators(deps_.indicators);
  Result<ContactInput> in = ContactFormInput(ctx, error);
  if (!in) return ErrorPage(ctx, in.error());
  Result<std::vector<DirectoryEntry>> directory = deps_.contacts.Directory(Contacts::Entries::kActive);
  if (!directory) return ErrorPage(ctx, directory.error());
  size_t error_row = 0;
  if (error && error->detail.starts_with("referral ") && error->detail.size() > 9) {
    error_row = static_cast<size_t>(error->detail[9] - '0');
  }
  mustache::data d = ContactFormFields(
      page_, ctx, *in,
      {deps_.indicators.catalog(), *directory, deps_.contacts.CurrentMonth(), error_row});
  const bool editing = ctx.params.contains("id");
  d.set("action", editing ? "/staff/contacts/" + ctx.params["id"] + "/edit" : std::string("/staff/contacts/new"));
  d.set("editing", editing);
  d.set("case_none", in->case_mode.empty() || in->case_mode == "none");
  d.set("case_new", in->case_mode == "new");
  d.set("case_existing", in->case_mode == "existing");
  d.set("case_code", in->case_code);
  d.set("conversation", in->conversation);
  if (error && error_row > 0) {
    d.set("error", T(ctx, "Referral") + " " + std::to_string(error_row) + ": " + T(ctx, error->user_message));
  }
  return RenderForm(ctx, "staff_contact_form", d, Audience::kStaff, error);
}

Response AdvisorPages::ContactPost(Ctx& ctx) {
  RefreshIndicators(deps_.indicators);
  const ContactInput in = ParseContactInput(ctx.form);
  Result<int64_t> id = [&]() -> Result<int64_t> {
    if (!ctx.params.contains("id")) return deps_.contacts.Record(*ctx.staff, in);
    std::optional<int64_t> existing = ParseId(ctx.params["id"]);
    if (!existing) return Fail(ErrorCode::kNotFound, "error.not_found", "contact id");
    if (Status s = deps_.contacts.Edit(*ctx.staff, *existing, in); !s) return std::unexpected(s.error());
    return *existing;
  }();
  if (!id) return FormOrError(ctx, id.error(), [&](const Error& e) { return ContactForm(ctx, &e); });
  ctx.audit_record = std::to_string(*id);
  return Redirect("/staff/contacts/" + ctx.audit_record);
}

Response AdvisorPages::ContactShow(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "contact id");
  Result<ContactView> view = deps_.contacts.Read(*ctx.staff, *id);
  if (!view) return ErrorPage(ctx, view.error());
  const ContactRecord& r = view->record;
  auto organisation = [this](int64_t directory_id) {
    Result<DirectoryEntry> e = deps_.contacts.FindDirectoryEntry(directory_id);
    return e ? e->name : std::string("?");
  };
  mustache::data d = ContactRecordFields(page_, ctx, r, deps_.indicators.catalog(), organisation);
  if (view->notes) d.set("notes", *view->notes);
  d.set("has_notes", view->notes.has_value());
  d.set("sealed_notes", !r.sealed_notes.empty() && !view->notes);
  d.set("can_edit", ctx.staff->user.id == r.advisor_user_id);
  d.set("conversation", r.conversation_public_id);
  return Render(ctx, "staff_contact", d, Audience::kStaff);
}

Response AdvisorPages::FollowUpDone(Ctx& ctx) {
  auto id = ParseId(ctx.params["id"]);
  if (!id) return NotFound(ctx, "referral id");
  if (Status s = deps_.contacts.FollowUpDone(*ctx.staff, *id); !s) return ErrorPage(ctx, s.error());
  return Redirect("/staff");
}

}  // namespace vd
