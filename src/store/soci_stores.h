#pragma once
// The SOCI implementations of the aggregate stores, one file each (soci_<aggregate>_store.cc),
// created once by SociStore and handed out by its Database accessors. Internal to src/store.
// Stateless apart from the dialect: thread-safe; all state is in the caller's SociTx.

#include <memory>

#include "store/audit_store.h"
#include "store/conversation_store.h"
#include "store/directory_store.h"
#include "store/help_store.h"
#include "store/migrations.h"
#include "store/report_store.h"
#include "store/session_store.h"
#include "store/settings_store.h"
#include "store/staff_store.h"

namespace vd {

std::unique_ptr<SettingsStore> NewSociSettingsStore();
std::unique_ptr<StaffStore> NewSociStaffStore(Dialect dialect);
std::unique_ptr<SessionStore> NewSociSessionStore();
std::unique_ptr<ConversationStore> NewSociConversationStore();
std::unique_ptr<DirectoryStore> NewSociDirectoryStore();
std::unique_ptr<AuditStore> NewSociAuditStore(Dialect dialect);
std::unique_ptr<HelpStore> NewSociHelpStore();
std::unique_ptr<ReportStore> NewSociReportStore(Dialect dialect);

}  // namespace vd
