#!/usr/bin/env bash
# Build the pinned local-cluster binaries from the Go module proxy with the
# machine's Go toolchain (no Docker, no release downloads).
#
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
#     -> $CACHE/bin/k8s-v$K8S_VERSION/        (module test/cluster/k8s)
#   kwok, kwokctl
#     -> $CACHE/bin/kwok-v$KWOK_VERSION/      (module test/cluster/kwok)
#   helm (chart tests: helm lint, helm template)
#     -> $CACHE/bin/helm-v$HELM_VERSION/      (module test/cluster/helm)
#   promtool (alert tests: promtool check rules, promtool test rules)
#     -> $CACHE/bin/promtool-v$PROMETHEUS_VERSION/ (module test/cluster/promtool)
#   the real CRDs of the integrations (KEDA, Prometheus Operator, Gateway API,
#   ...), from their Go modules, pinned in integration-crds.ts
#     -> $CACHE/crds/<integration>-<version>/
#
# CACHE = ${ARCHCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archctl}. It is
# outside the repo on purpose: CI runs in a fresh clone on the same machine.
# A directory that already holds every binary (and a .complete stamp) is
# skipped, so a second run costs nothing.
#
# Options: --force   rebuild even when the binaries are present
#          --print   print the two binary directories and exit
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Versions are read from the wrapper go.mod files so they cannot drift.
modver() { # go.mod module -> version (inside or outside a require block)
  awk -v m="$2" '$1=="require" && $2==m {print $3; exit} $1==m && $2 ~ /^v/ {print $2; exit}' "$1"
}
K8S_VERSION="$(modver "$HERE/k8s/go.mod" k8s.io/kubernetes)"
KWOK_VERSION="$(modver "$HERE/kwok/go.mod" sigs.k8s.io/kwok)"
HELM_VERSION="$(modver "$HERE/helm/go.mod" helm.sh/helm/v4)"
PROMETHEUS_VERSION="$(modver "$HERE/promtool/go.mod" github.com/prometheus/prometheus)"
[[ -n "$K8S_VERSION" && -n "$KWOK_VERSION" && -n "$HELM_VERSION" && -n "$PROMETHEUS_VERSION" ]] || { echo "cannot read versions from go.mod" >&2; exit 1; }

CACHE="${ARCHCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archctl}"
K8S_DIR="$CACHE/bin/k8s-$K8S_VERSION"
KWOK_DIR="$CACHE/bin/kwok-$KWOK_VERSION"
HELM_DIR="$CACHE/bin/helm-$HELM_VERSION"
PROMTOOL_DIR="$CACHE/bin/promtool-$PROMETHEUS_VERSION"

FORCE=0
# --cluster-only: what a local cluster needs (Kubernetes, etcd, kwok) and no
# more; the demo uses it, so a fresh machine does not wait for helm (built for
# the chart tests) or fetch the integration CRDs (for the tests).
CLUSTER_ONLY=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    --cluster-only) CLUSTER_ONLY=1 ;;
    --print) echo "$K8S_DIR"; echo "$KWOK_DIR"; echo "$HELM_DIR"; echo "$PROMTOOL_DIR"; exit 0 ;;
    *) echo "unknown option: $a" >&2; exit 2 ;;
  esac
done

# Find a Go toolchain: PATH first, then the machine's /usr/local/go.
if ! command -v go >/dev/null 2>&1; then
  export PATH="/usr/local/go/bin:$PATH"
fi
command -v go >/dev/null 2>&1 || { echo "go toolchain not found (looked on PATH and /usr/local/go/bin)" >&2; exit 1; }

export CGO_ENABLED=0
# -mod=readonly: the committed go.mod/go.sum are the whole truth, and a build
# fails (naming the missing module) rather than rewriting them. Checked with
# Go 1.26.8 (test/cluster/README.md): all three wrapper modules resolve and
# build this way, and the output is byte-identical to a -mod=mod build. If a
# newer toolchain wants a hash go.sum lacks, run `go mod tidy` in that wrapper
# folder and commit the result; as a stop-gap,
# ARCHCTL_GOFLAGS="-mod=mod -buildvcs=false" lets the build add it.
export GOFLAGS="${ARCHCTL_GOFLAGS:--mod=readonly -buildvcs=false}"
# Toolchain switching would try to download another Go: stay on the local one.
export GOTOOLCHAIN=local

# A failed build says where to look; the likeliest cause after a toolchain
# upgrade is a go.sum entry -mod=readonly refuses to add.
trap '(( BASH_SUBSHELL == 0 )) && echo "build-binaries.sh: build failed (error above). If it says \"missing go.sum entry\": cd test/cluster/<k8s|kwok|helm|promtool> && go mod tidy, then commit go.mod/go.sum." >&2' ERR

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

complete() { # dir binaries...
  local dir="$1"; shift
  [[ -f "$dir/.complete" ]] || return 1
  local b; for b in "$@"; do [[ -x "$dir/$b" ]] || return 1; done
}

