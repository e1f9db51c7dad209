#pragma once
// Online backup and restore of a SQLite database with SQLite's backup API. A backup is a
// consistent snapshot even while the service is writing (it copies inside one read
// transaction and starts over if a writer changes the source), written to FILE.partial
// with mode 0600 and renamed into place only when complete. PostgreSQL databases are backed
// up with pg_dump / pg_restore instead (docs/operations.md); these functions refuse them.
// Thread-compatible; errors carry no personal data.

#include <string>

#include "core/error.h"

namespace vd {

// Copies the database behind `database_url` ("sqlite:PATH") to `to_file`. Fails with
// kConflict if `to_file` exists (a backup never overwrites).
Status BackupSqlite(const std::string& database_url, const std::string& to_file);

// Checks that `from_file` is an intact vertrouwd SQLite database and copies it to the
// database behind `database_url`, which must not exist yet (restore goes into a fresh data
// folder; kConflict otherwise).
Status RestoreSqlite(const std::string& from_file, const std::string& database_url);

}  // namespace vd
