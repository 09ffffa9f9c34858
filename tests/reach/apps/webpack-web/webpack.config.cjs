// webpack 5, target web: the page's script bundled into dist/ beside index.html.
const path = require("node:path");

module.exports = {
  mode: "production",
  target: "web",
  entry: path.resolve(__dirname, "../page.mjs"),
  output: { path: path.resolve(__dirname, "dist"), filename: "main.js", publicPath: "/" },
};
