// The package's own version, sent in `x-amz-user-agent`. The build (tsup `define`) replaces
// __AGENTCORE_SDK_VERSION__ with the `version` field of packages/client/package.json, so the published code
// always reports the version it was released as. Run from source (jest, ts-node) nothing defines it, and the
// `typeof` guard falls back to "0.0.0-dev" instead of throwing a ReferenceError.
declare const __AGENTCORE_SDK_VERSION__: string | undefined;

export const SDK_VERSION: string = typeof __AGENTCORE_SDK_VERSION__ === "string" ? __AGENTCORE_SDK_VERSION__ : "0.0.0-dev";
