import { evaluate } from "@marcbachmann/cel-js";
import { audiencesOf, gcpAcceptedAudiences, GcpProviderContract, gcpSubjectPrincipal, JwtClaims, lifetimeProblems, Verdict } from "../contracts";

/**
 * GCP STS's checks on a subject token, in order: issuer equals `issuerUri`; one `aud` value equals an allowed
 * audience byte for byte (an empty list accepts only the provider's own resource name, with or without `https:`);
 * the token is within its lifetime; the attribute mapping evaluates (`google.subject` must be produced); the
 * attribute condition evaluates to true. Then the impersonation: IAM Credentials lets the federated principal
 * mint the service account's token only if `principal://.../subject/<google.subject>` is the member the account
 * grants roles/iam.workloadIdentityUser (the contract's `principal`). Mapping and condition run in a real CEL
 * implementation with `assertion` = the claims. Signature and JWKS retrieval are not modelled.
 */
export function evaluateGcpProvider(contract: GcpProviderContract, claims: JwtClaims, now?: number): Verdict {
    const reasons: string[] = [];
    if (claims.iss !== contract.issuer) {
        reasons.push(`invalid_grant: The issuer in ID Token ${JSON.stringify(claims.iss)} does not match the expected ones: ${contract.issuer}`);
    }
    const auds = audiencesOf(claims);
    const accepted = gcpAcceptedAudiences(contract);
    if (!auds.some((a) => accepted.includes(a))) {
        reasons.push(`invalid_grant: The audience in ID Token [${auds.join(", ")}] does not match the expected audience ${JSON.stringify(accepted)}`);
    }
    if (now !== undefined) reasons.push(...lifetimeProblems(claims, now, 0, "invalid_grant: ID Token"));

    const attribute: Record<string, unknown> = {};
    const google: Record<string, unknown> = {};
    for (const [target, expression] of Object.entries(contract.attributeMapping)) {
        try {
            const value: unknown = evaluate(expression, { assertion: claims });
            if (target.startsWith("google.")) google[target.slice(7)] = value;
            else if (target.startsWith("attribute.")) attribute[target.slice(10)] = value;
        } catch (err) {
            reasons.push(`invalid_grant: The attribute mapping ${target} = ${expression} could not be evaluated (${(err as Error).message})`);
        }
    }
    if (typeof google.subject !== "string" || google.subject === "") {
        reasons.push("invalid_grant: The mapped attribute google.subject is missing or empty");
    }
    let conditionHolds: boolean;
    try {
        conditionHolds = evaluate(contract.attributeCondition, { assertion: claims, attribute, google }) === true;
    } catch {
        conditionHolds = false; // a missing claim makes the condition fail, as in GCP
    }
    if (!conditionHolds) reasons.push("unauthorized_client: The given credential is rejected by the attribute condition.");
    // The impersonation call only happens once STS has issued a federated token.
    if (reasons.length === 0 && typeof google.subject === "string") {
        let member: string;
        try {
            member = gcpSubjectPrincipal(contract.projectNumber, contract.poolId, google.subject);
        } catch (err) {
            member = `(no valid principal: ${(err as Error).message})`;
        }
        if (member !== contract.principal) {
            reasons.push(
                `PERMISSION_DENIED: Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist): ` +
                    `${contract.serviceAccountEmail} grants roles/iam.workloadIdentityUser to ${contract.principal}, not to ${member}`,
            );
        }
    }
    return { accepted: reasons.length === 0, reasons };
}
