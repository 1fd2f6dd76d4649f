import { createHash, generateKeyPairSync } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { kubernetesKeyId } from "../contracts/oidc-issuer";
import { AGENT_ID_GRAPH_CALLS } from "../contracts/agent-id-graph";
import { CLOUDS } from "../clouds";
import type { MockedResource, MockTools } from "../clouds/cloud";

/**
 * Pulumi mocks that stand in for Azure Resource Manager and Microsoft Graph during the offline plan and the tests.
 * They return what the clouds would: ARM ids, Graph ids, and, for values only a cloud can know (object ids, client
 * ids), placeholder GUIDs of the form 00000000-0000-0000-0000-xxxxxxxxxxxx, each recorded with its meaning so the
 * plan can mark it. A TLS private key is the one value they generate for real (a fresh RSA key per run), so the
 * JWKS in the plan is the one the published documents would carry for that key.
 */

/** What a test may pin: computed properties by `<type>::<name>`, e.g. a specific UAMI principalId. */
export type MockOverrides = Record<string, Record<string, unknown>>;

export interface RecordedRegistration {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** Resolved inputs, as the provider would receive them (secrets unwrapped: the plan only ever holds placeholders). */
    readonly inputs: Record<string, unknown>;
    /** Top-level input names Pulumi marked secret. */
    readonly secretInputs: string[];
    /** The explicit provider it is registered with, as `<provider type>::<provider name>`; "" for a default provider. */
    readonly provider: string;
}

/**
 * `<provider type>::<provider name>` of a provider reference (`<provider urn>::<id>`, the urn ending in
 * `…$pulumi:providers:<package>::<name>`), or "" when there is none (a default provider).
 */
export function providerName(reference: string | undefined): string {
    const parts = (reference ?? "").split("::");
    if (parts.length < 5) return "";
    const type = parts[parts.length - 3]!.split("$").pop()!;
    return `${type}::${parts[parts.length - 2]!}`;
}

/** A mocked input as text: strings as they are, anything else as JSON. */
function text(value: unknown): string {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? "");
}

/** Pulumi's wire marker for a secret value: `{ [SECRET_SIG]: SECRET_VALUE, value }`. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretEnvelope(value: unknown): value is { value: unknown } {
    return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** Replaces secret envelopes by their values, recursively. */
