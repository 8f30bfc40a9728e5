"""Envelope encryption: the data-object format, manifests, key rings and key wrappers.

Modules: :mod:`.stream` (data objects: Tink ``AES256_GCM_HKDF_1MB`` with an authenticated
header), :mod:`.manifest` (the rewritable manifest and safe re-wrapping), :mod:`.keyring`
(KEK versions in a Kubernetes Secret, wrapping data keys), :mod:`.kms` (AWS KMS as the KEK;
imports boto3, so import it only where KMS is used). No Kubernetes and no network here except
the KMS calls. The formats are specified in ``docs/format.md`` and ``docs/keys.md``.
"""
