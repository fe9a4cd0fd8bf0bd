#include "tests/soak/generated_object.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/string_view.h"

namespace objgate::soak {

GeneratedObjectBuf::GeneratedObjectBuf(uint64_t seed, int64_t size) : seed_(seed), size_(size) {
  setg(block_, block_, block_);
}

void GeneratedObjectBuf::Load(int64_t position) {
  const int64_t block_index = position / kBlockBytes;
  // xorshift64 seeded by version and block, so any block can be made without the others.
  uint64_t state = (seed_ * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(block_index) + 1);
  for (int64_t i = 0; i < kBlockBytes; i += 8) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    std::memcpy(block_ + i, &state, 8);
  }
  block_start_ = block_index * kBlockBytes;
  const int64_t available = std::min(kBlockBytes, size_ - block_start_);
  setg(block_, block_ + (position - block_start_), block_ + available);
}

GeneratedObjectBuf::int_type GeneratedObjectBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  const int64_t position = block_start_ + (egptr() - eback());
  if (position >= size_) return traits_type::eof();
  Load(position);
  return traits_type::to_int_type(*gptr());
}

GeneratedObjectBuf::pos_type GeneratedObjectBuf::seekoff(off_type offset,
                                                         std::ios_base::seekdir direction,
                                                         std::ios_base::openmode which) {
  const int64_t base = direction == std::ios_base::beg   ? 0
                       : direction == std::ios_base::cur ? block_start_ + (gptr() - eback())
                                                         : size_;
  return seekpos(pos_type(base + offset), which);
}

GeneratedObjectBuf::pos_type GeneratedObjectBuf::seekpos(pos_type position,
                                                         std::ios_base::openmode) {
  const int64_t target = position;
  if (target < 0 || target > size_) return pos_type(off_type(-1));
  if (target == size_) {
    // An empty get area at the end: the next read finds nothing.
    block_start_ = size_;
    setg(block_, block_, block_);
  } else {
    Load(target);
  }
  return position;
}

std::string GeneratedObjectBuf::Sha256Of(uint64_t seed, int64_t size) {
  GeneratedObjectBuf buf(seed, size);
  Sha256 hash;
  char chunk[kBlockBytes];
  std::streamsize n;
  while ((n = buf.sgetn(chunk, sizeof chunk)) > 0) hash.Update(absl::string_view(chunk, n));
  return hash.HexDigest();
}

std::streamsize HashingBuf::xsputn(const char* data, std::streamsize count) {
  hash_.Update(absl::string_view(data, static_cast<size_t>(count)));
  bytes_ += count;
  return count;
}

HashingBuf::int_type HashingBuf::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char byte = traits_type::to_char_type(c);
  xsputn(&byte, 1);
  return c;
}

}  // namespace objgate::soak
