import {
    BlueprintKind,
    entraV2Issuer,
    ficAudiencesProblem,
    ficNameProblem,
    ficSetProblems,
    guidProblem,
    issuerProblem,
    MAX_FICS_PER_APPLICATION,
    subjectProblem,
    TOKEN_EXCHANGE_AUDIENCE,
} from "../contracts";
import { ConfigError } from "./errors";
import { parseContainerAppConfig } from "./container-app";
import { parseGcpConfig } from "./gcp";
import { parseAwsConfig } from "./aws";
import { kindDeclaredFic, parseKindConfig } from "./kind";
import { bool, ConfigSource, guid, isJsonObject, Json, Reader, str } from "./reader";
import { AgentClassConfig, parseAgentClasses, parseCloudPrincipal, reportAgentIdentityOverride } from "./agent-classes";
import { DeclaredFederatedCredential, StackConfig } from "./schema";

const BLUEPRINT_KINDS: readonly BlueprintKind[] = ["agentIdentityBlueprint", "application"];
const AZURE_REGION = /^[a-z][a-z0-9]{2,40}$/;
const RESOURCE_GROUP = /^[-\w._()]{1,89}[-\w_()]$/;
const UAMI_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;

function parseAdditionalFics(r: Reader, path: string, value: Json | undefined): DeclaredFederatedCredential[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
        r.report(path, "must be a list", `make ${r.key(path)} a YAML list of { name, issuer, subject } entries`);
        return [];
    }
    return value.flatMap((entry, i): DeclaredFederatedCredential[] => {
        const at = `${path}[${i}]`;
        if (!isJsonObject(entry)) {
            r.report(at, "must be an object with name, issuer and subject", `write ${r.key(at)} as { name, issuer, subject }`);
            return [];
        }
        r.onlyKnownFields(at, entry, ["name", "issuer", "subject", "audiences", "description"]);
        const nameProblem = ficNameProblem(entry.name);
        if (nameProblem) r.report(`${at}.name`, nameProblem, "use a short, URL-friendly name such as github-main");
        const issProblem = issuerProblem(entry.issuer);
        if (issProblem) r.report(`${at}.issuer`, issProblem, "copy the issuer exactly as it appears in the token's iss claim, https:// and no spaces");
        const subProblem = subjectProblem(entry.subject);
        if (subProblem) r.report(`${at}.subject`, subProblem, "pin the one exact sub claim of the workload, e.g. repo:org/repo:environment:prod");
        if (entry.audiences !== undefined) {
            const audProblem = ficAudiencesProblem(entry.audiences);
            if (audProblem)
                r.report(`${at}.audiences`, audProblem, `remove the key (it defaults to [${TOKEN_EXCHANGE_AUDIENCE}]) or set exactly that one value`);
        }
        if (entry.description !== undefined && (typeof entry.description !== "string" || entry.description.length > 600)) {
            r.report(`${at}.description`, "must be text of at most 600 characters", "shorten it");
        }
        if (nameProblem || issProblem || subProblem) return [];
        return [
            {
                name: entry.name as string,
                issuer: entry.issuer as string,
                subject: entry.subject as string,
                ...(typeof entry.description === "string" ? { description: entry.description } : {}),
            },
        ];
    });
}

/**
 * Entra's FIC rules per application, for the FICs agent classes add: names unique on each Blueprint (reported at
 * the class that repeats one) and at most 20 FICs per Blueprint, the primary agent's included.
 */
