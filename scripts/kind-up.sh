#!/usr/bin/env bash
# Creates the Kind cluster of a stack's Kind lower environment from the stack's own outputs:
#   scripts/kind-up.sh [stack]          (default stack: dev)
# Writes the generated cluster configuration to a temporary file, writes the service-account signing key (a secret
# output) to the host path the configuration mounts, mode 600, and runs `kind create cluster`.
# Needs: pulumi (logged in, the stack deployed at least once), kind, node (for js-yaml), and Docker for kind.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${1:-dev}"

for tool in pulumi kind node; do
    command -v "$tool" >/dev/null || { echo "kind-up: $tool is not installed" >&2; exit 1; }
done

config_file="$(mktemp -t agentfed-kind-config.XXXXXX.yaml)"
trap 'rm -f "$config_file"' EXIT
pulumi stack output kindClusterConfig -s "$stack" > "$config_file"
if [ "$(head -c 4 "$config_file")" = "null" ] || [ ! -s "$config_file" ]; then
    echo "kind-up: stack $stack has no Kind environment (set agentfed:kind and run pulumi up first)" >&2
    exit 1
fi

# The key path and the cluster name are read from the generated configuration, so they cannot disagree with it.
read -r key_path cluster_name < <(node -e '
    const yaml = require("js-yaml");
    const c = yaml.load(require("fs").readFileSync(process.argv[1], "utf8"));
    process.stdout.write(`${c.nodes[0].extraMounts[0].hostPath} ${c.name}\n`);
' "$config_file")

mkdir -p "$(dirname "$key_path")"
(umask 077 && pulumi stack output kindServiceAccountSigningKey --show-secrets -s "$stack" > "$key_path")
echo "kind-up: signing key written to $key_path (mode 600)"

kind create cluster --config "$config_file"
echo "kind-up: cluster $cluster_name is up; its kubeconfig context is kind-$cluster_name"
echo "kind-up: set agentfed:kind.kubeconfigContext to kind-$cluster_name (Pulumi.$stack.yaml) and run pulumi up -s $stack"
