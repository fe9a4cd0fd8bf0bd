#include "server/upstream/rest_answers.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/sha256.h"

namespace objgate {
namespace {

using Json = nlohmann::json;

absl::StatusOr<Json> ParseObject(absl::string_view body, absl::string_view what) {
  Json json = Json::parse(body.begin(), body.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InternalError(absl::StrCat("upstream ", what, " answer is not a JSON object"));
  }
  return json;
}

// The string field `name`, or empty when absent or null; an error when of another type.
absl::StatusOr<std::string> StringField(const Json& object, const char* name,
                                        absl::string_view what) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return absl::InternalError(
        absl::StrCat("upstream ", what, " answer: \"", name, "\" is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> SizeField(const Json& object, const char* name, absl::string_view what) {
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer() ||
      (it->is_number_unsigned() &&
       it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) ||
      it->get<int64_t>() < 0) {
    return absl::InternalError(absl::StrCat("upstream ", what, " answer: \"", name,
                                            "\" is missing or not a non-negative integer"));
  }
  return it->get<int64_t>();
}

}  // namespace

absl::StatusOr<UpstreamServerInfo> ParseServerInfo(absl::string_view body) {
  absl::StatusOr<Json> json = ParseObject(body, "server info");
  if (!json.ok()) return json.status();
  UpstreamServerInfo info;
  for (auto [name, field] : {std::pair{"status", &info.status}, std::pair{"version", &info.version},
                             std::pair{"performance", &info.performance}}) {
    absl::StatusOr<std::string> value = StringField(*json, name, "server info");
    if (!value.ok()) return value.status();
    *field = *std::move(value);
  }
  if (info.status.empty()) {
    return absl::InternalError("upstream server info answer has no \"status\"");
  }
  // The store's own optional capabilities (rest_dialect.md), not the gateway's.
  if (auto capabilities = json->find("capabilities"); capabilities != json->end()) {
    if (!capabilities->is_array()) {
      return absl::InternalError("upstream server info: \"capabilities\" is not an array");
    }
    for (const Json& capability : *capabilities) {
      if (!capability.is_string()) {
        return absl::InternalError("upstream server info: a capability is not a string");
      }
      info.capabilities.push_back(capability.get<std::string>());
    }
  }
  return info;
}

absl::StatusOr<StoredObject> ParseUploadAnswer(absl::string_view body, absl::string_view key,
                                               int64_t bytes_sent) {
  StoredObject result{std::string(key), bytes_sent, ""};
  if (absl::StripAsciiWhitespace(body).empty()) return result;
  absl::StatusOr<Json> json = ParseObject(body, "upload");
  if (!json.ok()) return json.status();
  if (json->contains("size")) {
    absl::StatusOr<int64_t> size = SizeField(*json, "size", "upload");
    if (!size.ok()) return size.status();
    if (*size != bytes_sent) {
      return absl::DataLossError(
          absl::StrCat("upstream stored ", *size, " bytes of ", bytes_sent, " sent"));
    }
  }
  absl::StatusOr<std::string> stored_key = StringField(*json, "key", "upload");
  if (!stored_key.ok()) return stored_key.status();
  if (!stored_key->empty() && *stored_key != key) {
    return absl::InternalError("upstream upload answer names another key");
  }
  absl::StatusOr<std::string> etag = StringField(*json, "etag", "upload");
  if (!etag.ok()) return etag.status();
  result.etag = *std::move(etag);
  // The reference store reports the SHA-256 it computed; others may not.
  absl::StatusOr<std::string> sha256 = StringField(*json, "sha256", "upload");
  if (!sha256.ok()) return sha256.status();
  if (IsSha256Hex(*sha256)) result.sha256 = absl::AsciiStrToLower(*sha256);
  return result;
}

absl::StatusOr<ListAnswer> ParseListAnswer(absl::string_view body) {
  absl::StatusOr<Json> json = ParseObject(body, "list");
  if (!json.ok()) return json.status();
  auto objects = json->find("objects");
  if (objects == json->end() || !(objects->is_array() || objects->is_null())) {
    return absl::InternalError("upstream list answer has no \"objects\" array");
  }
  ListAnswer answer;
  ListPage& page = answer.page;
  if (objects->is_array()) {
    page.entries.reserve(objects->size());
    for (const Json& item : *objects) {
      if (!item.is_object()) {
        return absl::InternalError("upstream list answer: an entry is not an object");
      }
      ObjectEntry entry;
      absl::StatusOr<std::string> key = StringField(item, "key", "list");
      if (!key.ok()) return key.status();
      if (key->empty()) return absl::InternalError("upstream list answer: an entry has no key");
      entry.key = *std::move(key);
      absl::StatusOr<int64_t> size = SizeField(item, "size", "list");
      if (!size.ok()) return size.status();
      entry.size = *size;
      absl::StatusOr<std::string> modified = StringField(item, "last_modified", "list");
      if (!modified.ok()) return modified.status();
      std::string parse_error;
      if (!modified->empty() &&
          !absl::ParseTime(absl::RFC3339_full, *modified, &entry.last_modified, &parse_error)) {
        return absl::InternalError(absl::StrCat("upstream list answer: last_modified \"",
                                                modified->substr(0, 64), "\" is not RFC 3339"));
      }
      absl::StatusOr<std::string> etag = StringField(item, "etag", "list");
      if (!etag.ok()) return etag.status();
      entry.etag = *std::move(etag);
      absl::StatusOr<std::string> content_type = StringField(item, "content_type", "list");
      if (!content_type.ok()) return content_type.status();
      entry.content_type = *std::move(content_type);
      page.entries.push_back(std::move(entry));
    }
  }
  auto truncated = json->find("is_truncated");
  answer.paginates = truncated != json->end() && truncated->is_boolean();
  if (answer.paginates && truncated->get<bool>()) {
    absl::StatusOr<std::string> next = StringField(*json, "next_start_after", "list");
    if (!next.ok()) return next.status();
    // Without a cursor, or with one that does not move forward, paging cannot continue.
    if (next->empty() && page.entries.empty()) {
      return absl::InternalError("upstream list answer is truncated but names no next key");
    }
    page.is_truncated = true;
    page.next_start_after = next->empty() ? page.entries.back().key : *std::move(next);
  }
  return answer;
}

absl::StatusOr<std::string> ParseUploadStartAnswer(absl::string_view body) {
  absl::StatusOr<Json> json = ParseObject(body, "multipart upload start");
  if (!json.ok()) return json.status();
  absl::StatusOr<std::string> upload_id = StringField(*json, "upload_id", "multipart upload start");
  if (!upload_id.ok()) return upload_id.status();
  if (upload_id->empty()) {
    return absl::InternalError("upstream multipart upload start answer has no \"upload_id\"");
  }
  return upload_id;
}

namespace {

absl::StatusOr<UploadedPart> PartOf(const Json& object, absl::string_view what) {
  if (!object.is_object())
    return absl::InternalError(absl::StrCat("upstream ", what, ": not an object"));
  UploadedPart part;
  absl::StatusOr<int64_t> number = SizeField(object, "part_number", what);
  if (!number.ok()) return number.status();
  if (*number < 1 || *number > 10000) {
    return absl::InternalError(absl::StrCat("upstream ", what, ": part_number out of range"));
  }
  part.number = static_cast<int>(*number);
  absl::StatusOr<int64_t> size = SizeField(object, "size", what);
  if (!size.ok()) return size.status();
  part.size = *size;
  absl::StatusOr<std::string> etag = StringField(object, "etag", what);
  if (!etag.ok()) return etag.status();
  part.etag = *std::move(etag);
  return part;
}

}  // namespace

absl::StatusOr<UploadedPart> ParsePartAnswer(absl::string_view body) {
  absl::StatusOr<Json> json = ParseObject(body, "part upload");
  if (!json.ok()) return json.status();
  return PartOf(*json, "part upload answer");
}

absl::StatusOr<MultipartUploadState> ParsePartsAnswer(absl::string_view body,
                                                      absl::string_view key) {
  constexpr absl::string_view kWhat = "parts listing";
  absl::StatusOr<Json> json = ParseObject(body, kWhat);
  if (!json.ok()) return json.status();
  MultipartUploadState state;
  auto complete = json->find("complete");
  state.complete = complete != json->end() && complete->is_boolean() && complete->get<bool>();
  if (state.complete) {
    absl::StatusOr<int64_t> size = SizeField(*json, "size", kWhat);
    if (!size.ok()) return size.status();
    absl::StatusOr<std::string> etag = StringField(*json, "etag", kWhat);
    if (!etag.ok()) return etag.status();
    state.object = StoredObject{std::string(key), *size, *std::move(etag), ""};
    absl::StatusOr<std::string> sha256 = StringField(*json, "sha256", kWhat);
    if (!sha256.ok()) return sha256.status();
    if (IsSha256Hex(*sha256)) state.object.sha256 = absl::AsciiStrToLower(*sha256);
    return state;
  }
  auto parts = json->find("parts");
  if (parts == json->end() || !parts->is_array()) {
    return absl::InternalError("upstream parts listing answer has no \"parts\" array");
  }
  for (const Json& item : *parts) {
    absl::StatusOr<UploadedPart> part = PartOf(item, "parts listing answer");
    if (!part.ok()) return part.status();
    if (!state.parts.empty() && part->number <= state.parts.back().number) {
      return absl::InternalError("upstream parts listing answer: parts out of order");
    }
    state.parts.push_back(*std::move(part));
  }
  return state;
}

}  // namespace objgate
