// Node.js (import), unbundled: the client and the WebAssembly glue as one ES
// module (the build bundles client.js and wasm.js into this file), reading
// the .wasm next to it on the first `new CloudMqtt()`. Importing loads no
// CommonJS and no other module, which keeps `import` within a few
// milliseconds, and the first client loads none either. `node:fs` comes
// from `process.getBuiltinModule` where Node has it (20.16 and later;
// earlier, from an import). Bundlers take node-bundler.mjs instead (the
// `module` condition), which carries the .wasm inside its JavaScript so
// that a bundle runs wherever it is copied.
//
// A process that both imports and requires the package gets two copies of
// the classes; `instanceof` answers alike for either (see client.js).
// Named imports, so that the bundle leaves out what this entry never uses
// (the glue's asynchronous loader).
import { initSync, Method, WasmClient } from "./wasm.js";
import { bind } from "./client.js";

const { readFileSync } = globalThis.process.getBuiltinModule?.("node:fs") ?? (await import("node:fs"));

const api = bind(() => {
  initSync({ module: readFileSync(new URL("./cloudmqtt_api_wasm_bg.wasm", import.meta.url)) });
  return { Method, WasmClient };
});

// Exported from bindings named otherwise: a top-level `CloudMqtt` here would
// make esbuild rename client.js's class of that name (`CloudMqtt2`, as stack
// frames would show it) when the build bundles the two.
const { CloudMqtt: Client, CloudMqttError: ClientError } = api;
export { Client as CloudMqtt, ClientError as CloudMqttError };
export const {
  ValidationError,
  AuthenticationError,
  NotFoundError,
  AlreadyExistsError,
  RateLimitError,
  ApiError,
  ConnectionError,
  AbortError,
  WaitTimeoutError,
  StalePlanError,
  InternalError,
} = api;
