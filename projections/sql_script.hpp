#pragma once

// A projection's buffered writes (ADR 0074): statements with their arguments quoted in, kept in
// log order and sent in one round trip (one simple-protocol query; each statement sees the
// ones before it, in the same transaction) when the projection flushes its batch.

#include <initializer_list>
#include <string>
#include <string_view>

namespace filament::projections {

class SqlScript {
 public:
  // Appends `sql` with $1..$N replaced by the quoted `args` (a string literal each; PostgreSQL
  // casts it to the column's type). A '$' not followed by a used number is kept.
  // Tx: pqxx::dbtransaction (a template so that this header needs no libpqxx).
  template <typename Tx>
  void Add(Tx& tx, std::string_view sql, std::initializer_list<std::string_view> args) {
    const std::string_view* list = args.begin();
    for (size_t i = 0; i < sql.size(); ++i) {
      size_t end = i + 1, number = 0;
      while (sql[i] == '$' && end < sql.size() && sql[end] >= '0' && sql[end] <= '9') {
        number = number * 10 + static_cast<size_t>(sql[end++] - '0');
      }
      if (number >= 1 && number <= args.size()) {
        text_ += tx.quote(std::string(list[number - 1]));
        i = end - 1;
      } else {
        text_ += sql[i];
      }
    }
    text_ += ";\n";
  }
  // Runs what was added and empties the script.
  template <typename Tx>
  void Run(Tx& tx) {
    if (text_.empty()) return;
    std::string text = std::move(text_);
    text_.clear();
    tx.exec(text);
  }
  void Clear() { text_.clear(); }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

}  // namespace filament::projections
