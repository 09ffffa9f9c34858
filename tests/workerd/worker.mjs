// A Worker that imports the package by name (the config maps the name to
// the package's `workerd` export) and runs the shared scenario against the
// loopback test server named in env.API_URL.
import * as lib from "cloudmqtt-api";
import { runScenario } from "./scenario-client.mjs";

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/__ping") return new Response("ok");
    const report = await runScenario(lib, env.API_URL);
    return new Response(JSON.stringify(report), { headers: { "content-type": "application/json" } });
  },
};
