#include "tools/refstore/rest_handler.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tools/refstore/conditional_get.h"

namespace objgate::refstore {

using httpd::BodyReader;
using httpd::ErrorJson;

using httpd::RequestHead;
using httpd::ResponseWriter;

namespace {

constexpr size_t kMaxListKeys = 1000;
constexpr size_t kCopyBufferBytes = 256 * 1024;

using Serve = void (RestHandler::*)(const RequestHead&, BodyReader&, ResponseWriter&);

std::string ToJson(const nlohmann::json& value) {
  // Keys may be any bytes; replacing what is not UTF-8 beats failing the whole answer.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SendJson(ResponseWriter& response, int status, const nlohmann::json& body,
              HttpHeaders headers = {}) {
  headers.Add("Content-Type", "application/json");
  response.Send(status, headers, ToJson(body)).IgnoreError();
}

void SendError(ResponseWriter& response, int status, absl::string_view message,
               HttpHeaders headers = {}) {
  headers.Add("Content-Type", "application/json");
  response.Send(status, headers, ErrorJson(message)).IgnoreError();
}

void SendError(ResponseWriter& response, const absl::Status& status) {
  SendError(response, HttpStatusForError(status.code()), status.message());
}

void SendText(ResponseWriter& response, absl::string_view text, absl::string_view type) {
  response.Send(200, {{"Content-Type", std::string(type)}}, text).IgnoreError();
}

absl::StatusOr<std::string> RequireTenant(const RequestHead& request) {
  std::optional<absl::string_view> tenant = request.headers.Get("X-Tenant-ID");
  if (!tenant.has_value()) return absl::InvalidArgumentError("missing X-Tenant-ID header");
  return std::string(*tenant);
}

absl::StatusOr<std::string> RequireKey(const RequestHead& request) {
  std::optional<absl::string_view> key = request.QueryParam("key");
  if (!key.has_value()) return absl::InvalidArgumentError("missing query parameter key");
  return std::string(*key);
}

// The tenant, key and upload id that every call on a multipart upload names.
struct UploadTarget {
  std::string tenant;
  std::string key;
  std::string upload_id;
};

absl::StatusOr<UploadTarget> RequireUploadTarget(const RequestHead& request) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<std::string> key = tenant.ok() ? RequireKey(request) : tenant.status();
  if (!key.ok()) return key.status();
  std::optional<absl::string_view> upload_id = request.QueryParam("upload_id");
  if (!upload_id.has_value()) {
    return absl::InvalidArgumentError("missing query parameter upload_id");
  }
  return UploadTarget{*std::move(tenant), *std::move(key), std::string(*upload_id)};
}

absl::StatusOr<int> ParsePartNumber(std::optional<absl::string_view> text) {
  int value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &value) || value < 1 ||
      value > kMaxPartNumber) {
    return absl::InvalidArgumentError(
        absl::StrCat("part_number must be a whole number from 1 to ", kMaxPartNumber));
  }
  return value;
}

// If-None-Match: * and If-Match on a write, as the dialect's conditional writes have them.
absl::Status ReadWriteConditions(const RequestHead& request, bool& if_none_match_any,
                                 std::optional<std::string>& if_match) {
  if (auto if_none_match = request.headers.Get("If-None-Match")) {
    // Only "*" (create-only) makes sense for a write; an etag list would mean "replace
    // unless it is this version", which the dialect does not offer.
    if (absl::StripAsciiWhitespace(*if_none_match) != "*") {
      return absl::InvalidArgumentError("If-None-Match on an upload must be \"*\"");
    }
    if_none_match_any = true;
  }
  if (auto value = request.headers.Get("If-Match")) if_match = std::string(*value);
  return absl::OkStatus();
}

constexpr absl::string_view kCrc32cHeader = "X-Checksum-CRC32C";

