#ifndef OBJGATE_SERVER_HTTP_CURL_TRANSFER_H_
#define OBJGATE_SERVER_HTTP_CURL_TRANSFER_H_

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/http/http_client.h"

namespace objgate {

// How the gateway's libcurl clients talk to the upstream.
struct CurlHttpClientOptions {
  // Connections to the upstream at most; requests beyond wait for a free one.
  size_t max_connections = 64;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Offer HTTP/2 (ALPN on https, h2c upgrade on http); HTTP/1.1 otherwise.
  bool http2 = false;
  // TLS: verify the upstream's certificate (and host name) against `ca_bundle`, or the
  // system's store when empty. Turning verification off is for tests only.
  bool verify_tls = true;
  std::string ca_bundle;
  // libcurl's receive and send buffers: the most a single callback sees at once.
  size_t receive_buffer_bytes = 256 * 1024;
  size_t send_buffer_bytes = 256 * 1024;
  std::string user_agent = "objgate";
};

// OK, or why `options` cannot make a client. Also initialises libcurl for the process,
// which must happen once before any thread uses it.
absl::Status ValidateCurlOptions(const CurlHttpClientOptions& options);

// One HTTP exchange on a libcurl easy handle, the part that both ways of driving libcurl
// share: the blocking client (curl_easy_perform on the caller's thread) and the event loop
// (curl_multi on a thread of its own). It sets the handle's options for the request, routes
// libcurl's callbacks to the body source and the sink, and says what the exchange came to.
// `curl`, `request`, `sink` and `options` must outlive it.
class CurlTransfer {
 public:
  CurlTransfer(CURL* curl, const HttpRequest& request, ResponseSink& sink,
               const CurlHttpClientOptions& options);
  ~CurlTransfer();
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  // Clears what the handle's last transfer set (its live connection stays) and sets it up
  // for this one; the deadline becomes libcurl's timeout from now.
  void Configure();

  // What the exchange came to, given libcurl's result for it: OK once a complete response
  // (of any HTTP status) went to the sink (whose OnHead this calls for an empty body),
  // else the error of a callback, the caller's cancellation, the deadline, or libcurl's
  // error through the status table.
  absl::Status Outcome(CURLcode code);

  // The connections libcurl opened for this exchange; after it ended.
  int64_t NewConnections() const;

 private:
  static size_t OnHeaderLine(char* data, size_t size, size_t count, void* self);
  static size_t OnBody(char* data, size_t size, size_t count, void* self);
  static size_t OnRead(char* buffer, size_t size, size_t count, void* self);
  static int OnDebug(CURL*, curl_infotype type, char* data, size_t size, void* self);
  static int OnProgress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  bool DeliverHead();

  struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  };

  CURL* const curl_;
  const HttpRequest& request_;
  ResponseSink& sink_;
  const CurlHttpClientOptions& options_;
  std::unique_ptr<curl_slist, SlistDeleter> headers_;
  char error_detail_[CURL_ERROR_SIZE] = {0};
  HttpResponseHead head_;
  bool head_delivered_ = false;
  absl::Status callback_error_;
  // The deadline comes before the connect timeout would.
  bool connect_limited_by_deadline_ = false;
};

}  // namespace objgate

#endif  // OBJGATE_SERVER_HTTP_CURL_TRANSFER_H_
