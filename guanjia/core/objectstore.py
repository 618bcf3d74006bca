"""The private store in S3-compatible object storage (django-storages' S3 backend).

`settings.py` calls `s3_storage` when `GUANJIA_S3_BUCKET` is set, and the result becomes
`STORAGES["private"]`: every folder of the private store (attachments, imports, reports,
policy documents, approval commitments, land files) then lives in the bucket under the same
names, read and written through Django's storage API (guanjia.core.files). Nothing in the bucket
is public: no ACL is sent (the bucket's own policy, private by default, applies), files have no
URL (`files.PrivateStorage.url` refuses) and are streamed through the app's access checks.

Kept free of Django imports so the settings module can use it.
"""

from typing import Any

# A file read from the bucket is held in memory up to this size, then spooled to a temporary
# file (django-storages' default, 0, would keep a 20 MB attachment in memory).
SPOOL_BYTES = 2 * 1024 * 1024


def s3_storage(
    *,
    bucket: str,
    access_key: str,
    secret_key: str,
    endpoint_url: str = "",
    region: str = "",
    location: str = "",
    connect_timeout: float = 3,
    read_timeout: float = 30,
) -> dict[str, Any]:
    """The `STORAGES["private"]` entry for a bucket: path-style addressing (SeaweedFS, MinIO
    and the like on an address, not a domain), SigV4 signatures, short timeouts and few retries
    (a store that does not answer must not hold a request, nor /readyz, for minutes), no ACL,
    names never overwritten (Django's rule: a taken name gets a suffix), `location` a prefix
    inside the bucket (tests give each test its own)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "access_key": access_key,
            "secret_key": secret_key,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "location": location.strip("/"),
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
            "max_memory_size": SPOOL_BYTES,
            "object_parameters": {"CacheControl": "private, no-store"},
            "client_config": Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"max_attempts": 3, "mode": "standard"},
                # Checksums only where the operation needs one: servers other than AWS may
                # not take the newer CRC trailers on every upload.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        },
    }
