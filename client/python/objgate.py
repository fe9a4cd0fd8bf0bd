"""A thin Python layer over the generated objgate stubs.

The generated stubs (``storage.v1.storage_pb2`` and ``storage.v1.storage_pb2_grpc``) are the
contract: every method here takes and returns their messages, and failures are the
``grpc.RpcError`` the stubs raise, whose ``code()`` and ``details()`` carry the gateway's
status. What this module adds is what every caller would otherwise repeat: sending the
tenant's ``x-tenant-id`` metadata on each call, cutting an upload into chunks, checking
every chunk's CRC32C both ways and a download against its trailer, flattening list pages,
and resuming a file's upload from what the store already holds (``upload_file_resumable``).

    with objgate.Client.connect("127.0.0.1:50051", tenant_id="550e8400-...") as client:
        client.upload("greeting.txt", b"hello", content_type="text/plain")
        data = client.download("greeting.txt")

The stubs must be generated first (client/python/generate_stubs.sh) and their directory put
on PYTHONPATH. CRC32C comes from the ``crc32c`` module: Debian's python3-crc32c, or
``pip install crc32c``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Callable, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import grpc

try:
    # CRC32C in C; this interpreter would compute it a hundred times slower.
    import crc32c as _crc32c
except ImportError as error:
    raise ImportError(
        "objgate: the crc32c module was not found; install python3-crc32c (Debian) or "
        "`pip install crc32c`") from error

try:
    from storage.v1 import storage_pb2, storage_pb2_grpc
except ImportError as error:
    raise ImportError(
        "objgate: the generated stubs were not found; run client/python/generate_stubs.sh "
        "and put client/python/gen on PYTHONPATH") from error

# The .proto says 64 KiB to 1 MiB per upload message moves data fastest.
DEFAULT_CHUNK_BYTES = 256 * 1024


class IncompleteDownloadError(Exception):
    """A Download stream that must not be trusted: it ended without its trailer, or the bytes
    received do not match the trailer's size or SHA-256."""


class DataLossError(IncompleteDownloadError):
    """Bytes that failed their CRC32C between the caller and the gateway (DATA_LOSS found by
    the client): a download's data message, whose bytes are never yielded, or its stream as
    a whole; or an upload whose UploadResponse reports another CRC32C than that of the bytes
    sent. A subclass of IncompleteDownloadError, so that callers who catch that for a
    download catch this too."""


def _hex(crc: int) -> str:
    return f"0x{crc:08x}"


