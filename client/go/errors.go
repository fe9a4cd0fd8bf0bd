package objgate

import (
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrDataLoss is matched (errors.Is) by every IntegrityError: bytes that this client found
// it must not trust.
var ErrDataLoss = errors.New("objgate: data loss")

// ErrIncompleteDownload is matched (errors.Is) by the IntegrityErrors of a Download stream:
// one that ended without its trailer, or whose bytes do not match the trailer's size,
// CRC32C or SHA-256, or one of whose data messages failed its CRC32C.
var ErrIncompleteDownload = errors.New("objgate: incomplete download")

// Checksums an IntegrityError names in its Check field.
const (
	// CheckCRC32C: a data message's CRC32C, or the CRC32C of a whole stream (a message
	// lost, repeated or reordered). Python's and Node's DataLossError.
	CheckCRC32C = "crc32c"
	// CheckSHA256: the SHA-256 of the bytes of a stream.
	CheckSHA256 = "sha256"
	// CheckSize: the number of bytes of a stream.
	CheckSize = "size"
	// CheckStream: the shape of a Download stream (no metadata first, no trailer last).
	CheckStream = "stream"
)

// IntegrityError reports bytes that failed a check of this client's: a Download message
// or stream that does not match its CRC32C, SHA-256, size or trailer, or an Upload whose
// UploadResponse reports another CRC32C or SHA-256 than that of the bytes sent. Its gRPC
// status (status.Code, Code) is DATA_LOSS; it matches ErrDataLoss, and ErrIncompleteDownload
// when it ends a download.
type IntegrityError struct {
	// Op is "download" or "upload".
	Op string
	// Key is the object's key, or for a continued resumable upload its upload id.
	Key string
	// Check is which check failed: CheckCRC32C, CheckSHA256, CheckSize or CheckStream.
	Check string
	// Detail says what did not match, with the offsets and values involved.
	Detail string
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("objgate: %s of %q: %s", e.Op, e.Key, e.Detail)
}

// Is reports whether target is ErrDataLoss, or ErrIncompleteDownload for a download.
func (e *IntegrityError) Is(target error) bool {
	return target == ErrDataLoss || (target == ErrIncompleteDownload && e.Op == "download")
}

// GRPCStatus makes the error a DATA_LOSS status to status.Code and status.FromError, so that
// code which logs gRPC codes logs this one as what it is.
func (e *IntegrityError) GRPCStatus() *status.Status {
	return status.New(codes.DataLoss, e.Error())
}

// Code is the gRPC status code of err: that of the first error in its chain (errors.As)
// that carries a gRPC status, codes.OK for nil, and codes.Unknown for any other error.
// Unlike status.Code it sees through wrapping (fmt.Errorf("...: %w", err)).
func Code(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var withStatus interface{ GRPCStatus() *status.Status }
	if errors.As(err, &withStatus) {
		return withStatus.GRPCStatus().Code()
	}
	return codes.Unknown
}

// IsNotFound reports whether err is NOT_FOUND: no such object (Download, Stat, Delete,
// Copy's source) or resumable upload for this tenant.
func IsNotFound(err error) bool { return Code(err) == codes.NotFound }

// IsFailedPrecondition reports whether err is FAILED_PRECONDITION: a condition (IfNoneMatch,
// IfMatch, SourceIfMatch) did not hold, a completed resumable upload was cancelled, or (S3)
// the gateway is misconfigured.
func IsFailedPrecondition(err error) bool { return Code(err) == codes.FailedPrecondition }

// IsUnavailable reports whether err is UNAVAILABLE: the gateway or its upstream could not be
// reached, after the gateway's own retries. Safe to retry; an upload must be sent again
// from its source.
func IsUnavailable(err error) bool { return Code(err) == codes.Unavailable }

// IsDataLoss reports whether err is DATA_LOSS: bytes failed a checksum, whether the gateway
// found it (an upload message's CRC32C, the store's bytes) or this client (an
// IntegrityError).
func IsDataLoss(err error) bool { return Code(err) == codes.DataLoss }
