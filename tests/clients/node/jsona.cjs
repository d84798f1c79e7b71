// jsona (its defaults) with Node's fetch: jsona turns documents into plain objects and back,
// fetch sends them.
const { API, KEY, PLUGIN_ID, NAME, BAD_NAME, need, run } = require("./common.cjs");
const { Jsona } = need("jsona");

const JSON_API = "application/vnd.api+json";

run(async () => {
  const jsona = new Jsona();
  const call = async (url, method = "GET", body = undefined) => {
    const response = await fetch(url.startsWith("http") ? url : `${API}/${url}`, {
      method,
      headers: { Authorization: `Bearer ${KEY}`, Accept: JSON_API, "Content-Type": JSON_API },
      body: body && JSON.stringify(body),
    });
    const document = response.status === 204 ? null : await response.json();
    return { status: response.status, document };
  };
  const seen = {};

  const query = new URLSearchParams({
    "filter[name.in]": "pdf-tools,release-notes",
    sort: "-name",
    include: "skill_collection",
    "page[size]": "1",
  });
  let { document } = await call(`skills?${query}`);
  let skills = jsona.deserialize(document);
  seen.page1 = skills.map((skill) => skill.name);
  const collection = skills[0].skill_collection; // the included resource
  seen.included = [collection.name];
  ({ document } = await call(document.links.next));
  seen.page2 = jsona.deserialize(document).map((skill) => skill.name);

  seen.fetched = jsona.deserialize((await call(`skill_collections/${collection.id}`)).document).name;

  const plugin = { type: "skill_plugins", name: `client-${NAME}`, version: "1.0.0" };
  const created = jsona.deserialize(
    (await call("skill_plugins", "POST", jsona.serialize({ stuff: plugin }))).document,
  );
  seen.created = created.name;
  const change = { type: "skill_plugins", id: created.id, version: "1.1.0" };
  const url = `skill_plugins/${created.id}`;
  seen.updated = jsona.deserialize(
    (await call(url, "PATCH", jsona.serialize({ stuff: change }))).document,
  ).version;
  await call(url, "DELETE");
  seen.deleted = (await call(url)).status;

  const linkage = (await call(`skill_plugins/${PLUGIN_ID}/relationships/skills`)).document;
  seen.relationship = linkage.data.map((skill) => skill.id).sort();

  const bad = { type: "skill_plugins", name: BAD_NAME, version: "1.0.0" };
  const refused = await call("skill_plugins", "POST", jsona.serialize({ stuff: bad }));
  const [problem] = refused.document.errors;
  seen.error = { status: problem.status, pointer: problem.source.pointer };
  return seen;
});
