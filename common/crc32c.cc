#include "common/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>
#include <climits>

#include "absl/strings/str_format.h"

namespace objgate {

uint32_t Crc32cExtend(uint32_t crc, absl::string_view bytes) {
  // ISA-L takes the register before its final inversion, and an int length.
  uint32_t state = ~crc;
  while (!bytes.empty()) {
    const size_t n = std::min<size_t>(bytes.size(), INT_MAX);
    state = crc32_iscsi(reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.data())),
                        static_cast<int>(n), state);
    bytes.remove_prefix(n);
  }
  return ~state;
}

namespace {

// CRC arithmetic over GF(2) as zlib's crc32_combine does it: a 32x32 bit matrix is the
// operator that appends zero bits to a CRC register, squared to append twice as many.
constexpr uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, bit-reversed

uint32_t Times(const uint32_t* matrix, uint32_t vector) {
  uint32_t sum = 0;
  for (; vector != 0; vector >>= 1, ++matrix) {
    if (vector & 1) sum ^= *matrix;
  }
  return sum;
}

void Square(uint32_t* square, const uint32_t* matrix) {
  for (int n = 0; n < 32; ++n) square[n] = Times(matrix, matrix[n]);
}

// The operator that appends `length` zero bytes, as a matrix (its columns are the images
// of the 32 unit vectors): the one-bit operator squared log2(length) times, and multiplied
// in for each bit of the length, tens of microseconds. Streams combine messages of one
// length over and over, so the last length's operator is kept per thread; a combine is
// then one matrix-vector product.
struct ZerosOperator {
  uint64_t length = 0;
  uint32_t columns[32] = {};
};

const ZerosOperator& OperatorFor(uint64_t length) {
  thread_local ZerosOperator cached;
  if (cached.length == length) return cached;
  uint32_t* result = cached.columns;
  for (int n = 0; n < 32; ++n) result[n] = uint32_t{1} << n;  // the identity
  uint32_t even[32];
  uint32_t odd[32];
  odd[0] = kPolynomial;  // the operator for one zero bit
  for (int n = 1; n < 32; ++n) odd[n] = uint32_t{1} << (n - 1);
  Square(even, odd);  // two zero bits
  Square(odd, even);  // four
  const auto apply = [result](const uint32_t* op) {
    for (int n = 0; n < 32; ++n) result[n] = Times(op, result[n]);
  };
  // One power of two of zero bytes at a time, as zlib's crc32_combine does.
  for (uint64_t left = length; left != 0;) {
    Square(even, odd);
    if (left & 1) apply(even);
    left >>= 1;
    if (left == 0) break;
    Square(odd, even);
    if (left & 1) apply(odd);
    left >>= 1;
  }
  cached.length = length;
  return cached;
}

}  // namespace

uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  if (length_b == 0) return crc_a;
  // The pre- and post-conditioning of the two CRCs cancel out: only the register moves.
  return Times(OperatorFor(length_b).columns, crc_a) ^ crc_b;
}

std::string Crc32cHex(uint32_t crc) { return absl::StrFormat("0x%08x", crc); }

}  // namespace objgate
