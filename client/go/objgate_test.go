package objgate

// Calls a live objgate gateway through the objgate package:
//
//	OBJGATE_TARGET=127.0.0.1:50051 \
//	  OBJGATE_CORRUPTING_PROXY=bazel-bin/tests/support/corrupting_proxy \
//	  client/go/go_offline.sh test -v .
//
// tests/polyglot/run.sh starts a gateway and a reference store and runs this. Without
// OBJGATE_TARGET these tests are skipped and only the ones without a gateway run
// (integrity_test.go). Every test uses a tenant of its own, so tests neither see nor
// disturb one another's objects. The CRC32C tests that put tests/support/corrupting_proxy
// between the client and the gateway are skipped without OBJGATE_CORRUPTING_PROXY.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/objgate/objgate/client/go/storagepb"
)

const mib = 1024 * 1024

// patternReader yields a fixed number of bytes that differ from their neighbours: the
// little-endian words of an xorshift64 sequence from a seed, the same whatever sizes they
// are read in. Large objects are streamed from it rather than held in memory.
type patternReader struct {
	state uint64
	left  int64
	word  [8]byte
	used  int // Bytes of word already returned.
}

func newPatternReader(seed uint64, size int64) *patternReader {
	return &patternReader{state: seed | 1, left: size, used: 8}
}

func (p *patternReader) next() uint64 {
	p.state ^= p.state << 13
	p.state ^= p.state >> 7
	p.state ^= p.state << 17
	return p.state
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		if p.used == 8 && len(b)-n >= 8 {
			binary.LittleEndian.PutUint64(b[n:], p.next())
			n += 8
			continue
		}
		if p.used == 8 {
			binary.LittleEndian.PutUint64(p.word[:], p.next())
			p.used = 0
		}
		copied := copy(b[n:], p.word[p.used:])
		p.used += copied
		n += copied
	}
	p.left -= int64(n)
	return n, nil
}

// patternedBytes is the first size bytes of the pattern from seed 1.
func patternedBytes(size int) []byte {
	data, err := io.ReadAll(newPatternReader(1, int64(size)))
	if err != nil {
		panic(err)
	}
	return data
}

// newTenant is a tenant of the test's own: "gotest-" and 32 hex digits.
func newTenant(t *testing.T) string {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		t.Fatal(err)
	}
	return "gotest-" + hex.EncodeToString(id[:])
}

var live struct {
	once   sync.Once
	target string
	conn   *grpc.ClientConn
	err    error
}

// liveConn is one connection to the gateway at OBJGATE_TARGET for every test; a test is
// skipped when it is unset.
func liveConn(t *testing.T) (*grpc.ClientConn, string) {
	t.Helper()
	target := os.Getenv("OBJGATE_TARGET")
	if target == "" {
		t.Skip("set OBJGATE_TARGET to a gateway's host:port (tests/polyglot/run.sh does) " +
			"to run the tests against it")
	}
	live.once.Do(func() {
		live.target = target
		live.conn, live.err = grpc.Dial(target, grpc.WithInsecure())
	})
	if live.err != nil {
		t.Fatalf("dialling %s: %v", target, live.err)
	}
	return live.conn, live.target
}

func TestMain(m *testing.M) {
	code := m.Run()
	if live.conn != nil {
		live.conn.Close()
	}
	os.Exit(code)
}

// liveClient is a client of the gateway for a tenant of the test's own.
func liveClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	conn, _ := liveConn(t)
	return NewClient(conn, newTenant(t), opts...)
}

func wantCode(t *testing.T, err error, want codes.Code, what string) {
	t.Helper()
	if Code(err) != want {
		t.Fatalf("%s: got %v, want %v", what, err, want)
	}
}

func mustUpload(t *testing.T, client *Client, key string, data []byte, opts *UploadOptions) *storagepb.UploadResponse {
	t.Helper()
	answer, err := client.UploadBytes(context.Background(), key, data, opts)
	if err != nil {
		t.Fatalf("upload of %s: %v", key, err)
	}
	return answer
}

func mustDownload(t *testing.T, client *Client, key string) []byte {
	t.Helper()
	data, err := client.DownloadBytes(context.Background(), key, nil)
	if err != nil {
		t.Fatalf("download of %s: %v", key, err)
	}
	return data
}

func capabilities(t *testing.T, client *Client) map[string]bool {
	t.Helper()
	info, err := client.GetServerInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, capability := range info.Capabilities {
		set[capability] = true
	}
	return set
}

func listKeys(t *testing.T, it *EntryIterator) []string {
	t.Helper()
	keys := []string{}
	for {
		entry, err := it.Next()
		if err == Done {
			return keys
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, entry.Key)
	}
}

