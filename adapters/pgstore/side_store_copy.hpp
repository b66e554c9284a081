#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

// Copies the side stores — the PostgreSQL tables outside the log (ADR 0006: credentials,
// refresh sessions, token keys; ADR 0013: blobs; IP observations) — out of and into a database
// for `filament backup` / `filament restore` (ADR 0065). Each table travels as the bytes of
// `COPY ... (FORMAT binary)` with an explicit column list, so PostgreSQL itself checks every
// value on the way back in.
namespace filament::pgstore {

struct SideStoreTable {
  std::string name;
  std::string columns;  // "a, b, c": every column of the table, in copy order
  std::string order;    // ORDER BY of the dump (a stable file for equal data)
};

// Every side-store table, in restore order (a referenced table before its referrers).
const std::vector<SideStoreTable>& SideStoreTables();

// One REPEATABLE READ READ ONLY transaction: every table is read as of the moment Begin
// returned, however long the dump takes. Not thread-safe.
class SideStoreSnapshot {
 public:
  // Connects, begins the transaction and takes its snapshot; checks that each table has no
  // column the list above does not name (a column added without updating the backup would be
  // lost silently). Errors: kUnavailable (cannot connect), kFailedPrecondition (schema).
  static core::Result<std::unique_ptr<SideStoreSnapshot>> Begin(const std::string& conninfo);
  ~SideStoreSnapshot();
  // Writes the table's rows to `out` as COPY binary data. Errors: kUnavailable, kInternal.
  core::Status CopyOut(const SideStoreTable& table, std::ostream& out);

  struct Conn;  // the connection (opaque)

 private:
  explicit SideStoreSnapshot(std::unique_ptr<Conn> conn);
  std::unique_ptr<Conn> conn_;
};

// One read-write transaction loading every side-store table of an empty database; nothing is
// visible until Commit (the destructor rolls back). Not thread-safe.
class SideStoreLoad {
 public:
  // Connects and begins. Errors: kUnavailable, kFailedPrecondition (a table holds rows).
  static core::Result<std::unique_ptr<SideStoreLoad>> Begin(const std::string& conninfo);
  ~SideStoreLoad();
  // Loads `in` (COPY binary data, as CopyOut wrote) into the table. PostgreSQL refuses
  // malformed data. Errors: kInvalidArgument (data refused), kUnavailable.
  core::Status CopyIn(const SideStoreTable& table, std::istream& in);
  // Moves the blob id sequence past every loaded object, then commits.
  core::Status Commit();

  struct Conn;  // the connection (opaque)

 private:
  explicit SideStoreLoad(std::unique_ptr<Conn> conn);
  std::unique_ptr<Conn> conn_;
};

// Removes credentials and refresh sessions of accounts the (rebuilt) users read model does
// not know: a registration claimed its name after the backup fixed the log's end. Returns how
// many credentials were removed. Errors: kUnavailable, kInternal.
core::Result<int64_t> DropClaimsWithoutAccount(const std::string& conninfo);

}  // namespace filament::pgstore
