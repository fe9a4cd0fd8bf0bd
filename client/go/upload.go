package objgate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"

	"github.com/objgate/objgate/client/go/storagepb"
)

// ErrOtherKey is matched (errors.Is) by UploadFileResumable's error when the upload id
// given writes another key than the one asked for.
var ErrOtherKey = errors.New("objgate: the resumable upload writes another key")

// UploadOptions describe the object an upload stores. The zero value stores bytes of
// unknown size as "application/octet-stream", unconditionally.
type UploadOptions struct {
	// ContentType is the MIME type recorded with the object.
	ContentType string
	// SHA256, when set (64 hex digits), makes the gateway store nothing and fail the upload
	// with INVALID_ARGUMENT if the bytes have another SHA-256.
	SHA256 string
	// Metadata is user metadata: at most 64 pairs, names of [A-Za-z0-9_-].
	Metadata map[string]string
	// Size, when set (proto.Int64(n)), declares the object's size: the gateway fails the
	// upload (INVALID_ARGUMENT, nothing stored) if more or fewer bytes come. UploadBytes
	// declares it by itself.
	Size *int64
	// IfNoneMatch "*" stores the object only if key does not exist yet (create only).
	IfNoneMatch string
	// IfMatch stores the object only if the one under key is still this version (its etag,
	// as Upload or Stat returned it). Either condition fails with FAILED_PRECONDITION
	// (IsFailedPrecondition) when it does not hold, and with UNIMPLEMENTED where the
	// gateway's capabilities lack "conditional_upload"; at most one may be given.
	IfMatch string
}

func (o *UploadOptions) spec(key string) *storagepb.ObjectSpec {
	return &storagepb.ObjectSpec{
		Key:         key,
		ContentType: o.ContentType,
		Size:        o.Size,
		Metadata:    o.Metadata,
		Sha256:      o.SHA256,
		IfNoneMatch: o.IfNoneMatch,
		IfMatch:     o.IfMatch,
	}
}

// Upload stores the bytes read from r until io.EOF under key, and returns the gateway's
// answer: key, size, etag and the SHA-256 of the bytes stored.
//
// The bytes go in data messages of the client's chunk size (WithChunkBytes), read as they
// are sent, so no more than a message or two is held at a time; every message carries its
// CRC32C, which the gateway checks (DATA_LOSS, nothing stored), and the last one says the
// object is complete (finish_write). An answer whose CRC32C or SHA-256 is not that of the
// bytes sent is an IntegrityError (IsDataLoss): what the gateway stored cannot be trusted.
// If r fails, the call is abandoned, nothing is stored, and the error wraps r's. opts may
// be nil.
func (c *Client) Upload(ctx context.Context, key string, r io.Reader, opts *UploadOptions) (*storagepb.UploadResponse, error) {
	if opts == nil {
		opts = &UploadOptions{}
	}
	first := &storagepb.UploadRequest{Kind: &storagepb.UploadRequest_Spec{Spec: opts.spec(key)}}
	return c.send(ctx, key, first, readerChunks(r, c.chunkBytes), true, true)
}

// UploadBytes stores data under key as Upload does, declaring its size unless opts does.
func (c *Client) UploadBytes(ctx context.Context, key string, data []byte, opts *UploadOptions) (*storagepb.UploadResponse, error) {
	declared := UploadOptions{}
	if opts != nil {
		declared = *opts
	}
	if declared.Size == nil {
		size := int64(len(data))
		declared.Size = &size
	}
	first := &storagepb.UploadRequest{Kind: &storagepb.UploadRequest_Spec{Spec: declared.spec(key)}}
	return c.send(ctx, key, first, sliceChunks(data, c.chunkBytes), true, true)
}

// StartResumableUpload starts a resumable upload of key and returns its id and the size of
// the parts the store keeps.
//
// Nothing is visible under key until an upload stream with finishWrite completes it
// (ContinueResumableUpload, UploadFileResumable); a stream that stops keeps every whole
// part sent. opts are Upload's; Size and SHA256 are checked at completion. The id is
// opaque and bound to this tenant and key: keep it to continue, query or cancel the
// upload, from this process or any other, through any gateway in front of the same store.
// UNIMPLEMENTED where the gateway's capabilities lack "resumable_upload". opts may be nil.
func (c *Client) StartResumableUpload(ctx context.Context, key string, opts *UploadOptions) (uploadID string, partBytes int64, err error) {
	if opts == nil {
		opts = &UploadOptions{}
	}
	ctx, cancel := c.callContext(ctx, true)
	defer cancel()
	response, err := c.stub.StartResumableUpload(ctx,
		&storagepb.StartResumableUploadRequest{Spec: opts.spec(key)})
	if err != nil {
		return "", 0, err
	}
	return response.UploadId, response.PartBytes, nil
}

