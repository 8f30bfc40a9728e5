#!/usr/bin/env bash
# Build the local control plane (kube-apiserver, kube-controller-manager, kubectl), etcd and
# helm from the Go module proxy into a cache outside the checkout, keyed by version.
#
# Why build: this machine has no Docker, so kind/k3d cannot run; envtest-style binaries are the
# real API server. k8s.io/kubernetes cannot be `go install`ed directly (its go.mod replaces every
# staging module with a local path), so tools/k8s is a wrapper module that replaces each one with
# the published v0.x release.
#
# Honours KUBEBUILDER_ASSETS: when it holds etcd, kube-apiserver and kubectl, nothing is built.
# Prints where the binaries are on its last line ("bin: <dir>").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache=${STRONGROOM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/strongroom}
# The version of <module> in <go.mod>, whether required on a single line or inside a block.
modversion() { awk -v m="$1" '($1 == "require" && $2 == m) {print $3; exit} ($1 == m) {print $2; exit}' "$2"; }
k8s_version=$(modversion k8s.io/kubernetes "$root/tools/k8s/go.mod")
etcd_version=$(modversion go.etcd.io/etcd/server/v3 "$root/tools/etcd/go.mod")
helm_version=$(modversion helm.sh/helm/v3 "$root/tools/helm/go.mod")
for v in "$k8s_version" "$etcd_version" "$helm_version"; do
  [[ $v == v* ]] || { echo "build-tools: cannot read a version from tools/*/go.mod (got '$v')" >&2; exit 1; }
done
bin="$cache/bin/k8s-$k8s_version-etcd-$etcd_version-helm-$helm_version"
mkdir -p "$bin"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
command -v go >/dev/null || { echo "build-tools: Go is not installed; install Go >= 1.25 (apt-get install golang or from go.dev) and retry" >&2; exit 1; }

log() { printf '[build-tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] && [ -x "$KUBEBUILDER_ASSETS/etcd" ]; then
  log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS has etcd and kube-apiserver: using them"
  for b in etcd kube-apiserver kube-controller-manager kubectl helm; do
    [ -x "$KUBEBUILDER_ASSETS/$b" ] && ln -sf "$KUBEBUILDER_ASSETS/$b" "$bin/$b"
  done
fi

minor=${k8s_version#v1.}; minor=${minor%%.*}
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done

build() { # build <name> <module dir> <package> <ldflags>
  local name=$1 dir=$2 pkg=$3 flags=$4
  if [ -x "$bin/$name" ]; then log "$name: cached"; return; fi
  log "$name: building $pkg (first build downloads modules and compiles; minutes, not seconds)"
  local start=$SECONDS
  (cd "$root/tools/$dir" && go build -trimpath -ldflags "$flags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  log "$name: built in $((SECONDS - start))s"
}

build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
build kube-apiserver k8s k8s.io/kubernetes/cmd/kube-apiserver "$k8s_ldflags"
build kube-controller-manager k8s k8s.io/kubernetes/cmd/kube-controller-manager "$k8s_ldflags"
build kubectl k8s k8s.io/kubernetes/cmd/kubectl "$k8s_ldflags"
build helm helm helm.sh/helm/v3/cmd/helm "-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
echo "bin: $bin"