// The expected CRC32C a write may declare: exactly 8 hex digits, either case, as sent.
absl::StatusOr<std::optional<uint32_t>> ReadExpectedCrc32c(const RequestHead& request) {
  std::optional<absl::string_view> text = request.headers.Get(kCrc32cHeader);
  if (!text.has_value()) return std::nullopt;
  uint32_t crc = 0;
  // SimpleHexAtoi alone would also take "0x", signs and whitespace.
  if (text->size() != 8 || !std::all_of(text->begin(), text->end(), absl::ascii_isxdigit) ||
      !absl::SimpleHexAtoi(*text, &crc)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kCrc32cHeader, " must be 8 hex digits (the CRC32C of the bytes)"));
  }
  return crc;
}

std::string Quoted(absl::string_view etag) { return absl::StrCat("\"", etag, "\""); }

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

std::string HttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

absl::StatusOr<size_t> ParseMaxKeys(std::optional<absl::string_view> text) {
  if (!text.has_value()) return kMaxListKeys;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_keys must be a whole number from 1 to ", kMaxListKeys));
  }
  // As S3 does: asking for more than a page holds gets a full page.
  return std::min<size_t>(value, kMaxListKeys);
}

struct Route {
  absl::string_view path;
  absl::string_view name;  // The metrics label.
  std::vector<absl::string_view> methods;
  Serve serve;
  // Served only with RestHandlerOptions::multipart_uploads.
  bool multipart = false;
};

void SendUploaded(ResponseWriter& response, const ObjectInfo& info) {
  SendJson(response, 200,
           {{"status", "uploaded"},
            {"key", info.key},
            {"size", info.size},
            {"etag", info.sha256},
            {"sha256", info.sha256}},
           {{"ETag", Quoted(info.sha256)}});
}

}  // namespace

int HttpStatusForError(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kFailedPrecondition: return 412;  // A conditional write refused.
    case absl::StatusCode::kResourceExhausted: return 403;  // The quota, as the API has it.
    case absl::StatusCode::kOutOfRange: return 413;
    case absl::StatusCode::kAborted: return 409;  // A change to a completed upload.
    case absl::StatusCode::kDeadlineExceeded: return 408;
    case absl::StatusCode::kUnavailable: return 400;  // The client's body broke off.
    default: return 500;
  }
}

void RestHandler::Handle(const RequestHead& request, BodyReader& body,
                         ResponseWriter& response) {
  static const auto* const kRoutes = new std::vector<Route>{
      {"/", "info", {"GET", "HEAD"}, &RestHandler::ServeInfo},
      {"/upload", "upload", {"PUT", "POST"}, &RestHandler::ServeUpload},
      {"/download", "download", {"GET", "HEAD"}, &RestHandler::ServeDownload},
      {"/delete", "delete", {"DELETE"}, &RestHandler::ServeDelete},
      {"/list", "list", {"GET", "HEAD"}, &RestHandler::ServeList},
      {"/uploads", "upload_start", {"POST"}, &RestHandler::ServeStartUpload, true},
      {"/uploads", "upload_abort", {"DELETE"}, &RestHandler::ServeAbortUpload, true},
      {"/uploads/part", "upload_part", {"PUT"}, &RestHandler::ServePutPart, true},
      {"/uploads/parts", "upload_parts", {"GET", "HEAD"}, &RestHandler::ServeListParts, true},
      {"/uploads/complete", "upload_complete", {"POST"}, &RestHandler::ServeCompleteUpload,
       true},
      {"/minio/health/live", "live", {"GET", "HEAD"}, &RestHandler::ServeLive},
      {"/minio/health/ready", "ready", {"GET", "HEAD"}, &RestHandler::ServeReady},
      {"/metrics", "metrics", {"GET", "HEAD"}, &RestHandler::ServeMetrics},
  };
  // A path may have a route per method; the one of the request's method, if any.
  const Route* route = nullptr;
  bool method_allowed = false;
  std::vector<absl::string_view> allowed;
  for (const Route& candidate : *kRoutes) {
    if (candidate.path != request.path) continue;
    if (candidate.multipart && !options_.multipart_uploads) continue;
    allowed.insert(allowed.end(), candidate.methods.begin(), candidate.methods.end());
    const bool matches = std::find(candidate.methods.begin(), candidate.methods.end(),
                                   request.method) != candidate.methods.end();
    if (route == nullptr || (matches && !method_allowed)) route = &candidate;
    method_allowed = method_allowed || matches;
  }
  if (route == nullptr) {
    SendError(response, 404, absl::StrCat("no route ", request.path));
  } else if (!method_allowed) {
    SendError(response, 405, absl::StrCat(route->path, " does not allow ", request.method),
              {{"Allow", absl::StrJoin(allowed, ", ")}});
  } else {
    (this->*(route->serve))(request, body, response);
  }
  metrics_.RecordRequest(route == nullptr ? "unknown" : route->name, response.status(),
                         body.bytes_read(), response.body_bytes_written());
}

