#pragma once
// Numbered schema migrations, one list of statements per dialect. A migration never changes
// once released: new needs get a new number. SociStore::Migrate applies them in order, each in
// its own transaction, and records each version in schema_migrations.

#include <string>
#include <vector>

namespace vd {

enum class Dialect { kSqlite, kPostgres };

struct Migration {
  int version;
  std::vector<std::string> statements;  // run in order inside one transaction
};

// Ascending by version, starting at 1, without gaps. (A database that got 12 before 11 was
// released gets 11 at its next start: Migrate checks each version on its own.)
const std::vector<Migration>& Migrations(Dialect dialect);

}  // namespace vd
