#!/usr/bin/env bash
# End-to-end on kind with the real image: build the image, create a kind cluster, load the image,
# `helm install` the chart, and run the e2e suite against that cluster.
#
# Needs a Docker engine and kind. The development machines of this project have neither (the
# local control plane in tests/support replaces them there); this script is for machines that do,
# e.g. CI runners with Docker. Without Docker it stops at once and says so.
#
# Environment: KIND_CLUSTER (default strongroom-e2e), IMAGE (default strongroom:e2e),
# KEEP_CLUSTER=1 to leave the cluster running afterwards.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cluster=${KIND_CLUSTER:-strongroom-e2e}
image=${IMAGE:-strongroom:e2e}
namespace=strongroom-system
log() { printf '[e2e-kind %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

command -v docker >/dev/null 2>&1 \
  || die "docker is not installed: make e2e-kind needs a Docker engine to build the image and run kind. On machines without Docker use 'make e2e' (local control plane and process kubelet) instead."
docker info >/dev/null 2>&1 \
  || die "docker is installed but the engine is not reachable (is the daemon running, may this user use it?)"
command -v kind >/dev/null 2>&1 \
  || die "kind is not installed: 'go install sigs.k8s.io/kind@latest' (or see kind.sigs.k8s.io) and retry"

bin=$(bash "$root/hack/build-tools.sh" | tail -1 | sed 's/^bin: //')
helm="$bin/helm"; kubectl="$bin/kubectl"

log "building $image"
docker build -t "$image" --build-arg REVISION="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)" "$root"

if ! kind get clusters | grep -qx "$cluster"; then
  log "creating kind cluster $cluster"
  kind create cluster --name "$cluster" --wait 120s
fi
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"; [ "${KEEP_CLUSTER:-}" = 1 ] || kind delete cluster --name "$cluster"' EXIT
kind get kubeconfig --name "$cluster" > "$kubeconfig"

log "loading $image into kind"
kind load docker-image "$image" --name "$cluster"

log "installing the chart into $namespace (Pod Security: restricted)"
"$kubectl" --kubeconfig "$kubeconfig" create namespace "$namespace" --dry-run=client -o yaml \
  | "$kubectl" --kubeconfig "$kubeconfig" apply -f -
"$kubectl" --kubeconfig "$kubeconfig" label namespace "$namespace" --overwrite \
  pod-security.kubernetes.io/enforce=restricted
"$helm" upgrade --install strongroom "$root/charts/strongroom" --kubeconfig "$kubeconfig" \
  -n "$namespace" --wait --timeout 5m \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never

log "running the e2e suite against kind"
STRONGROOM_E2E_KUBECONFIG="$kubeconfig" STRONGROOM_E2E_OPERATOR_NAMESPACE="$namespace" \
  "$root/.venv/bin/python" -m pytest -m e2e -p no:cacheprovider "$root/tests/e2e"