// QueryUploadStatus says how much of a resumable upload the store holds: PersistedSize
// (where the next stream continues), Complete and the Key it writes. NOT_FOUND once the
// upload is cancelled or expired, or for another tenant's upload.
func (c *Client) QueryUploadStatus(ctx context.Context, uploadID string) (*storagepb.QueryUploadStatusResponse, error) {
	ctx, cancel := c.callContext(ctx, true)
	defer cancel()
	return c.stub.QueryUploadStatus(ctx, &storagepb.QueryUploadStatusRequest{UploadId: uploadID})
}

// CancelResumableUpload abandons a resumable upload and removes its parts; nothing is
// stored under its key. NOT_FOUND when there is no such upload, FAILED_PRECONDITION once
// it completed.
func (c *Client) CancelResumableUpload(ctx context.Context, uploadID string) error {
	ctx, cancel := c.callContext(ctx, true)
	defer cancel()
	_, err := c.stub.CancelResumableUpload(ctx,
		&storagepb.CancelResumableUploadRequest{UploadId: uploadID})
	return err
}

// ContinueResumableUpload sends one stream of a resumable upload: the bytes read from r are
// the object's from writeOffset on.
//
// With finishWrite the stream completes the object, and the answer carries Complete, Size,
// Etag and Sha256. Without it the stream pauses the upload: the answer's PersistedSize says
// what the store kept (whole parts only; the rest must be sent again). writeOffset may be
// below the persisted size (the bytes the store holds are skipped), not above it
// (OUT_OF_RANGE). The answer's CRC32C is checked against the bytes sent, as Upload's.
func (c *Client) ContinueResumableUpload(ctx context.Context, uploadID string, r io.Reader, writeOffset int64, finishWrite bool) (*storagepb.UploadResponse, error) {
	first := &storagepb.UploadRequest{
		Kind:        &storagepb.UploadRequest_UploadId{UploadId: uploadID},
		WriteOffset: writeOffset,
	}
	return c.send(ctx, uploadID, first, readerChunks(r, c.chunkBytes), finishWrite, false)
}

// ResumableFileOptions configure UploadFileResumable.
type ResumableFileOptions struct {
	// UploadID continues this upload; empty starts one. With an id, the other fields but
	// OnUploadID are those given at its start and are ignored here.
	UploadID string
	// ContentType, Metadata, IfNoneMatch and IfMatch are UploadOptions'.
	ContentType string
	Metadata    map[string]string
	IfNoneMatch string
	IfMatch     string
	// OnUploadID, when set, is called with the upload's id (the new one or the one given)
	// before any byte is sent: save it. An error from it ends the call.
	OnUploadID func(uploadID string) error
}

