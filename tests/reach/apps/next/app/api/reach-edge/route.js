// A Next.js route handler on the Edge runtime: runs the probe against the
// API named in ?api=, and the access entry's checker (each entry loads its
// .wasm through a `?module` import).
import * as lib from "cloudmqtt-api";
import * as access from "cloudmqtt-api/access";
import { accessProbe, probe } from "../../../../probe.mjs";

export const runtime = "edge";
export const dynamic = "force-dynamic";

export async function GET(request) {
  const api = new URL(request.url).searchParams.get("api");
  return Response.json({ ...(await probe(lib, api)), access: accessProbe(access) });
}
