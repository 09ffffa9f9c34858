// A Next.js route handler on the Node runtime: runs the probe against the
// API named in ?api=.
import * as lib from "cloudmqtt-api";
import { probe } from "../../../../probe.mjs";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(request) {
  const api = new URL(request.url).searchParams.get("api");
  return Response.json(await probe(lib, api));
}
