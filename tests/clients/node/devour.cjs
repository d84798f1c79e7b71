// devour-client, its defaults; models named in the singular, as its docs do.
const { API, KEY, PLUGIN_ID, NAME, BAD_NAME, need, run } = require("./common.cjs");
const JsonApi = need("devour-client");

run(async () => {
  const api = new JsonApi({ apiUrl: API, bearer: KEY, logger: false });
  api.define("skill", {
    name: "",
    skill_collection: { jsonApi: "hasOne", type: "skill_collections" },
  });
  api.define("skill_collection", { name: "" });
  api.define("skill_plugin", {
    name: "",
    version: "",
    skills: { jsonApi: "hasMany", type: "skills" },
  });
  const seen = {};

  let page = await api.findAll("skill", {
    filter: { "name.in": "pdf-tools,release-notes" },
    sort: "-name",
    include: "skill_collection",
    page: { size: 1 },
  });
  seen.page1 = page.data.map((skill) => skill.name);
  const collection = page.data[0].skill_collection; // the included resource
  seen.included = [collection.name];
  page = await api.request(page.links.next);
  seen.page2 = page.data.map((skill) => skill.name);

  seen.fetched = (await api.find("skill_collection", collection.id)).data.name;

  const created = (await api.create("skill_plugin", { name: `client-${NAME}`, version: "1.0.0" }))
    .data;
  seen.created = created.name;
  const updated = (await api.update("skill_plugin", { id: created.id, version: "1.1.0" })).data;
  seen.updated = updated.version;
  await api.destroy("skill_plugin", created.id);
  try {
    await api.find("skill_plugin", created.id);
  } catch (errors) {
    seen.deleted = errors; // devour rejects with the error objects, keyed
  }

  const linkage = await api.one("skill_plugin", PLUGIN_ID).relationships("skills").get();
  seen.relationship = linkage.data.map((skill) => skill.id).sort();

  try {
    await api.create("skill_plugin", { name: BAD_NAME, version: "1.0.0" });
  } catch (errors) {
    seen.error = errors; // keyed by the member `source.pointer` names
  }
  return seen;
});
