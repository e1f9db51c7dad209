#pragma once
// The worker's pages, without an account: the landing page and language picker (pure,
// served from memory), starting a conversation, opening one with the receipt, reading and
// replying, deleting, closing, the quick exit, and the help pages. Every page works without
// JavaScript and carries the quick exit (the layout's). Receipt guessing and starts are
// throttled per client. Thread-safe once registered.

#include <map>
#include <string>
#include <string_view>

#include "web/pages.h"
#include "web/throttle.h"

namespace vd {

class WorkerPages : PageGroup {
 public:
  explicit WorkerPages(const WebParts& parts);
  // Reads <help_dir>/organisations.txt (names of organisations per language), if present.
  Status Load();
  void Register(Router& router);

 private:
  Response Health(Ctx& ctx);
  Response StartForm(Ctx& ctx, const Error* error = nullptr);
  Response StartPost(Ctx& ctx);
  Response OpenForm(Ctx& ctx, const Error* error = nullptr);
  Response OpenPost(Ctx& ctx);
  Response Conversation(Ctx& ctx, const Error* error = nullptr);
  Response Reply(Ctx& ctx);
  Response Delete(Ctx& ctx);
  Response Close(Ctx& ctx);
  Response Exit(Ctx& ctx);
  Response Help(Ctx& ctx);
  Response HelpTopic(Ctx& ctx);
  // The organisations help page's list: the referral directory, or while it is empty the
  // organisations a worker can write to here.
  Status AddOrganisations(const Ctx& ctx, mustache::data& d);
  // A new worker session for `conversation_id` carrying `secret`, as the response's cookie.
  Status StartSession(Ctx& ctx, int64_t conversation_id, const SecretBytes& secret);
  // The organisation's name as workers see it in the page's language: the one an admin set
  // (`set`, from OrganisationNames), else organisations.txt's, else the stored one.
  using NameLookup = std::map<std::string, std::string, std::less<>>;
  NameLookup OrganisationNames(const Ctx& ctx) const;
  std::string OrganisationName(const Ctx& ctx, const NameLookup& set, std::string_view slug,
                               const std::string& stored) const;

  Throttle receipt_throttle_;
  Throttle start_throttle_;
  // slug -> language -> name, from organisations.txt.
  std::map<std::string, std::map<std::string, std::string>, std::less<>> organisation_names_;
};

}  // namespace vd
