package objgate

// The checks that need no gateway: CRC32C against known vectors, a download's checks
// against canned streams and an upload's against the answers of a fake gateway, what goes
// on every call, and the error helpers. They run with a plain `go test`.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/objgate/objgate/client/go/storagepb"
)

func crc32c(data []byte) uint32 { return crc32.Checksum(data, castagnoli) }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestCRC32CMatchesTheKnownVectors(t *testing.T) {
	// RFC 3720 B.4.
	counting := make([]byte, 32)
	for i := range counting {
		counting[i] = byte(i)
	}
	for _, c := range []struct {
		data []byte
		want uint32
	}{
		{nil, 0},
		{[]byte("123456789"), 0xe3069283},
		{make([]byte, 32), 0x8a9136aa},
		{bytes.Repeat([]byte{0xff}, 32), 0x62a8ab43},
		{counting, 0x46dd794e},
	} {
		if got := crc32c(c.data); got != c.want {
			t.Errorf("CRC32C of %x = 0x%08x, want 0x%08x", c.data, got, c.want)
		}
	}
	data := patternedBytes(100003)
	for _, cut := range []int{0, 1, 7, 8, 50000, 100002, 100003} {
		if got := crc32.Update(crc32c(data[:cut]), castagnoli, data[cut:]); got != crc32c(data) {
			t.Errorf("CRC32C extended at %d = 0x%08x, want 0x%08x", cut, got, crc32c(data))
		}
	}
}

// fakeGateway answers Upload with answer after recording the requests, Download with the
// canned download messages, and Stat and GetServerInfo with empty answers; it records each
// call's metadata.
type fakeGateway struct {
	storagepb.UnimplementedObjectStorageServer

	mu        sync.Mutex
	answer    *storagepb.UploadResponse
	download  []*storagepb.DownloadResponse
	requests  []*storagepb.UploadRequest
	uploadErr error // How the last upload stream ended: nil, or the error Recv returned.
	metadata  map[string]metadata.MD
	uploaded  chan struct{} // Receives once per upload stream that ended.
}

func (f *fakeGateway) record(method string, ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metadata[method] = md
}

func (f *fakeGateway) Upload(stream storagepb.ObjectStorage_UploadServer) error {
	f.record("Upload", stream.Context())
	var requests []*storagepb.UploadRequest
	var err error
	for {
		var request *storagepb.UploadRequest
		if request, err = stream.Recv(); err != nil {
			break
		}
		requests = append(requests, request)
	}
	f.mu.Lock()
	f.requests = requests
	answer := f.answer
	if err == io.EOF {
		err = nil
	}
	f.uploadErr = err
	f.mu.Unlock()
	f.uploaded <- struct{}{}
	if err != nil {
		return err
	}
	return stream.SendAndClose(answer)
}

