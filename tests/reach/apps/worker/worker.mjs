// A Cloudflare Worker: runs the probe against the API named in ?api=.
import * as lib from "cloudmqtt-api";
import { probe } from "../probe.mjs";

export default {
  async fetch(request) {
    const api = new URL(request.url).searchParams.get("api");
    try {
      return Response.json(await probe(lib, api));
    } catch (error) {
      return Response.json({ error: String(error && error.stack ? error.stack : error) }, { status: 500 });
    }
  },
};
