"""Calls a live objgate gateway through the generated stubs and the objgate helper, and checks
the helper's download verification against canned streams and its upload checks against a
fake gateway.

    OBJGATE_TARGET=127.0.0.1:50051 PYTHONPATH=client/python/gen \\
        OBJGATE_CORRUPTING_PROXY=bazel-bin/tests/support/corrupting_proxy \\
        /usr/bin/python3 client/python/objgate_test.py

tests/polyglot/run.sh starts a gateway and a reference store and runs this. Every test uses
a tenant of its own, so tests neither see nor disturb one another's objects. The CRC32C
tests that put tests/support/corrupting_proxy between the client and the gateway are
skipped without OBJGATE_CORRUPTING_PROXY.
"""

import hashlib
import logging
import os
import select
import subprocess
import tempfile
import unittest
import uuid
from concurrent import futures

from typing import List, Optional, Tuple

import crc32c
import grpc

import objgate
from storage.v1 import storage_pb2, storage_pb2_grpc

MIB = 1024 * 1024


def new_tenant() -> str:
    return f"pytest-{uuid.uuid4()}"


def download_stream(data: bytes, trailer: storage_pb2.DownloadTrailer = None):
    """Download responses as a gateway without CRC32C would send them for ``data``, ending in
    ``trailer`` (one that matches when None is given)."""
    yield storage_pb2.DownloadResponse(metadata=storage_pb2.ObjectMetadata(
        key="k", size=len(data), offset=0, length=len(data)))
    yield storage_pb2.DownloadResponse(data=data)
    if trailer is None:
        trailer = storage_pb2.DownloadTrailer(sha256=hashlib.sha256(data).hexdigest(),
                                              size=len(data))
    yield storage_pb2.DownloadResponse(trailer=trailer)


def checked_download_stream(chunks: List[bytes], crc32cs: Optional[List[int]] = None,
                            stream_crc32c: Optional[int] = None):
    """Download responses as the gateway sends them: each of ``chunks`` with its CRC32C (or
    the one in ``crc32cs``), and a trailer with the stream's (or ``stream_crc32c``)."""
    data = b"".join(chunks)
    yield storage_pb2.DownloadResponse(metadata=storage_pb2.ObjectMetadata(
        key="k", size=len(data), offset=0, length=len(data)))
    for i, chunk in enumerate(chunks):
        yield storage_pb2.DownloadResponse(
            data=chunk, crc32c=crc32c.crc32c(chunk) if crc32cs is None else crc32cs[i])
    yield storage_pb2.DownloadResponse(trailer=storage_pb2.DownloadTrailer(
        sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        crc32c=crc32c.crc32c(data) if stream_crc32c is None else stream_crc32c))


