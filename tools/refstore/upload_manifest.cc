#include "tools/refstore/upload_manifest.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/sha256.h"

namespace objgate::refstore {
namespace {

constexpr absl::string_view kMagic = "refstore-upload 1";

absl::Status Damaged(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("upload manifest: ", why));
}

bool ParseTime(absl::string_view text, absl::Time& time) {
  int64_t micros = 0;
  if (!absl::SimpleAtoi(text, &micros)) return false;
  time = absl::FromUnixMicros(micros);
  return true;
}

std::string Crc32cText(uint32_t crc) { return absl::StrFormat("%08x", crc); }

// Exactly 8 hex digits: SimpleHexAtoi alone would also take "0x" and signs.
bool ParseCrc32c(absl::string_view text, std::optional<uint32_t>& crc) {
  uint32_t value = 0;
  if (text.size() != 8 || !std::all_of(text.begin(), text.end(), absl::ascii_isxdigit) ||
      !absl::SimpleHexAtoi(text, &value)) {
    return false;
  }
  crc = value;
  return true;
}

}  // namespace

std::string EncodeUploadManifest(const UploadManifest& manifest) {
  std::string text = absl::StrCat(kMagic, "\n");
  absl::StrAppend(&text, "key ", absl::CEscape(manifest.key), "\n");
  absl::StrAppend(&text, "content_type ", absl::CEscape(manifest.content_type), "\n");
  if (manifest.expected_sha256.has_value()) {
    absl::StrAppend(&text, "expected_sha256 ", *manifest.expected_sha256, "\n");
  }
  if (manifest.expected_crc32c.has_value()) {
    absl::StrAppend(&text, "expected_crc32c ", Crc32cText(*manifest.expected_crc32c), "\n");
  }
  if (manifest.if_none_match_any) absl::StrAppend(&text, "if_none_match_any\n");
  if (manifest.if_match.has_value()) {
    absl::StrAppend(&text, "if_match ", absl::CEscape(*manifest.if_match), "\n");
  }
  absl::StrAppend(&text, "created ", absl::ToUnixMicros(manifest.created), "\n");
  absl::StrAppend(&text, "last_activity ", absl::ToUnixMicros(manifest.last_activity), "\n");
  if (manifest.complete) {
    absl::StrAppend(&text, "complete ", manifest.size, " ", manifest.sha256);
    if (manifest.crc32c.has_value()) {
      absl::StrAppend(&text, " ", Crc32cText(*manifest.crc32c));
    }
    absl::StrAppend(&text, "\n");
  }
  return text;
}

absl::StatusOr<UploadManifest> DecodeUploadManifest(absl::string_view text) {
  // The last line ends with a newline, so a cut-off file shows.
  if (!absl::ConsumeSuffix(&text, "\n")) return Damaged("does not end with a newline");
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.empty() || lines[0] != kMagic) return Damaged("no header line");
  UploadManifest manifest;
  bool has_key = false, has_created = false, has_activity = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::pair<absl::string_view, absl::string_view> field =
        absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    const absl::string_view name = field.first;
    const absl::string_view value = field.second;
    bool ok = true;
    if (name == "key") {
      ok = absl::CUnescape(value, &manifest.key);
      has_key = true;
    } else if (name == "content_type") {
      ok = absl::CUnescape(value, &manifest.content_type);
    } else if (name == "expected_sha256") {
      manifest.expected_sha256 = std::string(value);
      ok = IsSha256Hex(value);
    } else if (name == "expected_crc32c") {
      ok = ParseCrc32c(value, manifest.expected_crc32c);
    } else if (name == "if_none_match_any") {
      manifest.if_none_match_any = true;
    } else if (name == "if_match") {
      manifest.if_match.emplace();
      ok = absl::CUnescape(value, &*manifest.if_match);
    } else if (name == "created") {
      ok = has_created = ParseTime(value, manifest.created);
    } else if (name == "last_activity") {
      ok = has_activity = ParseTime(value, manifest.last_activity);
    } else if (name == "complete") {
      const std::vector<absl::string_view> parts = absl::StrSplit(value, ' ');
      manifest.complete = true;
      ok = (parts.size() == 2 || parts.size() == 3) && absl::SimpleAtoi(parts[0], &manifest.size) &&
           IsSha256Hex(parts[1]);
      if (ok) manifest.sha256 = std::string(parts[1]);
      if (ok && parts.size() == 3) ok = ParseCrc32c(parts[2], manifest.crc32c);
    } else {
      ok = false;
    }
    if (!ok) return Damaged(absl::StrCat("bad line ", i + 1));
  }
  if (!has_key || !has_created || !has_activity) return Damaged("a required field is missing");
  return manifest;
}

}  // namespace objgate::refstore