void RestHandler::ServeInfo(const RequestHead&, BodyReader&, ResponseWriter& response) {
  nlohmann::json info = {
      {"status", "ok"}, {"version", "3.0.0-refstore"}, {"performance", "100x"}};
  nlohmann::json capabilities = nlohmann::json::array();
  if (options_.conditional_writes) capabilities.push_back("conditional_writes");
  if (options_.multipart_uploads) capabilities.push_back("multipart_uploads");
  if (options_.upload_checksums) capabilities.push_back("upload_checksums");
  // Absent, as from the published server, when there is nothing to declare.
  if (!capabilities.empty()) info["capabilities"] = std::move(capabilities);
  SendJson(response, 200, info);
}

void RestHandler::ServeUpload(const RequestHead& request, BodyReader& body,
                              ResponseWriter& response) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<std::string> key = tenant.ok() ? RequireKey(request) : tenant.status();
  if (!key.ok()) return SendError(response, key.status());
  PutOptions options;
  if (auto type = request.headers.Get("Content-Type")) options.content_type = std::string(*type);
  if (auto sha256 = request.headers.Get("X-Checksum-SHA256")) {
    options.expected_sha256 = std::string(*sha256);
  }
  absl::StatusOr<std::optional<uint32_t>> crc32c = ReadExpectedCrc32c(request);
  if (!crc32c.ok()) return SendError(response, crc32c.status());
  options.expected_crc32c = *crc32c;
  options.declared_size = body.declared_size();
  if (options_.conditional_writes) {
    absl::Status conditions =
        ReadWriteConditions(request, options.if_none_match_any, options.if_match);
    if (!conditions.ok()) return SendError(response, conditions);
  }
  absl::StatusOr<ObjectInfo> info = store_.Put(*tenant, *key, body, options);
  if (!info.ok()) return SendError(response, info.status());
  SendUploaded(response, *info);
}

void RestHandler::ServeDownload(const RequestHead& request, BodyReader&,
                                ResponseWriter& response) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<std::string> key = tenant.ok() ? RequireKey(request) : tenant.status();
  if (!key.ok()) return SendError(response, key.status());
  absl::StatusOr<ObjectReader> reader = store_.Get(*tenant, *key);
  if (!reader.ok()) return SendError(response, reader.status());
  const ObjectInfo& info = reader->info();

  std::optional<absl::string_view> if_match = request.headers.Get("If-Match");
  if (if_match.has_value() && !IfMatchAllows(*if_match, info.sha256)) {
    return SendError(response, 412,
                     absl::StrCat("If-Match does not match the object's ETag ",
                                  Quoted(info.sha256)));
  }
  const RangeDecision range = DecideRange(request.headers.Get("Range"), info.size);
  if (range.kind == RangeDecision::Kind::kUnsatisfiable) {
    return SendError(response, 416,
                     absl::StrCat("range not satisfiable for an object of ", info.size,
                                  " bytes"),
                     {{"Content-Range", absl::StrCat("bytes */", info.size)}});
  }
  HttpHeaders headers = {{"Content-Type", info.content_type},
                         {"ETag", Quoted(info.sha256)},
                         {"X-Checksum-SHA256", info.sha256},
                         {"Accept-Ranges", "bytes"},
                         {"Last-Modified", HttpDate(info.last_modified)}};
  // Like the SHA-256, the whole object's, on a range too; objects stored before the store
  // kept CRC32Cs declare none rather than one that was never computed.
  if (info.crc32c.has_value() && options_.declare_crc32c) {
    headers.Add(std::string(kCrc32cHeader), absl::StrFormat("%08x", *info.crc32c));
  }
  uint64_t offset = 0;
  uint64_t length = info.size;
  int status = 200;
  if (range.kind == RangeDecision::Kind::kPartial) {
    status = 206;
    offset = range.first;
    length = range.last - range.first + 1;
    headers.Add("Content-Range",
                absl::StrCat("bytes ", range.first, "-", range.last, "/", info.size));
  }
  if (!response.Begin(status, headers, length).ok() || request.method == "HEAD") return;
  std::vector<char> buffer(kCopyBufferBytes);
  const uint64_t end = offset + length;
  while (offset < end) {
    absl::StatusOr<size_t> got =
        reader->ReadAt(offset, buffer.data(), std::min<uint64_t>(buffer.size(), end - offset));
    // Stopping short of Content-Length makes the server drop the connection, which is
    // how a client learns that the body broke.
    if (!got.ok() || *got == 0) return;
    if (!response.Write(absl::string_view(buffer.data(), *got)).ok()) return;
    offset += *got;
  }
}

