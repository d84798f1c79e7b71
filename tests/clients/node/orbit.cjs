// Orbit: @orbit/jsonapi's JSONAPISource with @orbit/records' schema, queries and transforms.
// Its serializers' inflectors are off (Skillport's types, paths and members are snake_case as
// written: by default Orbit pluralizes and dasherizes types in paths and dasherizes fields in
// them), and a URL builder turns its query builder's offset/limit pages into page[number]/
// page[size] (Orbit sends page[offset]/page[limit], which Skillport does not page by).
const { API, KEY, PLUGIN_ID, NAME, BAD_NAME, need, run } = require("./common.cjs");
const { RecordSchema, RecordKeyMap } = need("@orbit/records");
const { JSONAPISource, JSONAPISerializers, JSONAPIURLBuilder } = need("@orbit/jsonapi");

const keys = { remoteId: {} }; // the server's ids; Orbit's own ids stay on the client
const schema = new RecordSchema({
  models: {
    skills: {
      keys,
      attributes: { name: {} },
      relationships: { skill_collection: { kind: "hasOne", type: "skill_collections" } },
    },
    skill_collections: { keys, attributes: { name: {} } },
    skill_plugins: {
      keys,
      attributes: { name: {}, version: {} },
      relationships: { skills: { kind: "hasMany", type: "skills" } },
    },
  },
});
const AS_WRITTEN = [
  JSONAPISerializers.ResourceType,
  JSONAPISerializers.ResourceTypePath,
  JSONAPISerializers.ResourceField,
  JSONAPISerializers.ResourceFieldPath,
];

class NumberedPages extends JSONAPIURLBuilder {
  buildPageParam({ offset = 0, limit }) {
    return { number: offset / limit + 1, size: limit };
  }
}

run(async () => {
  const keyMap = new RecordKeyMap();
  const source = new JSONAPISource({
    schema,
    keyMap,
    host: API,
    defaultFetchSettings: { headers: { Authorization: `Bearer ${KEY}` } },
    serializerSettingsFor: (type) =>
      AS_WRITTEN.includes(type)
        ? { serializationOptions: { inflectors: [] }, deserializationOptions: { inflectors: [] } }
        : undefined,
    URLBuilderClass: NumberedPages,
  });
  // The records a response brought (its data and `included`), as Orbit hands them to a cache.
  const brought = (transforms) =>
    transforms.flatMap((transform) => transform.operations.map((operation) => operation.record));
  const seen = {};

  // The query builder's attribute filters send `filter[attr]=value` (one value, op `equal`); a
  // list takes the request option `filter`, whose keys Orbit sends as written.
  let page = await source.query(
    (q) => q.findRecords("skills").sort("-name").page({ offset: 0, limit: 1 }),
    {
      filter: { "name.in": "pdf-tools,release-notes" },
      include: ["skill_collection"],
      fullResponse: true,
    },
  );
  seen.page1 = page.data.map((skill) => skill.attributes.name);
  const linked = page.data[0].relationships.skill_collection.data;
  const collection = brought(page.transforms).find((record) => record.id === linked.id);
  seen.included = [collection.attributes.name];
  // `links.next` is in the response's document; the request option `url` follows it.
  const next = page.details[0].document.links.next;
  page = await source.query((q) => q.findRecords("skills"), { url: next });
  seen.page2 = page.map((skill) => skill.attributes.name);

  seen.fetched = (await source.query((q) => q.findRecord(linked))).attributes.name;

  const attributes = { name: `client-${NAME}`, version: "1.0.0" };
  const created = await source.update((t) => t.addRecord({ type: "skill_plugins", attributes }));
  seen.created = created.attributes.name;
  const plugin = { type: "skill_plugins", id: created.id };
  const updated = await source.update((t) =>
    t.updateRecord({ ...plugin, attributes: { version: "1.1.0" } }),
  );
  seen.updated = updated.attributes.version;
  await source.update((t) => t.removeRecord(plugin));
  // Orbit reads a 404 as no record (the query resolves to undefined); with
  // `raiseNotFoundExceptions` it rejects with RecordNotFoundException, which has no status. A
  // failed request holds the source's request queue until it is skipped (or retried).
  try {
    await source.query((q) => q.findRecord(plugin), { raiseNotFoundExceptions: true });
  } catch (error) {
    seen.deleted = error.constructor.name;
    await source.requestQueue.skip();
  }

  // A record the server named: its Orbit id, mapped to the server's id by the key map.
  const demo = { type: "skill_plugins", id: schema.generateId("skill_plugins") };
  keyMap.pushRecord({ ...demo, keys: { remoteId: PLUGIN_ID } });
  // Orbit reads the related resources' link by default; `url` points it at the relationship's.
  const skills = await source.query((q) => q.findRelatedRecords(demo, "skills"), {
    url: `${API}/skill_plugins/${PLUGIN_ID}/relationships/skills`,
  });
  seen.relationship = skills.map((skill) => skill.keys.remoteId).sort();

  try {
    await source.update((t) =>
      t.addRecord({ type: "skill_plugins", attributes: { name: BAD_NAME, version: "1.0.0" } }),
    );
  } catch (error) {
    const [problem] = error.data.errors; // a ClientError; `data` is the error document
    seen.error = { status: problem.status, pointer: problem.source.pointer };
    await source.requestQueue.skip();
  }
  return seen;
});
