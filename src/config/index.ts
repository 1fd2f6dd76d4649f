export * from "./errors";
export * from "./schema";
export * from "./parse";
export type { ConfigSource } from "./reader";
export * from "./container-app";
export type { KindConfig, KindWorkloadConfig } from "./kind";
export * from "./agent-classes";
