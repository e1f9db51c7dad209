#pragma once
// The SOCI side of Tx: the pooled connection a transaction runs on, and Guarded(), which
// every store method that takes a Tx& runs its SQL in. Internal to src/store.
//
// Guarded turns a SOCI exception into an Error for the caller and keeps the exception in
// the Tx: SociStore then rolls the transaction back and diagnoses it as if it had been
// thrown from the body, so a busy database or a lost connection retries the whole body and
// a unique violation still becomes kConflict. No exception leaves a store method.

#include <soci/soci.h>

#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "store/database.h"

namespace vd {

class SociTx final : public Tx {
 public:
  explicit SociTx(soci::session& sql) : sql_(sql) {}

  soci::session& sql() { return sql_; }
  // The first exception a statement of this transaction threw, or null.
  std::exception_ptr failure() const { return failure_; }

  template <typename F>
  auto Guarded(const char* what, F&& body) -> std::invoke_result_t<F&, soci::session&> {
    using R = std::invoke_result_t<F&, soci::session&>;
    if (failure_) return R(std::unexpect, Spoilt(what));
    try {
      return body(sql_);
    } catch (...) {
      failure_ = std::current_exception();
      return R(std::unexpect, Spoilt(what));
    }
  }

 private:
  static Error Spoilt(const char* what) {
    return Error{ErrorCode::kStorage, "error.internal", std::string(what) + ": failed"};
  }
  soci::session& sql_;
  std::exception_ptr failure_;
};

// The SociTx behind a Tx handed out by SociStore.
inline SociTx& Soci(Tx& tx) { return static_cast<SociTx&>(tx); }

}  // namespace vd