def patterned_bytes(size: int) -> bytes:
    """``size`` bytes that differ from their neighbours: a little-endian 32-bit counter."""
    return b"".join(i.to_bytes(4, "little") for i in range((size + 3) // 4))[:size]


class Crc32cTest(unittest.TestCase):
    """The CRC32C that objgate uses (the crc32c module), against RFC 3720's vectors."""

    def test_known_vectors(self):
        self.assertEqual(crc32c.crc32c(b""), 0)
        self.assertEqual(crc32c.crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c.crc32c(bytes(32)), 0x8A9136AA)
        self.assertEqual(crc32c.crc32c(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(crc32c.crc32c(bytes(range(32))), 0x46DD794E)

    def test_extending_equals_the_whole(self):
        data = patterned_bytes(100_003)
        for cut in (0, 1, 7, 8, 50_000, 100_002, 100_003):
            self.assertEqual(crc32c.crc32c(data[cut:], crc32c.crc32c(data[:cut])),
                             crc32c.crc32c(data), cut)


class ObjectReaderTest(unittest.TestCase):
    """The checks that make a broken Download stream an error rather than a short object."""

    def test_reads_a_stream_whose_trailer_matches(self):
        self.assertEqual(objgate.ObjectReader(download_stream(b"abc")).read(), b"abc")

    def test_stream_without_trailer_is_incomplete(self):
        truncated = list(download_stream(b"abc"))[:-1]

        with self.assertRaises(objgate.IncompleteDownloadError):
            objgate.ObjectReader(iter(truncated)).read()

    def test_trailer_with_other_sha256_is_incomplete(self):
        trailer = storage_pb2.DownloadTrailer(sha256=hashlib.sha256(b"abd").hexdigest(), size=3)

        with self.assertRaises(objgate.IncompleteDownloadError):
            objgate.ObjectReader(download_stream(b"abc", trailer)).read()

    def test_trailer_with_other_size_is_incomplete(self):
        trailer = storage_pb2.DownloadTrailer(sha256=hashlib.sha256(b"abc").hexdigest(), size=4)

        with self.assertRaises(objgate.IncompleteDownloadError):
            objgate.ObjectReader(download_stream(b"abc", trailer)).read()

    def test_reads_a_stream_whose_crc32cs_match(self):
        reader = objgate.ObjectReader(checked_download_stream([b"abc", b"def"]))

        self.assertEqual(reader.read(), b"abcdef")
        self.assertEqual(reader.trailer.crc32c, crc32c.crc32c(b"abcdef"))

    def test_data_message_with_other_crc32c_is_data_loss_before_its_bytes_are_yielded(self):
        chunks = [b"first", b"secXnd", b"third"]  # the second changed on its way
        crc32cs = [crc32c.crc32c(b"first"), crc32c.crc32c(b"second"), crc32c.crc32c(b"third")]
        yielded = []

        with self.assertRaises(objgate.DataLossError) as raised:
            for chunk in objgate.ObjectReader(checked_download_stream(chunks, crc32cs)):
                yielded.append(chunk)

        self.assertEqual(yielded, [b"first"])
        message = str(raised.exception)
        self.assertIn("CRC32C", message)
        self.assertIn("offset 5", message)
        self.assertIn(f"0x{crc32c.crc32c(b'secXnd'):08x}", message)
        self.assertIn(f"0x{crc32c.crc32c(b'second'):08x}", message)

    def test_crc32c_of_zero_is_checked_too(self):
        # Set to 0 is not unset: the field's presence says whether to check.
        with self.assertRaises(objgate.DataLossError):
            objgate.ObjectReader(checked_download_stream([b"abc"], crc32cs=[0])).read()

    def test_trailer_with_other_crc32c_is_data_loss(self):
        # Every message checks out, but the stream is not the one the gateway sent.
        stream = checked_download_stream([b"abc", b"def"], stream_crc32c=crc32c.crc32c(b"defabc"))

        with self.assertRaises(objgate.DataLossError) as raised:
            objgate.ObjectReader(stream).read()

        self.assertIn("CRC32C", str(raised.exception))
        self.assertIsInstance(raised.exception, objgate.IncompleteDownloadError)

    def test_stream_without_crc32cs_from_an_older_gateway_is_read(self):
        self.assertEqual(objgate.ObjectReader(download_stream(b"abc")).read(), b"abc")


class FakeUploadGateway(storage_pb2_grpc.ObjectStorageServicer):
    """Answers Upload with ``answer``, after recording the requests; ``answer`` may leave
    crc32c unset or set it to what a real gateway would not."""

    def __init__(self):
        self.requests: List[storage_pb2.UploadRequest] = []
        self.answer = storage_pb2.UploadResponse()

    def Upload(self, request_iterator, context):
        self.requests = list(request_iterator)
        return self.answer


class UploadCrc32cTest(unittest.TestCase):
    """What the client sends and checks on an upload, against a fake gateway."""

    @classmethod
    def setUpClass(cls):
        cls.gateway = FakeUploadGateway()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        storage_pb2_grpc.add_ObjectStorageServicer_to_server(cls.gateway, cls.server)
        port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        cls.client = objgate.Client(cls.channel, new_tenant(), timeout=30)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop(None)

    def answer(self, **fields):
        self.gateway.answer = storage_pb2.UploadResponse(key="k", **fields)

    def test_every_data_message_carries_its_crc32c(self):
        self.answer(crc32c=crc32c.crc32c(b"abcdef"))

        self.client.upload("k", iter([b"abc", b"", b"def"]))

        data = [r for r in self.gateway.requests if r.WhichOneof("kind") == "data"]
        self.assertEqual([r.data for r in data], [b"abc", b"", b"def"])
        self.assertTrue(all(r.HasField("crc32c") for r in data))
        self.assertEqual([r.crc32c for r in data], [crc32c.crc32c(b"abc"), 0,
                                                    crc32c.crc32c(b"def")])
        self.assertFalse(self.gateway.requests[0].HasField("crc32c"))  # the spec
        self.assertFalse(self.gateway.requests[-1].HasField("crc32c"))  # finish_write

    def test_response_with_other_crc32c_is_data_loss(self):
        self.answer(crc32c=crc32c.crc32c(b"abcdeX"))

        with self.assertRaises(objgate.DataLossError) as raised:
            self.client.upload("k", b"abcdef")

        self.assertIn("CRC32C", str(raised.exception))

    def test_continuation_checks_the_response_crc32c_too(self):
        self.answer(crc32c=crc32c.crc32c(b"other"), persisted_size=0)

        with self.assertRaises(objgate.DataLossError):
            self.client.continue_resumable_upload("id", b"bytes", write_offset=0,
                                                  finish_write=False)

        self.assertEqual(self.gateway.requests[1].crc32c, crc32c.crc32c(b"bytes"))

    def test_response_without_crc32c_from_an_older_gateway_is_accepted(self):
        self.answer(size=6)

        self.assertEqual(self.client.upload("k", b"abcdef").size, 6)


class GatewayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        target = os.environ.get("OBJGATE_TARGET")
        if not target:
            raise RuntimeError("set OBJGATE_TARGET to the gateway's host:port")
        cls.channel = grpc.insecure_channel(target)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def setUp(self):
        self.client = objgate.Client(self.channel, new_tenant(), timeout=30)

    def assertStatus(self, code: grpc.StatusCode, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())

    def test_round_trip_returns_the_bytes_and_checksum_uploaded(self):
        data = b"hello from python\n"
        uploaded = self.client.upload("docs/hello.txt", data, content_type="text/plain")

        reader = self.client.download_stream("docs/hello.txt")
        received = reader.read()

        self.assertEqual(received, data)
        self.assertEqual(uploaded.size, len(data))
        self.assertEqual(uploaded.sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(uploaded.crc32c, crc32c.crc32c(data))
        self.assertEqual(reader.trailer.crc32c, crc32c.crc32c(data))
        self.assertEqual(reader.metadata.size, len(data))
        self.assertEqual(reader.metadata.content_type, "text/plain")
        self.assertEqual(reader.trailer.sha256, uploaded.sha256)

    def test_ranged_download_returns_only_the_range(self):
        data = bytes(range(256)) * 4
        self.client.upload("range.bin", data)

        reader = self.client.download_stream("range.bin", offset=100, limit=50)
        received = reader.read()

        self.assertEqual(received, data[100:150])
        self.assertEqual((reader.metadata.offset, reader.metadata.length), (100, 50))
        self.assertEqual(reader.metadata.size, len(data))
        self.assertEqual(reader.trailer.sha256, hashlib.sha256(data[100:150]).hexdigest())
        self.assertEqual(self.client.download("range.bin", offset=1000), data[1000:])

    def test_download_from_past_the_end_is_out_of_range(self):
        self.client.upload("short.txt", b"12345")

        self.assertStatus(grpc.StatusCode.OUT_OF_RANGE, self.client.download, "short.txt",
                          offset=6)

    def test_list_sends_pages_of_page_size_in_key_order(self):
        keys = [f"logs/{day:02d}.log" for day in (5, 1, 4, 2, 3)]
        for key in keys + ["other/ignored.log"]:
            self.client.upload(key, key.encode())

        pages = [[entry.key for entry in page.entries]
                 for page in self.client.list_pages("logs/", page_size=2)]

        self.assertEqual(pages, [["logs/01.log", "logs/02.log"],
                                 ["logs/03.log", "logs/04.log"],
                                 ["logs/05.log"]])

    def test_list_continues_after_a_key_and_stops_at_limit(self):
        for day in range(1, 6):
            self.client.upload(f"logs/{day:02d}.log", b"x" * day)

        entries = list(self.client.list("logs/", start_after="logs/02.log", limit=2))

        self.assertEqual([(e.key, e.size) for e in entries],
                         [("logs/03.log", 3), ("logs/04.log", 4)])

    def test_list_with_no_match_is_one_empty_page(self):
        pages = list(self.client.list_pages("nothing/"))

        self.assertEqual(len(pages), 1)
        self.assertEqual(len(pages[0].entries), 0)

    def test_delete_removes_the_object(self):
        self.client.upload("doomed.txt", b"bye")

        self.client.delete("doomed.txt")

        self.assertEqual(list(self.client.list()), [])
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.download, "doomed.txt")

    def test_missing_object_is_not_found_for_download_delete_and_stat(self):
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.download, "missing.txt")
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.delete, "missing.txt")
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "missing.txt")

    def test_list_folder_folds_keys_below_each_folder(self):
        for key in ["a.txt", "photos/2024/x.jpg", "photos/y.jpg", "docs/1", "z"]:
            self.client.upload(key, b"x")

        entries, folders = self.client.list_folder()
        self.assertEqual([e.key for e in entries], ["a.txt", "z"])
        self.assertEqual(folders, ["docs/", "photos/"])

        entries, folders = self.client.list_folder("photos/")
        self.assertEqual([e.key for e in entries], ["photos/y.jpg"])
        self.assertEqual(folders, ["photos/2024/"])

    def test_stat_describes_the_object_without_its_bytes(self):
        data = b"a,b\n1,2\n"
        up = self.client.upload("t.csv", data, content_type="text/csv",
                                sha256=hashlib.sha256(data).hexdigest(),
                                metadata={"author": "ada"})

        info = self.client.stat("t.csv")

        self.assertEqual(info.key, "t.csv")
        self.assertEqual(info.size, len(data))
        self.assertEqual(info.etag, up.etag)
        self.assertEqual(info.content_type, "text/csv")
        self.assertEqual(info.sha256, hashlib.sha256(data).hexdigest())
        self.assertGreater(info.last_modified.seconds, 0)
        # Kept where the store keeps user metadata.
        if "user_metadata" in self.client.get_server_info().capabilities:
            self.assertEqual(dict(info.metadata), {"author": "ada"})
        else:
            self.assertEqual(dict(info.metadata), {})

    def capabilities(self):
        return set(self.client.get_server_info().capabilities)

    def test_create_only_upload_stores_a_new_key_and_refuses_an_existing_one(self):
        if "conditional_upload" not in self.capabilities():
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.upload, "once.txt",
                              b"first", if_none_match="*")
            self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "once.txt")
            return

        first = self.client.upload("once.txt", b"first", if_none_match="*")

        self.assertEqual(first.size, len(b"first"))
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.client.upload, "once.txt",
                          b"second", if_none_match="*")
        self.assertEqual(self.client.download("once.txt"), b"first")
        self.assertEqual(self.client.stat("once.txt").etag, first.etag)

    def test_upload_if_match_replaces_only_the_version_named(self):
        first = self.client.upload("v.txt", b"version 1")
        if "conditional_upload" not in self.capabilities():
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.upload, "v.txt",
                              b"version 2", if_match=first.etag)
            self.assertEqual(self.client.download("v.txt"), b"version 1")
            return
        current = self.client.stat("v.txt").etag
        self.assertEqual(current, first.etag)

        second = self.client.upload("v.txt", b"version 2", if_match=current)

        self.assertEqual(self.client.download("v.txt"), b"version 2")
        self.assertNotEqual(second.etag, first.etag)
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.client.upload, "v.txt",
                          b"version 3", if_match=first.etag)
        self.assertEqual(self.client.download("v.txt"), b"version 2")
        # No object at all is no match either.
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.client.upload, "new.txt",
                          b"x", if_match=first.etag)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "new.txt")

    def test_upload_with_both_conditions_is_invalid_argument(self):
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.client.upload, "both.txt",
                          b"x", if_none_match="*", if_match="0123abcd")

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "both.txt")

    def test_delete_if_match_deletes_only_the_version_named(self):
        stale = self.client.upload("d.txt", b"version 1").etag
        current = self.client.upload("d.txt", b"version 2").etag
        self.assertNotEqual(stale, current)

        if "conditional_delete" not in self.capabilities():
            # Refused outright where the store cannot enforce it, whatever the etag.
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.delete, "d.txt",
                              if_match=stale)
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.delete, "d.txt",
                              if_match=current)
            self.assertEqual(self.client.download("d.txt"), b"version 2")
            return

        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.client.delete, "d.txt",
                          if_match=stale)
        self.assertEqual(self.client.download("d.txt"), b"version 2")

        self.client.delete("d.txt", if_match=current)

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "d.txt")

    def test_copy_copies_bytes_content_type_and_metadata(self):
        data = b"id,total\n1,42\n"
        source = self.client.upload("src/orders.csv", data, content_type="text/csv",
                                    metadata={"author": "ada"})

        copied = self.client.copy("src/orders.csv", "dst/orders.csv")

        self.assertEqual(copied.key, "dst/orders.csv")
        self.assertEqual(copied.size, len(data))
        self.assertEqual(copied.sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(self.client.download("dst/orders.csv"), data)
        info = self.client.stat("dst/orders.csv")
        self.assertEqual(info.etag, copied.etag)
        self.assertEqual(info.content_type, "text/csv")
        self.assertEqual(info.sha256, copied.sha256)
        if "user_metadata" in self.capabilities():
            self.assertEqual(dict(info.metadata), {"author": "ada"})
        else:
            self.assertEqual(dict(info.metadata), {})
        # The source stays, and source_if_match with its current etag copies too.
        self.assertEqual(self.client.download("src/orders.csv"), data)
        again = self.client.copy("src/orders.csv", "dst/again.csv",
                                 source_if_match=source.etag)
        self.assertEqual(again.sha256, hashlib.sha256(data).hexdigest())
        self.assertEqual(self.client.download("dst/again.csv"), data)

    def test_copy_of_a_missing_source_is_not_found(self):
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.copy, "missing.txt",
                          "copy.txt")

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "copy.txt")

    def test_copy_with_stale_source_if_match_is_failed_precondition(self):
        stale = self.client.upload("s.txt", b"version 1").etag
        self.client.upload("s.txt", b"version 2")

        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION, self.client.copy, "s.txt",
                          "copy.txt", source_if_match=stale)

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "copy.txt")

    def test_call_without_tenant_is_unauthenticated(self):
        stub = storage_pb2_grpc.ObjectStorageStub(self.channel)

        self.assertStatus(grpc.StatusCode.UNAUTHENTICATED, stub.Delete,
                          storage_pb2.DeleteRequest(key="any.txt"), timeout=30)

    def test_malformed_tenant_is_invalid_argument(self):
        client = objgate.Client(self.channel, "no spaces allowed", timeout=30)

        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, client.delete, "any.txt")

    def test_tenants_do_not_see_each_others_objects(self):
        self.client.upload("private.txt", b"mine")
        neighbour = objgate.Client(self.channel, new_tenant(), timeout=30)

        self.assertEqual(list(neighbour.list()), [])
        self.assertStatus(grpc.StatusCode.NOT_FOUND, neighbour.download, "private.txt")

    def test_upload_with_wrong_sha256_stores_nothing(self):
        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.client.upload, "bad.bin",
                          b"payload", sha256=hashlib.sha256(b"other").hexdigest())

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.download, "bad.bin")

    def test_multi_mib_object_streams_both_ways_with_matching_sha256(self):
        chunk_count, chunk_bytes = 24, 256 * 1024  # 6 MiB, sent without a declared size.
        chunks = [os.urandom(chunk_bytes) for _ in range(chunk_count)]
        sent = hashlib.sha256()
        for chunk in chunks:
            sent.update(chunk)

        uploaded = self.client.upload("big.bin", iter(chunks))
        reader = self.client.download_stream("big.bin")
        received = hashlib.sha256()
        received_chunks = 0
        for chunk in reader:
            received.update(chunk)
            received_chunks += 1

        self.assertEqual(uploaded.size, chunk_count * chunk_bytes)
        self.assertEqual(uploaded.sha256, sent.hexdigest())
        self.assertEqual(received.hexdigest(), sent.hexdigest())
        self.assertEqual(reader.trailer.sha256, sent.hexdigest())
        self.assertEqual(reader.trailer.size, 6 * MIB)
        self.assertGreater(received_chunks, 1, "the download should arrive in several messages")

    # Resumable uploads. Where the gateway's capabilities lack "resumable_upload", each test
    # checks that StartResumableUpload is refused with UNIMPLEMENTED instead.

    def resumable_uploads_work(self) -> bool:
        """Whether the gateway offers resumable uploads; if it does not, asserts that
        starting one is UNIMPLEMENTED and stores nothing."""
        if "resumable_upload" in self.capabilities():
            return True
        self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.start_resumable_upload,
                          "resumable.bin", size=1)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "resumable.bin")
        return False

    def write_temp_file(self, size: int) -> Tuple[str, str]:
        """A file of ``size`` random bytes, removed after the test; its path and SHA-256."""
        directory = tempfile.TemporaryDirectory(prefix="objgate-test-")
        self.addCleanup(directory.cleanup)
        path = os.path.join(directory.name, "upload.bin")
        data = os.urandom(size)
        with open(path, "wb") as file:
            file.write(data)
        return path, hashlib.sha256(data).hexdigest()

    def test_resumable_upload_paused_at_12_mib_keeps_8_and_upload_file_resumable_finishes(self):
        size = 20 * MIB + 12345
        path, sha256 = self.write_temp_file(size)
        if not self.resumable_uploads_work():
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.upload_file_resumable,
                              "videos/big.bin", path)
            self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "videos/big.bin")
            return
        upload_id, part_bytes = self.client.start_resumable_upload(
            "videos/big.bin", content_type="video/mp4", sha256=sha256, size=size)
        self.assertEqual(part_bytes, 8 * MIB)

        # The first stream sends 12 MiB and stops without finish_write: the whole part stays.
        with open(path, "rb") as file:
            first = file.read(12 * MIB)
        paused = self.client.continue_resumable_upload(upload_id, first, write_offset=0,
                                                       finish_write=False)

        self.assertFalse(paused.complete)
        self.assertEqual(paused.persisted_size, part_bytes)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.download, "videos/big.bin")
        self.assertEqual(list(self.client.list("videos/")), [])
        status = self.client.query_upload_status(upload_id)
        self.assertEqual((status.persisted_size, status.complete, status.key),
                         (part_bytes, False, "videos/big.bin"))

        # The second continues from the persisted size and completes the object.
        seen = []
        done = self.client.upload_file_resumable("videos/big.bin", path, upload_id=upload_id,
                                                 on_upload_id=seen.append)

        self.assertEqual(seen, [upload_id])
        self.assertTrue(done.complete)
        self.assertEqual((done.key, done.size, done.persisted_size),
                         ("videos/big.bin", size, size))
        self.assertEqual(done.sha256, sha256)
        reader = self.client.download_stream("videos/big.bin")
        received = hashlib.sha256()
        for chunk in reader:
            received.update(chunk)
        self.assertEqual(received.hexdigest(), sha256)
        self.assertEqual(reader.metadata.size, size)
        self.assertEqual(reader.metadata.content_type, "video/mp4")
        info = self.client.stat("videos/big.bin")
        self.assertEqual((info.etag, info.sha256), (done.etag, sha256))

    def test_upload_file_resumable_starts_an_upload_and_query_then_says_complete(self):
        size = 9 * MIB + 1  # a whole part and one byte
        path, sha256 = self.write_temp_file(size)
        if not self.resumable_uploads_work():
            self.assertStatus(grpc.StatusCode.UNIMPLEMENTED, self.client.upload_file_resumable,
                              "docs/file.bin", path)
            self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "docs/file.bin")
            return
        ids = []

        done = self.client.upload_file_resumable("docs/file.bin", path,
                                                 content_type="application/x-test",
                                                 on_upload_id=ids.append)

        self.assertEqual(len(ids), 1)
        self.assertTrue(done.complete)
        self.assertEqual(done.size, size)
        self.assertEqual(done.sha256, sha256)
        status = self.client.query_upload_status(ids[0])
        self.assertTrue(status.complete)
        self.assertEqual((status.persisted_size, status.key), (size, "docs/file.bin"))
        info = self.client.stat("docs/file.bin")
        self.assertEqual((info.size, info.sha256, info.content_type),
                         (size, sha256, "application/x-test"))
        # Called again (its answer lost, say), it answers the same object and stores nothing
        # new; a completed upload can no longer be cancelled.
        again = self.client.upload_file_resumable("docs/file.bin", path, upload_id=ids[0])
        self.assertTrue(again.complete)
        self.assertEqual((again.size, again.etag), (size, done.etag))
        # So does a last stream sent again with its bytes, which the gateway does not read.
        with open(path, "rb") as file:
            file.seek(size - 1)
            last = file.read()
        again = self.client.continue_resumable_upload(ids[0], last, write_offset=size - 1)
        self.assertTrue(again.complete)
        self.assertEqual((again.size, again.etag), (size, done.etag))
        self.assertStatus(grpc.StatusCode.FAILED_PRECONDITION,
                          self.client.cancel_resumable_upload, ids[0])
        # An upload_id is bound to its key.
        with self.assertRaises(ValueError):
            self.client.upload_file_resumable("docs/other.bin", path, upload_id=ids[0])

    def test_upload_file_resumable_continues_an_upload_whose_stream_broke(self):
        size = 12 * MIB
        path, sha256 = self.write_temp_file(size)
        if not self.resumable_uploads_work():
            return
        upload_id, part_bytes = self.client.start_resumable_upload("broken.bin", sha256=sha256,
                                                                   size=size)

        # A transfer that fails part way (a reset, a crash): 10 MiB go up, then the source
        # fails and the stream is abandoned without finish_write.
        def broken_source():
            with open(path, "rb") as file:
                for _ in range(10 * 4):
                    yield file.read(256 * 1024)
            raise OSError("the disk went away")
        # grpc logs the source's exception with a traceback; it is the point here.
        grpc_logger = logging.getLogger("grpc._channel")
        level = grpc_logger.level
        grpc_logger.setLevel(logging.CRITICAL)
        try:
            with self.assertRaises(grpc.RpcError):
                self.client.continue_resumable_upload(upload_id, broken_source(),
                                                      write_offset=0)
        finally:
            grpc_logger.setLevel(level)
        kept = self.client.query_upload_status(upload_id).persisted_size
        self.assertIn(kept, (0, part_bytes))  # whole parts only, however far it got

        done = self.client.upload_file_resumable("broken.bin", path, upload_id=upload_id)

        self.assertTrue(done.complete)
        self.assertEqual(done.size, size)
        self.assertEqual(hashlib.sha256(self.client.download("broken.bin")).hexdigest(), sha256)

    def test_cancelled_resumable_upload_is_not_found_and_stores_nothing(self):
        if not self.resumable_uploads_work():
            return
        upload_id, _ = self.client.start_resumable_upload("cancelled.bin")

        self.client.cancel_resumable_upload(upload_id)

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.query_upload_status, upload_id)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.continue_resumable_upload,
                          upload_id, b"late bytes", write_offset=0)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.stat, "cancelled.bin")

    def test_another_tenant_cannot_query_or_continue_a_resumable_upload(self):
        if not self.resumable_uploads_work():
            return
        upload_id, _ = self.client.start_resumable_upload("mine.bin")
        neighbour = objgate.Client(self.channel, new_tenant(), timeout=30)

        self.assertStatus(grpc.StatusCode.NOT_FOUND, neighbour.query_upload_status, upload_id)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, neighbour.continue_resumable_upload,
                          upload_id, b"theirs", write_offset=0)
        self.assertStatus(grpc.StatusCode.NOT_FOUND, neighbour.cancel_resumable_upload,
                          upload_id)
        # Still the owner's to finish.
        self.assertFalse(self.client.query_upload_status(upload_id).complete)
        self.client.continue_resumable_upload(upload_id, b"my bytes", write_offset=0)
        self.assertEqual(self.client.download("mine.bin"), b"my bytes")
        self.assertStatus(grpc.StatusCode.NOT_FOUND, neighbour.download, "mine.bin")

    def test_resumable_write_offset_past_the_persisted_size_is_out_of_range(self):
        if not self.resumable_uploads_work():
            return
        upload_id, _ = self.client.start_resumable_upload("offsets.bin")
        self.addCleanup(self.client.cancel_resumable_upload, upload_id)

        self.assertStatus(grpc.StatusCode.OUT_OF_RANGE, self.client.continue_resumable_upload,
                          upload_id, b"bytes", write_offset=10)

        self.assertEqual(self.client.query_upload_status(upload_id).persisted_size, 0)



