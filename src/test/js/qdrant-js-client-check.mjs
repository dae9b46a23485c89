// The official JavaScript gRPC client against a running Qdrant (the local mode of './embedloop embedded',
// or a real one): npm install @qdrant/js-client-grpc@1.19.0 && node qdrant-js-client-check.mjs [host] [port]
// Every check compares the server's answer with what Qdrant documents (and, for search, with cosine
// similarity computed here); exit code 0 when all pass.
import {QdrantClient} from '@qdrant/js-client-grpc';
const c = new QdrantClient({host: process.argv[2] ?? '127.0.0.1', port: Number(process.argv[3] ?? 6334)});
const col = 'jsq_' + Date.now();
let fails = 0;
const ok = (cond, msg) => { console.log((cond ? 'ok   ' : 'FAIL ') + msg); if (!cond) fails++; };
const v = (a) => ({vectorsOptions: {case: 'vector', value: {data: a}}});
const str = (s) => ({kind: {case: 'stringValue', value: s}});
const int = (i) => ({kind: {case: 'integerValue', value: BigInt(i)}});
const rnd = (n, seed) => { let x = seed; const out = []; for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648; out.push(x / 2147483648 - 0.5); } return out; };
const norm = (a) => { const n = Math.hypot(...a); return a.map(x => x / n); };
const cos = (a, b) => { const na = norm(a), nb = norm(b); return na.reduce((s, x, i) => s + x * nb[i], 0); };

await c.api('collections').create({collectionName: col, vectorsConfig: {config: {case: 'params', value: {size: 8n, distance: 1 /* Cosine */}}}});
const info = await c.api('collections').get({collectionName: col});
ok(info.result.config.params.vectorsConfig.config.value.size === 8n, 'collection created, size 8');

const pts = [];
for (let i = 1; i <= 50; i++) {
  pts.push({id: {pointIdOptions: {case: 'num', value: BigInt(i)}}, vectors: v(rnd(8, i)),
            payload: {color: str(i % 3 === 0 ? 'red' : 'blue'), n: int(i)}});
}
pts.push({id: {pointIdOptions: {case: 'uuid', value: '5c56c793-69f3-4fbf-87e6-c4bf54c28c26'}}, vectors: v(rnd(8, 999)), payload: {color: str('green'), n: int(999)}});
const up = await c.api('points').upsert({collectionName: col, wait: true, points: pts});
ok(up.result.status === 2 /* Completed */, 'upsert completed (status ' + up.result.status + ')');

const cnt = await c.api('points').count({collectionName: col, exact: true});
ok(cnt.result.count === 51n, 'count 51: ' + cnt.result.count);
const red = await c.api('points').count({collectionName: col, exact: true, filter: {must: [{conditionOneOf: {case: 'field', value: {key: 'color', match: {matchValue: {case: 'keyword', value: 'red'}}}}}]}});
ok(red.result.count === 16n, 'count red 16: ' + red.result.count);
const rng = await c.api('points').count({collectionName: col, exact: true, filter: {must: [{conditionOneOf: {case: 'field', value: {key: 'n', range: {gte: 10, lt: 20}}}}]}});
ok(rng.result.count === 10n, 'count 10 <= n < 20: ' + rng.result.count);

const q = rnd(8, 4242);
const expected = pts.map(p => ({id: p.id.pointIdOptions.value.toString(), s: cos(q, p.vectors.vectorsOptions.value.data)}))
  .sort((a, b) => b.s - a.s).slice(0, 5);
const res = await c.api('points').query({collectionName: col, query: {variant: {case: 'nearest', value: {variant: {case: 'dense', value: {data: q}}}}}, limit: 5n, withPayload: {selectorOptions: {case: 'enable', value: true}}});
const got = res.result.map(p => ({id: (p.id.pointIdOptions.value).toString(), s: p.score}));
ok(JSON.stringify(got.map(g => g.id)) === JSON.stringify(expected.map(e => e.id)), 'query nearest top 5 ids ' + got.map(g => g.id) + ' vs ' + expected.map(e => e.id));
ok(got.every((g, i) => Math.abs(g.s - expected[i].s) < 1e-5), 'query scores = cosine');
ok(res.result[0].payload.color !== undefined, 'payload returned');

