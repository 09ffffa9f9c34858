// Run by Deno: imports the package by name from the scratch project's
// node_modules and runs the shared scenario against the test server whose
// API URL is the first argument. Prints one JSON line.
import * as lib from "cloudmqtt-api";
import { runScenario } from "../npm/scenario-client.mjs";

const report = await runScenario(lib, Deno.args[0]);
report.resolved = import.meta.resolve("cloudmqtt-api");
console.log(JSON.stringify(report));
