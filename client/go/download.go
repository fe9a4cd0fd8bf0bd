package objgate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/objgate/objgate/client/go/storagepb"
)

// castagnoli is CRC32C's table, the checksum of every data message both ways; hash/crc32
// computes it with the CPU's CRC32 instruction where there is one.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errReaderClosed is what an ObjectReader returns once closed before its end.
var errReaderClosed = errors.New("objgate: read from a closed ObjectReader")

// DownloadOptions select what a download reads. The zero value reads the whole object.
type DownloadOptions struct {
	// Offset is the first byte to read; past the end of a non-empty object is OUT_OF_RANGE.
	Offset int64
	// Limit is the most bytes to read; 0 means to the end of the object.
	Limit int64
	// IfMatch reads only if the object's etag is still this one (FAILED_PRECONDITION
	// otherwise), so that a caller reading an object in several calls never stitches two
	// versions together.
	IfMatch string
}

// downloadStream is the part of a Download call that an ObjectReader reads.
type downloadStream interface {
	Recv() (*storagepb.DownloadResponse, error)
}

// ObjectReader is an io.Reader (and io.WriterTo) over the bytes of one Download call, in
// order, checked as they arrive.
//
// Each data message's bytes are handed on only once its CRC32C checks out; one that does
// not ends the read with an IntegrityError (ErrDataLoss, ErrIncompleteDownload, status
// DATA_LOSS) before any of its bytes are. After the last message the reader compares all
// it received with the trailer's size, CRC32C and SHA-256, and returns io.EOF only if they
// match, an IntegrityError otherwise. So a caller who reads to io.EOF has the whole range;
// one who gets an error must discard the bytes read so far: each message of them passed
// its own CRC32C, but together they are not (or not provably) the object. Other failures
// are the call's gRPC status errors.
//
// Close it, or read it to its end, to release the call. Not safe for concurrent use.
type ObjectReader struct {
	key      string
	stream   downloadStream
	cancel   context.CancelFunc
	metadata *storagepb.ObjectMetadata
	trailer  *storagepb.DownloadTrailer

	pending  []byte // Checked bytes not yet read.
	received int64
	crc      uint32 // CRC32C of every byte received so far.
	digest   hash.Hash
	err      error // Sticky: io.EOF once the trailer checked out, else the failure.
}

