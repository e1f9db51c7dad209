#pragma once
// Small helpers shared by the SOCI stores (soci_*_store.cc): preparing a statement whose
// exchanges were added one by one, an UPDATE or DELETE that must touch a row, and the
// not-found error. Internal to src/store. They may throw SOCI exceptions; store methods call
// them inside SociTx::Guarded, which turns every exception into an Error.

#include <soci/soci.h>

#include <string>

#include "core/error.h"

namespace vd {

// Prepares `query` with the exchanges already added to `st` (SOCI's low-level API, used
// where a row buffer binds its own columns or the bindings depend on the query).
inline void Prepare(soci::statement& st, const std::string& query) {
  st.alloc();
  st.prepare(query);
  st.define_and_bind();
}

inline Error NotFoundError(const char* what) {
  return Error{ErrorCode::kNotFound, "error.not_found", std::string(what) + ": not found"};
}

// One UPDATE or DELETE with positional bindings; kNotFound (naming `noun`) if it touched no
// row.
template <typename... Args>
Status UpdateOne(soci::session& sql, const char* noun, const std::string& query,
                 const Args&... args) {
  soci::statement st(sql);
  (st.exchange(soci::use(args)), ...);
  Prepare(st, query);
  st.execute(true);
  if (st.get_affected_rows() == 0) return std::unexpected(NotFoundError(noun));
  return {};
}

}  // namespace vd
