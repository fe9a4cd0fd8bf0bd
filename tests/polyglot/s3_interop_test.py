"""Checks a gateway run with --upstream_dialect=s3 against an S3 client that shares no code
with it, Debian's python3-boto3: what the gateway writes, boto3 reads back under TENANT/KEY
with the same bytes, content type and stored SHA-256 (user metadata objgate-sha256); what
boto3 writes, the gateway serves, its trailer carrying the SHA-256 of the bytes sent although
the object declares none; listings, deletes and aborted uploads look the same from both sides.

    OBJGATE_TARGET=127.0.0.1:50051 OBJGATE_S3_ENV=/tmp/rgw/rgw.env OBJGATE_S3_TEST_BUCKET=NAME \\
        PYTHONPATH=client/python:GENERATED_STUBS /usr/bin/python3 tests/polyglot/s3_interop_test.py

OBJGATE_TARGET is a gateway whose --s3_bucket is OBJGATE_S3_TEST_BUCKET on the S3 endpoint
that OBJGATE_S3_ENV (tools/ceph/rgw.sh's rgw.env) names. tests/polyglot/run.sh creates the
bucket, starts that gateway and runs this. Every test uses a tenant of its own; the last
class checks the whole bucket for multipart uploads the earlier ones left behind.
"""

import hashlib
import os
import threading
import time
import unittest
import uuid

import botocore.exceptions
import grpc

import objgate
import s3_bucket

MIB = 1024 * 1024
# Larger than the gateway's default --s3_part_bytes (8 MiB), so it goes up in three parts.
MULTIPART_BYTES = 20 * MIB
DEFAULT_PART_BYTES = 8 * MIB
# How long an upload the caller abandoned may take to be aborted upstream.
ABORT_TIMEOUT_SECONDS = 15


def new_tenant() -> str:
    return f"s3interop-{uuid.uuid4()}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def setUpModule():
    global TARGET, BUCKET, S3
    TARGET = os.environ.get("OBJGATE_TARGET")
    env_path = os.environ.get("OBJGATE_S3_ENV")
    BUCKET = os.environ.get("OBJGATE_S3_TEST_BUCKET")
    if not (TARGET and env_path and BUCKET):
        raise RuntimeError("set OBJGATE_TARGET to the S3 gateway's host:port, OBJGATE_S3_ENV "
                           "to the rgw.env of its endpoint and OBJGATE_S3_TEST_BUCKET to its "
                           "bucket")
    S3 = s3_bucket.s3_client(s3_bucket.read_settings(env_path))


class InteropTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(TARGET)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def setUp(self):
        self.tenant = new_tenant()
        self.client = objgate.Client(self.channel, self.tenant, timeout=60)

    def s3_key(self, key: str) -> str:
        return f"{self.tenant}/{key}"

    def s3_get(self, key: str) -> dict:
        """boto3's GetObject of the tenant's `key`, with the body read into "Bytes"."""
        answer = S3.get_object(Bucket=BUCKET, Key=self.s3_key(key))
        answer["Bytes"] = answer["Body"].read()
        return answer

    def s3_keys(self, prefix: str) -> list:
        """Every key under `prefix` in the bucket, as boto3 lists them."""
        keys = []
        for page in S3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
            keys.extend(entry["Key"] for entry in page.get("Contents", []))
        return keys

    def s3_uploads(self, prefix: str = "") -> list:
        """The multipart uploads in progress under `prefix`, as (key, upload id)."""
        uploads = []
        for page in S3.get_paginator("list_multipart_uploads").paginate(Bucket=BUCKET,
                                                                        Prefix=prefix):
            uploads.extend((u["Key"], u["UploadId"]) for u in page.get("Uploads", []))
        return uploads

    def assertS3Missing(self, key: str):
        with self.assertRaises(botocore.exceptions.ClientError) as raised:
            S3.head_object(Bucket=BUCKET, Key=self.s3_key(key))
        self.assertEqual(raised.exception.response["Error"]["Code"], "404")

    def assertStatus(self, code: grpc.StatusCode, call, *args, **kwargs):
        with self.assertRaises(grpc.RpcError) as raised:
            call(*args, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())