const s = await c.api('points').search({collectionName: col, vector: q, limit: 3n, filter: {must: [{conditionOneOf: {case: 'field', value: {key: 'color', match: {matchValue: {case: 'keyword', value: 'red'}}}}}]}});
const expRed = pts.filter(p => p.payload.color.kind.value === 'red').map(p => ({id: p.id.pointIdOptions.value.toString(), s: cos(q, p.vectors.vectorsOptions.value.data)})).sort((a, b) => b.s - a.s).slice(0, 3);
ok(JSON.stringify(s.result.map(p => p.id.pointIdOptions.value.toString())) === JSON.stringify(expRed.map(e => e.id)), 'legacy search with filter');

let all = []; let offset = undefined;
do {
  const sc = await c.api('points').scroll({collectionName: col, limit: 20, offset});
  all = all.concat(sc.result.map(p => p.id.pointIdOptions.value.toString()));
  offset = sc.nextPageOffset;
} while (offset);
ok(all.length === 51 && new Set(all).size === 51, 'scroll pages through 51 distinct points: ' + all.length);

const got2 = await c.api('points').get({collectionName: col, ids: [{pointIdOptions: {case: 'num', value: 7n}}, {pointIdOptions: {case: 'uuid', value: '5c56c793-69f3-4fbf-87e6-c4bf54c28c26'}}], withVectors: {selectorOptions: {case: 'enable', value: true}}});
ok(got2.result.length === 2, 'get by num and uuid');

await c.api('points').setPayload({collectionName: col, wait: true, payload: {tag: str('x')}, pointsSelector: {pointsSelectorOneOf: {case: 'points', value: {ids: [{pointIdOptions: {case: 'num', value: 7n}}]}}}});
const g3 = await c.api('points').get({collectionName: col, ids: [{pointIdOptions: {case: 'num', value: 7n}}], withPayload: {selectorOptions: {case: 'enable', value: true}}});
ok(g3.result[0].payload.tag.kind.value === 'x' && g3.result[0].payload.color.kind.value === 'blue', 'set payload merges');

await c.api('points').createFieldIndex({collectionName: col, wait: true, fieldName: 'color', fieldType: 0 /* Keyword */});
const info2 = await c.api('collections').get({collectionName: col});
ok(Object.keys(info2.result.payloadSchema).includes('color'), 'payload index listed');

await c.api('points').delete({collectionName: col, wait: true, points: {pointsSelectorOneOf: {case: 'filter', value: {must: [{conditionOneOf: {case: 'field', value: {key: 'color', match: {matchValue: {case: 'keyword', value: 'red'}}}}}]}}}});
const cnt2 = await c.api('points').count({collectionName: col, exact: true});
ok(cnt2.result.count === 35n, 'delete by filter leaves 35: ' + cnt2.result.count);

await c.api('collections').updateAliases({actions: [{action: {case: 'createAlias', value: {collectionName: col, aliasName: col + '_a'}}}]});
const al = await c.api('collections').listAliases({});
ok(al.aliases.some(a => a.aliasName === col + '_a' && a.collectionName === col), 'alias created');
const viaAlias = await c.api('points').count({collectionName: col + '_a', exact: true});
ok(viaAlias.result.count === 35n, 'count through the alias');

try { await c.api('points').count({collectionName: 'nope_' + col, exact: true}); ok(false, 'missing collection should fail'); }
catch (e) { ok(e.code === 5 /* NotFound */, 'missing collection: code ' + e.code + ' ' + e.rawMessage); }
try { await c.api('points').upsert({collectionName: col, wait: true, points: [{id: {pointIdOptions: {case: 'num', value: 1000n}}, vectors: v([1, 2, 3])}]}); ok(false, 'wrong dim should fail'); }
catch (e) { ok(e.code === 3 /* InvalidArgument */, 'wrong dimension: code ' + e.code + ' ' + e.rawMessage); }
try { await c.api('collections').create({collectionName: col, vectorsConfig: {config: {case: 'params', value: {size: 8n, distance: 1}}}}); ok(false, 'duplicate create should fail'); }
catch (e) { ok(e.code === 6 /* AlreadyExists */, 'duplicate collection: code ' + e.code + ' ' + e.rawMessage); }

await c.api('collections').delete({collectionName: col});
const list = await c.api('collections').list({});
ok(!list.collections.some(x => x.name === col), 'collection deleted');
console.log(fails === 0 ? 'ALL OK' : fails + ' FAILED');
process.exit(fails ? 1 : 0);
