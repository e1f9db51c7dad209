#include "store/store.h"

#include "store/soci_store.h"

namespace vd {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdvisor:
      return "advisor";
    case Role::kCoordinator:
      return "coordinator";
    case Role::kAnalyst:
      return "analyst";
    case Role::kAdmin:
      return "admin";
  }
  return "advisor";  // unreachable: every enumerator is handled above
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAdvisor, Role::kCoordinator, Role::kAnalyst, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

std::string_view ConversationStatusName(ConversationStatus s) {
  switch (s) {
    case ConversationStatus::kNew:
      return "new";
    case ConversationStatus::kWaiting:
      return "waiting";
    case ConversationStatus::kAnswered:
      return "answered";
  }
  return "new";  // unreachable
}

std::optional<ConversationStatus> ParseConversationStatus(std::string_view name) {
  for (ConversationStatus s :
       {ConversationStatus::kNew, ConversationStatus::kWaiting, ConversationStatus::kAnswered}) {
    if (ConversationStatusName(s) == name) return s;
  }
  return std::nullopt;
}

std::string_view InboxViewName(InboxView v) {
  switch (v) {
    case InboxView::kWaiting:
      return "waiting";
    case InboxView::kAnswered:
      return "answered";
    case InboxView::kAll:
      return "all";
    case InboxView::kSpam:
      return "spam";
  }
  return "waiting";
}

std::optional<InboxView> ParseInboxView(std::string_view name) {
  for (InboxView v : {InboxView::kWaiting, InboxView::kAnswered, InboxView::kAll, InboxView::kSpam}) {
    if (InboxViewName(v) == name) return v;
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, int pool_size) {
  // The URL never goes into an error: a PostgreSQL URL may carry a password.
  if (url.starts_with("sqlite:")) {
    const std::string path = url.substr(7);
    if (path.empty()) return Fail(ErrorCode::kInvalidInput, "error.config", "empty sqlite path");
    return OpenSociStore(Dialect::kSqlite, path, pool_size);
  }
  // libpq takes URIs and "key=value" strings alike (PQconnectdb); SOCI passes them through.
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    return OpenSociStore(Dialect::kPostgres, url, pool_size);
  }
  // "pg:" alone is legal: libpq then takes everything from PGHOST, PGDATABASE and friends.
  if (url.starts_with("pg:")) return OpenSociStore(Dialect::kPostgres, url.substr(3), pool_size);
  return Fail(ErrorCode::kInvalidInput, "error.config",
              "database URL must start with sqlite:, pg:, postgresql:// or postgres://");
}

}  // namespace vd
