"""Data residency: are the bucket (and the KMS key) where the policy says they may be?

Why the real location wins: ``spec.storage.region`` is what someone typed; the bucket's
location, read with ``GetBucketLocation``, is where the data really lives. A policy that
declares ``eu-central-1`` for a bucket created in ``us-west-2`` must be refused even though the
API server's CEL rule (declared region in ``allowedRegions``) accepts it. S3 reports
``us-east-1`` as an empty/``None`` location constraint and old ``eu-west-1`` buckets as ``EU``;
:func:`normalise_region` maps both.

Pure: the caller reads the bucket location through the storage adapter and passes it in.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from strongroom.api.common import ConditionStatus

#: S3 answers ``None``/``""`` for buckets in us-east-1 and ``EU`` for legacy eu-west-1.
_LOCATION_ALIASES = {"": "us-east-1", "EU": "eu-west-1"}


class ResidencyReason(StrEnum):
    """Machine reasons of the residency check."""

    RESIDENT = "RegionsResident"
    NO_RESTRICTION = "NoRegionRestriction"
    REGION_NOT_ALLOWED = "RegionNotAllowed"
    BUCKET_REGION_MISMATCH = "BucketRegionMismatch"
    KMS_REGION_NOT_ALLOWED = "KMSRegionNotAllowed"
    BUCKET_REGION_UNKNOWN = "BucketRegionUnknown"


@dataclass(frozen=True)
class ResidencyVerdict:
    """The residency outcome: ``status`` False refuses, with every reason found."""

    status: ConditionStatus
    reasons: tuple[ResidencyReason, ...]
    message: str
    effective_region: str | None

    @property
    def allowed(self) -> bool:
        """Return whether backups may be written (only a False verdict refuses)."""
        return self.status != "False"

    @property
    def reason(self) -> ResidencyReason:
        """Return the main reason."""
        return self.reasons[0]


def normalise_region(location: str | None) -> str:
    """Return the region an S3 ``LocationConstraint`` answer stands for."""
    text = (location or "").strip()
    return _LOCATION_ALIASES.get(text, text)


def check_residency(
    allowed_regions: Collection[str] | None,
    declared_region: str,
    actual_bucket_region: str | None,
    kms_region: str | None = None,
    *,
    location_known: bool = True,
    rule: str = "spec.storage.allowedRegions",
) -> ResidencyVerdict:
    """Return whether storage and KMS key are resident in ``allowed_regions``.

    Args:
        allowed_regions: ``spec.storage.allowedRegions``; ``None`` means no restriction.
        declared_region: ``spec.storage.region``.
        actual_bucket_region: The bucket's real location (``GetBucketLocation``); ``None`` or
            ``""`` means us-east-1, as S3 reports it.
        kms_region: ``spec.encryption.kmsRegion`` when a KMS key is used.
        location_known: ``False`` when the location could not be read (an outage or no
            ``s3:GetBucketLocation`` right): the declared region is judged, and a verdict that
            would otherwise pass is Unknown.
        rule: Where ``allowed_regions`` came from, named in messages so people know what to fix.

    Returns:
        A verdict; the bucket's real region is the effective one and decides.
    """
    actual = normalise_region(actual_bucket_region) if location_known else None
    failures: list[tuple[ResidencyReason, str]] = []
    if actual is not None and actual != declared_region:
        failures.append(
            (
                ResidencyReason.BUCKET_REGION_MISMATCH,
                (
                    f"the bucket is really in {actual}, not in the declared spec.storage.region "
                    f"{declared_region}; fix spec.storage.region or move the bucket"
                ),
            )
        )
    if allowed_regions is None:
        if failures:
            reason, message = failures[0]
            return ResidencyVerdict("False", (reason,), message, actual or declared_region)
        return ResidencyVerdict(
            "True",
            (ResidencyReason.NO_RESTRICTION,),
            "spec.storage.allowedRegions is not set; any region is accepted",
            actual or declared_region,
        )
    allowed = sorted(set(allowed_regions))
    effective = actual or declared_region
    if effective not in allowed:
        failures.insert(
            0,
            (
                ResidencyReason.REGION_NOT_ALLOWED,
                (
                    f"the bucket is in {effective}, outside {rule} "
                    f"{', '.join(allowed)}; use a bucket in an allowed region"
                ),
            ),
        )
    if kms_region is not None and kms_region not in allowed:
        failures.append(
            (
                ResidencyReason.KMS_REGION_NOT_ALLOWED,
                (
                    f"the KMS key is in {kms_region}, outside {rule} "
                    f"{', '.join(allowed)}; use a KMS key in an allowed region"
                ),
            )
        )
    if failures:
        return ResidencyVerdict(
            "False",
            tuple(r for r, _ in failures),
            "; ".join(m for _, m in failures),
            effective,
        )
    if actual is None:
        return ResidencyVerdict(
            "Unknown",
            (ResidencyReason.BUCKET_REGION_UNKNOWN,),
            f"the bucket's location could not be read; declared {declared_region} is allowed",
            effective,
        )
    return ResidencyVerdict(
        "True",
        (ResidencyReason.RESIDENT,),
        f"the bucket is in {effective}"
        + (f" and the KMS key in {kms_region}" if kms_region else "")
        + f", within {rule} {', '.join(allowed)}",
        effective,
    )


def allowed_regions(
    policy_regions: Collection[str] | None, cluster_regions: Collection[str]
) -> list[str] | None:
    """Return the regions a policy may use: its own list narrowed by the cluster-wide default.

    Why narrow rather than override: the operator's ``allowedRegions`` (chart value
    ``residency.allowedRegions``) is the organisation's rule, a policy's
    ``spec.storage.allowedRegions`` a team's; a team may be stricter, never looser. ``None``
    means no restriction from either; an empty list (disjoint lists) allows nothing.
    """
    cluster = set(cluster_regions)
    if policy_regions is None:
        return sorted(cluster) if cluster else None
    own = set(policy_regions)
    return sorted(own & cluster if cluster else own)


def kms_key_region(key_id: str | None, kms_region: str | None, storage_region: str) -> str | None:
    """Return the region of the policy's KMS key, ``None`` without one.

    A key ARN (``arn:aws:kms:eu-central-1:…``) names its region and wins; otherwise the key
    lives where the operator's KMS client goes: ``spec.encryption.kmsRegion``, else the
    storage region.
    """
    if key_id is None:
        return None
    parts = key_id.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "kms" and parts[3]:  # noqa: PLR2004
        return parts[3]
    return kms_region or storage_region
