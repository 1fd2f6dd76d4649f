export * from "./errors";
export * from "./schema";
export * from "./parse";
export type { ConfigSource } from "./reader";
export type { KindConfig, KindWorkloadConfig } from "./kind";
