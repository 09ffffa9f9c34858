// Cloudflare Workers (workerd): Workers cannot compile WebAssembly from
// bytes, so the .wasm is imported statically (the runtime hands over a
// compiled WebAssembly.Module) and instantiated synchronously.
import module from "./cloudmqtt_api_wasm_bg.wasm";
import { initSync } from "./cloudmqtt_api_wasm.js";
import * as wasm from "./cloudmqtt_api_wasm.js";
import { bind } from "../client.js";

initSync({ module });

export const { CloudMqtt, CloudMqttError, evaluateAccess } = bind(wasm);
