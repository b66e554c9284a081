#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace filament::crypto {

// Incremental SHA-256 (libsodium underneath, hidden): feed bytes as they arrive, then take
// the digest once. For streamed uploads and blob verification. Not thread-safe (one hasher
// per stream); movable.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(std::string_view bytes);
  // The digest of everything fed so far as 64 lower-case hex characters. Precondition: not
  // called before on this hasher (it resets nothing; a second call aborts).
  std::string FinishHex();

 private:
  struct State;
  std::unique_ptr<State> state_;
  bool finished_ = false;
};

}  // namespace filament::crypto
