#!/usr/bin/env bash
# Creates the Kind cluster of a stack's Kind lower environment from the stack's own outputs (docs/kind.md):
#   scripts/kind-up.sh [stack]          (default stack: dev)
# Writes the generated cluster configuration to a temporary file, writes the service-account signing key (a secret
# output) to the host path the configuration mounts, mode 600, and runs `kind create cluster`.
# Needs: pulumi (logged in, the stack deployed at least once), kind, node (with `npm ci` run, for js-yaml), and a
# running container engine for kind's nodes: Docker, Podman or nerdctl.
# Exit codes: 0 the cluster is up (or --help); 1 a tool, the engine or the stack's Kind outputs are missing, or a
# command failed; 2 a usage error (an unknown option, a second argument, a stack argument that is not a stack name).
set -euo pipefail

usage="usage: scripts/kind-up.sh [--help] [stack]   (stack: dev by default; a stack name, or <org>/<project>/<stack>)"

usage_error() {
    echo "kind-up: $1" >&2
    echo "$usage" >&2
    exit 2
}

# Pulumi's stack name rule (pulumi/pulumi sdk/go/common/tokens/stack_name.go, ParseStackName): 1-100 letters,
# digits, '-', '_' or '.'; the CLI also takes the qualified forms <org>/<stack> and <org>/<project>/<stack>.
is_stack_name() {
    [[ $1 =~ ^([A-Za-z0-9_.-]{1,100}/){0,2}[A-Za-z0-9_.-]{1,100}$ ]] || return 1
    case "/$1/" in */./* | */../*) return 1 ;; esac
}

help=false
stack=""
positional=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h | --help) help=true ;;
        --) shift; positional+=("$@"); break ;;
        -*) usage_error "unknown option $1" ;;
        *) positional+=("$1") ;;
    esac
    shift
done
[ ${#positional[@]} -le 1 ] || usage_error "unexpected argument \"${positional[1]}\" (one stack at most)"
if $help; then
    echo "$usage"
    exit 0
fi
stack="${positional[0]-dev}"
is_stack_name "$stack" ||
    usage_error "\"$stack\" is not a stack name: 1-100 letters, digits, '-', '_' or '.' (optionally <org>/<project>/ before it)"

# Every missing tool is named at once, with where to get it, before anything is read or written.
missing=()
command -v pulumi >/dev/null || missing+=("pulumi: the Pulumi CLI, https://www.pulumi.com/docs/install/")
command -v kind >/dev/null || missing+=("kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation")
command -v node >/dev/null || missing+=("node: Node.js, the version in .nvmrc (nvm install, or source .ci/node.sh on Linux x64)")

# kind runs its nodes as containers of the engine it detects: KIND_EXPERIMENTAL_PROVIDER when set, else the first of
# docker, nerdctl and podman that is installed (kind, pkg/cluster/provider.go, DetectNodeProvider). That engine must
# answer `<engine> info` (what kind's bug report template asks for), or `kind create cluster` fails half-way.
engine=""
if [ -n "${KIND_EXPERIMENTAL_PROVIDER:-}" ]; then
    if [[ ! $KIND_EXPERIMENTAL_PROVIDER =~ ^[A-Za-z0-9._-]+$ ]]; then
        missing+=("a container engine: KIND_EXPERIMENTAL_PROVIDER must name one (docker, podman or nerdctl)")
    elif command -v "$KIND_EXPERIMENTAL_PROVIDER" >/dev/null; then
        engine="$KIND_EXPERIMENTAL_PROVIDER"
    else
        missing+=("$KIND_EXPERIMENTAL_PROVIDER: named by KIND_EXPERIMENTAL_PROVIDER but not installed (or unset it to use Docker)")
    fi
else
    for candidate in docker nerdctl podman; do
        if command -v "$candidate" >/dev/null; then engine="$candidate" && break; fi
    done
    [ -n "$engine" ] || missing+=("a container engine for kind's nodes: Docker (https://docs.docker.com/engine/install/) or Podman (https://podman.io/docs/installation); none is installed")
fi
if [ -n "$engine" ] && ! "$engine" info >/dev/null 2>&1; then
    hint="start it (Docker: the Docker service or Docker Desktop; Podman: podman machine start)"
    for other in docker podman nerdctl; do
        if [ "$other" != "$engine" ] && command -v "$other" >/dev/null && "$other" info >/dev/null 2>&1; then
            hint="start it, or use $other, which is running: export KIND_EXPERIMENTAL_PROVIDER=$other"
            break
        fi
    done
    missing+=("a running container engine: kind would use $engine, and \`$engine info\` fails; $hint")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "kind-up: cannot create the cluster of stack $stack; missing:" >&2
    printf '  - %s\n' "${missing[@]}" >&2
    exit 1
fi

cd "$(dirname "$0")/.."
config_file="$(mktemp -t agentfed-kind-config.XXXXXX.yaml)"
trap 'rm -f "$config_file"' EXIT
if ! pulumi stack output kindClusterConfig --stack="$stack" > "$config_file"; then
    echo "kind-up: could not read the output kindClusterConfig of stack $stack (deployed with agentfed:kind set? logged in? pulumi whoami)" >&2
    exit 1
fi
if [ "$(head -c 4 "$config_file")" = "null" ] || [ ! -s "$config_file" ]; then
    echo "kind-up: stack $stack has no Kind environment (set agentfed:kind and run pulumi up first)" >&2
    exit 1
fi

# The key path and the cluster name are read from the generated configuration, so they cannot disagree with it.
# shellcheck disable=SC2016 # the single-quoted text is JavaScript, expanded by node, not by the shell
mount="$(node -e '
    const yaml = require("js-yaml");
    const c = yaml.load(require("fs").readFileSync(process.argv[1], "utf8"));
    process.stdout.write(`${c.nodes[0].extraMounts[0].hostPath} ${c.name}\n`);
' "$config_file")"
read -r key_path cluster_name <<< "$mount"

if kind get clusters 2>/dev/null | grep -qx -- "$cluster_name"; then
    echo "kind-up: a Kind cluster named $cluster_name exists already; to recreate it: kind delete cluster --name $cluster_name" >&2
    exit 1
fi

# The file is made private before the key is written into it, also when it exists already (umask alone only applies
# to a new file); it is written in place, so a node that mounts it sees the same file.
mkdir -p "$(dirname "$key_path")"
(umask 077 && : >> "$key_path" && chmod 600 "$key_path" && pulumi stack output kindServiceAccountSigningKey --show-secrets --stack="$stack" > "$key_path")
echo "kind-up: signing key written to $key_path (mode 600)"

kind create cluster --config "$config_file"
echo "kind-up: cluster $cluster_name is up; its kubeconfig context is kind-$cluster_name"
echo "kind-up: set agentfed:kind.kubeconfigContext to kind-$cluster_name (Pulumi.${stack##*/}.yaml) and run pulumi up -s $stack"
