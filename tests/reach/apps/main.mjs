// A Node program (ESM): prints the probe's report for the API at argv[2].
import * as lib from "cloudmqtt-api";
import { probe } from "./probe.mjs";

console.log(JSON.stringify(await probe(lib, process.argv[2])));