func (f *fakeGateway) Download(_ *storagepb.DownloadRequest, stream storagepb.ObjectStorage_DownloadServer) error {
	f.record("Download", stream.Context())
	f.mu.Lock()
	messages := f.download
	f.mu.Unlock()
	for _, message := range messages {
		if err := stream.Send(message); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeGateway) Stat(ctx context.Context, _ *storagepb.StatRequest) (*storagepb.ObjectInfo, error) {
	f.record("Stat", ctx)
	return &storagepb.ObjectInfo{}, nil
}

func (f *fakeGateway) GetServerInfo(ctx context.Context, _ *storagepb.GetServerInfoRequest) (*storagepb.ServerInfo, error) {
	f.record("GetServerInfo", ctx)
	return &storagepb.ServerInfo{}, nil
}

// lastUpload waits for the end of an upload stream and returns its requests and error.
func (f *fakeGateway) lastUpload(t *testing.T) ([]*storagepb.UploadRequest, error) {
	t.Helper()
	select {
	case <-f.uploaded:
	case <-time.After(10 * time.Second):
		t.Fatal("the fake gateway saw no upload end")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.uploadErr
}

// startFakeGateway serves a fakeGateway on loopback and returns it with a client of it.
func startFakeGateway(t *testing.T, opts ...Option) (*fakeGateway, *Client) {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeGateway{
		answer:   &storagepb.UploadResponse{Key: "k"},
		metadata: map[string]metadata.MD{},
		uploaded: make(chan struct{}, 16),
	}
	server := grpc.NewServer()
	storagepb.RegisterObjectStorageServer(server, fake)
	go server.Serve(listener)
	t.Cleanup(server.Stop)
	client, err := Dial(listener.Addr().String(), "fake-tenant", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return fake, client
}

func metadataMessage(data []byte) *storagepb.DownloadResponse {
	return &storagepb.DownloadResponse{Kind: &storagepb.DownloadResponse_Metadata{
		Metadata: &storagepb.ObjectMetadata{Key: "k", Size: int64(len(data)),
			Length: int64(len(data))}}}
}

func dataMessage(data []byte, crc *uint32) *storagepb.DownloadResponse {
	return &storagepb.DownloadResponse{Kind: &storagepb.DownloadResponse_Data{Data: data},
		Crc32C: crc}
}

func trailerMessage(trailer *storagepb.DownloadTrailer) *storagepb.DownloadResponse {
	return &storagepb.DownloadResponse{Kind: &storagepb.DownloadResponse_Trailer{Trailer: trailer}}
}

func uint32p(v uint32) *uint32 { return &v }

// olderGatewayStream is what a gateway without CRC32C sends for data, ending in trailer (a
// matching one when nil).
func olderGatewayStream(data []byte, trailer *storagepb.DownloadTrailer) []*storagepb.DownloadResponse {
	if trailer == nil {
		trailer = &storagepb.DownloadTrailer{Sha256: sha256Hex(data), Size: int64(len(data))}
	}
	return []*storagepb.DownloadResponse{metadataMessage(data), dataMessage(data, nil),
		trailerMessage(trailer)}
}

// checkedStream is what the gateway sends: each chunk with its CRC32C (or crc32cs[i]), and
// a trailer with the stream's (or streamCRC).
func checkedStream(chunks [][]byte, crc32cs []uint32, streamCRC *uint32) []*storagepb.DownloadResponse {
	data := bytes.Join(chunks, nil)
	messages := []*storagepb.DownloadResponse{metadataMessage(data)}
	for i, chunk := range chunks {
		crc := crc32c(chunk)
		if crc32cs != nil {
			crc = crc32cs[i]
		}
		messages = append(messages, dataMessage(chunk, uint32p(crc)))
	}
	if streamCRC == nil {
		streamCRC = uint32p(crc32c(data))
	}
	return append(messages, trailerMessage(&storagepb.DownloadTrailer{
		Sha256: sha256Hex(data), Size: int64(len(data)), Crc32C: streamCRC}))
}

// downloadFrom has the fake gateway send messages and downloads them into a buffer.
func downloadFrom(t *testing.T, messages []*storagepb.DownloadResponse) ([]byte, *DownloadResult, error) {
	t.Helper()
	fake, client := startFakeGateway(t)
	fake.download = messages
	var written bytes.Buffer
	result, err := client.Download(context.Background(), "k", &written, nil)
	return written.Bytes(), result, err
}

// wantIntegrityError fails t unless err is an IntegrityError of check, a DATA_LOSS that
// is an incomplete download.
func wantIntegrityError(t *testing.T, err error, check string) {
	t.Helper()
	var integrity *IntegrityError
	if !errors.As(err, &integrity) || integrity.Check != check {
		t.Fatalf("got error %v, want an IntegrityError of %s", err, check)
	}
	if !errors.Is(err, ErrDataLoss) || !errors.Is(err, ErrIncompleteDownload) || !IsDataLoss(err) ||
		status.Code(err) != codes.DataLoss {
		t.Errorf("%v is not DATA_LOSS, ErrDataLoss and ErrIncompleteDownload", err)
	}
}

func TestDownloadReadsAStreamWhoseTrailerMatches(t *testing.T) {
	written, result, err := downloadFrom(t, olderGatewayStream([]byte("abc"), nil))

	if err != nil || string(written) != "abc" {
		t.Fatalf("got %q, %v; want \"abc\"", written, err)
	}
	if result.Trailer.Sha256 != sha256Hex([]byte("abc")) || result.Metadata.Length != 3 {
		t.Errorf("got trailer %v and metadata %v", result.Trailer, result.Metadata)
	}
}

func TestDownloadWithoutTrailerIsIncomplete(t *testing.T) {
	stream := olderGatewayStream([]byte("abc"), nil)

	_, _, err := downloadFrom(t, stream[:len(stream)-1])

	wantIntegrityError(t, err, CheckStream)
}

func TestDownloadWithoutMetadataIsIncomplete(t *testing.T) {
	stream := olderGatewayStream([]byte("abc"), nil)

	_, _, err := downloadFrom(t, stream[1:])

	wantIntegrityError(t, err, CheckStream)
}

func TestDownloadWhoseTrailerHasAnotherSHA256IsIncomplete(t *testing.T) {
	trailer := &storagepb.DownloadTrailer{Sha256: sha256Hex([]byte("abd")), Size: 3}

	_, _, err := downloadFrom(t, olderGatewayStream([]byte("abc"), trailer))

	wantIntegrityError(t, err, CheckSHA256)
}

func TestDownloadWhoseTrailerHasAnotherSizeIsIncomplete(t *testing.T) {
	trailer := &storagepb.DownloadTrailer{Sha256: sha256Hex([]byte("abc")), Size: 4}

	_, _, err := downloadFrom(t, olderGatewayStream([]byte("abc"), trailer))

	wantIntegrityError(t, err, CheckSize)
}

func TestDownloadReadsAStreamWhoseCRC32CsMatch(t *testing.T) {
	written, result, err := downloadFrom(t,
		checkedStream([][]byte{[]byte("abc"), []byte("def")}, nil, nil))

	if err != nil || string(written) != "abcdef" {
		t.Fatalf("got %q, %v; want \"abcdef\"", written, err)
	}
	if result.Trailer.GetCrc32C() != crc32c([]byte("abcdef")) {
		t.Errorf("trailer CRC32C 0x%08x", result.Trailer.GetCrc32C())
	}
}

func TestDownloadDataMessageWithAnotherCRC32CIsDataLossBeforeItsBytesAreWritten(t *testing.T) {
	chunks := [][]byte{[]byte("first"), []byte("secXnd"), []byte("third")} // The second changed.
	crcs := []uint32{crc32c([]byte("first")), crc32c([]byte("second")), crc32c([]byte("third"))}

	written, _, err := downloadFrom(t, checkedStream(chunks, crcs, nil))

	wantIntegrityError(t, err, CheckCRC32C)
	if string(written) != "first" {
		t.Errorf("wrote %q, want only \"first\"", written)
	}
	for _, want := range []string{"CRC32C", "offset 5",
		fmt.Sprintf("0x%08x", crc32c([]byte("secXnd"))),
		fmt.Sprintf("0x%08x", crc32c([]byte("second")))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}

func TestDownloadChecksACRC32COfZeroToo(t *testing.T) {
	// Set to 0 is not unset: the field's presence says whether to check.
	_, _, err := downloadFrom(t, checkedStream([][]byte{[]byte("abc")}, []uint32{0}, nil))

	wantIntegrityError(t, err, CheckCRC32C)
}

func TestDownloadWhoseTrailerHasAnotherCRC32CIsDataLoss(t *testing.T) {
	// Every message checks out, but the stream is not the one the gateway sent.
	_, _, err := downloadFrom(t, checkedStream([][]byte{[]byte("abc"), []byte("def")}, nil,
		uint32p(crc32c([]byte("defabc")))))

	wantIntegrityError(t, err, CheckCRC32C)
}

func TestObjectReaderReadsInPiecesAndEndsWithEOFOnlyAfterTheTrailer(t *testing.T) {
	data := patternedBytes(1000)
	fake, client := startFakeGateway(t)
	fake.download = checkedStream([][]byte{data[:600], {}, data[600:]}, nil, nil)

	reader, err := client.NewReader(context.Background(), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	var read []byte
	piece := make([]byte, 7)
	for {
		n, err := reader.Read(piece)
		read = append(read, piece[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if reader.Trailer() != nil {
			t.Fatal("the trailer is there before io.EOF")
		}
	}

	if !bytes.Equal(read, data) {
		t.Errorf("read %d bytes that differ from the %d sent", len(read), len(data))
	}
	if reader.Trailer().GetSize() != 1000 {
		t.Errorf("trailer %v", reader.Trailer())
	}
}

func TestUploadSendsACRC32COnEveryDataMessageAndFinishWriteLast(t *testing.T) {
	fake, client := startFakeGateway(t, WithChunkBytes(3))
	fake.answer = &storagepb.UploadResponse{Key: "k", Crc32C: uint32p(crc32c([]byte("abcdefg")))}

	if _, err := client.Upload(context.Background(), "k", strings.NewReader("abcdefg"), nil); err != nil {
		t.Fatal(err)
	}

	requests, _ := fake.lastUpload(t)
	if len(requests) != 5 {
		t.Fatalf("got %d messages, want spec, 3 data, finish_write: %v", len(requests), requests)
	}
	if requests[0].GetSpec().GetKey() != "k" || requests[0].Crc32C != nil ||
		requests[0].GetSpec().Size != nil {
		t.Errorf("first message %v, want the spec without CRC32C or size", requests[0])
	}
	for i, want := range []string{"abc", "def", "g"} {
		message := requests[1+i]
		if string(message.GetData()) != want || message.Crc32C == nil ||
			*message.Crc32C != crc32c([]byte(want)) || message.FinishWrite {
			t.Errorf("data message %d is %v, want %q with its CRC32C", i, message, want)
		}
	}
	if last := requests[4]; !last.FinishWrite || last.Kind != nil || last.Crc32C != nil {
		t.Errorf("last message %v, want finish_write alone", last)
	}
}

func TestUploadBytesDeclaresTheSize(t *testing.T) {
	fake, client := startFakeGateway(t)

	if _, err := client.UploadBytes(context.Background(), "k", []byte("abcdef"),
		&UploadOptions{ContentType: "text/plain"}); err != nil {
		t.Fatal(err)
	}

	requests, _ := fake.lastUpload(t)
	if spec := requests[0].GetSpec(); spec.Size == nil || *spec.Size != 6 ||
		spec.ContentType != "text/plain" {
		t.Errorf("spec %v, want size 6 and text/plain", spec)
	}
}

func TestUploadAnsweredWithAnotherCRC32CIsDataLoss(t *testing.T) {
	fake, client := startFakeGateway(t)
	fake.answer = &storagepb.UploadResponse{Key: "k", Crc32C: uint32p(crc32c([]byte("abcdeX")))}

	_, err := client.UploadBytes(context.Background(), "k", []byte("abcdef"), nil)

	var integrity *IntegrityError
	if !errors.As(err, &integrity) || integrity.Check != CheckCRC32C || !IsDataLoss(err) ||
		!errors.Is(err, ErrDataLoss) || errors.Is(err, ErrIncompleteDownload) {
		t.Fatalf("got %v, want an upload's CRC32C IntegrityError", err)
	}
	if !strings.Contains(err.Error(), "CRC32C") {
		t.Errorf("%q does not say CRC32C", err)
	}
}

func TestUploadAnsweredWithAnotherSHA256IsDataLoss(t *testing.T) {
	fake, client := startFakeGateway(t)
	fake.answer = &storagepb.UploadResponse{Key: "k", Crc32C: uint32p(crc32c([]byte("abcdef"))),
		Sha256: sha256Hex([]byte("abcdeX"))}

	_, err := client.UploadBytes(context.Background(), "k", []byte("abcdef"), nil)

	var integrity *IntegrityError
	if !errors.As(err, &integrity) || integrity.Check != CheckSHA256 || !IsDataLoss(err) {
		t.Fatalf("got %v, want an upload's SHA-256 IntegrityError", err)
	}
}

func TestUploadAnsweredWithMatchingChecksumsReturnsTheAnswer(t *testing.T) {
	fake, client := startFakeGateway(t)
	fake.answer = &storagepb.UploadResponse{Key: "k", Size: 6, Etag: "e",
		Crc32C: uint32p(crc32c([]byte("abcdef"))), Sha256: sha256Hex([]byte("abcdef"))}

	answer, err := client.UploadBytes(context.Background(), "k", []byte("abcdef"), nil)

	if err != nil || answer.Etag != "e" || answer.Size != 6 {
		t.Fatalf("got %v, %v", answer, err)
	}
}

func TestContinuedUploadChecksTheAnswersCRC32CToo(t *testing.T) {
	fake, client := startFakeGateway(t)
	// The SHA-256 of a continuation's answer is the whole object's, so it is not compared.
	fake.answer = &storagepb.UploadResponse{Key: "k", Crc32C: uint32p(crc32c([]byte("other"))),
		Sha256: sha256Hex([]byte("the whole object"))}

	_, err := client.ContinueResumableUpload(context.Background(), "id",
		strings.NewReader("bytes"), 0, false)

	var integrity *IntegrityError
	if !errors.As(err, &integrity) || integrity.Check != CheckCRC32C {
		t.Fatalf("got %v, want a CRC32C IntegrityError", err)
	}
	requests, _ := fake.lastUpload(t)
	if requests[0].GetUploadId() != "id" || requests[1].GetCrc32C() != crc32c([]byte("bytes")) ||
		requests[len(requests)-1].FinishWrite {
		t.Errorf("sent %v, want the id, the bytes with their CRC32C and no finish_write",
			requests)
	}
}

func TestUploadAnsweredWithoutCRC32CByAnOlderGatewayIsAccepted(t *testing.T) {
	fake, client := startFakeGateway(t)
	fake.answer = &storagepb.UploadResponse{Key: "k", Size: 6}

	answer, err := client.UploadBytes(context.Background(), "k", []byte("abcdef"), nil)

	if err != nil || answer.Size != 6 {
		t.Fatalf("got %v, %v", answer, err)
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errDiskGone = errors.New("the disk went away")

func TestUploadWhoseReaderFailsAbandonsTheCallWithoutFinishWrite(t *testing.T) {
	fake, client := startFakeGateway(t, WithChunkBytes(4))

	_, err := client.Upload(context.Background(), "k",
		&failingReader{data: []byte("0123456789"), err: errDiskGone}, nil)

	if !errors.Is(err, errDiskGone) {
		t.Fatalf("got %v, want the reader's error", err)
	}
	requests, streamErr := fake.lastUpload(t)
	if status.Code(streamErr) != codes.Canceled {
		t.Errorf("the gateway saw the stream end with %v, want CANCELLED", streamErr)
	}
	for _, request := range requests {
		if request.FinishWrite {
			t.Errorf("sent finish_write after the reader failed: %v", requests)
		}
	}
}

func TestEveryObjectCallCarriesTheTenantAndEveryCallTheBearerToken(t *testing.T) {
	fake, client := startFakeGateway(t, WithBearerToken("s3cr3t"))
	ctx := context.Background()

	if _, err := client.UploadBytes(ctx, "k", []byte("x"), nil); err != nil {
		t.Fatal(err)
	}
	fake.lastUpload(t)
	fake.download = olderGatewayStream(nil, nil)
	if _, err := client.DownloadBytes(ctx, "k", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Stat(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetServerInfo(ctx); err != nil {
		t.Fatal(err)
	}

	fake.mu.Lock()
	defer fake.mu.Unlock()
	for _, method := range []string{"Upload", "Download", "Stat"} {
		if got := fake.metadata[method].Get("x-tenant-id"); len(got) != 1 || got[0] != "fake-tenant" {
			t.Errorf("%s carried x-tenant-id %q, want fake-tenant", method, got)
		}
	}
	if got := fake.metadata["GetServerInfo"].Get("x-tenant-id"); len(got) != 0 {
		t.Errorf("GetServerInfo carried x-tenant-id %q, want none", got)
	}
	for _, method := range []string{"Upload", "Download", "Stat", "GetServerInfo"} {
		if got := fake.metadata[method].Get("authorization"); len(got) != 1 || got[0] != "Bearer s3cr3t" {
			t.Errorf("%s carried authorization %q, want the bearer token", method, got)
		}
	}
}

func TestAnUnreachableGatewayIsUnavailable(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := listener.Addr().String()
	listener.Close() // Nothing listens there now.
	client, err := Dial(target, "tenant", WithCallTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	_, err = client.Stat(context.Background(), "k")

	if !IsUnavailable(err) {
		t.Fatalf("got %v, want UNAVAILABLE", err)
	}
}

func TestCodeAndItsHelpersSeeThroughWrapping(t *testing.T) {
	notFound := fmt.Errorf("loading the report: %w", status.Error(codes.NotFound, "no object"))
	if !IsNotFound(notFound) || Code(notFound) != codes.NotFound || IsUnavailable(notFound) {
		t.Errorf("%v: Code %v", notFound, Code(notFound))
	}
	if !IsFailedPrecondition(status.Error(codes.FailedPrecondition, "etag")) {
		t.Error("FAILED_PRECONDITION is not IsFailedPrecondition")
	}
	if !IsDataLoss(status.Error(codes.DataLoss, "the gateway found it")) {
		t.Error("the gateway's DATA_LOSS is not IsDataLoss")
	}
	if Code(nil) != codes.OK || Code(errors.New("plain")) != codes.Unknown {
		t.Errorf("Code(nil) = %v, Code(plain) = %v", Code(nil), Code(errors.New("plain")))
	}
	wrapped := fmt.Errorf("saving: %w", &IntegrityError{Op: "download", Key: "k",
		Check: CheckSHA256, Detail: "differs"})
	if !IsDataLoss(wrapped) || !errors.Is(wrapped, ErrIncompleteDownload) {
		t.Errorf("%v is not a wrapped DATA_LOSS", wrapped)
	}
}
