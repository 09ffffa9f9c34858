// webpack 5, target node: the app bundled into dist/, which runs alone.
const path = require("node:path");

module.exports = {
  mode: "production",
  target: "node",
  entry: path.resolve(__dirname, "../main.mjs"),
  output: { path: path.resolve(__dirname, "dist"), filename: "main.js" },
};
