#pragma once
// The advisor's daily work: a conversation of the organisation's inbox and the reply to it,
// contact records (list, record, show, edit; coordinators read their organisation's), and
// marking a referral's follow-up done, marking a conversation as spam or not from the inbox
// (coordinators too: it needs no key and shows no content), and giving a waiting colleague access to the
// organisation's conversations (only a key holder can). Roles are stated in Register.

#include "web/pages.h"

namespace vd {

class AdvisorPages : PageGroup {
 public:
  explicit AdvisorPages(const WebParts& parts) : PageGroup(parts) {}
  void Register(Router& router);

 private:
  Response Conversation(Ctx& ctx, const Error* error = nullptr);
  Response Reply(Ctx& ctx);
  // Back to the inbox page the button was on.
  Response Spam(Ctx& ctx, SpamMark mark);
  Response ContactList(Ctx& ctx);
  Response ContactForm(Ctx& ctx, const Error* error = nullptr);
  // What the form starts from: the refused input, the record being edited, or defaults.
  Result<ContactInput> ContactFormInput(Ctx& ctx, const Error* error);
  Response ContactPost(Ctx& ctx);
  Response ContactShow(Ctx& ctx);
  Response FollowUpDone(Ctx& ctx);
  // Access: colleagues waiting for the organisation's keys, and approving one by name.
  Response Access(Ctx& ctx, const Error* error = nullptr);
  Response ApproveAccess(Ctx& ctx);
};

}  // namespace vd
