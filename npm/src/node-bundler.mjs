// Node.js bundles (esbuild, webpack, Next.js and every bundler that honours
// the `module` condition): re-exports the CommonJS entry, which carries the
// .wasm base64 inside its JavaScript (wasm-inline.cjs), so that the bundle
// holds everything and runs wherever it is copied.
import api from "./node.cjs";

export const {
  CloudMqtt,
  CloudMqttError,
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