// NewReader starts reading key (or opts' range of it) and returns the reader once the first
// message has arrived, so that NOT_FOUND (IsNotFound), OUT_OF_RANGE and the other call
// errors surface here. opts may be nil.
func (c *Client) NewReader(ctx context.Context, key string, opts *DownloadOptions) (*ObjectReader, error) {
	if opts == nil {
		opts = &DownloadOptions{}
	}
	ctx, cancel := c.callContext(ctx, true)
	stream, err := c.stub.Download(ctx, &storagepb.DownloadRequest{
		Key:     key,
		Offset:  opts.Offset,
		Limit:   opts.Limit,
		IfMatch: opts.IfMatch,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return openReader(key, stream, cancel)
}

// openReader waits for stream's first message, which must be the object's metadata.
func openReader(key string, stream downloadStream, cancel context.CancelFunc) (*ObjectReader, error) {
	first, err := stream.Recv()
	if err == nil && first.GetMetadata() == nil {
		err = &IntegrityError{Op: "download", Key: key, Check: CheckStream,
			Detail: "the stream did not start with metadata"}
	} else if err == io.EOF {
		err = &IntegrityError{Op: "download", Key: key, Check: CheckStream,
			Detail: "the stream ended before its metadata"}
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &ObjectReader{
		key:      key,
		stream:   stream,
		cancel:   cancel,
		metadata: first.GetMetadata(),
		digest:   sha256.New(),
	}, nil
}

// Metadata describes the object and the range that follows: key, size, etag, content type,
// offset and length, the stored SHA-256, last modified and user metadata.
func (r *ObjectReader) Metadata() *storagepb.ObjectMetadata { return r.metadata }

// Trailer is the stream's trailer once the reader has returned io.EOF (it checked out),
// nil before.
func (r *ObjectReader) Trailer() *storagepb.DownloadTrailer { return r.trailer }

// Read reads the next checked bytes; io.EOF once all have been read and the trailer
// matched them.
func (r *ObjectReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := r.fill(); err != nil {
		return 0, err
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// WriteTo writes the rest of the bytes to w, one Write per data message, each after its
// CRC32C checked out, and returns nil once the trailer matched them all (io.Copy uses it).
// On an error, the bytes written so far must be discarded (see ObjectReader). A failed
// Write ends the call.
func (r *ObjectReader) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for {
		if err := r.fill(); err == io.EOF {
			return written, nil
		} else if err != nil {
			return written, err
		}
		n, err := w.Write(r.pending)
		written += int64(n)
		r.pending = r.pending[n:]
		if err == nil && len(r.pending) > 0 {
			err = io.ErrShortWrite
		}
		if err != nil {
			r.fail(err)
			return written, err
		}
	}
}

// Close ends the call if it is still going. Reading after Close fails, unless the reader had
// reached its end.
func (r *ObjectReader) Close() error {
	if r.err == nil {
		r.fail(errReaderClosed)
	}
	r.pending = nil
	return nil
}

// fill receives messages until there are checked bytes to hand on, and returns nil then, or
// the reader's end: io.EOF, or the failure.
func (r *ObjectReader) fill() error {
	for len(r.pending) == 0 {
		if r.err != nil {
			return r.err
		}
		response, err := r.stream.Recv()
		if err == io.EOF {
			err = r.integrityError(CheckStream,
				"the stream ended without a trailer after %d bytes", r.received)
		}
		if err != nil {
			r.fail(err)
			continue
		}
		switch kind := response.Kind.(type) {
		case *storagepb.DownloadResponse_Data:
			r.accept(kind.Data, response.Crc32C)
		case *storagepb.DownloadResponse_Trailer:
			r.finish(kind.Trailer)
		}
		// Anything else (a repeated metadata, a kind newer than this client) is skipped,
		// as the Python and Node helpers do.
	}
	return nil
}

// accept checks a data message's bytes against its CRC32C and, if they match, makes them
// the next to hand on.
func (r *ObjectReader) accept(data []byte, sent *uint32) {
	crc := crc32.Checksum(data, castagnoli)
	// An older gateway sends no CRC32C; set to 0 is not unset, and is checked.
	if sent != nil && *sent != crc {
		r.fail(r.integrityError(CheckCRC32C,
			"the data message at offset %d (%d bytes) has CRC32C 0x%08x but the gateway sent "+
				"0x%08x: corrupted on its way; its bytes were not used",
			r.metadata.Offset+r.received, len(data), crc, *sent))
		return
	}
	r.crc = crc32.Update(r.crc, castagnoli, data)
	r.digest.Write(data)
	r.received += int64(len(data))
	r.pending = data
}

// finish compares what was received with the trailer, and ends the reader with io.EOF when
// they match.
func (r *ObjectReader) finish(trailer *storagepb.DownloadTrailer) {
	sha := hex.EncodeToString(r.digest.Sum(nil))
	switch {
	case trailer.Size != r.received || trailer.Size != r.metadata.Length:
		r.fail(r.integrityError(CheckSize,
			"received %d bytes, metadata promised %d and the trailer says %d",
			r.received, r.metadata.Length, trailer.Size))
	// A lost, repeated or reordered message passes every message's own CRC32C.
	case trailer.Crc32C != nil && *trailer.Crc32C != r.crc:
		r.fail(r.integrityError(CheckCRC32C,
			"CRC32C of the %d bytes received from offset %d is 0x%08x, the trailer says 0x%08x",
			r.received, r.metadata.Offset, r.crc, *trailer.Crc32C))
	case trailer.Sha256 != sha:
		r.fail(r.integrityError(CheckSHA256,
			"SHA-256 of the bytes received is %s, the trailer says %s", sha, trailer.Sha256))
	default:
		r.trailer = trailer
		// The call's OK status follows the trailer; waiting for it ends the call as a
		// success on the gateway's side too, rather than as one cancelled.
		_, _ = r.stream.Recv()
		r.fail(io.EOF)
	}
}

// fail ends the reader with err and the call with it, so that the gateway stops sending
// what will never be read.
func (r *ObjectReader) fail(err error) {
	r.err = err
	r.pending = nil
	r.cancel()
}

func (r *ObjectReader) integrityError(check, format string, args ...interface{}) error {
	return &IntegrityError{Op: "download", Key: r.key, Check: check,
		Detail: fmt.Sprintf(format, args...)}
}

// DownloadResult is what a Download read besides the bytes.
type DownloadResult struct {
	// Metadata describes the object and the range read (ObjectReader.Metadata).
	Metadata *storagepb.ObjectMetadata
	// Trailer is the stream's trailer, which matched the bytes written.
	Trailer *storagepb.DownloadTrailer
}

// Download writes key (or opts' range of it) to w, each data message once its CRC32C
// checked out, and returns nil error only once every byte written matched the trailer's
// size, CRC32C and SHA-256. On an error, whatever was written to w already must be
// discarded: write to a temporary file and rename it into place on success, say. A CRC32C
// or trailer mismatch is an IntegrityError (IsDataLoss; errors.Is ErrDataLoss and
// ErrIncompleteDownload); call failures are gRPC status errors (IsNotFound, ...). opts may
// be nil.
func (c *Client) Download(ctx context.Context, key string, w io.Writer, opts *DownloadOptions) (*DownloadResult, error) {
	reader, err := c.NewReader(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	defer reader.Close()
	if _, err := reader.WriteTo(w); err != nil {
		return nil, err
	}
	return &DownloadResult{Metadata: reader.Metadata(), Trailer: reader.Trailer()}, nil
}

// DownloadBytes reads key (or opts' range of it) into memory, checked as Download does.
func (c *Client) DownloadBytes(ctx context.Context, key string, opts *DownloadOptions) ([]byte, error) {
	var buffer bytes.Buffer
	if _, err := c.Download(ctx, key, &buffer, opts); err != nil {
		return nil, err
	}
	return buffer.Bytes(), nil
}
