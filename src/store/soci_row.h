#pragma once
// Row binding once: a record's columns are listed once, as a table of {column name, member},
// and everything SOCI needs is generated from that table: the column list of a SELECT or an
// INSERT, the into()/use() exchange with per-column buffers, and the copy between the buffers
// and the record. Internal to src/store; not thread-safe (a RowBuffer belongs to one
// statement on one connection).
//
//   using soci_row::Col;
//   const auto kUsers = soci_row::Table("users", Col("id", &User::id),
//                                       Col("username", &User::username), ...);
//   std::vector<User> u = soci_row::Select(sql, kUsers, " WHERE id = :id", id);
//   long long id = soci_row::InsertReturningId(sql, kUsers, user);  // every column but id
//
// For other statements (an upsert, an INSERT re-executed per record) a RowBuffer binds the
// columns itself: Into(st) or Use(st), then Get() after a fetch or Set(record) before an
// execute.
//
// A member's C++ type says how it travels (Value<F> below): int64_t and bool as BIGINT, an
// optional<int64_t> as a nullable BIGINT, strings as TEXT; an enum stored as a text code
// needs a Value, a CodeValue next to its table. A stored value that no longer parses, or a NULL
// in a column the record cannot hold as empty, throws (the transaction turns that into
// kStorage, naming the column, never the value).

#include <soci/soci.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/soci_sql.h"

namespace vd::soci_row {

// A value the schema's CHECKs should have made impossible.
[[noreturn]] inline void Corrupt(const std::string& column) {
  throw std::runtime_error("unexpected value in column " + column);
}

// How a member of type F is buffered for SOCI and copied to and from that buffer.
template <typename F>
struct Value;

template <>
struct Value<std::string> {
  using Buffer = std::string;
  static void Load(const Buffer& b, std::string& out, const std::string&) { out = b; }
  static void Store(const std::string& v, Buffer& b, soci::indicator&) { b = v; }
};

template <>
struct Value<int64_t> {
  using Buffer = long long;
  static void Load(Buffer b, int64_t& out, const std::string&) { out = b; }
  static void Store(int64_t v, Buffer& b, soci::indicator&) { b = v; }
};

template <>
struct Value<bool> {
  using Buffer = long long;
  static void Load(Buffer b, bool& out, const std::string&) { out = b != 0; }
  static void Store(bool v, Buffer& b, soci::indicator&) { b = v ? 1 : 0; }
};

// The one kind of column that may be NULL: the indicator carries "absent".
template <>
struct Value<std::optional<int64_t>> {
  using Buffer = long long;
  static constexpr bool kNullable = true;
  static void Store(const std::optional<int64_t>& v, Buffer& b, soci::indicator& ind) {
    b = v.value_or(0);
    ind = v ? soci::i_ok : soci::i_null;
  }
};

// An enum stored as its code: Name(e) gives the code, Parse(code) the enum or nullopt (a
// code that no longer parses is never guessed). template <> struct Value<Role> :
// CodeValue<Role, &RoleName, &ParseRole> {};
template <typename E, auto Name, auto Parse>
struct CodeValue {
  using Buffer = std::string;
  static void Load(const Buffer& b, E& out, const std::string& column) {
    std::optional<E> v = Parse(b);
    if (!v) Corrupt(column);
    out = *v;
  }
  static void Store(E v, Buffer& b, soci::indicator&) { b = Name(v); }
};

// One column: its name in SQL and the member of R it fills.
template <typename R, typename F>
struct Column {
  const char* name;
  F R::*member;
};

template <typename R, typename F>
constexpr Column<R, F> Col(const char* name, F R::*member) {
  return {name, member};
}

template <typename R, typename... F>
class Table;

// Buffers for one row of a Table, bound to statements by Into()/Use(). Must outlive the
// statements it is bound to, and stay where it is (SOCI keeps the buffers' addresses).
template <typename R, typename... F>
class RowBuffer {
 public:
  explicit RowBuffer(const Table<R, F...>& table) : table_(table) {}
  RowBuffer(const RowBuffer&) = delete;
  RowBuffer& operator=(const RowBuffer&) = delete;

  // into() for every column, in table order (the order of Table::Names()).
  void Into(soci::statement& st) {
    ForEach([&](auto& slot, const auto&) { st.exchange(soci::into(slot.value, slot.ind)); });
  }
  // use() for every column but the first `skip` (an INSERT leaves the id to the database).
  void Use(soci::statement& st, size_t skip = 0) {
    size_t i = 0;
    ForEach([&](auto& slot, const auto&) {
      if (i++ >= skip) st.exchange(soci::use(slot.value, slot.ind));
    });
  }