function reportClassFics(r: Reader, primaryObjectId: string, primaryCount: number, primaryNames: string[], classes: readonly AgentClassConfig[]): void {
    const blueprints = new Map<string, { names: Map<string, string>; count: number; firstClass: number | undefined }>();
    blueprints.set(primaryObjectId, { names: new Map(primaryNames.map((n) => [n.toLowerCase(), "blueprint"])), count: primaryCount, firstClass: undefined });
    classes.forEach((c, i) => {
        const entry = blueprints.get(c.blueprint.objectId) ?? { names: new Map<string, string>(), count: 0, firstClass: undefined };
        blueprints.set(c.blueprint.objectId, entry);
        const owner = entry.names.get(c.ficName.toLowerCase());
        if (owner !== undefined)
            r.report(
                `agentClasses[${i}].ficName`,
                `repeats FIC name ${JSON.stringify(c.ficName)} on Blueprint ${c.blueprint.objectId} (already used under ${r.key(owner)}); names must be unique per application`,
                "set a distinct ficName (it defaults to uami-<uami.name>)",
            );
        else entry.names.set(c.ficName.toLowerCase(), `agentClasses[${i}]`);
        entry.count++;
        entry.firstClass ??= i;
    });
    for (const [blueprintObjectId, entry] of blueprints) {
        if (entry.count > MAX_FICS_PER_APPLICATION && entry.firstClass !== undefined)
            r.report(
                `agentClasses[${entry.firstClass}].blueprint`,
                `Blueprint ${blueprintObjectId} would carry ${entry.count} federated identity credentials; Entra allows at most ${MAX_FICS_PER_APPLICATION} per application`,
                "give some classes their own Blueprint (agentClasses[i].blueprint)",
            );
    }
}

/**
 * Parses and validates the whole stack configuration. Throws one `ConfigError` listing every problem, each naming
 * its key and the fix; returns a fully typed `StackConfig` otherwise. Pure: no resource can exist yet when it runs.
 */
