#ifndef OBJGATE_COMMON_CRC32C_H_
#define OBJGATE_COMMON_CRC32C_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace objgate {

// CRC32C (Castagnoli), the checksum GCS, S3's x-amz-checksum-crc32c and iSCSI use, with
// the CPU's CRC32C instructions (ISA-L): about 20 times cheaper than SHA-256, so that every
// message can carry one.
//
//   uint32_t crc = Crc32c("chunk 1");
//   crc = Crc32cExtend(crc, "chunk 2");  // == Crc32c("chunk 1chunk 2")

// The CRC32C of `crc`'s bytes followed by `bytes`; 0 is the CRC32C of no bytes.
uint32_t Crc32cExtend(uint32_t crc, absl::string_view bytes);

inline uint32_t Crc32c(absl::string_view bytes) { return Crc32cExtend(0, bytes); }

// The CRC32C of A followed by B from A's CRC32C `crc_a`, B's `crc_b` and B's length, in
// time logarithmic in the length: a stream's CRC32C from its messages' without reading
// the bytes twice.
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// "0x" and 8 lowercase hex digits, as error messages show a CRC32C.
std::string Crc32cHex(uint32_t crc);

}  // namespace objgate

#endif  // OBJGATE_COMMON_CRC32C_H_
