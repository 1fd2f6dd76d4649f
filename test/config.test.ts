import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, parseStackConfig } from "../src/config";
import { PROJECT_DIR, readStackConfig, StackFileError } from "../src/plan/stack-files";
import { BLUEPRINT_APP_ID, BLUEPRINT_OBJECT_ID, TENANT } from "./helpers";

const NS = "agentfed";

/** A valid configuration as Pulumi hands it to the program: strings, with objects as JSON text. */
function validConfig(): Record<string, unknown> {
    return {
        tenantId: TENANT,
        location: "westeurope",
        protectIdentities: "true",
        resourceGroup: { name: "rg-agentfed-test", create: true },
        uami: { name: "mi-weather-agent" },
        blueprint: { kind: "agentIdentityBlueprint", appId: BLUEPRINT_APP_ID, objectId: BLUEPRINT_OBJECT_ID },
    };
}

function parse(values: Record<string, unknown>) {
    return parseStackConfig({ get: (k) => (values[k] === undefined ? undefined : typeof values[k] === "string" ? values[k] : JSON.stringify(values[k])) }, NS);
}

/** Parses, expects a ConfigError, and returns its issues. */
function issuesOf(values: Record<string, unknown>) {
    try {
        parse(values);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
        return err.issues;
    }
    assert.fail("expected the configuration to be rejected");
}

function withFics(fics: unknown[]): Record<string, unknown> {
    const c = validConfig();
    c.blueprint = { ...(c.blueprint as object), additionalFederatedCredentials: fics };
    return c;
}

const ghFic = { name: "github-main", issuer: "https://token.actions.githubusercontent.com", subject: "repo:contoso/agents:ref:refs/heads/main" };

