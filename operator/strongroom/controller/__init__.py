"""The thin Kopf layer: ``kopf run -m strongroom.controller`` or ``strongroom operator``.

Importing this package registers every handler. Every reaction, in one place:

* ``@kopf.on.startup`` :func:`startup.configure` — Kopf settings (own finalizer and annotation
  prefixes, posting level, watch timeouts, peering), API and S3 ports, /metrics and /healthz.
* ``@kopf.on.cleanup`` :func:`startup.shut_down` — close the API session, stop /metrics.
* ``@kopf.on.create/update(spec)/resume`` BackupPolicy :func:`policies.policy_changed` —
  validate what the schema cannot (time zone, RPO vs schedule, Secrets and keys, bucket) and
  reconcile at once.
* ``@kopf.timer`` BackupPolicy :func:`policies.policy_tick` — every ``timer_interval``
  seconds: finish runs whose Jobs ended, plan, create due Backups, enforce retention, start
  the next run, write status and metrics (idle when nothing is due).
* ``@kopf.on.delete`` BackupPolicy :func:`policies.policy_deleted` — deletionPolicy Retain
  (default: keep every Backup and object, remove our finalizer) or Delete.
* ``@kopf.on.startup``/``cleanup`` :func:`coverage.start_coverage`/:func:`coverage.stop_coverage`
  — every ``coverage_interval`` seconds list Services and StatefulSets and export the databases
  no policy protects (``strongroom_unprotected_databases``).

* ``@kopf.on.create/resume`` and ``@kopf.timer`` Restore :func:`restores.restore_requested`,
  :func:`restores.restore_tick` — choose the source once, start one restore Job (named after
  the Restore), record its result, erasure replay, Events and audit records.

Backups, Jobs and Secrets are not watched: the policy's timer reads them by label each tick,
so a missed watch event can never lose a run (level-based, not edge-based).
"""

from strongroom.controller import coverage, policies, restores, startup

__all__ = ["coverage", "policies", "restores", "startup"]