// UploadFileResumable uploads the file at path to key so that a failed call can be
// continued rather than started over, and returns the completing answer.
//
// Without opts.UploadID it reads the file once for its size and SHA-256 and starts a
// resumable upload that declares both, so the object is checked at completion. Then it
// asks the store how much it holds and streams the file from there with finish_write. If
// the call fails (UNAVAILABLE, DEADLINE_EXCEEDED, the process died), call it again with the
// saved id and the same file: it continues from the bytes the store kept. An upload that
// had completed already answers its object again. An id that writes another key is
// ErrOtherKey. The client's call timeout bounds each call, the stream as a whole among
// them: give a large file's client a longer one (WithCallTimeout). opts may be nil.
func (c *Client) UploadFileResumable(ctx context.Context, key, path string, opts *ResumableFileOptions) (*storagepb.UploadResponse, error) {
	if opts == nil {
		opts = &ResumableFileOptions{}
	}
	uploadID := opts.UploadID
	if uploadID == "" {
		size, sha, err := fileSizeAndSHA256(path)
		if err != nil {
			return nil, err
		}
		uploadID, _, err = c.StartResumableUpload(ctx, key, &UploadOptions{
			ContentType: opts.ContentType,
			SHA256:      sha,
			Metadata:    opts.Metadata,
			Size:        &size,
			IfNoneMatch: opts.IfNoneMatch,
			IfMatch:     opts.IfMatch,
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.OnUploadID != nil {
		if err := opts.OnUploadID(uploadID); err != nil {
			return nil, err
		}
	}
	status, err := c.QueryUploadStatus(ctx, uploadID)
	if err != nil {
		return nil, err
	}
	if status.Key != key {
		return nil, fmt.Errorf("%w: upload %q writes %q, not %q", ErrOtherKey, uploadID,
			status.Key, key)
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if _, err := file.Seek(status.PersistedSize, io.SeekStart); err != nil {
		return nil, err
	}
	return c.ContinueResumableUpload(ctx, uploadID, file, status.PersistedSize, true)
}

// fileSizeAndSHA256 reads the file at path for its size and SHA-256 (hex).
func fileSizeAndSHA256(path string) (int64, string, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer file.Close()
	digest := sha256.New()
	size, err := io.Copy(digest, file)
	if err != nil {
		return 0, "", err
	}
	return size, hex.EncodeToString(digest.Sum(nil)), nil
}

// readerChunks returns the bytes of r in chunks of size, then io.EOF, or r's error. Each
// chunk is a buffer of its own: a sent message must not change afterwards.
func readerChunks(r io.Reader, size int) func() ([]byte, error) {
	var end error
	return func() ([]byte, error) {
		if end != nil {
			return nil, end
		}
		buffer := make([]byte, size)
		n, err := io.ReadFull(r, buffer)
		switch err {
		case nil:
			return buffer, nil
		case io.ErrUnexpectedEOF:
			end = io.EOF
			return buffer[:n], nil
		case io.EOF:
			end = io.EOF
			return nil, io.EOF
		default:
			// The bytes read before the failure go nowhere: the upload is abandoned.
			end = err
			return nil, err
		}
	}
}

// sliceChunks returns data in chunks of size, then io.EOF.
func sliceChunks(data []byte, size int) func() ([]byte, error) {
	return func() ([]byte, error) {
		if len(data) == 0 {
			return nil, io.EOF
		}
		n := size
		if n > len(data) {
			n = len(data)
		}
		chunk := data[:n:n]
		data = data[n:]
		return chunk, nil
	}
}

// send runs one Upload stream: first, then the chunks that next returns until io.EOF, each
// with its CRC32C, then, with finishWrite, the explicit end. name is the key or upload id,
// for errors. whole says the stream is a whole object, whose answer's SHA-256 must be that
// of the bytes sent (a continued resumable upload's is the whole object's).
func (c *Client) send(ctx context.Context, name string, first *storagepb.UploadRequest, next func() ([]byte, error), finishWrite, whole bool) (*storagepb.UploadResponse, error) {
	ctx, cancel := c.callContext(ctx, true)
	defer cancel()
	stream, err := c.stub.Upload(ctx)
	if err != nil {
		return nil, err
	}
	// Of the bytes sent, for the answer's checksums.
	var sentCRC uint32
	var sentBytes int64
	var digest hash.Hash
	if whole {
		digest = sha256.New()
	}

	err = stream.Send(first)
	for err == nil {
		chunk, readErr := next()
		if readErr == io.EOF {
			break
		}
		if readErr != nil {
			// Ends the call without finish_write: the gateway stores nothing (a resumable
			// upload keeps its whole parts).
			cancel()
			return nil, fmt.Errorf("objgate: upload of %q: reading its bytes: %w", name, readErr)
		}
		// The gateway checks it before passing any of the bytes on (DATA_LOSS).
		crc := crc32.Checksum(chunk, castagnoli)
		sentCRC = crc32.Update(sentCRC, castagnoli, chunk)
		if digest != nil {
			digest.Write(chunk)
		}
		sentBytes += int64(len(chunk))
		err = stream.Send(&storagepb.UploadRequest{
			Kind:   &storagepb.UploadRequest_Data{Data: chunk},
			Crc32C: &crc,
		})
	}
	// The explicit end: a stream that merely stops stores nothing, or, continuing a
	// resumable upload, pauses it.
	if err == nil && finishWrite {
		err = stream.Send(&storagepb.UploadRequest{FinishWrite: true})
	}
	// io.EOF: the gateway ended the call before reading everything (a refusal, or a
	// resumable upload already complete); CloseAndRecv has its answer.
	if err != nil && err != io.EOF {
		return nil, err
	}
	response, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	// Each message passed its own check, so a difference here is a message lost, repeated
	// or reordered on the way. No CRC32C: an older gateway, or a resumable upload completed
	// earlier and answered again without reading the stream.
	if response.Crc32C != nil && *response.Crc32C != sentCRC {
		return nil, &IntegrityError{Op: "upload", Key: name, Check: CheckCRC32C,
			Detail: fmt.Sprintf("the gateway received bytes with CRC32C 0x%08x, but the %d "+
				"bytes sent have 0x%08x; what it stored cannot be trusted",
				*response.Crc32C, sentBytes, sentCRC)}
	}
	if whole && response.Sha256 != "" {
		if sha := hex.EncodeToString(digest.Sum(nil)); response.Sha256 != sha {
			return nil, &IntegrityError{Op: "upload", Key: name, Check: CheckSHA256,
				Detail: fmt.Sprintf("the gateway stored bytes with SHA-256 %s, but the %d "+
					"bytes sent have %s; what it stored cannot be trusted",
					response.Sha256, sentBytes, sha)}
		}
	}
	return response, nil
}
