#!/usr/bin/env bash
# Builds the dataplane tier's S3 server (main.go, around gofakes3 from the Go
# module proxy) into $CACHE/bin/dataplane-s3-<gofakes3 version>/dataplane-s3,
# with CACHE as test/cluster/build-binaries.sh has it. Returns at once when the
# binary is there. Prints the binary's path on stdout.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="$(awk '$1=="require" && $2=="github.com/johannesboyne/gofakes3" {print $3; exit}' "$HERE/go.mod")"
[[ -n "$VERSION" ]] || { echo "cannot read the gofakes3 version from go.mod" >&2; exit 1; }
CACHE="${ARCHCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/archctl}"
DIR="$CACHE/bin/dataplane-s3-$VERSION"
# main.go changes rebuild: its hash is part of the stamp.
STAMP="$(sha256sum "$HERE/main.go" "$HERE/go.sum" | sha256sum | cut -c1-16)"
if [[ -x "$DIR/dataplane-s3" && "$(cat "$DIR/.complete" 2>/dev/null)" == "$STAMP" ]]; then
  echo "$DIR/dataplane-s3"; exit 0
fi
command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || { echo "go toolchain not found (looked on PATH and /usr/local/go/bin)" >&2; exit 1; }
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="${ARCHCTL_GOFLAGS:--mod=readonly -buildvcs=false}"
tmp="$DIR.tmp.$$"
rm -rf "$tmp"; mkdir -p "$tmp"
start=$(date +%s)
( cd "$HERE" && go build -trimpath -ldflags "-s -w" -o "$tmp/dataplane-s3" . ) >&2
echo "$STAMP" > "$tmp/.complete"
rm -rf "$DIR"; mv "$tmp" "$DIR"
echo ">> built dataplane-s3 (gofakes3 $VERSION) in $(( $(date +%s) - start ))s: $DIR/dataplane-s3" >&2
echo "$DIR/dataplane-s3"
