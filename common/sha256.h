#ifndef OBJGATE_COMMON_SHA256_H_
#define OBJGATE_COMMON_SHA256_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace objgate {

// Incremental SHA-256 over bytes that arrive in pieces, as they do on every streaming path.
//
//   Sha256 hash;
//   hash.Update(chunk1);
//   hash.Update(chunk2);
//   std::string hex = hash.HexDigest();  // 64 lowercase hex digits
//
// After HexDigest() the object is spent; call Reset() to hash something new.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void Update(absl::string_view bytes);
  std::string HexDigest();
  void Reset();

  // The SHA-256 of `bytes` in one call.
  static std::string Hex(absl::string_view bytes);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// True if `hex` is 64 hex digits (either case): the form X-Checksum-SHA256 and the API use.
bool IsSha256Hex(absl::string_view hex);

}  // namespace objgate

#endif  // OBJGATE_COMMON_SHA256_H_
