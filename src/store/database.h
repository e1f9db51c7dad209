#pragma once
// Database: transactions, and the stores that work inside them. A domain operation opens one
// transaction with Read() or Write() and passes its Tx& to every store method it calls, so
// the whole operation commits or rolls back as one (GlobaLeaks' @transact). Thread-safe: each
// transaction holds one pooled connection from its first to its last statement.
//
// A busy database, or a connection lost before COMMIT, runs the body again from the start
// (a few times, with back-off): a body must do nothing outside the transaction that would
// harm when repeated (no I/O, no counters; pure computation and store calls are fine).

#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/error.h"

namespace vd {

// Reads never take SQLite's write lock, so readers are not queued behind writers.
enum class TxKind { kRead, kWrite };

// One open transaction. Opaque outside src/store, and valid only inside the body it was
// passed to. After a store method has failed with kStorage the transaction is spoilt: every
// later call fails too and it is rolled back, whatever the body returns.
class Tx {
 public:
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;

 protected:
  Tx() = default;
  ~Tx() = default;
};

class AuditStore;
class ContactStore;
class ConversationStore;
class DirectoryStore;
class HelpStore;
class ReportStore;
class SessionStore;
class SettingsStore;
class StaffStore;

class Database {
 public:
  virtual ~Database() = default;

  // Runs `body(tx)` in one transaction and returns what it returned (a Status or a
  // Result<T>): committed when that is a value, rolled back when it is an error. `what`
  // names the operation in the operator's log ("record contact"); never row content.
  template <typename F>
  auto Read(const char* what, F&& body) -> std::invoke_result_t<F&, Tx&> {
    return Transact(TxKind::kRead, what, std::forward<F>(body));
  }
  template <typename F>
  auto Write(const char* what, F&& body) -> std::invoke_result_t<F&, Tx&> {
    return Transact(TxKind::kWrite, what, std::forward<F>(body));
  }

  // The stores, one per aggregate. Their methods take the Tx& of a transaction of this
  // database. Each header (store/contact_store.h, ...) says what its store holds.
  virtual SettingsStore& settings() = 0;
  virtual StaffStore& staff() = 0;
  virtual SessionStore& sessions() = 0;
  virtual ConversationStore& conversations() = 0;
  virtual ContactStore& contacts() = 0;
  virtual DirectoryStore& directory() = 0;
  virtual AuditStore& audit() = 0;
  virtual HelpStore& help() = 0;
  virtual ReportStore& reports() = 0;

 protected:
  // Runs `body` in one transaction (see Read/Write); retried on busy or lost connections.
  virtual Status Run(TxKind kind, const char* what, const std::function<Status(Tx&)>& body) = 0;

 private:
  template <typename F>
  auto Transact(TxKind kind, const char* what, F&& body) -> std::invoke_result_t<F&, Tx&> {
    using R = std::invoke_result_t<F&, Tx&>;
    if constexpr (std::is_same_v<R, Status>) {
      return Run(kind, what, [&](Tx& tx) -> Status { return body(tx); });
    } else {
      // The body may run more than once (retries): the last successful run's value counts.
      std::optional<typename R::value_type> out;
      Status s = Run(kind, what, [&](Tx& tx) -> Status {
        R r = body(tx);
        if (!r) return std::unexpected(std::move(r.error()));
        out = std::move(*r);
        return {};
      });
      if (!s) return std::unexpected(std::move(s.error()));
      return std::move(*out);
    }
  }
};

}  // namespace vd
