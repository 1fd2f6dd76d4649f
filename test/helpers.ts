import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { loadTargetStack, TargetStack } from "../bootstrap/targets";
import { ConfigError, parseStackConfig } from "../src/config";
import { PROJECT_DIR, readStackConfig } from "../src/plan/stack-files";

/** Values from the worked example of Rais, "Entra Agent ID Across Clouds", Part 2, used across the tests. */
export const TENANT = "11111111-1111-1111-1111-111111111111";
export const OTHER_TENANT = "99999999-9999-9999-9999-999999999999";
export const UAMI_CLIENT_ID = "22222222-2222-2222-2222-222222222222";
export const UAMI_OID = "33333333-3333-3333-3333-333333333333";
export const OTHER_OID = "88888888-8888-8888-8888-888888888888";
export const BLUEPRINT_APP_ID = "44444444-4444-4444-4444-444444444444";
export const BLUEPRINT_OBJECT_ID = "55555555-5555-5555-5555-555555555555";

/** The decoded managed-identity JWT of Rais, "Entra Agent ID Across Clouds", Part 2 ("A worked example of one JWT across two clouds"). */
export const SEED_UAMI_TOKEN_CLAIMS = {
    iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    sub: UAMI_OID,
    aud: "fb60f99c-7a34-4190-8149-302f77469936",
    oid: UAMI_OID,
    tid: TENANT,
    idtyp: "app",
    exp: 1748736000,
} as const;

export const UAMI_TYPE = "azure-native:managedidentity:UserAssignedIdentity";
export const BLUEPRINT_FIC_TYPE = "pulumi-nodejs:dynamic/agentfed:BlueprintFederatedIdentityCredential";
export const APP_FIC_TYPE = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential";

/**
 * The problems the config parser reports for the prod stack file with one section's fields replaced, each as
 * `<key>: <problem> | <fix>`; empty when the configuration is valid.
 */
export function prodConfigIssues(section: string, patch: Record<string, unknown>): string[] {
    const raw = readStackConfig("prod");
    const key = `agentfed:${section}`;
    raw[key] = JSON.stringify({ ...(JSON.parse(raw[key] ?? "{}") as object), ...patch });
    try {
        parseStackConfig({ get: (k) => raw[`agentfed:${k}`] }, "agentfed");
        return [];
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        return err.issues.map((i) => `${i.key}: ${i.problem} | ${i.fix}`);
    }
}

/**
 * What the CI bootstrap derives from a main-project stack file holding prod's configuration with `overrides` (keys
 * without namespace; undefined removes a key), written to a scratch project and removed again.
 */
export function targetStackWith(overrides: Record<string, unknown>): TargetStack {
    const dir = mkdtempSync(path.join(tmpdir(), "agentfed-target-"));
    try {
        copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const parsed = (text: string): unknown => {
            try {
                return JSON.parse(text) as unknown;
            } catch {
                return text;
            }
        };
        const config: Record<string, unknown> = Object.fromEntries(Object.entries(readStackConfig("prod")).map(([k, v]) => [k, parsed(v)]));
        for (const [k, v] of Object.entries(overrides)) {
            if (v === undefined) delete config[`agentfed:${k}`];
            else config[`agentfed:${k}`] = v;
        }
        writeFileSync(path.join(dir, "Pulumi.sandbox.yaml"), yaml.dump({ config }));
        return loadTargetStack("sandbox", dir);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
