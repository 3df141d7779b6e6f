"""An S3 bucket (or any S3-compatible endpoint) through a boto3 client.

Small objects go up in one PutObject with their SHA256 as both the S3 checksum and object
metadata. Larger ones go up in fixed-size multipart parts, each part with its own SHA256
checksum. S3 fixes object metadata when an upload starts, before the hash is known, so a
server-side copy of the object onto itself then attaches the whole-object SHA256.
"""

import base64
import hashlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from gnosis_assets.stores.base import (
    SHA256_METADATA_KEY,
    ChecksumMismatchError,
    ObjectInfo,
    PutResult,
    StoreError,
)

log = logging.getLogger(__name__)

PART_SIZE = 16 * 1024 * 1024  # bytes per multipart part, and the single-PUT threshold
DOWNLOAD_CHUNK = 1024 * 1024
FATAL_CODES = {
    "AccessDenied": "check the credentials and the bucket policy (AWS_PROFILE, AWS_ACCESS_KEY_ID)",
    "InvalidAccessKeyId": "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    "SignatureDoesNotMatch": "check AWS_SECRET_ACCESS_KEY",
    "NoSuchBucket": "create the bucket or fix the bucket name in GNOSIS_STORE",
}


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


def _retries(response: dict[str, Any]) -> int:
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


