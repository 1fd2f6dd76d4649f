import { createValidatedPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import { audiencesOf, AwsRoleContract, JwtClaims, lifetimeProblems, Verdict } from "../contracts";

/**
 * AWS STS AssumeRoleWithWebIdentity, as it behaves: the token's issuer must be a registered OIDC provider (the
 * contract's), its `aud` must be in the provider's client id list (`InvalidIdentityToken: Incorrect token
 * audience`), it must be within its lifetime, and then the role's trust policy is evaluated, here by a real IAM
 * policy evaluator (@cloud-copilot/iam-simulate) with the provider as principal and the condition keys AWS derives
 * from the provider URL. The simulator's validated entry point does not know provider-specific keys, so the trust
 * policy is validated with @cloud-copilot/iam-policy's trust-policy rules and run through its unvalidated engine.
 * Signature, JWKS and thumbprint checks are not modelled.
 */
export function evaluateAwsRole(contract: AwsRoleContract, claims: JwtClaims, now?: number): Verdict {
    const reasons: string[] = [];
    if (claims.iss !== contract.providerUrl) {
        reasons.push(
            `InvalidIdentityToken: No OpenIDConnect provider found in your account for ${String(claims.iss)} (the role trusts ${contract.providerUrl})`,
        );
    }
    const auds = audiencesOf(claims);
    if (!auds.includes(contract.audience))
        reasons.push(`InvalidIdentityToken: Incorrect token audience (got ${JSON.stringify(claims.aud)}, the provider lists ${contract.audience})`);
    if (now !== undefined) reasons.push(...lifetimeProblems(claims, now, 0, "ExpiredTokenException: Token"));

    const principal =
        claims.iss === contract.providerUrl
            ? contract.providerArn
            : `arn:aws:iam::${contract.accountId}:oidc-provider/${String(claims.iss).replace(/^https:\/\//, "")}`;
    let result: string;
    try {
        const policy = createValidatedPolicy(contract.trustPolicy, validateTrustPolicy, { name: `${contract.name}-trust-policy` });
        result = runUnsafeSimulation(
            {
                request: {
                    principal,
                    action: "sts:AssumeRoleWithWebIdentity",
                    resource: { resource: contract.roleArn, accountId: contract.accountId },
                    contextVariables: {
                        [contract.conditionKeys.aud]: auds.length === 1 ? auds[0]! : auds,
                        [contract.conditionKeys.sub]: typeof claims.sub === "string" ? claims.sub : "",
                        // Provider-specific keys (<provider>:<claim>) carry the token's claim; an absent claim is absent here too.
                        ...Object.fromEntries(
                            Object.keys(contract.claimPins ?? {}).flatMap((key) => {
                                const value = claims[key.slice(key.lastIndexOf(":") + 1)];
                                return typeof value === "string" ? [[key, value]] : [];
                            }),
                        ),
                    },
                },
                identityPolicies: [],
                serviceControlPolicies: [],
                resourceControlPolicies: [],
                resourcePolicy: policy as never,
            },
            {},
        );
    } catch (err) {
        // A trust policy the evaluator cannot read (hand-edited outputs): AWS would refuse to store it at all.
        result = `the trust policy could not be evaluated (${err instanceof Error ? err.message : String(err)})`;
    }
    if (result !== "Allowed")
        reasons.push(`AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (trust policy of ${contract.name}: ${result})`);
    return { accepted: reasons.length === 0, reasons };
}
