#ifndef OBJGATE_TOOLS_REFSTORE_REST_HANDLER_H_
#define OBJGATE_TOOLS_REFSTORE_REST_HANDLER_H_

#include "absl/status/status.h"
#include "common/httpd/http_message.h"
#include "tools/refstore/metrics.h"
#include "tools/refstore/object_store.h"

namespace objgate::refstore {

// Options of the dialect's optional capabilities, for testing the gateway against stores
// that lack one.
struct RestHandlerOptions {
  // Paginate listings (start_after, is_truncated, next_start_after). Without it, the
  // listing behaves as the dialect allows and the published reference server does: it
  // honours prefix and max_keys, ignores start_after, says nothing of what follows, and
  // answers the whole listing when no max_keys is given.
  bool list_pagination = true;
  // Enforce If-None-Match: * and If-Match on uploads and If-Match on deletes, and declare
  // "conditional_writes" in the server info. Without it, the store ignores those headers,
  // as the published reference server does.
  bool conditional_writes = true;
  // Serve the /uploads routes and declare "multipart_uploads". Without it, those routes
  // answer 404 as unknown ones do.
  bool multipart_uploads = true;
  // Declare "upload_checksums": the store checks X-Checksum-SHA256 on uploads and reports
  // the stored bytes' "sha256" in its upload answers, so the gateway need not hash them.
  // It does both either way; without it, a gateway hashes uploads itself.
  bool upload_checksums = true;
  // Send X-Checksum-CRC32C on reads. Without it only the SHA-256 is declared, as by the
  // published reference server, for testing gateways against such stores.
  bool declare_crc32c = true;
};

// Serves the REST dialect of server/upstream/rest_dialect.md, every optional capability
// included, from an ObjectStore:
//
//   GET /                      server info, "capabilities": ["conditional_writes",
//                              "multipart_uploads", "upload_checksums"]
//   PUT|POST /upload?key=K     Content-Length or chunked; X-Checksum-SHA256 and
//                              X-Checksum-CRC32C verified; If-None-Match: * and If-Match (412)
//   GET|HEAD /download?key=K   Range (206/416), If-Match (412), ETag, X-Checksum-SHA256,
//                              X-Checksum-CRC32C
//   DELETE /delete?key=K       204; If-Match (412)
//   GET /list?prefix=&start_after=&max_keys=   paginated, max_keys at most 1000
//   POST /uploads?key=K        starts a multipart upload; records Content-Type,
//                              X-Checksum-SHA256, X-Checksum-CRC32C, If-None-Match: *
//                              and If-Match
//   PUT /uploads/part?key=K&upload_id=U&part_number=N    X-Checksum-SHA256 and
//                                                        X-Checksum-CRC32C of the part
//   GET /uploads/parts?key=K&upload_id=U                 the parts, or the completed object
//   POST /uploads/complete?key=K&upload_id=U             like PUT /upload (412, 403, 413)
//   DELETE /uploads?key=K&upload_id=U                    204; 409 once complete
//   GET /minio/health/live, /minio/health/ready, /metrics
//
// Object calls need X-Tenant-ID. The ETag is the SHA-256 of the bytes, quoted in the
// header and bare in JSON. Errors are JSON {"error": "..."}.
//
// Checksums: X-Checksum-SHA256 is 64 hex digits, X-Checksum-CRC32C the CRC32C
// (Castagnoli) as 8 hex digits ("e3069283" for "123456789"); on a write, either case is
// taken, either may be sent, a malformed value is 400 and a mismatch is 400 with nothing
// stored. A download declares both, lowercase, always of the whole object, also on a 206,
// so that a client can verify the bytes it assembles; the CRC32C is cheap enough to check
// on every download. Objects stored before the store kept CRC32Cs have no
// X-Checksum-CRC32C.
class RestHandler {
 public:
  explicit RestHandler(ObjectStore& store, RestHandlerOptions options = {})
      : store_(store), options_(options) {}

  void Handle(const httpd::RequestHead& request, httpd::BodyReader& body,
              httpd::ResponseWriter& response);

 private:
  void ServeInfo(const httpd::RequestHead& request, httpd::BodyReader& body,
                 httpd::ResponseWriter& response);
  void ServeUpload(const httpd::RequestHead& request, httpd::BodyReader& body,
                   httpd::ResponseWriter& response);
  void ServeDownload(const httpd::RequestHead& request, httpd::BodyReader& body,
                     httpd::ResponseWriter& response);
  void ServeDelete(const httpd::RequestHead& request, httpd::BodyReader& body,
                   httpd::ResponseWriter& response);
  void ServeList(const httpd::RequestHead& request, httpd::BodyReader& body,
                 httpd::ResponseWriter& response);
  void ServeStartUpload(const httpd::RequestHead& request, httpd::BodyReader& body,
                        httpd::ResponseWriter& response);
  void ServePutPart(const httpd::RequestHead& request, httpd::BodyReader& body,
                    httpd::ResponseWriter& response);
  void ServeListParts(const httpd::RequestHead& request, httpd::BodyReader& body,
                      httpd::ResponseWriter& response);
  void ServeCompleteUpload(const httpd::RequestHead& request, httpd::BodyReader& body,
                           httpd::ResponseWriter& response);
  void ServeAbortUpload(const httpd::RequestHead& request, httpd::BodyReader& body,
                        httpd::ResponseWriter& response);
  void ServeLive(const httpd::RequestHead& request, httpd::BodyReader& body,
                 httpd::ResponseWriter& response);
  void ServeReady(const httpd::RequestHead& request, httpd::BodyReader& body,
                  httpd::ResponseWriter& response);
  void ServeMetrics(const httpd::RequestHead& request, httpd::BodyReader& body,
                    httpd::ResponseWriter& response);

  ObjectStore& store_;
  const RestHandlerOptions options_;
  RequestMetrics metrics_;
};

// The one place where a store error becomes an HTTP status.
int HttpStatusForError(absl::StatusCode code);

}  // namespace objgate::refstore

#endif  // OBJGATE_TOOLS_REFSTORE_REST_HANDLER_H_
