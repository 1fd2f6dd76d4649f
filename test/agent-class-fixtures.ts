/**
 * Agent class entries (`agentfed:agentClasses[i]`) for tests and the benchmark, in the shape a user writes in
 * Pulumi.<stack>.yaml. Every identifier derives from the class name, so any number of classes can be generated.
 */

const MODEL = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0";

/** An Option 1 class on the stack's Blueprint: its UAMI federates directly to GCP and AWS. */
export function agentClass(name: string) {
    return {
        name,
        uami: { name: `mi-${name}-agent` },
        gcp: { providerId: `agent-${name}`, serviceAccountId: `agent-${name}-llm` },
        aws: { roleName: `agentfed-${name}-bedrock`, modelArns: [MODEL] },
        containerApp: {
            name: `${name}-agent`,
            agent: { image: `contoso.azurecr.io/${name}-agent:1.0.0` },
            sidecar: { downstreamApis: [{ name: "Ledger", baseUrl: "https://ledger.contoso.example", scopes: [`api://ledger-${name}/.default`] }] },
        },
    };
}

/** A GUID derived from a number, in a range no fixture uses elsewhere. */
function guid(prefix: string, n: number): string {
    return `${prefix}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/**
 * An Option 2 class with its own Blueprint: the clouds trust its Agent Identity, minted for a dedicated
 * cloud-federation audience. `n` = 0 gives the ids the tests name (aaaaaaaa-...-000000000001 to ...04).
 */
export function option2Class(name: string, n = 0) {
    const id = (k: number) => (n === 0 ? guid("aaaaaaaa", k) : guid("cccccccc", n * 16 + k));
    return {
        ...agentClass(name),
        cloudPrincipal: "agentIdentity",
        blueprint: { kind: "agentIdentityBlueprint", appId: id(1), objectId: id(2) },
        agentIdentity: {
            objectId: id(3),
            clientId: id(4),
            cloudFederationAudience: { identifierUri: `api://agentfed-${name}-cloud` },
        },
    };
}
