#include "domain/audit.h"

#include "crypto/crypto.h"
#include "store/settings_store.h"

namespace vd {
namespace {

// A public, fixed key: the chain's strength is that every hash covers the previous one, not
// secrecy. (An attacker who rewrites the whole chain and the head is out of scope here; the
// head can be copied off-site for that.)
constexpr std::string_view kChainKey = "vertrouwd.audit.chain.key.v1";

void Field(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += ';';
}

}  // namespace

std::string AuditLog::HashOf(const AuditEntry& e) {
  std::string m;
  Field(m, std::to_string(e.id));
  Field(m, std::to_string(e.at));
  Field(m, std::to_string(e.user_id));
  Field(m, e.action);
  Field(m, e.record);
  Field(m, e.prev_hash);
  return HexEncode(KeyedHash(kChainKey, "vd.audit", m));
}

Status AuditLog::Record(int64_t user_id, std::string_view action, std::string_view record) {
  AuditEntry e;
  e.at = clock_.Now();
  e.user_id = user_id;
  e.action = std::string(action.substr(0, 120));
  e.record = std::string(record.substr(0, 80));
  Result<AuditEntry> added = db_.Write(
      "append audit", [&](Tx& tx) { return db_.audit().Append(tx, e, &AuditLog::HashOf); });
  if (!added) return std::unexpected(added.error());
  return {};
}

Result<AuditVerdict> AuditLog::Verify() {
  // Checked batch by batch as it is read (the log grows without end); the body starts afresh
  // if the transaction is retried.
  return db_.Read("verify audit", [&](Tx& tx) -> Result<AuditVerdict> {
    AuditVerdict v;
    std::string prev;
    int64_t expected = 1;
    auto broken = [&](int64_t id, std::string reason) {
      v.ok = false;
      v.first_broken = id;
      v.reason = std::move(reason);
      return v;
    };
    for (;;) {
      Result<std::vector<AuditEntry>> batch = db_.audit().List(tx, expected - 1, 1000);
      if (!batch) return std::unexpected(batch.error());
      if (batch->empty()) break;
      for (const AuditEntry& e : *batch) {
        const std::string n = std::to_string(expected);
        if (e.id != expected) return broken(expected, "entry " + n + " is missing (removed)");
        if (e.prev_hash != prev) {
          return broken(e.id, "entry " + n + " does not follow entry " +
                                  std::to_string(expected - 1) + " (changed or replaced)");
        }
        if (HashOf(e) != e.hash) return broken(e.id, "entry " + n + " was changed");
        prev = e.hash;
        ++expected;
        ++v.entries;
      }
    }
    Result<std::optional<std::string>> head = db_.settings().Get(tx, "audit_head");
    if (!head) return std::unexpected(head.error());
    const std::string want =
        v.entries == 0 ? std::string() : std::to_string(v.entries) + ":" + prev;
    if (head->value_or("") != want) {
      return broken(v.entries + 1, "entries after " + std::to_string(v.entries) +
                                       " are missing (the head does not match)");
    }
    return v;
  });
}

Result<std::vector<AuditEntry>> AuditLog::List(int64_t after_id, int limit) {
  return db_.Read("list audit", [&](Tx& tx) { return db_.audit().List(tx, after_id, limit); });
}

}  // namespace vd
