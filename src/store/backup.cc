#include "store/backup.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace vd {
namespace {

namespace fs = std::filesystem;

Status StorageError(std::string detail) {
  return Fail(ErrorCode::kStorage, "error.internal", "backup: " + std::move(detail));
}

Result<std::string> SqlitePath(const std::string& url) {
  if (!url.starts_with("sqlite:")) {
    return Fail(ErrorCode::kInvalidInput, "error.internal",
                "backup: not a SQLite database; use pg_dump (docs/operations.md)");
  }
  std::string path = url.substr(7);
  if (path.empty()) return Fail(ErrorCode::kInvalidInput, "error.internal", "backup: empty database path");
  return path;
}

struct Db {
  sqlite3* handle = nullptr;
  ~Db() {
    if (handle) sqlite3_close(handle);
  }
};

Status Open(const std::string& path, int flags, Db& db) {
  if (sqlite3_open_v2(path.c_str(), &db.handle, flags, nullptr) != SQLITE_OK) {
    return StorageError("cannot open a database file");
  }
  sqlite3_busy_timeout(db.handle, 5000);
  return {};
}

// Copies every page of `from` into `to`; retries while the source is busy or locked.
Status Copy(Db& from, Db& to) {
  sqlite3_backup* backup = sqlite3_backup_init(to.handle, "main", from.handle, "main");
  if (!backup) return StorageError("backup_init failed");
  int rc = SQLITE_OK;
  for (int tries = 0; tries < 600; ++tries) {
    rc = sqlite3_backup_step(backup, -1);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_OK) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int finish = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finish != SQLITE_OK) return StorageError("backup step failed");
  return {};
}

// "ok" from PRAGMA integrity_check, and a settings table (every vertrouwd schema has one).
Status CheckIntact(Db& db) {
  std::string result;
  auto collect = [](void* out, int n, char** values, char**) {
    if (n > 0 && values[0]) *static_cast<std::string*>(out) += values[0];
    return 0;
  };
  if (sqlite3_exec(db.handle, "PRAGMA integrity_check", collect, &result, nullptr) != SQLITE_OK ||
      result != "ok") {
    return StorageError("the backup file is damaged");
  }
  result.clear();
  if (sqlite3_exec(db.handle, "SELECT name FROM sqlite_master WHERE type='table' AND name='settings'",
                   collect, &result, nullptr) != SQLITE_OK ||
      result != "settings") {
    return StorageError("the file is not a vertrouwd database");
  }
  return {};
}

// Copies `from` into a new file `to` via `to`.partial, fsynced and renamed into place.
Status CopyToNewFile(Db& from, const std::string& to) {
  std::error_code ec;
  if (fs::exists(to, ec)) return Fail(ErrorCode::kConflict, "error.internal", "backup: target exists");
  const std::string partial = to + ".partial";
  fs::remove(partial, ec);
  const mode_t old_mask = umask(077);  // the copy holds sealed data and hashes: owner only
  Status status = [&]() -> Status {
    Db dest;
    if (auto s = Open(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dest); !s) return s;
    if (auto s = Copy(from, dest); !s) return s;
    // One self-contained file: no WAL beside it.
    if (sqlite3_exec(dest.handle, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return StorageError("cannot finish the copy");
    }
    return {};
  }();
  umask(old_mask);
  if (!status) {
    fs::remove(partial, ec);
    return status;
  }
  if (FILE* f = std::fopen(partial.c_str(), "rb+")) {
    fflush(f);
    fsync(fileno(f));
    std::fclose(f);
  }
  fs::rename(partial, to, ec);
  if (ec) {
    fs::remove(partial, ec);
    return StorageError("cannot move the copy into place");
  }
  return {};
}

}  // namespace

Status BackupSqlite(const std::string& database_url, const std::string& to_file) {
  Result<std::string> path = SqlitePath(database_url);
  if (!path) return std::unexpected(path.error());
  std::error_code ec;
  if (!fs::exists(*path, ec)) return Fail(ErrorCode::kNotFound, "error.internal", "backup: no database file");
  Db source;
  if (auto s = Open(*path, SQLITE_OPEN_READWRITE, source); !s) return s;
  return CopyToNewFile(source, to_file);
}

Status RestoreSqlite(const std::string& from_file, const std::string& database_url) {
  Result<std::string> path = SqlitePath(database_url);
  if (!path) return std::unexpected(path.error());
  Db source;
  if (auto s = Open(from_file, SQLITE_OPEN_READONLY, source); !s) return s;
  if (auto s = CheckIntact(source); !s) return s;
  std::error_code ec;
  for (const std::string& existing : {*path, *path + "-wal", *path + "-journal"}) {
    if (fs::exists(existing, ec)) {
      return Fail(ErrorCode::kConflict, "error.internal", "restore: the data folder already has a database");
    }
  }
  const fs::path parent = fs::path(*path).parent_path();
  if (!parent.empty()) {
    fs::create_directories(parent, ec);
    fs::permissions(parent, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  return CopyToNewFile(source, *path);
}

}  // namespace vd
