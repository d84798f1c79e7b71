// What every client script shares: the live server (from the test's environment), the
// installed clients (SKILLPORT_NODE_CLIENTS, an npm prefix outside the repository) and the
// report of what the client saw (JSON on stdout, compared by tests/clients/test_node_clients.py).
const path = require("node:path");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");

exports.API = process.env.SKILLPORT_API; // http://127.0.0.1:<port>/api
exports.KEY = process.env.SKILLPORT_KEY;
exports.PLUGIN_ID = process.env.SKILLPORT_PLUGIN_ID; // the demo plugin 'support-kit'
exports.NAME = process.env.SKILLPORT_CLIENT; // names the plugin the client creates
exports.BAD_NAME = "Not Kebab";
const prefix = process.env.SKILLPORT_NODE_CLIENTS;
exports.need = createRequire(path.join(prefix, "package.json"));

// A package's ES module entry (`exports["."].import`), for packages whose CommonJS build
// does not load (kitsu 11's `dist/index.js` is CommonJS in a `"type": "module"` package).
exports.importPackage = async (name) => {
  const root = path.join(prefix, "node_modules", name);
  const entry = require(path.join(root, "package.json")).exports["."].import;
  return import(pathToFileURL(path.join(root, entry)).href);
};

exports.run = (scenario) => {
  scenario().then(
    (seen) => process.stdout.write(JSON.stringify(seen)),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
};
