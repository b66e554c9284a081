#include "adapters/postgres/pg_connection.hpp"

namespace filament::postgres::internal {

LazyConnection::LazyConnection(std::string conninfo,
                               std::function<void(pqxx::connection&)> on_connect,
                               std::function<void()> on_reset)
    : conninfo_(std::move(conninfo)),
      on_connect_(std::move(on_connect)),
      on_reset_(std::move(on_reset)) {}

LazyConnection::~LazyConnection() { Reset(); }

core::Result<pqxx::connection*> LazyConnection::Get() {
  if (conn_ != nullptr && conn_->is_open()) return conn_.get();
  Reset();
  try {
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    // Bytes in and out exactly as stored; literals built by this adapter rely on the second.
    conn_->set_client_encoding("UTF8");
    pqxx::nontransaction(*conn_).exec("SET standard_conforming_strings = on");
    if (on_connect_) on_connect_(*conn_);
    return conn_.get();
  } catch (const std::exception& e) {
    Reset();
    return core::Unavailable(std::string("postgres unreachable: ") + e.what());
  }
}

void LazyConnection::Reset() {
  if (conn_ == nullptr) return;
  if (on_reset_) on_reset_();
  try {
    conn_->disconnect();
  } catch (const std::exception&) {
    // Already broken; dropping it is all that is left to do.
  }
  conn_.reset();
}

bool IsConnectionError(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return true;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    // 08xxx connection exceptions, 57P0x shutdown / crash, 53xxx out of resources.
    return state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state.rfind("53", 0) == 0;
  }
  return false;
}

core::Error LazyConnection::Fail(const std::exception& e, const std::string& what) {
  bool connection_error = IsConnectionError(e) || (conn_ != nullptr && !conn_->is_open());
  if (connection_error) {
    Reset();
    return core::Unavailable(what + ": " + e.what());
  }
  return core::Internal(what + ": " + e.what());
}

}  // namespace filament::postgres::internal
