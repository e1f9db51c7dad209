#pragma once
// SociStore: the Store on SOCI, for SQLite and PostgreSQL alike. Each call borrows a pooled
// connection and runs in one transaction (BEGIN IMMEDIATE on SQLite, so writers queue
// instead of failing to upgrade). SOCI exceptions never leave this class.

#include <memory>
#include <string>

#include "store/migrations.h"
#include "store/store.h"

namespace vd {

Result<std::unique_ptr<Store>> OpenSociStore(Dialect dialect, const std::string& connect,
                                             int pool_size);

}  // namespace vd
