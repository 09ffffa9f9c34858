// A browser page's script: runs the probe against the API named in the
// page's query (?api=...) and posts the report back to the page's server.
import * as lib from "cloudmqtt-api";
import { probe } from "./probe.mjs";

const api = new URLSearchParams(location.search).get("api");
probe(lib, api)
  .then((report) => report, (error) => ({ error: String(error && error.stack ? error.stack : error) }))
  .then((report) => fetch("/report", { method: "POST", body: JSON.stringify(report) }));