void RestHandler::ServeDelete(const RequestHead& request, BodyReader&,
                              ResponseWriter& response) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<std::string> key = tenant.ok() ? RequireKey(request) : tenant.status();
  DeleteOptions options;
  if (options_.conditional_writes) {
    if (auto if_match = request.headers.Get("If-Match")) options.if_match = std::string(*if_match);
  }
  absl::Status deleted = key.ok() ? store_.Delete(*tenant, *key, options) : key.status();
  if (!deleted.ok()) return SendError(response, deleted);
  response.Send(204, {}, "").IgnoreError();
}

void RestHandler::ServeList(const RequestHead& request, BodyReader&,
                            ResponseWriter& response) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<size_t> max_keys =
      tenant.ok() ? ParseMaxKeys(request.QueryParam("max_keys")) : tenant.status();
  if (!max_keys.ok()) return SendError(response, max_keys.status());
  ListOptions options;
  options.prefix = std::string(request.QueryParam("prefix").value_or(""));
  options.start_after = std::string(request.QueryParam("start_after").value_or(""));
  options.max_keys = *max_keys;
  if (!options_.list_pagination) {
    options.start_after.clear();
    if (!request.QueryParam("max_keys").has_value()) options.max_keys = SIZE_MAX;
  }
  absl::StatusOr<ListResult> result = store_.List(*tenant, options);
  if (!result.ok()) return SendError(response, result.status());

  nlohmann::json objects = nlohmann::json::array();
  for (const ObjectInfo& info : result->objects) {
    objects.push_back({{"key", info.key},
                       {"size", info.size},
                       {"last_modified", Rfc3339(info.last_modified)},
                       {"etag", info.sha256},
                       {"content_type", info.content_type}});
  }
  nlohmann::json answer = {{"objects", std::move(objects)}, {"count", result->objects.size()}};
  if (options_.list_pagination) {
    answer["is_truncated"] = result->is_truncated;
    if (result->is_truncated) answer["next_start_after"] = result->objects.back().key;
  }
  SendJson(response, 200, answer);
}

void RestHandler::ServeStartUpload(const RequestHead& request, BodyReader&,
                                   ResponseWriter& response) {
  absl::StatusOr<std::string> tenant = RequireTenant(request);
  absl::StatusOr<std::string> key = tenant.ok() ? RequireKey(request) : tenant.status();
  if (!key.ok()) return SendError(response, key.status());
  StartUploadOptions options;
  if (auto type = request.headers.Get("Content-Type")) options.content_type = std::string(*type);
  if (auto sha256 = request.headers.Get("X-Checksum-SHA256")) {
    options.expected_sha256 = std::string(*sha256);
  }
  absl::StatusOr<std::optional<uint32_t>> crc32c = ReadExpectedCrc32c(request);
  if (!crc32c.ok()) return SendError(response, crc32c.status());
  options.expected_crc32c = *crc32c;
  // Refused now if malformed, enforced at completion.
  if (options_.conditional_writes) {
    absl::Status conditions =
        ReadWriteConditions(request, options.if_none_match_any, options.if_match);
    if (!conditions.ok()) return SendError(response, conditions);
  }
  absl::StatusOr<std::string> upload_id = store_.StartUpload(*tenant, *key, options);
  if (!upload_id.ok()) return SendError(response, upload_id.status());
  SendJson(response, 200, {{"upload_id", *upload_id}, {"key", *key}});
}

