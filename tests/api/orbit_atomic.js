// Orbit (@orbit/jsonapi) against a served Skillport: its own serializers write the atomic
// operations document and read the results, its request processor sends them.
// Usage: node orbit_atomic.js <base url> <api key> <plugin id> <skill id>; prints a JSON summary.
// --8<-- [start:send]
const { RecordSchema, RecordKeyMap } = require('@orbit/records');
const { JSONAPISource, JSONAPISerializers } = require('@orbit/jsonapi');

const [baseUrl, apiKey, pluginId, skillId] = process.argv.slice(2);
const ATOMIC = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"';
const keys = { remoteId: {} };

const schema = new RecordSchema({
  models: {
    skill_collections: {
      keys,
      attributes: { name: {}, root_path: {}, provider: {} }
    },
    skill_plugins: {
      keys,
      attributes: { name: {}, version: {}, description: {} },
      relationships: { skills: { kind: 'hasMany', type: 'skills' } }
    },
    skills: { keys, attributes: { name: {} } }
  }
});
const keyMap = new RecordKeyMap();
const source = new JSONAPISource({
  schema,
  keyMap,
  host: baseUrl,
  namespace: 'api',
  defaultFetchSettings: { headers: { Authorization: `Bearer ${apiKey}` } },
  // Skillport's types and member names are snake_case, written as they are.
  serializerSettingsFor: (type) =>
    [JSONAPISerializers.ResourceType, JSONAPISerializers.ResourceField].includes(type)
      ? { serializationOptions: { inflectors: [] }, deserializationOptions: { inflectors: [] } }
      : undefined
});
const processor = source.requestProcessor;

function known(type, remoteId) {
  const id = keyMap.idFromKeys(type, { remoteId }) || schema.generateId(type);
  keyMap.pushRecord({ type, id, keys: { remoteId } });
  return { type, id };
}

async function send(operations) {
  // Orbit's serializer of one operation (its builder registers no atomic document serializer).
  const serializer = processor.serializerFor(JSONAPISerializers.ResourceAtomicOperation);
  const document = { 'atomic:operations': operations.map((op) => serializer.serialize(op)) };
  return processor.fetch(`${baseUrl}/api/operations`, {
    method: 'POST',
    headers: { 'Content-Type': ATOMIC, Accept: ATOMIC },
    json: document
  });
}
// --8<-- [end:send]

async function main() {
  // --8<-- [start:use]
  const plugin = known('skill_plugins', pluginId);
  const skill = known('skills', skillId);
  const response = await send([
    {
      op: 'addRecord',
      record: {
        type: 'skill_collections',
        id: schema.generateId('skill_collections'),
        attributes: { name: 'orbit-docs', root_path: '.orbit/skills', provider: 'generic' }
      }
    },
    {
      op: 'addRecord',
      record: {
        type: 'skill_plugins',
        id: schema.generateId('skill_plugins'),
        attributes: { name: 'orbit-kit', version: '1.0.0', description: 'From Orbit.' }
      }
    },
    { op: 'updateRecord', record: { ...plugin, attributes: { version: '2.0.0' } } },
    { op: 'addToRelatedRecords', record: plugin, relationship: 'skills', relatedRecord: skill }
  ]);
  const results = response.document['atomic:results'];
  const documents = processor.serializerFor(JSONAPISerializers.ResourceDocument);
  const records = results
    .filter((result) => result.data)
    .map((result) => documents.deserialize({ data: result.data }).data);
  // --8<-- [end:use]

  let failure = null;
  try {
    await send([
      {
        op: 'addRecord',
        record: {
          type: 'skill_plugins',
          id: schema.generateId('skill_plugins'),
          attributes: { name: 'fine-kit', version: '1.0.0' }
        }
      },
      { op: 'updateRecord', record: { ...plugin, attributes: { version: 'not semver' } } }
    ]);
  } catch (error) {
    failure = {
      name: error.constructor.name,
      status: error.response && error.response.status,
      document: error.data
    };
  }
  console.log(
    JSON.stringify({
      status: response.response.status,
      contentType: response.response.headers.get('Content-Type'),
      results: results.length,
      records: records.map((record) => ({
        type: record.type,
        remoteId: record.keys && record.keys.remoteId,
        attributes: record.attributes
      })),
      failure
    })
  );
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  if (error && error.data) console.error(JSON.stringify(error.data));
  process.exit(1);
});
