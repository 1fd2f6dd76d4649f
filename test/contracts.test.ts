import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
    entraFicContract,
    evaluateEntraFic,
    externalWorkloadSubject,
    ficSetProblems,
    kubernetesServiceAccountSubject,
    TOKEN_EXCHANGE_APP_ID,
    TrustContractError,
    uamiWorkloadSubject,
    BlueprintTarget,
} from "../src/contracts";
import { BLUEPRINT_APP_ID, BLUEPRINT_OBJECT_ID, OTHER_OID, OTHER_TENANT, SEED_UAMI_TOKEN_CLAIMS, TENANT, UAMI_OID } from "./helpers";

const blueprint: BlueprintTarget = { kind: "agentIdentityBlueprint", appId: BLUEPRINT_APP_ID, objectId: BLUEPRINT_OBJECT_ID };

describe("UAMI workload subject", () => {
    it("is the v2.0 issuer, the object id and the GUID audience that arrives on the wire", () => {
        assert.deepEqual(uamiWorkloadSubject(TENANT, UAMI_OID), {
            source: "uami",
            issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
            subject: UAMI_OID,
            audiences: [TOKEN_EXCHANGE_APP_ID],
            tenantId: TENANT,
        });
    });
    it("refuses an object id that is not a GUID (a name, or an unresolved placeholder)", () => {
        assert.throws(() => uamiWorkloadSubject(TENANT, "mi-weather-agent"), TrustContractError);
        assert.throws(() => uamiWorkloadSubject("contoso.onmicrosoft.com", UAMI_OID), /tenant id is not a GUID/);
    });
});

describe("Entra FIC contract", () => {
    const contract = entraFicContract("uami-mi-weather-agent", blueprint, uamiWorkloadSubject(TENANT, UAMI_OID));

    it("pins the exact issuer and subject, with the single URI-form audience", () => {
        assert.equal(contract.issuer, `https://login.microsoftonline.com/${TENANT}/v2.0`);
        assert.equal(contract.subject, UAMI_OID);
        assert.deepEqual(contract.audiences, ["api://AzureADTokenExchange"]);
        assert.deepEqual(contract.target, blueprint);
    });

    it("accepts the seed's UAMI token (aud arrives as the GUID; Entra treats both spellings as one)", () => {
        assert.deepEqual(evaluateEntraFic(contract, SEED_UAMI_TOKEN_CLAIMS), { accepted: true, reasons: [] });
        assert.equal(evaluateEntraFic(contract, { ...SEED_UAMI_TOKEN_CLAIMS, aud: "api://AzureADTokenExchange" }).accepted, true);
    });

    it("rejects another subject with AADSTS70021", () => {
        const v = evaluateEntraFic(contract, { ...SEED_UAMI_TOKEN_CLAIMS, sub: OTHER_OID, oid: OTHER_OID });
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /AADSTS70021.*subject "88888888/);
    });

    it("rejects another tenant (the issuer differs)", () => {
        const v = evaluateEntraFic(contract, { ...SEED_UAMI_TOKEN_CLAIMS, iss: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT });
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /AADSTS70021.*issuer/);
    });

    it("rejects another audience, e.g. a token minted for api://weather", () => {
        const v = evaluateEntraFic(contract, { ...SEED_UAMI_TOKEN_CLAIMS, aud: "api://weather" });
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /AADSTS70021.*audience "api:\/\/weather"/);
    });

    it("rejects the v1 issuer spelling of the same tenant: issuers match byte for byte", () => {
        const v = evaluateEntraFic(contract, { ...SEED_UAMI_TOKEN_CLAIMS, iss: `https://sts.windows.net/${TENANT}/` });
        assert.equal(v.accepted, false);
    });

    it("rejects a subject that differs only in case or whitespace", () => {
        const hexOid = "3333abcd-3333-3333-3333-333333333333";
        const hexContract = entraFicContract("uami", blueprint, uamiWorkloadSubject(TENANT, hexOid));
        assert.equal(evaluateEntraFic(hexContract, { ...SEED_UAMI_TOKEN_CLAIMS, sub: hexOid }).accepted, true);
        assert.equal(evaluateEntraFic(hexContract, { ...SEED_UAMI_TOKEN_CLAIMS, sub: hexOid.toUpperCase() }).accepted, false);
        assert.equal(evaluateEntraFic(hexContract, { ...SEED_UAMI_TOKEN_CLAIMS, sub: ` ${hexOid}` }).accepted, false);
    });

    it("rejects a token that only shares the tenant: a tid match is never enough", () => {
        const tenantOnly = { iss: SEED_UAMI_TOKEN_CLAIMS.iss, tid: TENANT, aud: TOKEN_EXCHANGE_APP_ID, sub: OTHER_OID };
        assert.equal(evaluateEntraFic(contract, tenantOnly).accepted, false);
    });

    it("rejects an expired assertion when a clock is given (AADSTS700024)", () => {
        const v = evaluateEntraFic(contract, SEED_UAMI_TOKEN_CLAIMS, SEED_UAMI_TOKEN_CLAIMS.exp + 3600);
        assert.equal(v.accepted, false);
        assert.match(v.reasons.join("\n"), /AADSTS700024/);
    });

    it("cannot be built for a token minted for another audience", () => {
        const weather = externalWorkloadSubject(SEED_UAMI_TOKEN_CLAIMS.iss, UAMI_OID, ["api://weather"]);
        assert.throws(() => entraFicContract("uami", blueprint, weather), /only accepts api:\/\/AzureADTokenExchange/);
    });

    it("cannot be built with a wildcard or empty subject, or an http issuer", () => {
        const base = { source: "external" as const, issuer: "https://issuer.example", subject: "x", audiences: ["api://AzureADTokenExchange"] };
        assert.throws(() => entraFicContract("fic-a", blueprint, { ...base, subject: "repo:org/*" }), /wildcard/);
        assert.throws(() => entraFicContract("fic-a", blueprint, { ...base, subject: "" }), /empty/);
        assert.throws(() => entraFicContract("fic-a", blueprint, { ...base, issuer: "http://issuer.example" }), /https/);
        assert.throws(() => entraFicContract("fic-a", blueprint, { ...base, issuer: "https://issuer.example " }), /whitespace/);
    });

    it("enforces Entra's FIC name rules (immutable, at most 120 characters)", () => {
        const s = uamiWorkloadSubject(TENANT, UAMI_OID);
        assert.throws(() => entraFicContract("x".repeat(121), blueprint, s), /3 to 120/);
        assert.throws(() => entraFicContract("-bad", blueprint, s), /start with a letter or digit/);
    });
});

