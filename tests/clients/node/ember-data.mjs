// Ember Data outside Ember: @ember-data/json-api (the JSON:API cache, WarpDrive's) in the
// store of @warp-drive/core, requests built by @warp-drive/utilities/json-api. Run with
// `node --conditions=unpkg --experimental-detect-module`: the packages' `unpkg` builds need no
// Ember build step. Two things WarpDrive leaves to the application: a signals implementation
// (none is needed without a UI) and the request's Content-Type (its builders do not set the body).
import path from "node:path";
import { pathToFileURL } from "node:url";

const { SKILLPORT_API: API, SKILLPORT_KEY: KEY, SKILLPORT_PLUGIN_ID: PLUGIN_ID } = process.env;
const NAME = process.env.SKILLPORT_CLIENT;
const modules = path.join(process.env.SKILLPORT_NODE_CLIENTS, "node_modules");
const load = (file) => import(pathToFileURL(path.join(modules, file)).href);

const { default: JSONAPICache } = await load("@ember-data/json-api/dist/index.js");
const core = await load("@warp-drive/core/dist/unpkg/prod/index.js");
const { checkout, withDefaults } = await load("@warp-drive/core/dist/unpkg/prod/reactive.js");
const { setupSignals } = await load("@warp-drive/core/dist/unpkg/prod/configure.js");
const builders = await load("@warp-drive/utilities/dist/unpkg/prod/json-api.js");
const { createRecord, deleteRecord, findRecord, query, updateRecord } = builders;
const { serializePatch, serializeResources, setBuildURLConfig } = builders;

setupSignals(() => ({
  createSignal: () => ({}),
  consumeSignal() {},
  notifySignal() {},
  createMemo: (object, key, fn) => fn,
  willSyncFlushWatchers: () => false,
}));
setBuildURLConfig({ host: new URL(API).origin, namespace: new URL(API).pathname.slice(1) });
const headers = {
  request(context, next) {
    const headers = new Headers(context.request.headers);
    headers.set("Authorization", `Bearer ${KEY}`);
    if (context.request.body) headers.set("Content-Type", "application/vnd.api+json");
    return next({ ...context.request, headers });
  },
};
const related = (name, type) => ({
  kind: "belongsTo",
  name,
  type,
  options: { async: false, inverse: null, linksMode: true },
});
const Store = core.useRecommendedStore({
  cache: JSONAPICache,
  handlers: [headers],
  schemas: [
    withDefaults({
      type: "skills",
      fields: [{ kind: "field", name: "name" }, related("skill_collection", "skill_collections")],
    }),
    withDefaults({ type: "skill_collections", fields: [{ kind: "field", name: "name" }] }),
    withDefaults({
      type: "skill_plugins",
      fields: [
        { kind: "field", name: "name" },
        { kind: "field", name: "version" },
      ],
    }),
  ],
});
const store = new Store();
const seen = {};

let { content } = await store.request(
  query("skills", {
    "filter[name.in]": "pdf-tools,release-notes",
    sort: "-name",
    include: "skill_collection",
    "page[size]": 1,
  }),
);
seen.page1 = content.data.map((skill) => skill.name);
const collection = content.data[0].skill_collection; // the included resource
seen.included = [collection.name];
seen.page2 = (await content.next()).data.map((skill) => skill.name); // follows links.next

seen.fetched = (await store.request(findRecord("skill_collections", collection.id))).content.data
  .name;

const plugin = store.createRecord("skill_plugins", { name: `client-${NAME}`, version: "1.0.0" });
const create = createRecord(plugin);
create.body = JSON.stringify(serializeResources(store.cache, core.recordIdentifierFor(plugin)));
const created = (await store.request(create)).content.data;
seen.created = created.name;
const editable = await checkout(created); // records are immutable; edit a checkout
editable.version = "1.1.0";
const update = updateRecord(editable, { patch: true }); // PUT unless asked
update.body = JSON.stringify(serializePatch(store.cache, core.recordIdentifierFor(created)));
seen.updated = (await store.request(update)).content.data.version;
await store.request(deleteRecord(created));
try {
  await store.request(findRecord("skill_plugins", created.id, { reload: true }));
} catch (error) {
  seen.deleted = error.status;
}

const linkage = await store.request({ url: `${API}/skill_plugins/${PLUGIN_ID}/relationships/skills` });
seen.relationship = linkage.content.data.map((skill) => skill.id).sort();

const bad = store.createRecord("skill_plugins", { name: "Not Kebab", version: "1.0.0" });
const refused = createRecord(bad);
refused.body = JSON.stringify(serializeResources(store.cache, core.recordIdentifierFor(bad)));
try {
  await store.request(refused);
} catch (error) {
  const [problem] = error.content.errors; // the error document
  seen.error = { status: problem.status, pointer: problem.source.pointer };
}
process.stdout.write(JSON.stringify(seen));