class ObjectReader:
    """The bytes of one Download call, in order, checked against the stream's trailer.

    Iterating yields the data chunks as they arrive, each once its CRC32C checks out
    (DataLossError otherwise, and the chunk is not yielded); after the last one the reader
    compares what it received with the trailer and raises IncompleteDownloadError on any
    mismatch, so a caller that iterates to the end has either the whole range or an
    exception. Creating
    the reader waits for the first message, so NOT_FOUND and other call errors surface
    there as grpc.RpcError.
    """

    def __init__(self, responses: Iterator[storage_pb2.DownloadResponse]):
        self._responses = responses
        first = next(responses, None)
        if first is None or first.WhichOneof("kind") != "metadata":
            raise IncompleteDownloadError("download stream did not start with metadata")
        self.metadata: storage_pb2.ObjectMetadata = first.metadata
        self.trailer: Optional[storage_pb2.DownloadTrailer] = None

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha256()
        stream_crc32c = 0
        received = 0
        for response in self._responses:
            kind = response.WhichOneof("kind")
            if kind == "data":
                # Checked before the bytes go anywhere; an older gateway sends no CRC32C.
                crc32c = _crc32c.crc32c(response.data)
                if response.HasField("crc32c") and response.crc32c != crc32c:
                    self._cancel()
                    raise DataLossError(
                        f"download of {self.metadata.key!r}: the data message at offset "
                        f"{self.metadata.offset + received} ({len(response.data)} bytes) has "
                        f"CRC32C {_hex(crc32c)} but the gateway sent {_hex(response.crc32c)}: "
                        f"corrupted on its way; its bytes were not used")
                stream_crc32c = _crc32c.crc32c(response.data, stream_crc32c)
                digest.update(response.data)
                received += len(response.data)
                yield response.data
            elif kind == "trailer":
                self._check(response.trailer, received, stream_crc32c, digest.hexdigest())
                self.trailer = response.trailer
                return
        raise IncompleteDownloadError(
            f"download of {self.metadata.key!r} ended without a trailer after {received} bytes")

    def read(self) -> bytes:
        """Reads the rest of the stream into memory."""
        return b"".join(self)

    def _cancel(self) -> None:
        """Ends the call, so that the gateway stops sending what will never be read."""
        cancel = getattr(self._responses, "cancel", None)
        if cancel is not None:
            cancel()

    def _check(self, trailer: storage_pb2.DownloadTrailer, received: int, crc32c: int,
               sha256: str) -> None:
        if trailer.size != received or trailer.size != self.metadata.length:
            raise IncompleteDownloadError(
                f"download of {self.metadata.key!r}: received {received} bytes, metadata "
                f"promised {self.metadata.length} and the trailer says {trailer.size}")
        # A lost, repeated or reordered message passes every message's own CRC32C.
        if trailer.HasField("crc32c") and trailer.crc32c != crc32c:
            raise DataLossError(
                f"download of {self.metadata.key!r}: CRC32C of the {received} bytes received "
                f"from offset {self.metadata.offset} is {_hex(crc32c)}, the trailer says "
                f"{_hex(trailer.crc32c)}")
        if trailer.sha256 != sha256:
            raise IncompleteDownloadError(
                f"download of {self.metadata.key!r}: SHA-256 of the bytes received is {sha256}, "
                f"the trailer says {trailer.sha256}")


def _object_spec(key: str, *, content_type: str, sha256: str,
                 metadata: Optional[Mapping[str, str]], size: Optional[int],
                 if_none_match: str, if_match: str) -> storage_pb2.ObjectSpec:
    spec = storage_pb2.ObjectSpec(key=key, content_type=content_type, sha256=sha256,
                                  metadata=metadata or {}, if_none_match=if_none_match,
                                  if_match=if_match)
    if size is not None:
        spec.size = size
    return spec


