// Node.js (import) for `cloudmqtt-api/access`: re-exports the CommonJS
// entry, so that `import` and `require` share one WebAssembly instance.
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
  evaluateAccess,
  testAccess,
  explainAccess,
  diffAccess,
} = api;
