#pragma once
// SociStore: the Store on SOCI, for SQLite and PostgreSQL alike. Each call borrows one of
// `pool_size` pooled connections and runs in one transaction (BEGIN IMMEDIATE on SQLite for
// writes, so writers queue instead of failing to upgrade). No exception leaves this class.

#include <memory>
#include <string>

#include "store/migrations.h"
#include "store/store.h"

namespace vd {

// `connect` is a file path for SQLite, a libpq URI or "key=value" string for PostgreSQL.
// Opens every connection up front, so a bad path or server fails here, not on first use.
Result<std::unique_ptr<Store>> OpenSociStore(Dialect dialect, const std::string& connect,
                                             int pool_size);

}  // namespace vd