func TestRoundTripsOfEverySize(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	for _, size := range []int{0, 1, 2, 7, 1000, DefaultChunkBytes - 1, DefaultChunkBytes,
		DefaultChunkBytes + 1, 3*DefaultChunkBytes + 12345} {
		// Odd sizes go up from a reader, of unknown size; even ones from memory, declared.
		fromReader := size%2 == 1
		t.Run(fmt.Sprintf("%d bytes from reader %v", size, fromReader), func(t *testing.T) {
			data := patternedBytes(size)
			key := fmt.Sprintf("sizes/%d.bin", size)
			opts := &UploadOptions{ContentType: "application/x-test"}
			var uploaded *storagepb.UploadResponse
			var err error
			if fromReader {
				uploaded, err = client.Upload(ctx, key, bytes.NewReader(data), opts)
			} else {
				uploaded, err = client.UploadBytes(ctx, key, data, opts)
			}
			if err != nil {
				t.Fatal(err)
			}

			var received bytes.Buffer
			result, err := client.Download(ctx, key, &received, nil)

			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(received.Bytes(), data) {
				t.Fatalf("downloaded %d bytes that differ from the %d uploaded", received.Len(), size)
			}
			sha := sha256Hex(data)
			if uploaded.Key != key || uploaded.Size != int64(size) || uploaded.Sha256 != sha ||
				uploaded.Crc32C == nil || *uploaded.Crc32C != crc32c(data) {
				t.Errorf("upload answered %v, want size %d, sha256 %s, crc32c 0x%08x", uploaded,
					size, sha, crc32c(data))
			}
			if result.Trailer.Sha256 != sha || result.Trailer.Size != int64(size) ||
				result.Trailer.GetCrc32C() != crc32c(data) {
				t.Errorf("trailer %v", result.Trailer)
			}
			if result.Metadata.Size != int64(size) || result.Metadata.ContentType != "application/x-test" {
				t.Errorf("metadata %v", result.Metadata)
			}
		})
	}
}

func TestRoundTripOf256MiBStreamedBothWaysMatchesBySHA256(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no 256 MiB round trip")
	}
	const size = 256 * mib
	client := liveClient(t, WithCallTimeout(10*time.Minute))
	ctx := context.Background()
	sent := sha256.New()

	start := time.Now()
	uploaded, err := client.Upload(ctx, "big/256mib.bin",
		io.TeeReader(newPatternReader(256, size), sent), nil)
	if err != nil {
		t.Fatal(err)
	}
	uploadTime := time.Since(start)
	received := sha256.New()
	start = time.Now()
	result, err := client.Download(ctx, "big/256mib.bin", received, nil)
	if err != nil {
		t.Fatal(err)
	}
	downloadTime := time.Since(start)
	defer client.Delete(ctx, "big/256mib.bin", nil)

	want := hex.EncodeToString(sent.Sum(nil))
	if got := hex.EncodeToString(received.Sum(nil)); got != want {
		t.Fatalf("downloaded SHA-256 %s, uploaded %s", got, want)
	}
	if uploaded.Size != size || uploaded.Sha256 != want || result.Trailer.Sha256 != want ||
		result.Trailer.Size != size {
		t.Errorf("upload answered %v, trailer %v", uploaded, result.Trailer)
	}
	t.Logf("256 MiB: upload %v (%.0f MiB/s), download %v (%.0f MiB/s)",
		uploadTime.Round(time.Millisecond), 256/uploadTime.Seconds(),
		downloadTime.Round(time.Millisecond), 256/downloadTime.Seconds())
}

func TestRangedDownloadReturnsOnlyTheRange(t *testing.T) {
	client := liveClient(t)
	data := patternedBytes(1024)
	mustUpload(t, client, "range.bin", data, nil)

	var received bytes.Buffer
	result, err := client.Download(context.Background(), "range.bin", &received,
		&DownloadOptions{Offset: 100, Limit: 50})

	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(received.Bytes(), data[100:150]) {
		t.Errorf("got %x, want %x", received.Bytes(), data[100:150])
	}
	if m := result.Metadata; m.Offset != 100 || m.Length != 50 || m.Size != 1024 {
		t.Errorf("metadata %v", m)
	}
	if result.Trailer.Sha256 != sha256Hex(data[100:150]) {
		t.Errorf("trailer %v", result.Trailer)
	}
	tail, err := client.DownloadBytes(context.Background(), "range.bin", &DownloadOptions{Offset: 1000})
	if err != nil || !bytes.Equal(tail, data[1000:]) {
		t.Errorf("from offset 1000: got %x, %v", tail, err)
	}
}

func TestDownloadFromPastTheEndIsOutOfRange(t *testing.T) {
	client := liveClient(t)
	mustUpload(t, client, "short.txt", []byte("12345"), nil)

	_, err := client.DownloadBytes(context.Background(), "short.txt", &DownloadOptions{Offset: 6})

	wantCode(t, err, codes.OutOfRange, "download from offset 6 of 5 bytes")
}