K8S_BINS=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
KWOK_BINS=(kwok kwokctl)
HELM_BINS=(helm)
PROMTOOL_BINS=(promtool)

build_k8s() {
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="-s -w"
  local pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local tmp="$K8S_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo ">> building Kubernetes $K8S_VERSION control plane + etcd into $K8S_DIR"
  local t0; t0="$(now)"
  ( cd "$HERE/k8s" && go build -trimpath -tags selinux,notest -ldflags "$ld" -o "$tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl )
  echo "   kubernetes binaries: $(elapsed "$t0")s"
  local t1; t1="$(now)"
  ( cd "$HERE/k8s" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3 )
  echo "   etcd: $(elapsed "$t1")s"
  touch "$tmp/.complete"
  rm -rf "$K8S_DIR"; mkdir -p "$(dirname "$K8S_DIR")"; mv "$tmp" "$K8S_DIR"
  echo "   total: $(elapsed "$t0")s"
}

build_kwok() {
  local v="${KWOK_VERSION#v}" kv="${K8S_VERSION#v}"
  # Stamp the version and default Kubernetes version (kwokctl uses the latter
  # only for downloads, which we never do: every binary path is given).
  local ld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$kv"
  local tmp="$KWOK_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo ">> building kwok $KWOK_VERSION into $KWOK_DIR"
  local t0; t0="$(now)"
  ( cd "$HERE/kwok" && go build -trimpath -ldflags "$ld" -o "$tmp/" \
      sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl )
  touch "$tmp/.complete"
  rm -rf "$KWOK_DIR"; mkdir -p "$(dirname "$KWOK_DIR")"; mv "$tmp" "$KWOK_DIR"
  echo "   kwok + kwokctl: $(elapsed "$t0")s"
}

build_helm() {
  local ld="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
  ld+=" -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
  local tmp="$HELM_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo ">> building helm $HELM_VERSION into $HELM_DIR"
  local t0; t0="$(now)"
  ( cd "$HERE/helm" && go build -trimpath -ldflags "$ld" -o "$tmp/" helm.sh/helm/v4/cmd/helm )
  touch "$tmp/.complete"
  rm -rf "$HELM_DIR"; mkdir -p "$(dirname "$HELM_DIR")"; mv "$tmp" "$HELM_DIR"
  echo "   helm: $(elapsed "$t0")s"
}

build_promtool() {
  local tmp="$PROMTOOL_DIR.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp"
  echo ">> building promtool (Prometheus $PROMETHEUS_VERSION) into $PROMTOOL_DIR"
  local t0; t0="$(now)"
  ( cd "$HERE/promtool" && go build -trimpath -ldflags "-s -w" -o "$tmp/" \
      github.com/prometheus/prometheus/cmd/promtool )
  touch "$tmp/.complete"
  rm -rf "$PROMTOOL_DIR"; mkdir -p "$(dirname "$PROMTOOL_DIR")"; mv "$tmp" "$PROMTOOL_DIR"
  echo "   promtool: $(elapsed "$t0")s"
}

T0="$(now)"
echo "go: $(go version) GOPROXY=$(go env GOPROXY)"
if [[ $FORCE == 0 ]] && complete "$K8S_DIR" "${K8S_BINS[@]}"; then
  echo ">> $K8S_DIR is complete: skipping"
else
  build_k8s
fi
if [[ $FORCE == 0 ]] && complete "$KWOK_DIR" "${KWOK_BINS[@]}"; then
  echo ">> $KWOK_DIR is complete: skipping"
else
  build_kwok
fi
if [[ $CLUSTER_ONLY == 1 ]]; then
  echo ">> --cluster-only: helm and the integration CRDs are left for the tests"
elif [[ $FORCE == 0 ]] && complete "$HELM_DIR" "${HELM_BINS[@]}"; then
  echo ">> $HELM_DIR is complete: skipping"
else
  build_helm
fi
if [[ $CLUSTER_ONLY == 1 ]]; then
  :
elif [[ $FORCE == 0 ]] && complete "$PROMTOOL_DIR" "${PROMTOOL_BINS[@]}"; then
  echo ">> $PROMTOOL_DIR is complete: skipping"
else
  build_promtool
fi
# The integration CRDs need node (the repo's Node 24, on PATH via .ci/setup).
if [[ $CLUSTER_ONLY == 1 ]]; then
  :
elif command -v node >/dev/null 2>&1; then
  node "$HERE/integration-crds.ts" fetch
else
  echo ">> node not on PATH: integration CRDs not fetched (node test/cluster/integration-crds.ts fetch)" >&2
fi
echo ">> binaries ready in $(elapsed "$T0")s"
echo "K8S_BIN_DIR=$K8S_DIR"
echo "KWOK_BIN_DIR=$KWOK_DIR"
echo "HELM_BIN_DIR=$HELM_DIR"
echo "PROMTOOL_BIN_DIR=$PROMTOOL_DIR"
