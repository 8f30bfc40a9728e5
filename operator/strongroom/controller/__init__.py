"""The thin Kopf layer: ``kopf run -m strongroom.controller`` or ``strongroom operator``.

Importing this package registers every handler. Every reaction, in one place:

* ``@kopf.on.startup`` :func:`startup.configure` — Kopf settings (own finalizer and annotation
  prefixes, posting level, watch timeouts, peering), API and S3 ports, /metrics and /healthz.
* ``@kopf.on.cleanup`` :func:`startup.shut_down` — close the API session, stop /metrics.
* ``@kopf.on.login`` :func:`startup.login` — Kopf logs in as our client does
  (:mod:`strongroom.kube.credentials`: in-cluster by ``KUBERNETES_SERVICE_HOST``, exec plugins).
* ``@kopf.on.create/update(spec)/resume`` BackupPolicy :func:`policies.policy_changed` —
  validate what the schema cannot (time zone, RPO vs schedule, Secrets and keys, bucket) and
  reconcile at once.
* ``@kopf.daemon`` BackupPolicy :func:`policies.policy_loop` — one loop per policy, asleep
  until the plan's ``next_wake`` (the slot itself) or at most ``timer_interval`` seconds:
  finish runs whose Jobs ended, plan, create due Backups, enforce retention, start the next
  run, write status and metrics. A look with nothing changed makes no API call.
* ``@kopf.index`` Backups and Jobs :func:`index.backups_by_policy`,
  :func:`index.jobs_by_policy` — ``(namespace, policy) → (name, resourceVersion)``: how a
  policy's loop notices a changed child without listing.
* ``@kopf.on.delete`` BackupPolicy :func:`policies.policy_deleted` — deletionPolicy Retain
  (default: keep every Backup and object, remove our finalizer) or Delete.
* ``@kopf.on.startup``/``cleanup`` :func:`coverage.start_coverage`/:func:`coverage.stop_coverage`
  — every ``coverage_interval`` seconds list Services and StatefulSets and export the databases
  no policy protects (``strongroom_unprotected_databases``).

* ``@kopf.on.create/resume`` and ``@kopf.timer`` Restore :func:`restores.restore_requested`,
  :func:`restores.restore_tick` — choose the source once, start one restore Job (named after
  the Restore), record its result, erasure replay, Events and audit records.

The indexes only say *that* a policy's Backups or Jobs changed; the full look they trigger
reads them by label from the API server, and every policy gets a full look at least every
``resync_interval`` (Secrets are not watched at all), so a missed watch event delays a
reaction but can never lose a run (level-based, not edge-based).
"""

from strongroom.controller import coverage, index, policies, restores, startup

__all__ = ["coverage", "index", "policies", "restores", "startup"]