func TestListPagesHoldPageSizeEntriesInKeyOrder(t *testing.T) {
	client := liveClient(t)
	for _, key := range []string{"logs/05.log", "logs/01.log", "logs/04.log", "logs/02.log",
		"logs/03.log", "other/ignored.log"} {
		mustUpload(t, client, key, []byte(key), nil)
	}

	pages := client.ListPages(context.Background(), "logs/", &ListOptions{PageSize: 2})
	var got [][]string
	for {
		page, err := pages.Next()
		if err == Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, entry := range page.Entries {
			keys = append(keys, entry.Key)
		}
		got = append(got, keys)
	}

	want := [][]string{{"logs/01.log", "logs/02.log"}, {"logs/03.log", "logs/04.log"},
		{"logs/05.log"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pages %v, want %v", got, want)
	}
	if _, err := pages.Next(); err != Done {
		t.Errorf("Next after the end: %v, want Done", err)
	}
}

func TestListIteratesEntriesAcrossPages(t *testing.T) {
	client := liveClient(t)
	var want []string
	for i := 0; i < 7; i++ {
		key := fmt.Sprintf("many/%02d", i)
		mustUpload(t, client, key, bytes.Repeat([]byte("x"), i), nil)
		want = append(want, key)
	}

	it := client.List(context.Background(), "many/", &ListOptions{PageSize: 3})
	var keys []string
	for {
		entry, err := it.Next()
		if err == Done {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if entry.Size != int64(len(keys)) || entry.LastModified.GetSeconds() == 0 {
			t.Errorf("entry %v", entry)
		}
		keys = append(keys, entry.Key)
	}

	if !reflect.DeepEqual(keys, want) {
		t.Errorf("listed %v, want %v", keys, want)
	}
}

func TestListContinuesAfterAKeyAndStopsAtLimit(t *testing.T) {
	client := liveClient(t)
	for day := 1; day <= 5; day++ {
		mustUpload(t, client, fmt.Sprintf("logs/%02d.log", day), bytes.Repeat([]byte("x"), day), nil)
	}

	keys := listKeys(t, client.List(context.Background(), "logs/",
		&ListOptions{StartAfter: "logs/02.log", Limit: 2}))

	if want := []string{"logs/03.log", "logs/04.log"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("listed %v, want %v", keys, want)
	}
}

func TestListWithNoMatchIsOneEmptyPage(t *testing.T) {
	client := liveClient(t)

	pages := client.ListPages(context.Background(), "nothing/", nil)
	page, err := pages.Next()
	if err != nil {
		t.Fatal(err)
	}
	_, end := pages.Next()

	if len(page.Entries) != 0 || end != Done {
		t.Errorf("first page %v, then %v; want one empty page, then Done", page, end)
	}
}

func TestListClosedEarlyEndsWithDone(t *testing.T) {
	client := liveClient(t)
	for i := 0; i < 3; i++ {
		mustUpload(t, client, fmt.Sprintf("k%d", i), []byte("x"), nil)
	}

	it := client.List(context.Background(), "", &ListOptions{PageSize: 1})
	first, err := it.Next()
	if err != nil || first.Key != "k0" {
		t.Fatalf("first entry %v, %v", first, err)
	}
	it.Close()

	if _, err := it.Next(); err != Done {
		t.Errorf("Next after Close: %v, want Done", err)
	}
}

func TestListFolderFoldsTheKeysBelowEachFolder(t *testing.T) {
	client := liveClient(t)
	for _, key := range []string{"a.txt", "photos/2024/x.jpg", "photos/y.jpg", "docs/1", "z"} {
		mustUpload(t, client, key, []byte("x"), nil)
	}
	ctx := context.Background()
	entryKeys := func(entries []*storagepb.ObjectEntry) []string {
		keys := []string{}
		for _, entry := range entries {
			keys = append(keys, entry.Key)
		}
		return keys
	}

	entries, folders, err := client.ListFolder(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if keys := entryKeys(entries); !reflect.DeepEqual(keys, []string{"a.txt", "z"}) ||
		!reflect.DeepEqual(folders, []string{"docs/", "photos/"}) {
		t.Errorf("top level: entries %v, folders %v", keys, folders)
	}
	entries, folders, err = client.ListFolder(ctx, "photos/", "/")
	if err != nil {
		t.Fatal(err)
	}
	if keys := entryKeys(entries); !reflect.DeepEqual(keys, []string{"photos/y.jpg"}) ||
		!reflect.DeepEqual(folders, []string{"photos/2024/"}) {
		t.Errorf("photos/: entries %v, folders %v", keys, folders)
	}
}

func TestDeleteRemovesTheObject(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	mustUpload(t, client, "doomed.txt", []byte("bye"), nil)

	if err := client.Delete(ctx, "doomed.txt", nil); err != nil {
		t.Fatal(err)
	}

	if keys := listKeys(t, client.List(ctx, "", nil)); len(keys) != 0 {
		t.Errorf("listed %v after the delete", keys)
	}
	_, err := client.DownloadBytes(ctx, "doomed.txt", nil)
	if !IsNotFound(err) {
		t.Errorf("download after delete: %v, want NOT_FOUND", err)
	}
}

func TestAMissingObjectIsNotFoundToDownloadDeleteStatAndCopy(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()

	_, downloadErr := client.DownloadBytes(ctx, "missing.txt", nil)
	deleteErr := client.Delete(ctx, "missing.txt", nil)
	_, statErr := client.Stat(ctx, "missing.txt")
	_, copyErr := client.Copy(ctx, "missing.txt", "copy.txt", nil)

	for what, err := range map[string]error{"download": downloadErr, "delete": deleteErr,
		"stat": statErr, "copy": copyErr} {
		if !IsNotFound(err) || IsFailedPrecondition(err) {
			t.Errorf("%s: %v, want NOT_FOUND", what, err)
		}
	}
	_, err := client.Stat(ctx, "copy.txt")
	wantCode(t, err, codes.NotFound, "stat of the copy's destination")
}

func TestStatDescribesTheObjectWithoutItsBytes(t *testing.T) {
	client := liveClient(t)
	data := []byte("a,b\n1,2\n")
	uploaded := mustUpload(t, client, "t.csv", data, &UploadOptions{ContentType: "text/csv",
		SHA256: sha256Hex(data), Metadata: map[string]string{"author": "ada"}})

	info, err := client.Stat(context.Background(), "t.csv")

	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "t.csv" || info.Size != int64(len(data)) || info.Etag != uploaded.Etag ||
		info.ContentType != "text/csv" || info.Sha256 != sha256Hex(data) ||
		info.LastModified.GetSeconds() <= 0 {
		t.Errorf("stat %v, after upload %v", info, uploaded)
	}
	// Kept where the store keeps user metadata.
	want := map[string]string{}
	if capabilities(t, client)["user_metadata"] {
		want = map[string]string{"author": "ada"}
	}
	if got := info.Metadata; len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
		t.Errorf("metadata %v, want %v", got, want)
	}
}

func TestCreateOnlyUploadStoresANewKeyAndRefusesAnExistingOne(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	createOnly := &UploadOptions{IfNoneMatch: "*"}
	if !capabilities(t, client)["conditional_upload"] {
		_, err := client.UploadBytes(ctx, "once.txt", []byte("first"), createOnly)
		wantCode(t, err, codes.Unimplemented, "create-only upload without conditional_upload")
		return
	}

	first := mustUpload(t, client, "once.txt", []byte("first"), createOnly)
	_, err := client.UploadBytes(ctx, "once.txt", []byte("second"), createOnly)

	if !IsFailedPrecondition(err) {
		t.Fatalf("second create-only upload: %v, want FAILED_PRECONDITION", err)
	}
	if got := mustDownload(t, client, "once.txt"); string(got) != "first" {
		t.Errorf("holds %q, want \"first\"", got)
	}
	if info, err := client.Stat(ctx, "once.txt"); err != nil || info.Etag != first.Etag {
		t.Errorf("stat %v, %v; want etag %s", info, err, first.Etag)
	}
}

func TestUploadIfMatchReplacesOnlyTheVersionNamed(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	first := mustUpload(t, client, "v.txt", []byte("version 1"), nil)
	if !capabilities(t, client)["conditional_upload"] {
		_, err := client.UploadBytes(ctx, "v.txt", []byte("version 2"), &UploadOptions{IfMatch: first.Etag})
		wantCode(t, err, codes.Unimplemented, "if-match upload without conditional_upload")
		return
	}

	second := mustUpload(t, client, "v.txt", []byte("version 2"), &UploadOptions{IfMatch: first.Etag})

	if got := mustDownload(t, client, "v.txt"); string(got) != "version 2" || second.Etag == first.Etag {
		t.Errorf("holds %q with etag %s", got, second.Etag)
	}
	_, err := client.UploadBytes(ctx, "v.txt", []byte("version 3"), &UploadOptions{IfMatch: first.Etag})
	if !IsFailedPrecondition(err) {
		t.Errorf("upload if-match a stale etag: %v, want FAILED_PRECONDITION", err)
	}
	if got := mustDownload(t, client, "v.txt"); string(got) != "version 2" {
		t.Errorf("holds %q after the refused upload", got)
	}
	// No object at all is no match either.
	_, err = client.UploadBytes(ctx, "new.txt", []byte("x"), &UploadOptions{IfMatch: first.Etag})
	if !IsFailedPrecondition(err) {
		t.Errorf("upload if-match of a missing key: %v, want FAILED_PRECONDITION", err)
	}
	_, err = client.Stat(ctx, "new.txt")
	wantCode(t, err, codes.NotFound, "stat after the refused upload")
}

func TestUploadWithBothConditionsIsInvalidArgument(t *testing.T) {
	client := liveClient(t)

	_, err := client.UploadBytes(context.Background(), "both.txt", []byte("x"),
		&UploadOptions{IfNoneMatch: "*", IfMatch: "0123abcd"})

	wantCode(t, err, codes.InvalidArgument, "upload with both conditions")
	_, err = client.Stat(context.Background(), "both.txt")
	wantCode(t, err, codes.NotFound, "stat after the refused upload")
}

func TestDeleteIfMatchDeletesOnlyTheVersionNamed(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	stale := mustUpload(t, client, "d.txt", []byte("version 1"), nil).Etag
	current := mustUpload(t, client, "d.txt", []byte("version 2"), nil).Etag
	if stale == current {
		t.Fatalf("two versions with etag %s", stale)
	}
	if !capabilities(t, client)["conditional_delete"] {
		// Refused outright where the store cannot enforce it, whatever the etag.
		wantCode(t, client.Delete(ctx, "d.txt", &DeleteOptions{IfMatch: stale}),
			codes.Unimplemented, "delete if-match without conditional_delete")
		return
	}

	err := client.Delete(ctx, "d.txt", &DeleteOptions{IfMatch: stale})

	if !IsFailedPrecondition(err) {
		t.Fatalf("delete if-match a stale etag: %v, want FAILED_PRECONDITION", err)
	}
	if got := mustDownload(t, client, "d.txt"); string(got) != "version 2" {
		t.Errorf("holds %q after the refused delete", got)
	}
	if err := client.Delete(ctx, "d.txt", &DeleteOptions{IfMatch: current}); err != nil {
		t.Fatal(err)
	}
	_, err = client.Stat(ctx, "d.txt")
	wantCode(t, err, codes.NotFound, "stat after the delete")
}

func TestCopyCopiesTheBytesContentTypeAndMetadata(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	data := []byte("id,total\n1,42\n")
	source := mustUpload(t, client, "src/orders.csv", data, &UploadOptions{ContentType: "text/csv",
		Metadata: map[string]string{"author": "ada"}})

	copied, err := client.Copy(ctx, "src/orders.csv", "dst/orders.csv", nil)

	if err != nil {
		t.Fatal(err)
	}
	if copied.Key != "dst/orders.csv" || copied.Size != int64(len(data)) ||
		copied.Sha256 != sha256Hex(data) {
		t.Errorf("copy answered %v", copied)
	}
	if got := mustDownload(t, client, "dst/orders.csv"); !bytes.Equal(got, data) {
		t.Errorf("the copy holds %q", got)
	}
	info, err := client.Stat(ctx, "dst/orders.csv")
	if err != nil || info.Etag != copied.Etag || info.ContentType != "text/csv" ||
		info.Sha256 != copied.Sha256 {
		t.Errorf("stat of the copy %v, %v", info, err)
	}
	if capabilities(t, client)["user_metadata"] && info.Metadata["author"] != "ada" {
		t.Errorf("the copy's metadata %v", info.Metadata)
	}
	// The source stays, and SourceIfMatch with its current etag copies too.
	if got := mustDownload(t, client, "src/orders.csv"); !bytes.Equal(got, data) {
		t.Errorf("the source holds %q", got)
	}
	again, err := client.Copy(ctx, "src/orders.csv", "dst/again.csv",
		&CopyOptions{SourceIfMatch: source.Etag})
	if err != nil || again.Sha256 != sha256Hex(data) {
		t.Errorf("copy if-match the current etag: %v, %v", again, err)
	}
}

func TestCopyWithAStaleSourceIfMatchIsFailedPrecondition(t *testing.T) {
	client := liveClient(t)
	stale := mustUpload(t, client, "s.txt", []byte("version 1"), nil).Etag
	mustUpload(t, client, "s.txt", []byte("version 2"), nil)

	_, err := client.Copy(context.Background(), "s.txt", "copy.txt",
		&CopyOptions{SourceIfMatch: stale})

	if !IsFailedPrecondition(err) {
		t.Fatalf("copy if-match a stale etag: %v, want FAILED_PRECONDITION", err)
	}
	_, err = client.Stat(context.Background(), "copy.txt")
	wantCode(t, err, codes.NotFound, "stat of the refused copy")
}

func TestACallWithoutTenantIsUnauthenticated(t *testing.T) {
	client := liveClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The stub alone sends no x-tenant-id.
	_, err := client.Stub().Delete(ctx, &storagepb.DeleteRequest{Key: "any.txt"})

	wantCode(t, err, codes.Unauthenticated, "delete without a tenant")
}

func TestAMalformedTenantIsInvalidArgument(t *testing.T) {
	conn, _ := liveConn(t)
	client := NewClient(conn, "no spaces allowed")

	err := client.Delete(context.Background(), "any.txt", nil)

	wantCode(t, err, codes.InvalidArgument, "delete as tenant \"no spaces allowed\"")
}

func TestTenantsDoNotSeeEachOthersObjects(t *testing.T) {
	client := liveClient(t)
	neighbour := liveClient(t)
	mustUpload(t, client, "private.txt", []byte("mine"), nil)

	keys := listKeys(t, neighbour.List(context.Background(), "", nil))
	_, err := neighbour.DownloadBytes(context.Background(), "private.txt", nil)

	if len(keys) != 0 || !IsNotFound(err) {
		t.Errorf("the neighbour lists %v and downloads with %v", keys, err)
	}
}

func TestUploadWithAWrongSHA256StoresNothing(t *testing.T) {
	client := liveClient(t)

	_, err := client.UploadBytes(context.Background(), "bad.bin", []byte("payload"),
		&UploadOptions{SHA256: sha256Hex([]byte("other"))})

	wantCode(t, err, codes.InvalidArgument, "upload with another SHA-256")
	_, err = client.Stat(context.Background(), "bad.bin")
	wantCode(t, err, codes.NotFound, "stat after the refused upload")
}

func TestUploadOfFewerBytesThanDeclaredStoresNothing(t *testing.T) {
	client := liveClient(t)
	declared := int64(10)

	_, err := client.Upload(context.Background(), "short.bin", strings.NewReader("12345"),
		&UploadOptions{Size: &declared})

	wantCode(t, err, codes.InvalidArgument, "upload of 5 bytes declared 10")
	_, err = client.Stat(context.Background(), "short.bin")
	wantCode(t, err, codes.NotFound, "stat after the refused upload")
}

func TestUploadWhoseReaderFailsStoresNothing(t *testing.T) {
	client := liveClient(t)

	_, err := client.Upload(context.Background(), "partial.bin",
		&failingReader{data: patternedBytes(3 * mib), err: errDiskGone}, nil)

	if !errors.Is(err, errDiskGone) {
		t.Fatalf("got %v, want the reader's error", err)
	}
	_, err = client.Stat(context.Background(), "partial.bin")
	wantCode(t, err, codes.NotFound, "stat after the abandoned upload")
}

func TestServerInfoNamesTheGatewayAndItsDialect(t *testing.T) {
	client := liveClient(t)

	info, err := client.GetServerInfo(context.Background())

	if err != nil {
		t.Fatal(err)
	}
	if info.GatewayVersion == "" || (info.Dialect != "rest" && info.Dialect != "s3") ||
		info.Status != "ok" {
		t.Errorf("server info %v", info)
	}
}

func TestHealthSaysLiveAndReadyAndTheStandardServiceServes(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()

	health, err := client.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !health.Live || !health.Ready || health.Detail != "" {
		t.Errorf("health %v", health)
	}
	// The gateway probes its upstream now and then, so a gateway just started may not say
	// SERVING yet.
	for _, service := range []string{"", "storage.v1.ObjectStorage"} {
		deadline := time.Now().Add(10 * time.Second)
		for {
			serving, err := client.HealthCheck(ctx, service)
			if err == nil && serving == healthpb.HealthCheckResponse_SERVING {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("grpc.health.v1 for %q: %v, %v; want SERVING", service, serving, err)
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	_, err = client.HealthCheck(ctx, "no.such.Service")
	wantCode(t, err, codes.NotFound, "grpc.health.v1 for an unknown service")
}

// Resumable uploads. Where the gateway's capabilities lack "resumable_upload", each test
// checks that StartResumableUpload is refused with UNIMPLEMENTED instead.

// resumableUploadsWork says whether the gateway offers resumable uploads; if it does not,
// it checks that starting one is UNIMPLEMENTED and stores nothing.
func resumableUploadsWork(t *testing.T, client *Client) bool {
	t.Helper()
	if capabilities(t, client)["resumable_upload"] {
		return true
	}
	_, _, err := client.StartResumableUpload(context.Background(), "resumable.bin", nil)
	wantCode(t, err, codes.Unimplemented, "start of a resumable upload")
	_, err = client.Stat(context.Background(), "resumable.bin")
	wantCode(t, err, codes.NotFound, "stat after the refused upload")
	return false
}

// writeTempFile writes size bytes of the pattern from seed to a file removed after the
// test, and returns its path and SHA-256.
func writeTempFile(t *testing.T, seed uint64, size int64) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "upload.bin")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	digest := sha256.New()
	if _, err := io.Copy(io.MultiWriter(file, digest), newPatternReader(seed, size)); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(digest.Sum(nil))
}

func TestResumableUploadPausedAt12MiBKeeps8AndUploadFileResumableFinishesIt(t *testing.T) {
	const size = 20*mib + 12345
	client := liveClient(t, WithCallTimeout(5*time.Minute))
	ctx := context.Background()
	path, sha := writeTempFile(t, 20, size)
	if !resumableUploadsWork(t, client) {
		return
	}
	declared := int64(size)
	uploadID, partBytes, err := client.StartResumableUpload(ctx, "videos/big.bin",
		&UploadOptions{ContentType: "video/mp4", SHA256: sha, Size: &declared})
	if err != nil {
		t.Fatal(err)
	}
	if partBytes != 8*mib {
		t.Errorf("parts of %d bytes, want 8 MiB", partBytes)
	}

	// The first stream sends 12 MiB and stops without finish_write: the whole part stays.
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	paused, err := client.ContinueResumableUpload(ctx, uploadID, io.LimitReader(file, 12*mib), 0, false)
	file.Close()
	if err != nil {
		t.Fatal(err)
	}
	if paused.Complete || paused.PersistedSize != partBytes {
		t.Errorf("paused upload answered %v, want %d bytes kept", paused, partBytes)
	}
	_, err = client.DownloadBytes(ctx, "videos/big.bin", nil)
	wantCode(t, err, codes.NotFound, "download of the unfinished upload")
	if keys := listKeys(t, client.List(ctx, "videos/", nil)); len(keys) != 0 {
		t.Errorf("the unfinished upload lists %v", keys)
	}
	status, err := client.QueryUploadStatus(ctx, uploadID)
	if err != nil || status.PersistedSize != partBytes || status.Complete || status.Key != "videos/big.bin" {
		t.Errorf("status %v, %v", status, err)
	}

	// The second continues from the persisted size and completes the object.
	var seen []string
	done, err := client.UploadFileResumable(ctx, "videos/big.bin", path, &ResumableFileOptions{
		UploadID:   uploadID,
		OnUploadID: func(id string) error { seen = append(seen, id); return nil },
	})

	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, []string{uploadID}) {
		t.Errorf("OnUploadID saw %v", seen)
	}
	if !done.Complete || done.Key != "videos/big.bin" || done.Size != size ||
		done.PersistedSize != size || done.Sha256 != sha {
		t.Errorf("completed upload answered %v", done)
	}
	received := sha256.New()
	result, err := client.Download(ctx, "videos/big.bin", received, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(received.Sum(nil)) != sha || result.Metadata.Size != size ||
		result.Metadata.ContentType != "video/mp4" {
		t.Errorf("downloaded %x as %v", received.Sum(nil), result.Metadata)
	}
	if info, err := client.Stat(ctx, "videos/big.bin"); err != nil || info.Etag != done.Etag ||
		info.Sha256 != sha {
		t.Errorf("stat %v, %v", info, err)
	}
}

func TestUploadFileResumableStartsAnUploadAndQueryThenSaysComplete(t *testing.T) {
	const size = 9*mib + 1 // A whole part and one byte.
	client := liveClient(t, WithCallTimeout(5*time.Minute))
	ctx := context.Background()
	path, sha := writeTempFile(t, 9, size)
	if !resumableUploadsWork(t, client) {
		_, err := client.UploadFileResumable(ctx, "docs/file.bin", path, nil)
		wantCode(t, err, codes.Unimplemented, "resumable upload of a file")
		return
	}
	var ids []string

	done, err := client.UploadFileResumable(ctx, "docs/file.bin", path, &ResumableFileOptions{
		ContentType: "application/x-test",
		OnUploadID:  func(id string) error { ids = append(ids, id); return nil },
	})

	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || !done.Complete || done.Size != size || done.Sha256 != sha {
		t.Fatalf("ids %v, answer %v", ids, done)
	}
	status, err := client.QueryUploadStatus(ctx, ids[0])
	if err != nil || !status.Complete || status.PersistedSize != size || status.Key != "docs/file.bin" {
		t.Errorf("status %v, %v", status, err)
	}
	info, err := client.Stat(ctx, "docs/file.bin")
	if err != nil || info.Size != size || info.Sha256 != sha || info.ContentType != "application/x-test" {
		t.Errorf("stat %v, %v", info, err)
	}
	// Called again (its answer lost, say), it answers the same object and stores nothing
	// new; a completed upload can no longer be cancelled.
	again, err := client.UploadFileResumable(ctx, "docs/file.bin", path,
		&ResumableFileOptions{UploadID: ids[0]})
	if err != nil || !again.Complete || again.Size != size || again.Etag != done.Etag {
		t.Errorf("again: %v, %v", again, err)
	}
	// So does a last stream sent again with its bytes, which the gateway does not read.
	last := patternedBytesAt(t, path, size-1)
	again, err = client.ContinueResumableUpload(ctx, ids[0], bytes.NewReader(last), size-1, true)
	if err != nil || !again.Complete || again.Size != size || again.Etag != done.Etag {
		t.Errorf("last stream again: %v, %v", again, err)
	}
	if err := client.CancelResumableUpload(ctx, ids[0]); !IsFailedPrecondition(err) {
		t.Errorf("cancel of a completed upload: %v, want FAILED_PRECONDITION", err)
	}
	// An upload id is bound to its key.
	_, err = client.UploadFileResumable(ctx, "docs/other.bin", path,
		&ResumableFileOptions{UploadID: ids[0]})
	if !errors.Is(err, ErrOtherKey) {
		t.Errorf("upload of another key with the id: %v, want ErrOtherKey", err)
	}
}

// patternedBytesAt reads the file at path from offset to its end.
func patternedBytesAt(t *testing.T, path string, offset int64) []byte {
	t.Helper()
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(file)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUploadFileResumableContinuesAnUploadWhoseStreamBroke(t *testing.T) {
	const size = 12 * mib
	client := liveClient(t, WithCallTimeout(5*time.Minute))
	ctx := context.Background()
	path, sha := writeTempFile(t, 12, size)
	if !resumableUploadsWork(t, client) {
		return
	}
	declared := int64(size)
	uploadID, partBytes, err := client.StartResumableUpload(ctx, "broken.bin",
		&UploadOptions{SHA256: sha, Size: &declared})
	if err != nil {
		t.Fatal(err)
	}

	// A transfer that fails part way: 10 MiB go up, then the source fails and the stream
	// is abandoned without finish_write.
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.ContinueResumableUpload(ctx, uploadID,
		io.MultiReader(io.LimitReader(file, 10*mib), &failingReader{err: errDiskGone}), 0, true)
	file.Close()
	if !errors.Is(err, errDiskGone) {
		t.Fatalf("broken stream: %v, want the reader's error", err)
	}
	status, err := client.QueryUploadStatus(ctx, uploadID)
	if err != nil {
		t.Fatal(err)
	}
	if status.PersistedSize != 0 && status.PersistedSize != partBytes {
		t.Errorf("kept %d bytes, want whole parts only, however far it got", status.PersistedSize)
	}

	done, err := client.UploadFileResumable(ctx, "broken.bin", path,
		&ResumableFileOptions{UploadID: uploadID})

	if err != nil || !done.Complete || done.Size != size {
		t.Fatalf("continued: %v, %v", done, err)
	}
	received := sha256.New()
	if _, err := client.Download(ctx, "broken.bin", received, nil); err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(received.Sum(nil)) != sha {
		t.Errorf("downloaded %x, want %s", received.Sum(nil), sha)
	}
}

func TestACancelledResumableUploadIsNotFoundAndStoresNothing(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	if !resumableUploadsWork(t, client) {
		return
	}
	uploadID, _, err := client.StartResumableUpload(ctx, "cancelled.bin", nil)
	if err != nil {
		t.Fatal(err)
	}

	if err := client.CancelResumableUpload(ctx, uploadID); err != nil {
		t.Fatal(err)
	}

	_, err = client.QueryUploadStatus(ctx, uploadID)
	wantCode(t, err, codes.NotFound, "query of the cancelled upload")
	_, err = client.ContinueResumableUpload(ctx, uploadID, strings.NewReader("late bytes"), 0, true)
	wantCode(t, err, codes.NotFound, "continuation of the cancelled upload")
	_, err = client.Stat(ctx, "cancelled.bin")
	wantCode(t, err, codes.NotFound, "stat of the cancelled upload's key")
}

func TestAnotherTenantCannotQueryContinueOrCancelAResumableUpload(t *testing.T) {
	client := liveClient(t)
	neighbour := liveClient(t)
	ctx := context.Background()
	if !resumableUploadsWork(t, client) {
		return
	}
	uploadID, _, err := client.StartResumableUpload(ctx, "mine.bin", nil)
	if err != nil {
		t.Fatal(err)
	}

	_, err = neighbour.QueryUploadStatus(ctx, uploadID)
	wantCode(t, err, codes.NotFound, "the neighbour's query")
	_, err = neighbour.ContinueResumableUpload(ctx, uploadID, strings.NewReader("theirs"), 0, true)
	wantCode(t, err, codes.NotFound, "the neighbour's continuation")
	wantCode(t, neighbour.CancelResumableUpload(ctx, uploadID), codes.NotFound, "the neighbour's cancel")

	// Still the owner's to finish.
	if _, err := client.ContinueResumableUpload(ctx, uploadID, strings.NewReader("my bytes"), 0, true); err != nil {
		t.Fatal(err)
	}
	if got := mustDownload(t, client, "mine.bin"); string(got) != "my bytes" {
		t.Errorf("holds %q", got)
	}
	_, err = neighbour.DownloadBytes(ctx, "mine.bin", nil)
	wantCode(t, err, codes.NotFound, "the neighbour's download")
}

func TestAResumableWriteOffsetPastThePersistedSizeIsOutOfRange(t *testing.T) {
	client := liveClient(t)
	ctx := context.Background()
	if !resumableUploadsWork(t, client) {
		return
	}
	uploadID, _, err := client.StartResumableUpload(ctx, "offsets.bin", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.CancelResumableUpload(ctx, uploadID)

	_, err = client.ContinueResumableUpload(ctx, uploadID, strings.NewReader("bytes"), 10, true)

	wantCode(t, err, codes.OutOfRange, "continuation from offset 10 of 0")
	if status, err := client.QueryUploadStatus(ctx, uploadID); err != nil || status.PersistedSize != 0 {
		t.Errorf("status %v, %v", status, err)
	}
}

// A byte changed between the client and the gateway, below TCP's checksum and HTTP/2's
// framing (tests/support/corrupting_proxy), is caught by the CRC32C on each message, and
// nothing corrupted is taken for good.

const corruptedObjectBytes = 3 * mib

// startCorruptingProxy starts a proxy to the gateway at target that corrupts one byte going
// direction ("to_client" or "to_server"), once, after 200000 bytes of DATA payload, and
// returns its host:port. It is killed when the test ends.
func startCorruptingProxy(t *testing.T, target, direction string) string {
	t.Helper()
	proxy := os.Getenv("OBJGATE_CORRUPTING_PROXY")
	if proxy == "" {
		t.Skip("set OBJGATE_CORRUPTING_PROXY to tests/support/corrupting_proxy's path " +
			"(tests/polyglot/run.sh does) to run the CRC32C tests against it")
	}
	cmd := exec.Command(proxy, "--target="+target, "--direction="+direction,
		"--after_data_bytes=200000")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case line := <-lines:
		const prefix = "listening on "
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("corrupting_proxy did not say it was listening: %q", line)
		}
		return strings.TrimPrefix(line, prefix)
	case <-time.After(10 * time.Second):
		t.Fatal("corrupting_proxy did not say it was listening within 10 s")
		return ""
	}
}

// clientThrough is a client of the tenant's objects at target, on a connection of its own.
func clientThrough(t *testing.T, target, tenant string) *Client {
	t.Helper()
	client, err := Dial(target, tenant)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return client
}

func TestDownloadThroughACorruptingProxyIsDataLossAndWritesOnlyGoodBytes(t *testing.T) {
	_, target := liveConn(t)
	tenant := newTenant(t)
	direct := clientThrough(t, target, tenant)
	data := patternedBytes(corruptedObjectBytes)
	mustUpload(t, direct, "big.bin", data, nil)
	client := clientThrough(t, startCorruptingProxy(t, target, "to_client"), tenant)

	var written bytes.Buffer
	_, err := client.Download(context.Background(), "big.bin", &written, nil)

	var integrity *IntegrityError
	if !errors.As(err, &integrity) || integrity.Check != CheckCRC32C || !IsDataLoss(err) ||
		!errors.Is(err, ErrIncompleteDownload) {
		t.Fatalf("got %v, want a download's CRC32C IntegrityError", err)
	}
	if !strings.Contains(err.Error(), "CRC32C") {
		t.Errorf("%q does not say CRC32C", err)
	}
	if written.Len() >= len(data) || !bytes.Equal(written.Bytes(), data[:written.Len()]) {
		t.Errorf("wrote %d bytes of %d, not all of them good", written.Len(), len(data))
	}
	// The proxy corrupts once: the same download through it now succeeds.
	if got := mustDownload(t, client, "big.bin"); !bytes.Equal(got, data) {
		t.Error("the second download through the proxy differs")
	}
}

func TestUploadThroughACorruptingProxyIsDataLossAndStoresNothing(t *testing.T) {
	_, target := liveConn(t)
	tenant := newTenant(t)
	direct := clientThrough(t, target, tenant)
	data := patternedBytes(corruptedObjectBytes)
	client := clientThrough(t, startCorruptingProxy(t, target, "to_server"), tenant)

	_, err := client.UploadBytes(context.Background(), "big.bin", data, nil)

	// The gateway found it: a status, not this client's IntegrityError.
	var integrity *IntegrityError
	if !IsDataLoss(err) || errors.As(err, &integrity) || !strings.Contains(err.Error(), "CRC32C") {
		t.Fatalf("got %v, want the gateway's DATA_LOSS naming the CRC32C", err)
	}
	_, err = direct.Stat(context.Background(), "big.bin")
	wantCode(t, err, codes.NotFound, "stat after the corrupted upload")
	// The proxy corrupts once: the same upload through it now succeeds.
	uploaded := mustUpload(t, client, "big.bin", data, nil)
	if uploaded.GetCrc32C() != crc32c(data) {
		t.Errorf("upload answered CRC32C 0x%08x, want 0x%08x", uploaded.GetCrc32C(), crc32c(data))
	}
	if got := mustDownload(t, direct, "big.bin"); !bytes.Equal(got, data) {
		t.Error("the stored object differs")
	}
}
