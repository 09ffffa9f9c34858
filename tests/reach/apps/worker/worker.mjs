// A Cloudflare Worker: runs the probe against the API named in ?api=, and
// the access entry's checker.
import * as lib from "cloudmqtt-api";
import * as access from "cloudmqtt-api/access";
import { accessProbe, probe } from "../probe.mjs";

export default {
  async fetch(request) {
    const api = new URL(request.url).searchParams.get("api");
    try {
      return Response.json({ ...(await probe(lib, api)), access: accessProbe(access) });
    } catch (error) {
      return Response.json({ error: String(error && error.stack ? error.stack : error) }, { status: 500 });
    }
  },
};
