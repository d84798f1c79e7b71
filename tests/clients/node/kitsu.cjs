// kitsu: its docs' options for an API whose paths and types are snake_case plurals as written
// (its defaults camelCase types, kebab-case paths and pluralise model names).
const { API, KEY, PLUGIN_ID, NAME, BAD_NAME, importPackage, run } = require("./common.cjs");

run(async () => {
  const { default: Kitsu } = await importPackage("kitsu");
  const api = new Kitsu({
    baseURL: API,
    headers: { Authorization: `Bearer ${KEY}` },
    camelCaseTypes: false,
    resourceCase: "none",
    pluralize: false,
  });
  const seen = {};

  let page = await api.get("skills", {
    params: {
      filter: { "name.in": "pdf-tools,release-notes" },
      sort: "-name",
      include: "skill_collection",
      page: { size: 1 },
    },
  });
  seen.page1 = page.data.map((skill) => skill.name);
  const collection = page.data[0].skill_collection.data; // the included resource
  seen.included = [collection.name];
  // `links.next` is absolute; kitsu takes a path under baseURL and the query as params.
  const next = new URL(page.links.next);
  page = await api.get(next.pathname.slice(new URL(API).pathname.length + 1), {
    params: Object.fromEntries(next.searchParams),
  });
  seen.page2 = page.data.map((skill) => skill.name);

  seen.fetched = (await api.get(`skill_collections/${collection.id}`)).data.name;

  const created = (await api.create("skill_plugins", { name: `client-${NAME}`, version: "1.0.0" }))
    .data;
  seen.created = created.name;
  const updated = (await api.update("skill_plugins", { id: created.id, version: "1.1.0" })).data;
  seen.updated = updated.version;
  await api.remove("skill_plugins", created.id);
  try {
    await api.get(`skill_plugins/${created.id}`);
  } catch (error) {
    seen.deleted = error.response.status;
  }

  const linkage = await api.get(`skill_plugins/${PLUGIN_ID}/relationships/skills`);
  seen.relationship = linkage.data.map((skill) => skill.id).sort();

  try {
    await api.create("skill_plugins", { name: BAD_NAME, version: "1.0.0" });
  } catch (error) {
    const [problem] = error.errors; // the document's errors, as kitsu hands them over
    seen.error = { status: problem.status, pointer: problem.source.pointer };
  }
  return seen;
});
