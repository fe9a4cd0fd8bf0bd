#include "common/httpd/http_message.h"

#include "absl/strings/match.h"
#include "nlohmann/json.hpp"

namespace objgate::httpd {

std::optional<absl::string_view> RequestHead::QueryParam(absl::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

absl::Status ResponseWriter::Send(int status, const HttpHeaders& headers,
                                  absl::string_view body) {
  absl::Status begun = Begin(status, headers, body.size());
  if (!begun.ok()) return begun;
  return Write(body);
}

std::string ErrorJson(absl::string_view message) {
  // Replace, not throw, should a message quote bytes that are not UTF-8.
  return nlohmann::json{{"error", std::string(message)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::string_view HttpReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

}  // namespace objgate::httpd