export function parseStackConfig(source: ConfigSource, namespace: string): StackConfig {
    const r = new Reader(source, namespace);

    const tenantId = r.raw("tenantId");
    const tenantProblem = guidProblem(tenantId);
    if (tenantProblem) {
        r.report(
            "tenantId",
            tenantProblem,
            `pulumi config set ${r.key("tenantId")} <your Entra tenant id>, e.g. from: az account show --query tenantId -o tsv`,
        );
    }

    const location = r.matching(
        "location",
        r.raw("location"),
        AZURE_REGION,
        "an Azure region name",
        `pulumi config set ${r.key("location")} westeurope (see: az account list-locations -o table)`,
    );

    const protectIdentities = bool(r, "protectIdentities", r.raw("protectIdentities"), true);

    const tags: Record<string, string> = {};
    const tagsObj = r.object("tags", `set ${r.key("tags")} to a map of string values`, false);
    for (const [k, v] of Object.entries(tagsObj ?? {})) {
        if (typeof v !== "string") r.report(`tags.${k}`, `must be a string (got ${JSON.stringify(v)})`, "quote the value in Pulumi.<stack>.yaml");
        else tags[k] = v;
    }

    const rgObj = r.object("resourceGroup", `set ${r.key("resourceGroup")} to { name: rg-agentfed-<env>, create: true }`) ?? {};
    r.onlyKnownFields("resourceGroup", rgObj, ["name", "create"]);
    const rgName = r.matching(
        "resourceGroup.name",
        rgObj.name,
        RESOURCE_GROUP,
        "a valid resource group name",
        "use 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
    );
    const rgCreate = bool(r, "resourceGroup.create", rgObj.create, true);

    const uamiObj = r.object("uami", `set ${r.key("uami")} to { name: mi-<agent>-<env> }`) ?? {};
    r.onlyKnownFields("uami", uamiObj, ["name"]);
    const uamiName = r.matching(
        "uami.name",
        uamiObj.name,
        UAMI_NAME,
        "a valid managed identity name",
        "use 3-128 letters, digits, '-' or '_', starting with a letter or digit, e.g. mi-weather-agent",
    );

    const bpObj = r.object("blueprint", `set ${r.key("blueprint")} to { kind, appId, objectId }`) ?? {};
    r.onlyKnownFields("blueprint", bpObj, ["kind", "appId", "objectId", "graphEndpoint", "uamiFicName", "additionalFederatedCredentials"]);
    const kind = bpObj.kind as BlueprintKind;
    if (!BLUEPRINT_KINDS.includes(kind)) {
        r.report(
            "blueprint.kind",
            `must be one of ${BLUEPRINT_KINDS.join(", ")} (got ${JSON.stringify(bpObj.kind ?? null)})`,
            "use agentIdentityBlueprint for an Entra Agent ID Blueprint, application for a classic app registration",
        );
    }
    const appId = guid(r, "blueprint.appId", bpObj.appId, "Blueprint's application (client) id: az ad app show --id <name> --query appId");
    const objectId = guid(
        r,
        "blueprint.objectId",
        bpObj.objectId,
        "Blueprint's application object id (not the service principal's): az ad app show --id <appId> --query id",
    );
    if (appId && appId === objectId) {
        r.report(
            "blueprint.objectId",
            "equals blueprint.appId",
            "the object id and the application (client) id are different GUIDs; read both from az ad app show",
        );
    }
    const graphEndpoint = str(bpObj.graphEndpoint) ?? "https://graph.microsoft.com";
    const graphProblem =
        issuerProblem(graphEndpoint) ?? (new URL(graphEndpoint).pathname.replace(/\/$/, "") !== "" ? "must be the Graph root without a path" : undefined);
    if (graphProblem)
        r.report("blueprint.graphEndpoint", graphProblem, "remove it for public cloud, or set the national cloud root such as https://graph.microsoft.us");
    const uamiFicName = str(bpObj.uamiFicName) ?? `uami-${uamiName}`;
    const uamiFicNameProblem = ficNameProblem(uamiFicName);
    if (uamiFicNameProblem && uamiName) r.report("blueprint.uamiFicName", uamiFicNameProblem, "choose a name of 3-120 letters, digits, '-' or '_'");
    const additional = parseAdditionalFics(r, "blueprint.additionalFederatedCredentials", bpObj.additionalFederatedCredentials);
    const kindCluster = parseKindConfig(r);
    const kindFic = kindCluster ? kindDeclaredFic(kindCluster) : undefined;

    const containerApp = parseContainerAppConfig(r);
    const gcp = parseGcpConfig(r);
    const { aws, warnings } = parseAwsConfig(r, tenantId ?? "");
    // Option 1 or Option 2 for the primary agent (seed 001); classes choose their own.
    const agentIdentityObj = r.object("agentIdentity", `set ${r.key("agentIdentity")} to { objectId, clientId, cloudFederationAudience }`, false);
    const { cloudPrincipal, agentIdentity } = parseCloudPrincipal(r, "", { cloudPrincipal: r.raw("cloudPrincipal"), agentIdentity: agentIdentityObj }, appId, {
        gcp: gcp !== undefined,
        aws: aws?.audienceMode,
    });
    reportAgentIdentityOverride(r, "containerApp", containerApp, cloudPrincipal);
    const agentClasses = parseAgentClasses(r, { blueprint: { kind, appId, objectId }, gcp, aws, containerApp }, { uamiName, agentIdentity });

    if (tenantId && !tenantProblem) {
        const primaryFics = [{ name: uamiFicName, issuer: entraV2Issuer(tenantId), subject: undefined }, ...additional, ...(kindFic ? [kindFic] : [])];
        for (const problem of ficSetProblems(primaryFics)) {
            r.report(
                "blueprint.additionalFederatedCredentials",
                problem,
                "edit the list (or agentfed:kind.ficName) so every FIC is distinct and there are at most 20 with the UAMI's and the Kind one",
            );
        }
        reportClassFics(r, objectId, primaryFics.length, [uamiFicName, ...additional.map((f) => f.name), ...(kindFic ? [kindFic.name] : [])], agentClasses);
    }
    if (agentIdentity && (additional.length > 0 || kindFic)) {
        warnings.push(
            `${r.key("cloudPrincipal")} is agentIdentity and the Blueprint also trusts ${[...additional.map((f) => f.name), ...(kindFic ? [kindFic.name] : [])].join(", ")}: ` +
                "every workload a Blueprint FIC trusts can have the Agent Identity's token minted, and with it the agent's cloud credentials.",
        );
    }

    if (r.issues.length > 0) throw new ConfigError(r.issues);
    return {
        namespace,
        tenantId: tenantId as string,
        location,
        resourceGroup: { name: rgName, create: rgCreate },
        protectIdentities,
        tags,
        uami: { name: uamiName },
        blueprint: { kind, appId, objectId, graphEndpoint: graphEndpoint.replace(/\/$/, ""), uamiFicName, additionalFederatedCredentials: additional },
        containerApp,
        gcp,
        aws,
        warnings,
        kind: kindCluster,
        agentClasses,
        cloudPrincipal,
        agentIdentity,
    };
}
