#ifndef OBJGATE_TESTS_SOAK_GENERATED_OBJECT_H_
#define OBJGATE_TESTS_SOAK_GENERATED_OBJECT_H_

#include <cstdint>
#include <istream>
#include <ostream>
#include <streambuf>
#include <string>

#include "common/sha256.h"

namespace objgate::soak {

// The bytes of object version `seed`, `size` long, produced on demand: a soak of 64 callers
// moving 64 MiB objects holds none of them in memory. Seekable, so the client library can
// size it and replay it after a failure.
class GeneratedObjectBuf : public std::streambuf {
 public:
  GeneratedObjectBuf(uint64_t seed, int64_t size);

  // The SHA-256 of the whole object, computed by generating it once.
  static std::string Sha256Of(uint64_t seed, int64_t size);

 protected:
  int_type underflow() override;
  pos_type seekoff(off_type offset, std::ios_base::seekdir direction,
                   std::ios_base::openmode which) override;
  pos_type seekpos(pos_type position, std::ios_base::openmode which) override;

 private:
  // Makes the block that holds byte `position` the get area, positioned at it.
  void Load(int64_t position);

  static constexpr int64_t kBlockBytes = 64 * 1024;
  const uint64_t seed_;
  const int64_t size_;
  // Object offset of the get area's first byte.
  int64_t block_start_ = 0;
  char block_[kBlockBytes];
};

// An ostream that only hashes and counts what is written to it.
class HashingBuf : public std::streambuf {
 public:
  std::string HexDigest() { return hash_.HexDigest(); }
  int64_t bytes() const { return bytes_; }

 protected:
  std::streamsize xsputn(const char* data, std::streamsize count) override;
  int_type overflow(int_type c) override;

 private:
  Sha256 hash_;
  int64_t bytes_ = 0;
};

}  // namespace objgate::soak

#endif  // OBJGATE_TESTS_SOAK_GENERATED_OBJECT_H_
