// A Node program (CommonJS): prints the probe's report for the API at argv[2].
"use strict";
const lib = require("cloudmqtt-api");
const { probe } = require("./probe.cjs");

probe(lib, process.argv[2]).then((report) => console.log(JSON.stringify(report)));
