#!/usr/bin/python3
"""Creates and removes the S3 bucket of one tests/polyglot/run.sh run, with boto3, and opens
the boto3 client that tests/polyglot/s3_interop_test.py checks the gateway's objects with.

    /usr/bin/python3 tests/polyglot/s3_bucket.py create rgw.env NAME
    /usr/bin/python3 tests/polyglot/s3_bucket.py delete rgw.env NAME

rgw.env is the file tools/ceph/rgw.sh writes: OBJGATE_S3_ENDPOINT, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and OBJGATE_S3_REGION, one NAME=VALUE a line. `delete` first aborts the
bucket's multipart uploads and deletes its objects, so a run leaves nothing on the cluster;
deleting a bucket that does not exist succeeds. Run it with /usr/bin/python3, the interpreter
Debian's python3-boto3 is installed for.
"""

import sys
from typing import Dict

import boto3
import botocore.config
import botocore.exceptions

REQUIRED_SETTINGS = ("OBJGATE_S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                     "OBJGATE_S3_REGION")


def read_settings(path: str) -> Dict[str, str]:
    """The NAME=VALUE lines of an rgw.env; ValueError names a setting that is missing."""
    settings = {}
    with open(path, encoding="utf-8") as env_file:
        for line in env_file:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, value = line.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            settings[name.removeprefix("export ").strip()] = value
    missing = [name for name in REQUIRED_SETTINGS if not settings.get(name)]
    if missing:
        raise ValueError(f"{path} does not set {', '.join(missing)}")
    return settings


def s3_client(settings: Dict[str, str]):
    """A boto3 S3 client for the endpoint in `settings`: path-style addressing (RGW on
    127.0.0.1 has no bucket host names), SigV4 in the settings' region, few retries so that a
    dead endpoint fails fast."""
    return boto3.client(
        "s3",
        endpoint_url=settings["OBJGATE_S3_ENDPOINT"],
        region_name=settings["OBJGATE_S3_REGION"],
        aws_access_key_id=settings["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=settings["AWS_SECRET_ACCESS_KEY"],
        config=botocore.config.Config(
            signature_version="s3v4", s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=10, read_timeout=60))


def create(s3, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)


def delete(s3, bucket: str) -> None:
    try:
        for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
            for upload in page.get("Uploads", []):
                s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objects = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        s3.delete_bucket(Bucket=bucket)
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise


def main(argv) -> int:
    if len(argv) != 4 or argv[1] not in ("create", "delete"):
        print(f"usage: {argv[0]} create|delete RGW_ENV BUCKET", file=sys.stderr)
        return 2
    action, env_path, bucket = argv[1:]
    try:
        s3 = s3_client(read_settings(env_path))
        (create if action == "create" else delete)(s3, bucket)
    except (OSError, ValueError, botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError) as error:
        print(f"s3_bucket.py: could not {action} bucket {bucket}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
