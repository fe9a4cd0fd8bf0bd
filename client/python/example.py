#!/usr/bin/python3
"""Uploads, downloads, lists and deletes an object through an objgate gateway.

    client/python/generate_stubs.sh
    PYTHONPATH=client/python/gen /usr/bin/python3 client/python/example.py \\
        --target=127.0.0.1:50051 --tenant=550e8400-e29b-41d4-a716-446655440000

Run it with /usr/bin/python3: Debian's python3-grpcio and python3-protobuf are installed
for that interpreter only.
"""

import argparse
import hashlib
import io
import os
import sys

import grpc

import objgate

KEY = "examples/report.csv"
CHUNK_BYTES = 64 * 1024


def make_report(rows: int) -> bytes:
    """Some bytes worth uploading: a CSV large enough to take many chunks."""
    lines = ["id,name,score"] + [f"{i},user-{i},{i * 7 % 100}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def run(client: objgate.Client) -> None:
    info = client.get_server_info()
    print(f"gateway {info.gateway_version} in front of a {info.dialect} store "
          f"{info.version} ({info.status})")

    report = make_report(rows=100_000)
    source = io.BytesIO(report)  # Stands in for a file opened with open(path, "rb").
    chunks = iter(lambda: source.read(CHUNK_BYTES), b"")
    uploaded = client.upload(KEY, chunks, content_type="text/csv",
                             sha256=hashlib.sha256(report).hexdigest())
    print(f"uploaded {uploaded.key}: {uploaded.size} bytes in chunks of {CHUNK_BYTES}, "
          f"sha256 {uploaded.sha256}")

    # The reader checks each chunk's CRC32C before yielding it, then every byte against the
    # trailer's size, CRC32C and SHA-256, and raises IncompleteDownloadError if they disagree
    # or the trailer never comes (its subclass DataLossError for a CRC32C).
    reader = client.download_stream(KEY)
    received_bytes = received_chunks = 0
    for chunk in reader:  # A real caller would write each chunk to a file here.
        received_bytes += len(chunk)
        received_chunks += 1
    if reader.trailer.sha256 != uploaded.sha256:
        raise objgate.IncompleteDownloadError(
            f"{KEY} came back with SHA-256 {reader.trailer.sha256}, not {uploaded.sha256}")
    print(f"downloaded {reader.metadata.key}: {received_bytes} bytes in {received_chunks} chunks "
          f"({reader.metadata.content_type}), trailer sha256 {reader.trailer.sha256} verified")

    header = client.download(KEY, limit=len(b"id,name,score"))
    print(f"downloaded bytes 0-{len(header) - 1} of {KEY}: {header.decode()!r}")

    print("objects under examples/:")
    for entry in client.list("examples/"):
        modified = entry.last_modified.ToDatetime().isoformat(timespec="seconds")
        print(f"  {entry.key}  {entry.size} bytes  modified {modified}Z")

    client.delete(KEY)
    remaining = sum(1 for _ in client.list("examples/"))
    print(f"deleted {KEY}; {remaining} objects left under examples/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=os.environ.get("OBJGATE_TARGET", "127.0.0.1:50051"),
                        help="gateway host:port [OBJGATE_TARGET]")
    parser.add_argument("--tenant",
                        default=os.environ.get("OBJGATE_TENANT",
                                               "550e8400-e29b-41d4-a716-446655440000"),
                        help="tenant id sent as x-tenant-id [OBJGATE_TENANT]")
    args = parser.parse_args()

    try:
        with objgate.Client.connect(args.target, tenant_id=args.tenant) as client:
            run(client)
    except grpc.RpcError as error:
        print(f"example.py: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    except objgate.IncompleteDownloadError as error:
        print(f"example.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