describe("FIC set rules", () => {
    it("allows 20 FICs and refuses 21", () => {
        const fics = Array.from({ length: 21 }, (_, i) => ({ name: `fic-${i}`, issuer: "https://issuer.example", subject: `s-${i}` }));
        assert.deepEqual(ficSetProblems(fics.slice(0, 20)), []);
        assert.match(ficSetProblems(fics).join("\n"), /21 federated identity credentials.*at most 20/);
    });
    it("refuses two FICs with the same issuer+subject, and duplicate names", () => {
        const problems = ficSetProblems([
            { name: "a-fic", issuer: "https://issuer.example", subject: "s" },
            { name: "b-fic", issuer: "https://issuer.example", subject: "s" },
            { name: "A-FIC", issuer: "https://issuer.example", subject: "t" },
        ]);
        assert.match(problems.join("\n"), /"a-fic" and "b-fic" both trust issuer/);
        assert.match(problems.join("\n"), /name "a-fic" is used 2 times/);
    });
});

describe("Kubernetes service-account subject", () => {
    it("is system:serviceaccount:<ns>:<sa> under the cluster issuer", () => {
        const s = kubernetesServiceAccountSubject("https://example.blob.core.windows.net/oidc", "agents", "weather-agent", ["api://AzureADTokenExchange"]);
        assert.equal(s.subject, "system:serviceaccount:agents:weather-agent");
        assert.equal(entraFicContract("kind-weather", blueprint, s).audiences[0], "api://AzureADTokenExchange");
    });
    it("refuses names Kubernetes would refuse", () => {
        assert.throws(() => kubernetesServiceAccountSubject("https://x.example", "Agents", "sa", ["a"]), /DNS-1123/);
    });
});