void RestHandler::ServePutPart(const RequestHead& request, BodyReader& body,
                               ResponseWriter& response) {
  absl::StatusOr<UploadTarget> target = RequireUploadTarget(request);
  absl::StatusOr<int> part_number =
      target.ok() ? ParsePartNumber(request.QueryParam("part_number")) : target.status();
  if (!part_number.ok()) return SendError(response, part_number.status());
  PartOptions options;
  if (auto sha256 = request.headers.Get("X-Checksum-SHA256")) {
    options.expected_sha256 = std::string(*sha256);
  }
  absl::StatusOr<std::optional<uint32_t>> crc32c = ReadExpectedCrc32c(request);
  if (!crc32c.ok()) return SendError(response, crc32c.status());
  options.expected_crc32c = *crc32c;
  options.declared_size = body.declared_size();
  absl::StatusOr<PartInfo> part = store_.PutPart(target->tenant, target->key,
                                                 target->upload_id, *part_number, body, options);
  if (!part.ok()) return SendError(response, part.status());
  SendJson(response, 200,
           {{"part_number", part->part_number}, {"size", part->size}, {"etag", part->sha256}},
           {{"ETag", Quoted(part->sha256)}});
}

void RestHandler::ServeListParts(const RequestHead& request, BodyReader&,
                                 ResponseWriter& response) {
  absl::StatusOr<UploadTarget> target = RequireUploadTarget(request);
  absl::StatusOr<UploadListing> listing =
      target.ok() ? store_.ListParts(target->tenant, target->key, target->upload_id)
                  : target.status();
  if (!listing.ok()) return SendError(response, listing.status());
  nlohmann::json parts = nlohmann::json::array();
  for (const PartInfo& part : listing->parts) {
    parts.push_back(
        {{"part_number", part.part_number}, {"size", part.size}, {"etag", part.sha256}});
  }
  nlohmann::json answer = {{"key", listing->key},
                           {"upload_id", listing->upload_id},
                           {"parts", std::move(parts)},
                           {"complete", listing->complete}};
  // So that a caller whose completion answer was lost learns what it stored.
  if (listing->complete) {
    answer["size"] = listing->size;
    answer["etag"] = listing->sha256;
    answer["sha256"] = listing->sha256;
  }
  SendJson(response, 200, answer);
}

void RestHandler::ServeCompleteUpload(const RequestHead& request, BodyReader&,
                                      ResponseWriter& response) {
  absl::StatusOr<UploadTarget> target = RequireUploadTarget(request);
  absl::StatusOr<ObjectInfo> info =
      target.ok() ? store_.CompleteUpload(target->tenant, target->key, target->upload_id)
                  : target.status();
  if (!info.ok()) return SendError(response, info.status());
  SendUploaded(response, *info);
}

void RestHandler::ServeAbortUpload(const RequestHead& request, BodyReader&,
                                   ResponseWriter& response) {
  absl::StatusOr<UploadTarget> target = RequireUploadTarget(request);
  absl::Status aborted = target.ok()
                             ? store_.AbortUpload(target->tenant, target->key, target->upload_id)
                             : target.status();
  if (!aborted.ok()) return SendError(response, aborted);
  response.Send(204, {}, "").IgnoreError();
}

void RestHandler::ServeLive(const RequestHead&, BodyReader&, ResponseWriter& response) {
  SendText(response, "OK", "text/plain");
}

void RestHandler::ServeReady(const RequestHead&, BodyReader&, ResponseWriter& response) {
  SendText(response, "READY", "text/plain");
}

void RestHandler::ServeMetrics(const RequestHead&, BodyReader&, ResponseWriter& response) {
  SendText(response, metrics_.Render(store_.Stats()), "text/plain; version=0.0.4");
}

}  // namespace objgate::refstore