class GatewayWritesBoto3ReadsTest(InteropTestCase):
    def test_small_object_reads_back_with_bytes_content_type_and_sha256(self):
        data = b"hello from the gateway\n" * 100

        uploaded = self.client.upload("notes/hello.txt", data, content_type="text/plain")
        stored = self.s3_get("notes/hello.txt")

        self.assertEqual(stored["Bytes"], data)
        self.assertEqual(stored["ContentLength"], len(data))
        self.assertEqual(stored["ContentType"], "text/plain")
        self.assertEqual(stored["Metadata"].get("objgate-sha256"), sha256_hex(data))
        self.assertEqual(uploaded.sha256, sha256_hex(data))
        self.assertEqual(stored["ETag"], f'"{hashlib.md5(data).hexdigest()}"',
                         "one PutObject: the ETag is the MD5 of the bytes")

    def test_multipart_object_with_declared_sha256_reads_back_whole(self):
        data = os.urandom(MULTIPART_BYTES)
        digest = sha256_hex(data)

        uploaded = self.client.upload("archives/big.tar", data,
                                      content_type="application/x-tar", sha256=digest)
        stored = self.s3_get("archives/big.tar")

        self.assertEqual(uploaded.size, MULTIPART_BYTES)
        self.assertEqual(len(stored["Bytes"]), MULTIPART_BYTES)
        self.assertEqual(sha256_hex(stored["Bytes"]), digest)
        self.assertEqual(stored["ContentType"], "application/x-tar")
        self.assertEqual(stored["Metadata"].get("objgate-sha256"), digest)
        parts = -(-MULTIPART_BYTES // DEFAULT_PART_BYTES)
        self.assertTrue(stored["ETag"].endswith(f'-{parts}"'),
                        f"a multipart upload of {parts} parts, not {stored['ETag']}")

    def test_key_with_unicode_and_slashes_reads_back_under_the_same_key(self):
        key = "rapports/2024/Überblick – naïve ✓/zahlen €.csv"
        data = "monat,summe\njänner,1€\n".encode()

        self.client.upload(key, data, content_type="text/csv; charset=utf-8")
        stored = self.s3_get(key)

        self.assertEqual(stored["Bytes"], data)
        self.assertEqual(stored["ContentType"], "text/csv; charset=utf-8")
        self.assertEqual(stored["Metadata"].get("objgate-sha256"), sha256_hex(data))
        self.assertEqual(self.s3_keys(f"{self.tenant}/"), [self.s3_key(key)])

    def test_key_with_characters_that_urls_escape_reads_back_under_the_same_key(self):
        key = "odd/a b+c%20d?e#f&g=h;i,j:k@l$m!n'o(p)q*r~s[t]u{v}w|x^y`z.txt"
        data = b"escaped"

        self.client.upload(key, data, content_type="text/plain")
        stored = self.s3_get(key)

        self.assertEqual(stored["Bytes"], data)
        self.assertEqual(stored["Metadata"].get("objgate-sha256"), sha256_hex(data))
        self.assertEqual(self.s3_keys(f"{self.tenant}/"), [self.s3_key(key)])

    def test_user_metadata_reads_back_as_s3_user_metadata(self):
        data = b"{}"

        self.client.upload("meta.json", data, content_type="application/json",
                           metadata={"owner": "polyglot", "stage": "test"})
        stored = self.s3_get("meta.json")

        self.assertEqual(stored["Metadata"], {"owner": "polyglot", "stage": "test",
                                              "objgate-sha256": sha256_hex(data)})

    def test_boto3_listing_shows_exactly_the_keys_written_through_the_gateway(self):
        keys = ["a.txt", "b/c.txt", "b/d/e.bin", "ü/ß.txt", "z"]
        for key in keys:
            self.client.upload(key, key.encode())

        listed = self.s3_keys(f"{self.tenant}/")

        self.assertEqual(sorted(listed), sorted(self.s3_key(key) for key in keys))
        self.assertEqual([entry.key for entry in self.client.list()], sorted(keys))

    def test_delete_through_the_gateway_removes_the_object_from_s3(self):
        self.client.upload("doomed.txt", b"bye")
        self.assertEqual(self.s3_get("doomed.txt")["Bytes"], b"bye")

        self.client.delete("doomed.txt")

        self.assertS3Missing("doomed.txt")
        self.assertEqual(self.s3_keys(f"{self.tenant}/"), [])


class Boto3WritesGatewayReadsTest(InteropTestCase):
    def test_object_put_by_boto3_downloads_with_the_sha256_of_its_bytes(self):
        data = b"written by boto3\n" * 1000
        S3.put_object(Bucket=BUCKET, Key=self.s3_key("from-boto3/data.csv"), Body=data,
                      ContentType="text/csv")

        reader = self.client.download_stream("from-boto3/data.csv")
        received = reader.read()

        self.assertEqual(received, data)
        self.assertEqual(reader.metadata.size, len(data))
        self.assertEqual(reader.metadata.content_type, "text/csv")
        self.assertEqual(reader.metadata.sha256, "", "boto3 stored no objgate-sha256")
        self.assertEqual(reader.trailer.sha256, sha256_hex(data))
        self.assertEqual(reader.trailer.size, len(data))

    def test_multipart_object_uploaded_by_boto3_downloads_whole_and_in_ranges(self):
        data = os.urandom(12 * MIB)
        key = "from-boto3/big.bin"
        upload = S3.create_multipart_upload(Bucket=BUCKET, Key=self.s3_key(key))
        parts = []
        for number, start in enumerate(range(0, len(data), 5 * MIB), start=1):
            answer = S3.upload_part(Bucket=BUCKET, Key=self.s3_key(key),
                                    UploadId=upload["UploadId"], PartNumber=number,
                                    Body=data[start:start + 5 * MIB])
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        S3.complete_multipart_upload(Bucket=BUCKET, Key=self.s3_key(key),
                                     UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": parts})

        whole = self.client.download_stream(key)
        received = whole.read()
        middle = self.client.download_stream(key, offset=5 * MIB - 10, limit=20)
        middle_bytes = middle.read()

        self.assertEqual(sha256_hex(received), sha256_hex(data))
        self.assertEqual(whole.metadata.sha256, "")
        self.assertEqual(whole.metadata.content_type, "binary/octet-stream",
                         "S3's content type for an object put without one")
        self.assertEqual(whole.trailer.sha256, sha256_hex(data))
        self.assertEqual(middle_bytes, data[5 * MIB - 10:5 * MIB + 10])
        self.assertEqual(middle.trailer.sha256, sha256_hex(middle_bytes))

    def test_objects_put_by_boto3_are_listed_by_the_gateway_without_the_tenant_prefix(self):
        for key in ["x/1.txt", "x/2.txt", "y.txt"]:
            S3.put_object(Bucket=BUCKET, Key=self.s3_key(key), Body=key.encode())
        S3.put_object(Bucket=BUCKET, Key=f"{new_tenant()}/x/3.txt", Body=b"another tenant's")

        entries = list(self.client.list("x/"))

        self.assertEqual([(entry.key, entry.size) for entry in entries],
                         [("x/1.txt", 7), ("x/2.txt", 7)])

    def test_object_deleted_by_boto3_is_not_found_through_the_gateway(self):
        S3.put_object(Bucket=BUCKET, Key=self.s3_key("gone.txt"), Body=b"soon gone")
        self.assertEqual(self.client.download("gone.txt"), b"soon gone")

        S3.delete_object(Bucket=BUCKET, Key=self.s3_key("gone.txt"))

        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.download, "gone.txt")
        self.assertStatus(grpc.StatusCode.NOT_FOUND, self.client.delete, "gone.txt")


class FailedUploadsLeaveNothingTest(InteropTestCase):
    def test_multipart_upload_with_wrong_sha256_is_aborted(self):
        data = os.urandom(MULTIPART_BYTES)

        self.assertStatus(grpc.StatusCode.INVALID_ARGUMENT, self.client.upload, "bad.bin", data,
                          sha256=sha256_hex(b"something else"))

        self.assertS3Missing("bad.bin")
        self.assertEqual(self.s3_uploads(f"{self.tenant}/"), [])

    def test_multipart_upload_the_caller_abandons_is_aborted(self):
        parts_sent = threading.Event()

        def chunks():
            for _ in range(2 * DEFAULT_PART_BYTES // MIB + 1):  # Past the first two parts.
                yield os.urandom(MIB)
            parts_sent.set()
            raise RuntimeError("the caller gives up mid-upload")

        with self.assertRaises((grpc.RpcError, RuntimeError)):
            self.client.upload("abandoned.bin", chunks())
        self.assertTrue(parts_sent.is_set())

        # The gateway aborts once it sees the cancellation; give it a moment, not forever.
        deadline = time.monotonic() + ABORT_TIMEOUT_SECONDS
        while self.s3_uploads(f"{self.tenant}/") and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.s3_uploads(f"{self.tenant}/"), [])
        self.assertS3Missing("abandoned.bin")


class BucketLeftoversTest(InteropTestCase):
    """Runs last (see load_tests), when every upload of the tests before it has ended."""

    def test_no_multipart_upload_is_left_in_the_bucket(self):
        self.assertEqual(self.s3_uploads(), [])


def load_tests(loader, standard_tests, pattern):
    """The classes in the order written, so that BucketLeftoversTest comes last."""
    suite = unittest.TestSuite()
    for case in (GatewayWritesBoto3ReadsTest, Boto3WritesGatewayReadsTest,
                 FailedUploadsLeaveNothingTest, BucketLeftoversTest):
        suite.addTests(loader.loadTestsFromTestCase(case))
    return suite


if __name__ == "__main__":
    unittest.main(verbosity=2)
