import type { CloudMocks } from "../cloud";

/**
 * What AWS would answer for the resources the stacks create: ARNs in the account the stack declares (the deploying
 * credentials' account, which the provider is pinned to), a placeholder account when it declares none.
 */
export const AWS_MOCKS: CloudMocks = {
    bind(section, tools) {
        const declared = accountIdOf(section);
        const accountId = (): string => {
            if (declared) return declared;
            tools.note("000000000000", "the AWS account id of the deploying credentials");
            return "000000000000";
        };
        const text = tools.text;
        return (type, _name, inputs) => {
            switch (type) {
                case "aws:iam/openIdConnectProvider:OpenIdConnectProvider": {
                    const arn = `arn:aws:iam::${accountId()}:oidc-provider/${text(inputs.url).replace(/^https:\/\//, "")}`;
                    return { id: arn, state: { arn } };
                }
                case "aws:iam/role:Role": {
                    const arn = `arn:aws:iam::${accountId()}:role/${text(inputs.name)}`;
                    return { id: text(inputs.name), state: { arn, uniqueId: "AROAPLACEHOLDER0000000" } };
                }
                default:
                    return undefined;
            }
        };
    },
};

/** The `accountId` of the stack's AWS section (JSON text), if declared. */
function accountIdOf(section: string | undefined): string | undefined {
    try {
        const value = (JSON.parse(section ?? "null") as Record<string, unknown> | null)?.accountId;
        return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
    } catch {
        return undefined;
    }
}
