/** Pure trust-contract code: no Pulumi imports, so every rule here is tested without a Pulumi runtime. */
export * from "./constants";
export * from "./validation";
export * from "./claims";
export * from "./token-form";
export * from "./workload-subject";
export * from "./github-actions";
export * from "./agent-identity";
export * from "./agent-identity-token";
export * from "./entra-fic";
export * from "./gcp-provider";
export * from "./aws-role";
export * from "./pulumi-oidc";
export * from "./trust-contract";
export * from "./oidc-issuer";
export * from "./agent-id-graph";