def _file_size_and_sha256(path: Union[str, os.PathLike]) -> Tuple[int, str]:
    """The size and SHA-256 (hex) of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class Client:
    """Calls one tenant's objects through an objgate gateway.

    Wraps a channel the caller owns, or, through ``connect``, one it opens and closes itself
    (use it as a context manager). One Client may be shared between threads, as may the
    channel under it.
    """

    def __init__(self, channel: grpc.Channel, tenant_id: str, timeout: Optional[float] = 30.0):
        """``timeout`` is the deadline in seconds for each call; None waits indefinitely."""
        self._channel = channel
        self._stub = storage_pb2_grpc.ObjectStorageStub(channel)
        self._metadata = (("x-tenant-id", tenant_id),)
        self._timeout = timeout
        self._owns_channel = False

    @classmethod
    def connect(cls, target: str, tenant_id: str, timeout: Optional[float] = 30.0) -> Client:
        """Opens a plaintext channel to ``target`` ("host:port") that close() will close."""
        client = cls(grpc.insecure_channel(target), tenant_id, timeout)
        client._owns_channel = True
        return client

    def close(self) -> None:
        if self._owns_channel:
            self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def upload(self, key: str, data: Union[bytes, Iterable[bytes]], *,
               content_type: str = "", sha256: str = "",
               metadata: Optional[Mapping[str, str]] = None,
               size: Optional[int] = None, if_none_match: str = "",
               if_match: str = "") -> storage_pb2.UploadResponse:
        """Stores ``data`` under ``key``.

        ``data`` is either the whole object as bytes, sent in DEFAULT_CHUNK_BYTES messages
        with its size declared, or an iterable of chunks (a generator reading a file, say)
        that is streamed as it is produced, so no more than one chunk is held at a time.
        ``size`` and ``sha256``, when given, make the gateway reject bytes that do not match
        them and store nothing. Every message carries its CRC32C, which the gateway checks
        (DATA_LOSS, nothing stored); an answer whose CRC32C is not that of the bytes sent
        raises DataLossError.

        Conditions, at most one, enforced by the store in the write itself:
        ``if_none_match="*"`` stores the object only if ``key`` does not exist yet (create
        only); ``if_match=ETAG`` (as upload or stat returned it) only if the object under
        ``key`` is still that version. Either fails with FAILED_PRECONDITION otherwise, and
        with UNIMPLEMENTED where the gateway's capabilities lack "conditional_upload".
        """
        if isinstance(data, (bytes, bytearray, memoryview)):
            size = len(data) if size is None else size
        spec = _object_spec(key, content_type=content_type, sha256=sha256, metadata=metadata,
                            size=size, if_none_match=if_none_match, if_match=if_match)
        return self._send(storage_pb2.UploadRequest(spec=spec), data, finish_write=True)

    def start_resumable_upload(self, key: str, *, content_type: str = "", sha256: str = "",
                               metadata: Optional[Mapping[str, str]] = None,
                               size: Optional[int] = None, if_none_match: str = "",
                               if_match: str = "") -> Tuple[str, int]:
        """Starts a resumable upload of ``key`` and returns ``(upload_id, part_bytes)``.

        Nothing is visible under ``key`` until an upload stream with ``finish_write``
        completes it (continue_resumable_upload, upload_file_resumable). The store keeps the
        bytes in parts of ``part_bytes``, so a stream that stops keeps every whole part sent.
        The arguments are upload's; ``size`` and ``sha256`` are checked at completion. The
        id is opaque and bound to this tenant and ``key``: keep it to continue, query or
        cancel the upload, from this process or any other, through any gateway in front of
        the same store. Fails with UNIMPLEMENTED where the gateway's capabilities lack
        "resumable_upload".
        """
        spec = _object_spec(key, content_type=content_type, sha256=sha256, metadata=metadata,
                            size=size, if_none_match=if_none_match, if_match=if_match)
        response = self._stub.StartResumableUpload(
            storage_pb2.StartResumableUploadRequest(spec=spec), metadata=self._metadata,
            timeout=self._timeout)
        return response.upload_id, response.part_bytes

    def query_upload_status(self, upload_id: str) -> storage_pb2.QueryUploadStatusResponse:
        """How much of a resumable upload the store holds: ``persisted_size`` (where the
        next stream continues), ``complete`` and the ``key`` it writes. NOT_FOUND once the
        upload is cancelled or expired, or for another tenant's upload."""
        return self._stub.QueryUploadStatus(
            storage_pb2.QueryUploadStatusRequest(upload_id=upload_id), metadata=self._metadata,
            timeout=self._timeout)

    def cancel_resumable_upload(self, upload_id: str) -> None:
        """Abandons a resumable upload and removes its parts; nothing is stored under its
        key. NOT_FOUND when there is no such upload, FAILED_PRECONDITION once complete."""
        self._stub.CancelResumableUpload(
            storage_pb2.CancelResumableUploadRequest(upload_id=upload_id),
            metadata=self._metadata, timeout=self._timeout)

    def continue_resumable_upload(self, upload_id: str, data: Union[bytes, Iterable[bytes]], *,
                                  write_offset: int,
                                  finish_write: bool = True) -> storage_pb2.UploadResponse:
        """One stream of a resumable upload: ``data`` (bytes, or an iterable of chunks) is
        the object's bytes from ``write_offset`` on.

        With ``finish_write`` the stream completes the object and the answer carries
        ``complete``, ``size``, ``etag`` and ``sha256``. Without it the stream pauses the
        upload: the answer's ``persisted_size`` says what the store kept (whole parts only;
        the rest must be sent again) and ``complete`` is false. ``write_offset`` may be
        below the persisted size (the bytes the store holds are skipped), not above it
        (OUT_OF_RANGE).
        """
        first = storage_pb2.UploadRequest(upload_id=upload_id, write_offset=write_offset)
        return self._send(first, data, finish_write=finish_write)

    def upload_file_resumable(self, key: str, path: Union[str, os.PathLike], *,
                              upload_id: Optional[str] = None, content_type: str = "",
                              metadata: Optional[Mapping[str, str]] = None,
                              if_none_match: str = "", if_match: str = "",
                              on_upload_id: Optional[Callable[[str], None]] = None,
                              chunk_bytes: int = DEFAULT_CHUNK_BYTES
                              ) -> storage_pb2.UploadResponse:
        """Uploads the file at ``path`` to ``key`` so that a failed call can be continued
        rather than started over, and returns the completing UploadResponse.

        Without ``upload_id`` it reads the file once for its SHA-256 and size, and starts a
        resumable upload that declares both (so the object is checked at completion) with
        ``content_type``, ``metadata`` and the conditions. ``on_upload_id``, when given, is
        then called with the upload's id (the new one, or the one given) before any byte is
        sent: save it. The call asks the store how much it holds, and streams the file
        from there with ``finish_write``.

        If the call fails (UNAVAILABLE, DEADLINE_EXCEEDED, the process died), call it again
        with the saved ``upload_id`` and the same file: it continues from the bytes the
        store kept. An upload that had completed already answers its object again. Give
        up on one with cancel_resumable_upload. With ``upload_id``, ``content_type``,
        ``metadata`` and the conditions are those given at its start, and one that writes
        another key than ``key`` is a ValueError. The client's ``timeout`` bounds the stream
        as a whole: give a large file's Client a longer one (or None).
        """
        if upload_id is None:
            size, sha256 = _file_size_and_sha256(path)
            upload_id, _ = self.start_resumable_upload(
                key, content_type=content_type, metadata=metadata, sha256=sha256, size=size,
                if_none_match=if_none_match, if_match=if_match)
        if on_upload_id is not None:
            on_upload_id(upload_id)
        status = self.query_upload_status(upload_id)
        if status.key != key:
            raise ValueError(f"upload {upload_id!r} writes {status.key!r}, not {key!r}")
        with open(path, "rb") as file:
            file.seek(status.persisted_size)
            return self.continue_resumable_upload(
                upload_id, iter(lambda: file.read(chunk_bytes), b""),
                write_offset=status.persisted_size)

    def _send(self, first: storage_pb2.UploadRequest, data: Union[bytes, Iterable[bytes]], *,
              finish_write: bool) -> storage_pb2.UploadResponse:
        """One Upload stream: ``first``, then ``data`` in messages, then, with
        ``finish_write``, the explicit end."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            whole = memoryview(data)
            data = (whole[i:i + DEFAULT_CHUNK_BYTES]
                    for i in range(0, len(whole), DEFAULT_CHUNK_BYTES))

        # Of the bytes sent, for the response's CRC32C: updated before each message goes,
        # so it is complete by the time the gateway has answered.
        sent = {"bytes": 0, "crc32c": 0}

        def requests() -> Iterator[storage_pb2.UploadRequest]:
            yield first
            for chunk in data:
                chunk = bytes(chunk)
                # The gateway checks it before passing any of the bytes on (DATA_LOSS).
                crc32c = _crc32c.crc32c(chunk)
                sent["crc32c"] = _crc32c.crc32c(chunk, sent["crc32c"])
                sent["bytes"] += len(chunk)
                yield storage_pb2.UploadRequest(data=chunk, crc32c=crc32c)
            # The explicit end: a stream that merely stops (the iterable raised, the
            # process died) stores nothing, or, continuing a resumable upload, pauses it.
            if finish_write:
                yield storage_pb2.UploadRequest(finish_write=True)

        response = self._stub.Upload(requests(), metadata=self._metadata, timeout=self._timeout)
        # Each message passed its own check, so a difference here is a message lost,
        # repeated or reordered on the way. No CRC32C: an older gateway, or a resumable
        # upload completed earlier and answered again without reading the stream.
        if response.HasField("crc32c") and response.crc32c != sent["crc32c"]:
            raise DataLossError(
                f"upload of {response.key!r}: the gateway received bytes with CRC32C "
                f"{_hex(response.crc32c)}, but the {sent['bytes']} bytes sent have "
                f"{_hex(sent['crc32c'])}; what it stored cannot be trusted")
        return response

    def download_stream(self, key: str, *, offset: int = 0, limit: int = 0,
                        if_match: str = "") -> ObjectReader:
        """Starts reading ``key`` (or ``limit`` bytes of it from ``offset``; 0 means to the
        end) and returns a reader that yields its chunks as they arrive."""
        request = storage_pb2.DownloadRequest(key=key, offset=offset, limit=limit,
                                              if_match=if_match)
        return ObjectReader(
            self._stub.Download(request, metadata=self._metadata, timeout=self._timeout))

    def download(self, key: str, *, offset: int = 0, limit: int = 0,
                 if_match: str = "") -> bytes:
        """Reads ``key`` (or a range of it) into memory, checked against the trailer."""
        return self.download_stream(key, offset=offset, limit=limit, if_match=if_match).read()

    def list_pages(self, prefix: str = "", *, page_size: int = 0, start_after: str = "",
                   limit: int = 0, delimiter: str = "") -> Iterator[storage_pb2.ListResponse]:
        """The listing as the gateway sends it: pages of at most ``page_size`` entries.
        With ``delimiter`` (usually "/"), keys below a folder are folded into the pages'
        ``prefixes`` ("photos/"), each once."""
        request = storage_pb2.ListRequest(prefix=prefix, page_size=page_size,
                                          start_after=start_after, limit=limit,
                                          delimiter=delimiter)
        return self._stub.List(request, metadata=self._metadata, timeout=self._timeout)

    def list(self, prefix: str = "", *, start_after: str = "",
             limit: int = 0) -> Iterator[storage_pb2.ObjectEntry]:
        """The entries under ``prefix`` in key order, however many pages they span."""
        for page in self.list_pages(prefix, start_after=start_after, limit=limit):
            yield from page.entries

    def list_folder(self, prefix: str = "", *,
                    delimiter: str = "/") -> Tuple[List[storage_pb2.ObjectEntry], List[str]]:
        """One level of a folder tree: the entries directly under ``prefix`` and the
        folders (common prefixes) below it, each in key order."""
        entries, folders = [], []
        for page in self.list_pages(prefix, delimiter=delimiter):
            entries.extend(page.entries)
            folders.extend(page.prefixes)
        return entries, folders

    def stat(self, key: str) -> storage_pb2.ObjectInfo:
        """What the store knows of ``key`` without its bytes: size, etag, content type,
        last modified, stored SHA-256 and user metadata (where the store keeps it)."""
        return self._stub.Stat(storage_pb2.StatRequest(key=key), metadata=self._metadata,
                               timeout=self._timeout)

    def delete(self, key: str, *, if_match: str = "") -> None:
        """Deletes ``key``; with ``if_match``, only if its etag is still that one
        (FAILED_PRECONDITION otherwise, UNIMPLEMENTED where the gateway's capabilities lack
        "conditional_delete")."""
        self._stub.Delete(storage_pb2.DeleteRequest(key=key, if_match=if_match),
                          metadata=self._metadata, timeout=self._timeout)

    def copy(self, source_key: str, destination_key: str, *,
             source_if_match: str = "") -> storage_pb2.CopyResponse:
        """Copies ``source_key`` to ``destination_key`` within the tenant, with its content
        type, user metadata and stored SHA-256, without the bytes passing through the
        caller; with ``source_if_match``, only if the source's etag is still that one
        (FAILED_PRECONDITION otherwise). Returns the destination's key, size, etag and
        sha256."""
        request = storage_pb2.CopyRequest(source_key=source_key,
                                          destination_key=destination_key,
                                          source_if_match=source_if_match)
        return self._stub.Copy(request, metadata=self._metadata, timeout=self._timeout)

    def get_server_info(self) -> storage_pb2.ServerInfo:
        return self._stub.GetServerInfo(storage_pb2.GetServerInfoRequest(),
                                        timeout=self._timeout)

    def health(self) -> storage_pb2.HealthResponse:
        return self._stub.Health(storage_pb2.HealthRequest(), timeout=self._timeout)
