#pragma once
// Numbered schema migrations, one SQL script per dialect. A migration never changes once
// released: new needs get a new number. Applied in order, each in its own transaction.

#include <string>
#include <vector>

namespace vd {

enum class Dialect { kSqlite, kPostgres };

struct Migration {
  int version;
  std::vector<std::string> statements;  // run in order inside one transaction
};

const std::vector<Migration>& Migrations(Dialect dialect);

}  // namespace vd
