// Node.js (import): re-exports the CommonJS entry, so that `import` and
// `require` share one WebAssembly instance and one CloudMqttError class.
import api from "./node.cjs";

export const { CloudMqtt, CloudMqttError, evaluateAccess } = api;