class S3Store:
    """Objects under `s3://bucket/prefix/`.

    The client comes from dagster-aws's S3Resource or boto3, so the standard AWS variables
    (AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...) apply, and botocore retries throttling and 5xx
    responses with backoff.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "", part_size: int = PART_SIZE):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _relative(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _fail(self, action: str, key: str, error: ClientError) -> StoreError:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        fix = FATAL_CODES.get(code, "retry later, or check the endpoint (AWS_ENDPOINT_URL_S3)")
        return StoreError(f"{action} {self.uri(key)} failed with {code}: {fix}")

    def put_chunks(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        content_type: str,
        metadata: dict[str, str],
        expected_sha256: str | None = None,
    ) -> PutResult:
        digest = hashlib.sha256()
        buffer = bytearray()
        iterator = iter(chunks)
        for chunk in iterator:
            digest.update(chunk)
            buffer += chunk
            if len(buffer) >= self.part_size:
                return self._put_multipart(
                    key, buffer, iterator, digest, content_type, metadata, expected_sha256
                )
        sha256 = digest.hexdigest()
        self._check_expected(key, sha256, expected_sha256)
        response = self._put_object(key, bytes(buffer), sha256, content_type, metadata)
        return PutResult(key=key, size=len(buffer), sha256=sha256, retries=_retries(response))

    def put_bytes(
        self, key: str, data: bytes, *, content_type: str, metadata: dict[str, str] | None = None
    ) -> PutResult:
        return self.put_chunks(key, [data], content_type=content_type, metadata=metadata or {})

    def _check_expected(self, key: str, sha256: str, expected: str | None) -> None:
        if expected is not None and sha256 != expected:
            raise ChecksumMismatchError(
                f"{self.uri(key)}: uploaded bytes hash to {sha256}, expected {expected}; "
                "the object was not written"
            )

    def _put_object(
        self, key: str, data: bytes, sha256: str, content_type: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        try:
            return self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                # `sha256` is the digest of exactly `data`, computed while it was buffered.
                ChecksumSHA256=_b64(sha256),
                Metadata={**metadata, SHA256_METADATA_KEY: sha256},
            )
        except ClientError as error:
            raise self._fail("upload of", key, error) from error

    def _put_multipart(
        self,
        key: str,
        first: bytearray,
        rest: Iterator[bytes],
        digest: "hashlib._Hash",
        content_type: str,
        metadata: dict[str, str],
        expected_sha256: str | None,
    ) -> PutResult:
        full_key = self._key(key)
        try:
            created = self.client.create_multipart_upload(
                Bucket=self.bucket,
                Key=full_key,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                Metadata=metadata,
            )
        except ClientError as error:
            raise self._fail("multipart upload of", key, error) from error
        upload_id = created["UploadId"]
        retries = _retries(created)
        parts: list[dict[str, Any]] = []
        size = 0
        try:
            buffer = first
            exhausted = False
            while True:
                while len(buffer) > self.part_size or (exhausted and buffer):
                    part = bytes(buffer[: self.part_size])
                    del buffer[: self.part_size]
                    retries += self._upload_part(full_key, upload_id, parts, part)
                    size += len(part)
                if exhausted:
                    break
                chunk = next(rest, None)
                if chunk is None:
                    exhausted = True
                else:
                    digest.update(chunk)
                    buffer += chunk
            sha256 = digest.hexdigest()
            self._check_expected(key, sha256, expected_sha256)
            completed = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=full_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            retries += _retries(completed)
        except BaseException:
            self._abort(full_key, upload_id)
            raise
        retries += self._attach_sha256(key, sha256, content_type, metadata, size)
        return PutResult(key=key, size=size, sha256=sha256, parts=len(parts), retries=retries)

    def _upload_part(
        self, full_key: str, upload_id: str, parts: list[dict[str, Any]], data: bytes
    ) -> int:
        number = len(parts) + 1
        checksum = _b64(hashlib.sha256(data).hexdigest())
        response = self.client.upload_part(
            Bucket=self.bucket,
            Key=full_key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=checksum,
        )
        parts.append({"PartNumber": number, "ETag": response["ETag"], "ChecksumSHA256": checksum})
        return _retries(response)

    def _abort(self, full_key: str, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full_key, UploadId=upload_id)
        except ClientError as error:
            # The next sync's clean-up finds the upload again, so this is logged, not raised.
            log.warning("could not abort multipart upload %s of %s: %s", upload_id, full_key, error)

    def _attach_sha256(
        self, key: str, sha256: str, content_type: str, metadata: dict[str, str], size: int
    ) -> int:
        full_key = self._key(key)
        try:
            # boto3's managed copy switches to UploadPartCopy above 5 GB.
            self.client.copy(
                {"Bucket": self.bucket, "Key": full_key},
                self.bucket,
                full_key,
                ExtraArgs={
                    "ContentType": content_type,
                    "Metadata": {**metadata, SHA256_METADATA_KEY: sha256},
                    "MetadataDirective": "REPLACE",
                    "ChecksumAlgorithm": "SHA256",
                },
            )
        except ClientError as error:
            raise self._fail("attaching the SHA256 to", key, error) from error
        return 0

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._fail("reading metadata of", key, error) from error
        metadata = dict(response.get("Metadata", {}))
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            sha256=metadata.get(SHA256_METADATA_KEY),
            last_modified=response.get("LastModified"),
            metadata=metadata,
        )

    def get_chunks(self, key: str) -> Iterator[bytes]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
                raise KeyError(f"{self.uri(key)} does not exist") from None
            raise self._fail("download of", key, error) from error
        body = response["Body"]
        try:
            while chunk := body.read(DOWNLOAD_CHUNK):
                yield chunk
        finally:
            body.close()

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=self._relative(item["Key"]),
                        size=int(item["Size"]),
                        last_modified=item.get("LastModified"),
                    )
        except ClientError as error:
            raise self._fail("listing", prefix, error) from error

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            raise self._fail("deletion of", key, error) from error

    def move(self, source_key: str, target_key: str) -> None:
        try:
            # MetadataDirective COPY keeps the SHA256 metadata; the managed copy switches to
            # UploadPartCopy above 5 GB.
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(source_key)},
                self.bucket,
                self._key(target_key),
                ExtraArgs={"MetadataDirective": "COPY", "ChecksumAlgorithm": "SHA256"},
            )
        except ClientError as error:
            raise self._fail("moving", source_key, error) from error
        self.delete(source_key)

    def abort_incomplete_uploads(self, prefix: str) -> int:
        paginator = self.client.get_paginator("list_multipart_uploads")
        count = 0
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                for upload in page.get("Uploads", []):
                    self._abort(upload["Key"], upload["UploadId"])
                    count += 1
        except ClientError as error:
            # The first request of every sync: a wrong bucket or credentials fail here.
            raise self._fail("listing unfinished multipart uploads under", prefix, error) from error
        return count

    def remote_checksum(self, key: str) -> tuple[str | None, int | None]:
        """Return the checksum S3 keeps for the object (base64) and its part count, if any."""
        try:
            response = self.client.get_object_attributes(
                Bucket=self.bucket,
                Key=self._key(key),
                ObjectAttributes=["Checksum", "ObjectParts", "ObjectSize"],
            )
        except ClientError as error:
            raise self._fail("reading the checksum of", key, error) from error
        checksum = response.get("Checksum", {}).get("ChecksumSHA256")
        parts = response.get("ObjectParts", {}).get("TotalPartsCount")
        return checksum, parts