function unwrapSecrets(value: unknown): unknown {
    if (isSecretEnvelope(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    // Only plain objects: assets and other class instances keep their identity.
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

function isStringAsset(value: unknown): value is { text: Promise<string> | string } {
    return typeof value === "object" && value !== null && (value as { __pulumiAsset?: unknown }).__pulumiAsset === true && "text" in value;
}

/** The appId of Microsoft Graph, whose service principal the bootstrap reads app role ids from. */
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** The placeholder subscription id used in ARM ids of the offline plan. */
export const PLACEHOLDER_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";

/**
 * What the accounts the plan deploys to know, by cloud federation id (`gcp`, `aws`): the project's `<project>:<id>`
 * section as JSON text (a GCP project's number, the AWS account id); each cloud's mocks read their own.
 */
export type MockCloudSections = Readonly<Record<string, string | undefined>>;

/** What a `StackReference` reads in the offline plan, by the stack's full name (`<organization>/<project>/<stack>`). */
export type MockStackReferences = ReadonlyMap<
    string,
    {
        readonly outputs: Record<string, unknown>;
        readonly secretOutputNames: readonly string[];
        /** The referenced plan's placeholders: the outputs carry them, so this plan marks them too. */
        readonly placeholders?: Readonly<Record<string, string>>;
    }
>;

export class AgentFedMocks implements pulumi.runtime.Mocks {
    readonly registrations: RecordedRegistration[] = [];
    /** Every invoke the program made: its token and the provider reference it went through ("" for the default provider). */
    readonly invocations: { readonly token: string; readonly provider: string }[] = [];
    /** Placeholder value -> what it stands for. */
    readonly placeholders = new Map<string, string>();
    /** The subscription each explicit azure-native provider is pinned to, by provider name. */
    private readonly providerSubscriptions = new Map<string, string>();

    constructor(
        private readonly tenantId: string,
        private readonly overrides: MockOverrides = {},
        /** What each cloud would know from the account itself (a GCP project's number, the AWS account id). */
        cloudSections: MockCloudSections = {},
        /** The stacks a `StackReference` may read (a consumer project's plan); any other reference is refused. */
        private readonly stackReferences: MockStackReferences = new Map(),
    ) {
        const tools: MockTools = {
            placeholder: (type, name, field, meaning) => this.placeholder(type, name, field, meaning),
            note: (value, meaning) => void this.placeholders.set(value, meaning),
            text,
        };
        this.clouds = CLOUDS.map((cloud) => cloud.mocks.bind(cloudSections[cloud.id], tools));
    }

    /** Each cloud federation's answers for its own resource types. */
    private readonly clouds: readonly ((type: string, name: string, inputs: Record<string, unknown>) => MockedResource | undefined)[];

    private placeholder(type: string, name: string, field: string, meaning: string): string {
        const hex = createHash("sha256").update(`${type}::${name}::${field}`).digest("hex").slice(0, 12);
        const value = `00000000-0000-0000-0000-${hex}`;
        this.placeholders.set(value, meaning);
        return value;
    }

    async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
        const raw = args.inputs as Record<string, unknown>;
        const secretInputs = Object.keys(raw).filter((k) => isSecretEnvelope(raw[k]));
        const inputs = unwrapSecrets(raw) as Record<string, unknown>;
        // A string asset (a blob's content) carries its text as a promise; record the text itself.
        for (const [k, v] of Object.entries(inputs)) {
            if (isStringAsset(v)) inputs[k] = { __pulumiAsset: true, text: await v.text };
        }
        // The dynamic provider's code is serialized into state; show its size, not the code.
        if (typeof inputs.__provider === "string") inputs.__provider = `<serialized dynamic provider: ${inputs.__provider.length} bytes>`;
        this.registrations.push({
            type: args.type,
            name: args.name,
            custom: args.custom !== false,
            inputs,
            secretInputs,
            provider: providerName(args.provider),
        });

        if (args.type === "pulumi:pulumi:StackReference") {
            const name = typeof inputs.name === "string" ? inputs.name : args.name;
            const referenced = this.stackReferences.get(name);
            if (!referenced)
                throw new Error(
                    `StackReference ${name}: the offline plan answers only references to this repository's own stacks (${[...this.stackReferences.keys()].join(", ") || "none here"})`,
                );
            for (const [value, meaning] of Object.entries(referenced.placeholders ?? {})) this.placeholders.set(value, `${meaning} (stack ${name})`);
            return { id: name, state: { name, outputs: referenced.outputs, secretOutputNames: [...referenced.secretOutputNames] } };
        }
        if (args.type === "pulumi:providers:azure-native" && typeof inputs.subscriptionId === "string")
            this.providerSubscriptions.set(args.name, inputs.subscriptionId);
        const computed = this.computed(args.type, args.name, inputs, this.subscriptionOf(args.provider));
        const state = { ...inputs, ...computed.state, ...(this.overrides[`${args.type}::${args.name}`] ?? {}) };
        return { id: computed.id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        this.invocations.push({ token: args.token, provider: args.provider ?? "" });
        if (args.token === "azuread:index/getServicePrincipal:getServicePrincipal") return this.servicePrincipalLookup(args.inputs as Record<string, unknown>);
        return args.inputs as Record<string, unknown>;
    }

    /**
     * A service principal read from Graph. Microsoft Graph's (appId 00000003-0000-0000-c000-000000000000) publishes
     * its application permissions as app roles; their ids are read at deploy time, so here each is a placeholder
     * recorded with the permission it stands for.
     */
    private servicePrincipalLookup(inputs: Record<string, unknown>): Record<string, unknown> {
        const clientId = text(inputs.clientId);
        const type = "azuread:index/getServicePrincipal:getServicePrincipal";
        const objectId = this.placeholder(type, clientId, "objectId", `object id of the service principal of app ${clientId} in the tenant`);
        const values =
            clientId === GRAPH_APP_ID
                ? [
                      ...new Set([
                          "Application.Read.All",
                          "Application.ReadWrite.OwnedBy",
                          "Application.ReadWrite.All",
                          "AppRoleAssignment.ReadWrite.All",
                          "AgentIdentityBlueprint.Read.All",
                          "AgentIdentityBlueprint.Create",
                          "AgentIdentityBlueprint.AddRemoveCreds.All",
                          "AgentIdentityBlueprint.DeleteRestore.All",
                          "AgentIdentityBlueprint.ReadWrite.All",
                          "Directory.Read.All",
                          // The Agent ID object providers' permissions (create mode).
                          ...AGENT_ID_GRAPH_CALLS.map((c) => c.application),
                      ]),
                  ]
                : [];
        const appRoles = values.map((value) => ({
            id: this.placeholder(type, clientId, value, `id of Graph application permission ${value}, read from Graph's service principal at deploy time`),
            value,
            allowedMemberTypes: ["Application"],
            displayName: value,
            description: value,
            enabled: true,
        }));
        return {
            clientId,
            objectId,
            displayName: clientId === GRAPH_APP_ID ? "Microsoft Graph" : clientId,
            appRoles,
            appRoleIds: Object.fromEntries(appRoles.map((r) => [r.value, r.id])),
        };
    }

    /**
     * The subscription ARM would put a resource in: the one its explicit azure-native provider is pinned to (a provider
     * reference is `<provider urn>::<id>`, the urn ending in the provider's name), else the placeholder a default
     * provider stands for (whatever subscription the deploying login defaults to).
     */
    private subscriptionOf(providerReference: string | undefined): string {
        const name = providerName(providerReference).split("::")[1] ?? "";
        return this.providerSubscriptions.get(name) ?? PLACEHOLDER_SUBSCRIPTION_ID;
    }

    private computed(type: string, name: string, inputs: Record<string, unknown>, subscriptionId: string): MockedResource {
        for (const cloud of this.clouds) {
            const answer = cloud(type, name, inputs);
            if (answer) return answer;
        }
        const sub = `/subscriptions/${subscriptionId}`;
        switch (type) {
            case "azure-native:resources:ResourceGroup":
                return { id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}`, state: { name: inputs.resourceGroupName } };
            case "azure-native:managedidentity:UserAssignedIdentity": {
                const principalId = this.placeholder(
                    type,
                    name,
                    "principalId",
                    `principalId (object id) of UAMI ${text(inputs.resourceName)}, assigned by Entra on create`,
                );
                const clientId = this.placeholder(type, name, "clientId", `clientId of UAMI ${text(inputs.resourceName)}, assigned by Entra on create`);
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${text(inputs.resourceName)}`,
                    state: {
                        name: inputs.resourceName,
                        principalId,
                        clientId,
                        // ARM reports ids in lowercase, whatever case the stack's configuration was written in.
                        tenantId: this.tenantId.toLowerCase(),
                        type: "Microsoft.ManagedIdentity/userAssignedIdentities",
                    },
                };
            }
            case "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential": {
                const credentialId = this.placeholder(type, name, "credentialId", `id Graph assigns to Blueprint FIC ${text(inputs.name)}`);
                return { id: `${text(inputs.blueprintObjectId)}/federatedIdentityCredentials/${credentialId}`, state: { credentialId } };
            }
            case "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprint": {
                const objectId = this.placeholder(
                    type,
                    name,
                    "objectId",
                    `object id of Agent ID Blueprint ${text(inputs.displayName)}, assigned by Entra on create`,
                );
                const appId = this.placeholder(
                    type,
                    name,
                    "appId",
                    `appId (client id) of Agent ID Blueprint ${text(inputs.displayName)}, assigned by Entra on create`,
                );
                const sponsorIds = [...((inputs.sponsorUserIds as string[] | undefined) ?? []), ...((inputs.sponsorGroupIds as string[] | undefined) ?? [])];
                return {
                    id: objectId,
                    state: {
                        objectId,
                        appId,
                        identifierUris: inputs.identifierUris ?? [],
                        sponsorIds: sponsorIds.map((i) => i.toLowerCase()).sort(),
                        sponsorsChecked: true,
                    },
                };
            }
            case "pulumi-nodejs:dynamic/agentfed:AgentIdentityBlueprintPrincipal": {
                const objectId = this.placeholder(type, name, "objectId", `object id of the Blueprint principal of ${name}, assigned by Entra on create`);
                return { id: objectId, state: { objectId, appId: inputs.blueprintAppId, displayName: name, accountEnabled: true } };
            }
            case "pulumi-nodejs:dynamic/agentfed:AgentIdentity": {
                // An Agent Identity's client id is its object id (Learn, "Agent identities").
                const objectId = this.placeholder(
                    type,
                    name,
                    "objectId",
                    `object id (= client id) of Agent Identity ${text(inputs.displayName)}, assigned by Entra on create`,
                );
                const sponsorIds = [...((inputs.sponsorUserIds as string[] | undefined) ?? []), ...((inputs.sponsorGroupIds as string[] | undefined) ?? [])];
                return {
                    id: objectId,
                    state: {
                        objectId,
                        clientId: objectId,
                        sponsorIds: sponsorIds.map((i) => i.toLowerCase()).sort(),
                        sponsorsChecked: false,
                        accountEnabled: true,
                    },
                };
            }
            case "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": {
                const credentialId = this.placeholder(type, name, "credentialId", `id Entra assigns to FIC ${text(inputs.displayName)}`);
                const objectId = text(inputs.applicationId).replace("/applications/", "");
                return { id: `${objectId}/federatedIdentityCredential/${credentialId}`, state: { credentialId } };
            }
            case "azure-native:operationalinsights:Workspace": {
                const customerId = this.placeholder(type, name, "customerId", `workspace (customer) id of Log Analytics workspace ${name}`);
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.OperationalInsights/workspaces/${name}`,
                    state: { name, customerId },
                };
            }
            case "azure-native:app:ManagedEnvironment":
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.App/managedEnvironments/${name}`,
                    state: { name, defaultDomain: `${name}.westeurope.azurecontainerapps.io` },
                };
            case "azure-native:monitor:DiagnosticSetting":
                return {
                    id: `${text(inputs.resourceUri)}/providers/Microsoft.Insights/diagnosticSettings/${text(inputs.name ?? name)}`,
                    state: { name: inputs.name ?? name },
                };
            case "azure-native:app:ContainerApp": {
                const appName = text(inputs.containerAppName ?? name);
                const configuration = (inputs.configuration ?? {}) as Record<string, unknown>;
                const ingress = (configuration.ingress ?? {}) as Record<string, unknown>;
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.App/containerApps/${appName}`,
                    state: {
                        name: appName,
                        configuration: { ...configuration, ingress: { ...ingress, fqdn: `${appName}.placeholder-env.westeurope.azurecontainerapps.io` } },
                    },
                };
            }
            case "tls:index/privateKey:PrivateKey": {
                const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: Number(inputs.rsaBits ?? 2048) });
                const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
                const kid = kubernetesKeyId(publicKeyPem);
                this.placeholders.set(
                    kid,
                    `key id of ${name}: a throw-away RSA key generated for this plan; the real one is generated by the tls provider on create`,
                );
                return {
                    id: createHash("sha1").update(publicKeyPem).digest("hex"),
                    state: {
                        algorithm: "RSA",
                        privateKeyPem: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
                        privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
                        publicKeyPem,
                    },
                };
            }
            case "azure-native:storage:StorageAccount": {
                const account = text(inputs.accountName);
                const endpoint = (svc: string): string => `https://${account}.${svc}.core.windows.net/`;
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.Storage/storageAccounts/${account}`,
                    state: {
                        name: account,
                        primaryEndpoints: {
                            blob: endpoint("blob"),
                            dfs: endpoint("dfs"),
                            file: endpoint("file"),
                            queue: endpoint("queue"),
                            table: endpoint("table"),
                            web: `https://${account}.z6.web.core.windows.net/`,
                        },
                        provisioningState: "Succeeded",
                        type: "Microsoft.Storage/storageAccounts",
                    },
                };
            }
            case "azure-native:storage:BlobContainer":
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.Storage/storageAccounts/${text(inputs.accountName)}/blobServices/default/containers/${text(inputs.containerName)}`,
                    state: { name: inputs.containerName, type: "Microsoft.Storage/storageAccounts/blobServices/containers" },
                };
            case "azure-native:storage:Blob":
                return {
                    id: `${sub}/resourceGroups/${text(inputs.resourceGroupName)}/providers/Microsoft.Storage/storageAccounts/${text(inputs.accountName)}/blobServices/default/containers/${text(inputs.containerName)}/blobs/${text(inputs.blobName)}`,
                    state: {
                        name: inputs.blobName,
                        url: `https://${text(inputs.accountName)}.blob.core.windows.net/${text(inputs.containerName)}/${text(inputs.blobName)}`,
                        type: "Block",
                    },
                };
            case "azuread:index/application:Application": {
                const objectId = this.placeholder(type, name, "objectId", `object id of Entra app ${text(inputs.displayName)}`);
                const clientId = this.placeholder(type, name, "clientId", `client id (appId) of Entra app ${text(inputs.displayName)}`);
                return { id: `/applications/${objectId}`, state: { objectId, clientId } };
            }
            case "azuread:index/servicePrincipal:ServicePrincipal": {
                const objectId = this.placeholder(type, name, "objectId", `object id of the service principal of ${name}`);
                return { id: objectId, state: { objectId } };
            }
            case "azuread:index/appRoleAssignment:AppRoleAssignment":
                return { id: `${text(inputs.resourceObjectId)}/appRoleAssignment/${name}`, state: {} };
            case "azure-native:authorization:RoleDefinition": {
                const guid = this.placeholder(type, name, "name", `name (GUID) Azure assigns to custom role ${text(inputs.roleName)}`);
                return {
                    id: `${text(inputs.scope)}/providers/Microsoft.Authorization/roleDefinitions/${guid}`,
                    state: { name: guid, type: "Microsoft.Authorization/roleDefinitions" },
                };
            }
            case "azure-native:authorization:RoleAssignment": {
                const guid = this.placeholder(type, name, "name", `name (GUID) of role assignment ${name}`);
                return { id: `${text(inputs.scope)}/providers/Microsoft.Authorization/roleAssignments/${guid}`, state: { name: guid } };
            }
            case "azuread:index/applicationOwner:ApplicationOwner":
                return { id: `${text(inputs.applicationId)}/owner/${text(inputs.ownerObjectId)}`, state: {} };
            case "pulumiservice:index:OidcIssuer":
                return {
                    id: `${text(inputs.organization)}/${this.placeholder(type, name, "id", "id Pulumi Cloud assigns to the OIDC issuer registration")}`,
                    state: { thumbprints: [] },
                };
            case "pulumiservice:index:Team":
                return { id: `${text(inputs.organizationName)}/${text(inputs.name)}`, state: { teamType: inputs.teamType } };
            case "github:index/repositoryEnvironment:RepositoryEnvironment":
                return { id: `${text(inputs.repository)}:${text(inputs.environment)}`, state: {} };
            default:
                return { id: `${name}-id`, state: {} };
        }
    }
}
