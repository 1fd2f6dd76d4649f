export * from "./errors";
export * from "./schema";
export * from "./parse";
export type { ConfigSource } from "./reader";
export * from "./container-app";
export * from "./gcp";
export * from "./aws";
export type { KindConfig, KindWorkloadConfig } from "./kind";
export * from "./agent-classes";