  // The fetched row as a record.
  R Get() const {
    R out{};
    ForEach([&](const auto& slot, const auto& col) {
      using M = std::remove_cvref_t<decltype(out.*(col.member))>;
      if constexpr (requires { Value<M>::kNullable; }) {
        if (slot.ind == soci::i_ok) {
          out.*(col.member) = slot.value;
        } else {
          out.*(col.member) = std::nullopt;
        }
      } else {
        if (slot.ind != soci::i_ok) Corrupt(table_.Qualified(col.name));
        Value<M>::Load(slot.value, out.*(col.member), table_.Qualified(col.name));
      }
    });
    return out;
  }
  // Fills the buffers from `r`, for the next execute() of a statement bound with Use().
  void Set(const R& r) {
    ForEach([&](auto& slot, const auto& col) {
      using M = std::remove_cvref_t<decltype(r.*(col.member))>;
      slot.ind = soci::i_ok;
      Value<M>::Store(r.*(col.member), slot.value, slot.ind);
    });
  }

 private:
  template <typename M>
  struct Slot {
    typename Value<M>::Buffer value{};
    soci::indicator ind = soci::i_ok;
  };

  template <typename Fn>
  void ForEach(Fn&& fn) {
    ForEachImpl(std::forward<Fn>(fn), slots_, std::index_sequence_for<F...>{});
  }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForEachImpl(std::forward<Fn>(fn), slots_, std::index_sequence_for<F...>{});
  }
  template <typename Fn, typename Slots, size_t... I>
  void ForEachImpl(Fn&& fn, Slots& slots, std::index_sequence<I...>) const {
    (fn(std::get<I>(slots), std::get<I>(table_.columns())), ...);
  }

  const Table<R, F...>& table_;
  std::tuple<Slot<F>...> slots_;
};

// The columns of one table, in the order they are selected and inserted. The first column is
// the id when the database assigns it.
template <typename R, typename... F>
class Table {
 public:
  explicit Table(const char* table, Column<R, F>... columns)
      : table_(table), columns_(columns...) {}

  const char* name() const { return table_; }
  const std::tuple<Column<R, F>...>& columns() const { return columns_; }
  std::string Qualified(const char* column) const { return std::string(table_) + "." + column; }

  // "id, username, ...", without the first `skip` columns.
  std::string Names(size_t skip = 0) const { return Join(skip, ""); }
  // "SELECT <every column> FROM <table>".
  std::string Select() const { return "SELECT " + Names() + " FROM " + table_; }
  // "INSERT INTO <table> (<columns>) VALUES (:<column>, ...)" without the first `skip`
  // columns; bind it with RowBuffer::Use(st, skip).
  std::string Insert(size_t skip = 0) const {
    return std::string("INSERT INTO ") + table_ + " (" + Names(skip) + ") VALUES (" +
           Join(skip, ":") + ")";
  }

  RowBuffer<R, F...> Buffer() const { return RowBuffer<R, F...>(*this); }

 private:
  std::string Join(size_t skip, const char* prefix) const {
    std::string out;
    size_t i = 0;
    std::apply(
        [&](const auto&... col) {
          ((i++ >= skip ? (out += (out.empty() ? "" : ", "), out += prefix, out += col.name) : out),
           ...);
        },
        columns_);
    return out;
  }

  const char* table_;
  std::tuple<Column<R, F>...> columns_;
};

// Every row of `table` selected by `rest` (" WHERE ... ORDER BY ..."), which binds `values`
// in order.
template <typename R, typename... F, typename... V>
std::vector<R> Select(soci::session& sql, const Table<R, F...>& table, const std::string& rest,
                      const V&... values) {
  std::vector<R> out;
  auto row = table.Buffer();
  soci::statement st(sql);
  (st.exchange(soci::use(values)), ...);
  row.Into(st);
  st.alloc();
  st.prepare(table.Select() + rest);
  st.define_and_bind();
  st.execute();
  while (st.fetch()) out.push_back(row.Get());
  return out;
}

// The first row selected by `rest`; kNotFound, naming `noun`, if there is none.
template <typename R, typename... F, typename... V>
Result<R> SelectOne(soci::session& sql, const char* noun, const Table<R, F...>& table,
                    const std::string& rest, const V&... values) {
  std::vector<R> found = Select(sql, table, rest, values...);
  if (found.empty()) return std::unexpected(NotFoundError(noun));
  return std::move(found.front());
}

// INSERT of every column of `record` but the first `skip`.
template <typename R, typename... F>
void Insert(soci::session& sql, const Table<R, F...>& table, const R& record, size_t skip = 0) {
  auto row = table.Buffer();
  row.Set(record);
  soci::statement st(sql);
  row.Use(st, skip);
  st.alloc();
  st.prepare(table.Insert(skip));
  st.define_and_bind();
  st.execute(true);
}

// INSERT of every column of `record` but the first (the id), which the database assigns and
// this returns.
template <typename R, typename... F>
long long InsertReturningId(soci::session& sql, const Table<R, F...>& table, const R& record) {
  auto row = table.Buffer();
  row.Set(record);
  long long id = 0;
  soci::statement st(sql);
  row.Use(st, /*skip=*/1);
  st.exchange(soci::into(id));
  st.alloc();
  st.prepare(table.Insert(/*skip=*/1) + " RETURNING id");
  st.define_and_bind();
  st.execute(true);
  return id;
}

}  // namespace vd::soci_row
