// HelpStore on SOCI.

#include "store/soci_row.h"
#include "store/soci_sql.h"
#include "store/soci_stores.h"
#include "store/soci_tx.h"

namespace vd {
namespace {

using soci::into;
using soci::use;
using soci_row::Col;

const auto kHelpPages = soci_row::Table(
    "help_pages", Col("language", &HelpPage::language), Col("slug", &HelpPage::slug),
    Col("markdown", &HelpPage::markdown), Col("updated_at", &HelpPage::updated_at),
    Col("updated_by", &HelpPage::updated_by));

class SociHelpStore final : public HelpStore {
 public:
  Result<HelpPage> Find(Tx& tx, const std::string& language, const std::string& slug) override {
    return Soci(tx).Guarded("find help page", [&](soci::session& sql) -> Result<HelpPage> {
      return soci_row::SelectOne(sql, "help page", kHelpPages, " WHERE language = :l AND slug = :s",
                                 language, slug);
    });
  }

  Result<std::vector<HelpPage>> List(Tx& tx, const std::string& language) override {
    return Soci(tx).Guarded("list help pages",
                            [&](soci::session& sql) -> Result<std::vector<HelpPage>> {
                              return soci_row::Select(sql, kHelpPages,
                                                      " WHERE :l = '' OR language = :l2 "
                                                      "ORDER BY language, slug",
                                                      language, language);
                            });
  }

  Result<bool> InsertIfAbsent(Tx& tx, const HelpPage& page) override {
    return Soci(tx).Guarded("insert help page", [&](soci::session& sql) -> Result<bool> {
      auto row = kHelpPages.Buffer();
      row.Set(page);
      soci::statement st(sql);
      row.Use(st);
      Prepare(st, kHelpPages.Insert() + " ON CONFLICT (language, slug) DO NOTHING");
      st.execute(true);
      return st.get_affected_rows() > 0;
    });
  }

  Status Save(Tx& tx, const HelpPage& page) override {
    return Soci(tx).Guarded("save help page", [&](soci::session& sql) -> Status {
      auto row = kHelpPages.Buffer();
      row.Set(page);
      soci::statement st(sql);
      row.Use(st);
      Prepare(st, kHelpPages.Insert() +
                      " ON CONFLICT (language, slug) DO UPDATE SET "
                      "markdown = excluded.markdown, updated_at = excluded.updated_at, "
                      "updated_by = excluded.updated_by");
      st.execute(true);
      return {};
    });
  }
};

}  // namespace

std::unique_ptr<HelpStore> NewSociHelpStore() { return std::make_unique<SociHelpStore>(); }

}  // namespace vd
