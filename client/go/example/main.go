// Command example uploads, describes, lists, downloads and deletes an object through an
// objgate gateway with the objgate package.
//
//	client/go/go_offline.sh run ./example --target=127.0.0.1:50051 \
//	    --tenant=550e8400-e29b-41d4-a716-446655440000
//
// OBJGATE_TARGET and OBJGATE_TENANT stand in for the flags.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"time"

	objgate "github.com/objgate/objgate/client/go"
)

const (
	key        = "examples/report.csv"
	chunkBytes = 64 * 1024
)

// makeReport is some bytes worth uploading: a CSV large enough to take many chunks.
func makeReport(rows int) []byte {
	var report bytes.Buffer
	report.WriteString("id,name,score\n")
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&report, "%d,user-%d,%d\n", i, i, i*7%100)
	}
	return report.Bytes()
}

// countingWriter counts the bytes and the Write calls (one per data message) it is given.
type countingWriter struct {
	bytes, writes int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.bytes += int64(len(p))
	w.writes++
	return len(p), nil
}

func run(ctx context.Context, client *objgate.Client) error {
	info, err := client.GetServerInfo(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("gateway %s in front of a %s store %s (%s)\n", info.GatewayVersion, info.Dialect,
		info.Version, info.Status)

	report := makeReport(100000)
	sum := sha256.Sum256(report)
	// bytes.NewReader stands in for a file opened with os.Open: Upload reads it in chunks.
	uploaded, err := client.Upload(ctx, key, bytes.NewReader(report), &objgate.UploadOptions{
		ContentType: "text/csv",
		SHA256:      hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return err
	}
	fmt.Printf("uploaded %s: %d bytes in chunks of %d, sha256 %s\n", uploaded.Key, uploaded.Size,
		chunkBytes, uploaded.Sha256)

	stat, err := client.Stat(ctx, key)
	if err != nil {
		return err
	}
	fmt.Printf("stat %s: %d bytes, %s, etag %s, modified %s\n", stat.Key, stat.Size,
		stat.ContentType, stat.Etag, stat.LastModified.AsTime().Format(time.RFC3339))

	// Download checks each message's CRC32C before writing its bytes, then every byte
	// against the trailer's size, CRC32C and SHA-256, and returns an IntegrityError if they
	// disagree or the trailer never comes. A real caller would write to a temporary file
	// and rename it into place only when Download returns nil.
	var received countingWriter
	result, err := client.Download(ctx, key, &received, nil)
	if err != nil {
		return err
	}
	if result.Trailer.Sha256 != uploaded.Sha256 {
		return fmt.Errorf("%s came back with SHA-256 %s, not %s", key, result.Trailer.Sha256,
			uploaded.Sha256)
	}
	fmt.Printf("downloaded %s: %d bytes in %d chunks (%s), trailer sha256 %s verified\n",
		result.Metadata.Key, received.bytes, received.writes, result.Metadata.ContentType,
		result.Trailer.Sha256)

	header, err := client.DownloadBytes(ctx, key, &objgate.DownloadOptions{Limit: int64(len("id,name,score"))})
	if err != nil {
		return err
	}
	fmt.Printf("downloaded bytes 0-%d of %s: %q\n", len(header)-1, key, header)

	fmt.Println("objects under examples/:")
	entries := client.List(ctx, "examples/", nil)
	for {
		entry, err := entries.Next()
		if err == objgate.Done {
			break
		}
		if err != nil {
			return err
		}
		fmt.Printf("  %s  %d bytes  modified %s\n", entry.Key, entry.Size,
			entry.LastModified.AsTime().Format(time.RFC3339))
	}

	if err := client.Delete(ctx, key, nil); err != nil {
		return err
	}
	remaining := 0
	entries = client.List(ctx, "examples/", nil)
	for {
		if _, err := entries.Next(); err == objgate.Done {
			break
		} else if err != nil {
			return err
		}
		remaining++
	}
	if _, err := client.Stat(ctx, key); !objgate.IsNotFound(err) {
		return fmt.Errorf("stat of %s after its delete: %v, want NOT_FOUND", key, err)
	}
	fmt.Printf("deleted %s; %d objects left under examples/\n", key, remaining)
	return nil
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func main() {
	target := flag.String("target", envOr("OBJGATE_TARGET", "127.0.0.1:50051"),
		"gateway host:port [OBJGATE_TARGET]")
	tenant := flag.String("tenant", envOr("OBJGATE_TENANT", "550e8400-e29b-41d4-a716-446655440000"),
		"tenant id sent as x-tenant-id [OBJGATE_TENANT]")
	flag.Parse()

	client, err := objgate.Dial(*target, *tenant, objgate.WithChunkBytes(chunkBytes))
	if err == nil {
		defer client.Close()
		err = run(context.Background(), client)
	}
	if err != nil {
		// A gateway's status reads "rpc error: code = NotFound desc = ...".
		fmt.Fprintf(os.Stderr, "example: %v\n", err)
		os.Exit(1)
	}
}