@unittest.skipUnless(os.environ.get("OBJGATE_CORRUPTING_PROXY"),
                     "set OBJGATE_CORRUPTING_PROXY to tests/support/corrupting_proxy's path "
                     "(tests/polyglot/run.sh does) to run the CRC32C tests against it")
class CorruptingProxyTest(unittest.TestCase):
    """A byte changed between the client and the gateway, below TCP's checksum and HTTP/2's
    framing (tests/support/corrupting_proxy), is caught by the CRC32C on each message, and
    nothing corrupted is taken for good."""

    OBJECT_BYTES = 3 * MIB

    @classmethod
    def setUpClass(cls):
        cls.target = os.environ.get("OBJGATE_TARGET")
        if not cls.target:
            raise RuntimeError("set OBJGATE_TARGET to the gateway's host:port")
        cls.data = patterned_bytes(cls.OBJECT_BYTES)

    def setUp(self):
        self.tenant = new_tenant()
        self.direct = self.client_of(self.target)

    def client_of(self, target: str) -> objgate.Client:
        channel = grpc.insecure_channel(target)
        self.addCleanup(channel.close)
        return objgate.Client(channel, self.tenant, timeout=30)

    def start_proxy(self, direction: str) -> str:
        """Starts a proxy to the gateway that corrupts one byte going ``direction``, once,
        after 200000 bytes of DATA payload; returns its host:port. Killed at test end."""
        proxy = subprocess.Popen(
            [os.environ["OBJGATE_CORRUPTING_PROXY"], f"--target={self.target}",
             f"--direction={direction}", "--after_data_bytes=200000"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

        def stop():
            proxy.kill()
            proxy.wait()
            proxy.stdout.close()
        self.addCleanup(stop)
        ready, _, _ = select.select([proxy.stdout], [], [], 10)
        line = proxy.stdout.readline().strip() if ready else ""
        prefix = "listening on "
        if not line.startswith(prefix):
            self.fail(f"corrupting_proxy did not say it was listening: {line!r}")
        return line[len(prefix):]

    def test_download_with_a_corrupted_byte_is_data_loss_and_yields_only_good_bytes(self):
        self.direct.upload("big.bin", self.data)
        client = self.client_of(self.start_proxy("to_client"))

        yielded = []
        with self.assertRaises(objgate.DataLossError) as raised:
            for chunk in client.download_stream("big.bin"):
                yielded.append(chunk)

        self.assertIn("CRC32C", str(raised.exception))
        received = b"".join(yielded)
        self.assertLess(len(received), len(self.data))
        self.assertEqual(received, self.data[:len(received)], "yielded a corrupted byte")
        # The proxy corrupts once: the same download through it now succeeds.
        self.assertEqual(client.download("big.bin"), self.data)

    def test_upload_with_a_corrupted_byte_is_data_loss_and_stores_nothing(self):
        client = self.client_of(self.start_proxy("to_server"))

        with self.assertRaises(grpc.RpcError) as raised:
            client.upload("big.bin", self.data)

        self.assertEqual(raised.exception.code(), grpc.StatusCode.DATA_LOSS,
                         raised.exception.details())
        self.assertIn("CRC32C", raised.exception.details())
        with self.assertRaises(grpc.RpcError) as raised:
            self.direct.stat("big.bin")
        self.assertEqual(raised.exception.code(), grpc.StatusCode.NOT_FOUND)
        # The proxy corrupts once: the same upload through it now succeeds.
        uploaded = client.upload("big.bin", self.data)
        self.assertEqual(uploaded.crc32c, crc32c.crc32c(self.data))
        self.assertEqual(self.direct.download("big.bin"), self.data)


if __name__ == "__main__":
    unittest.main(verbosity=2)