describe("stack configuration", () => {
    it("parses a valid configuration into typed values with documented defaults", () => {
        const c = parse(validConfig());
        assert.equal(c.tenantId, TENANT);
        assert.equal(c.protectIdentities, true);
        assert.equal(c.blueprint.uamiFicName, "uami-mi-weather-agent");
        assert.equal(c.blueprint.graphEndpoint, "https://graph.microsoft.com");
        assert.deepEqual(c.blueprint.additionalFederatedCredentials, []);
    });

    it("parses both stack files shipped in the repository", () => {
        for (const stack of ["dev", "prod"]) {
            const raw = readStackConfig(stack);
            const c = parseStackConfig({ get: (k) => raw[`${NS}:${k}`] }, NS);
            assert.equal(c.protectIdentities, stack === "prod", `${stack}: protectIdentities`);
        }
    });

    it("reads a stack file with no document (empty, or comments only) as a stack without config", () => {
        const dir = mkdtempSync(path.join(tmpdir(), "agentfed-stack-"));
        writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agentfed\nruntime: nodejs\n");
        writeFileSync(path.join(dir, "Pulumi.empty.yaml"), "");
        writeFileSync(path.join(dir, "Pulumi.comments.yaml"), "# nothing configured yet\n\n  # indented comment\n");
        assert.deepEqual(readStackConfig("empty", dir), {});
        assert.deepEqual(readStackConfig("comments", dir), {});
    });

    it("rejects a tenant id that is not a GUID, naming the key and the fix", () => {
        const [issue] = issuesOf({ ...validConfig(), tenantId: "contoso.onmicrosoft.com" });
        assert.equal(issue?.key, "agentfed:tenantId");
        assert.match(issue.problem, /is not a GUID/);
        assert.match(issue.fix, /pulumi config set agentfed:tenantId/);
    });

    it("rejects a missing tenant id", () => {
        const c = validConfig();
        delete c.tenantId;
        assert.deepEqual(
            issuesOf(c).map((i) => [i.key, i.problem]),
            [["agentfed:tenantId", "is missing"]],
        );
    });

    it("rejects an empty subject", () => {
        const [issue] = issuesOf(withFics([{ ...ghFic, subject: "" }]));
        assert.equal(issue?.key, "agentfed:blueprint.additionalFederatedCredentials[0].subject");
        assert.match(issue.problem, /empty/);
    });

    it("rejects a wildcard subject", () => {
        const [issue] = issuesOf(withFics([{ ...ghFic, subject: "repo:contoso/*" }]));
        assert.equal(issue?.key, "agentfed:blueprint.additionalFederatedCredentials[0].subject");
        assert.match(issue.problem, /wildcard/);
    });

    it("rejects an issuer with stray whitespace", () => {
        const [issue] = issuesOf(withFics([{ ...ghFic, issuer: "https://token.actions.githubusercontent.com " }]));
        assert.equal(issue?.key, "agentfed:blueprint.additionalFederatedCredentials[0].issuer");
        assert.match(issue.problem, /whitespace/);
        assert.match(issue.fix, /exactly as it appears in the token's iss claim/);
    });

    it("rejects an http:// issuer", () => {
        const [issue] = issuesOf(withFics([{ ...ghFic, issuer: "http://token.actions.githubusercontent.com" }]));
        assert.match(issue!.problem, /must use https:\/\//);
    });

    it("rejects a FIC audience other than api://AzureADTokenExchange, including its GUID form", () => {
        for (const audiences of [["api://weather"], ["fb60f99c-7a34-4190-8149-302f77469936"], ["api://AzureADTokenExchange", "api://weather"]]) {
            const [issue] = issuesOf(withFics([{ ...ghFic, audiences }]));
            assert.equal(issue?.key, "agentfed:blueprint.additionalFederatedCredentials[0].audiences");
            assert.match(issue.problem, /AADSTS700214/);
        }
    });

    it("rejects more than 20 FICs on one Blueprint, counting the UAMI's", () => {
        const fics = (n: number) => Array.from({ length: n }, (_, i) => ({ ...ghFic, name: `gh-${i}`, subject: `repo:contoso/agents:environment:e${i}` }));
        assert.doesNotThrow(() => parse(withFics(fics(19))));
        const issues = issuesOf(withFics(fics(20)));
        assert.equal(issues[0]?.key, "agentfed:blueprint.additionalFederatedCredentials");
        assert.match(issues[0].problem, /21 federated identity credentials; Entra allows at most 20/);
    });

    it("rejects duplicate issuer+subject pairs", () => {
        const issues = issuesOf(withFics([ghFic, { ...ghFic, name: "github-main-again" }]));
        assert.match(issues[0]!.problem, /"github-main" and "github-main-again" both trust issuer/);
    });

    it("rejects a declared FIC that reuses the UAMI FIC's name", () => {
        const issues = issuesOf(withFics([{ ...ghFic, name: "uami-mi-weather-agent" }]));
        assert.match(issues[0]!.problem, /used 2 times/);
    });

    it("rejects unknown settings instead of ignoring a typo", () => {
        const c = validConfig();
        c.blueprint = { kind: "agentIdentityBlueprint", appID: BLUEPRINT_APP_ID, objectId: BLUEPRINT_OBJECT_ID };
        const keys = issuesOf(c).map((i) => i.key);
        assert.ok(keys.includes("agentfed:blueprint.appID"));
        assert.ok(keys.includes("agentfed:blueprint.appId"));
    });

    it("rejects an unknown Blueprint kind and a swapped appId/objectId", () => {
        const c = validConfig();
        c.blueprint = { kind: "servicePrincipal", appId: BLUEPRINT_APP_ID, objectId: BLUEPRINT_APP_ID };
        const keys = issuesOf(c).map((i) => i.key);
        assert.deepEqual(keys, ["agentfed:blueprint.kind", "agentfed:blueprint.objectId"]);
    });

    it("reports every problem at once, in a message that says nothing was created", () => {
        try {
            parse({ ...validConfig(), tenantId: "nope", location: "West Europe", protectIdentities: "yes" });
            assert.fail("expected rejection");
        } catch (err) {
            assert.ok(err instanceof ConfigError);
            assert.equal(err.issues.length, 3);
            assert.match(err.message, /^Invalid stack configuration \(3 problems\); nothing was created:/);
            assert.match(err.message, /agentfed:protectIdentities must be true or false/);
        }
    });
});

describe("stack files as the Pulumi CLI reads them (issue 24, item 14)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agentfed-stack-files-"));
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: agentfed\nruntime: nodejs\n");
    const read = (stack: string, text: string) => {
        writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
        return readStackConfig(stack, dir);
    };

    it("resolves YAML merge keys (<<) as gopkg.in/yaml.v3 does: the mapping's own keys win, then the earlier merged mapping", () => {
        const merged = read(
            "merged",
            [
                "defaults:",
                "  app: &app { name: weather-agent, minReplicas: 1, maxReplicas: 3 }",
                "  sizes: &sizes { minReplicas: 2, agent: { image: contoso.azurecr.io/weather-agent:1.4.2 } }",
                "config:",
                "  <<: { agentfed:location: westeurope }",
                "  agentfed:containerApp:",
                "    <<: [*app, *sizes]",
                "    maxReplicas: 5",
                "",
            ].join("\n"),
        );
        assert.deepEqual(Object.keys(merged), ["agentfed:location", "agentfed:containerApp"]);
        assert.equal(merged["agentfed:location"], "westeurope");
        assert.deepEqual(JSON.parse(merged["agentfed:containerApp"]!), {
            name: "weather-agent",
            minReplicas: 1,
            maxReplicas: 5,
            agent: { image: "contoso.azurecr.io/weather-agent:1.4.2" },
        });
        // A quoted "<<" is a plain key, in both readers.
        assert.deepEqual(read("quoted", 'config:\n  agentfed:uami: { "<<": x }\n'), { "agentfed:uami": '{"<<":"x"}' });
    });

    it("refuses an encrypted value where it sits, with a fix the Pulumi CLI can apply", () => {
        assert.throws(
            () => read("secret", "config:\n  agentfed:tenantId:\n    secure: AAABAKfZ0Q==\n"),
            (err: unknown) =>
                err instanceof StackFileError &&
                err.message ===
                    "Pulumi.secret.yaml: agentfed:tenantId is encrypted (secure:), and the offline plan has no key to decrypt it. Fix: nothing in this stack's configuration is a secret (ids, names, URLs); set the plain value with pulumi config set agentfed:tenantId <value> (without --secret)",
        );
        assert.throws(
            () => read("nested", "config:\n  agentfed:kind:\n    extraPublicKeys:\n      - secure: AAABAKfZ0Q==\n"),
            /agentfed:kind\.extraPublicKeys\[0\] is encrypted .*pulumi config set --path 'agentfed:kind\.extraPublicKeys\[0\]' <value>/,
        );
    });

    it("names the project's directory and its stacks when a stack file is missing, whichever project it is", () => {
        assert.throws(
            () => readStackConfig("staging", path.join(PROJECT_DIR, "bootstrap")),
            /^StackFileError: No stack file Pulumi\.staging\.yaml in .*bootstrap, the project's directory \(beside its Pulumi\.yaml\); its stacks are github$/,
        );
    });
});
