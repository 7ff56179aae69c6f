/**
 * How much heap one number of the hunt index costs, for the README's sizing of the warm-up: loads N typical
 * in-service numbers (knm_local, used_by callflow, no features) through `rememberRead`, as the warm-up does, then
 * hunts each once so that its serialized answer is kept too, and prints the growth of heap and buffer memory per number after a GC.
 *
 *   node --expose-gc -r tsx/cjs scripts/hunt-entry-bytes.ts [N]
 */
import { defaultNumberManagerConfig } from '../src/config/number-manager';
import { HuntIndex } from '../src/hunt/index';
import { compileNumberRules } from '../src/numbers/rules';

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const count = Number(process.argv[2] ?? 200_000);
  const config = defaultNumberManagerConfig();
  const { rules } = compileNumberRules(config);
  const holder = 'account0000000000000000000000002';
  const index = new HuntIndex({
    source: { readNumber: async () => null, readAccount: async (id) => ({ _id: id, _rev: '1-a', pvt_type: 'account', pvt_enabled: true, pvt_tree: [] }), portRequestAccount: async () => undefined },
    rules,
    config,
    follows: () => true,
  });
  const numbers: string[] = [];
  for (let i = 0; i < count; i += 1) numbers.push(`+1415${String(5_000_000 + i).padStart(7, '0')}`);
  const heap = (): number => {
    gc();
    // The kept answers are Buffers, whose bytes live outside the JS heap.
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  await index.lookup(numbers[0]);
  const empty = heap();
  const byDb = new Map<string, unknown[]>();
  for (const number of numbers) {
    const doc = { _id: number, _rev: '3-0123456789abcdef0123456789abcdef', pvt_state: 'in_service', pvt_module_name: 'knm_local', pvt_assigned_to: holder, pvt_used_by: 'callflow', pvt_features: {}, pvt_doc_vsn: '2' };
    const db = `numbers/${number.slice(0, 5)}`;
    const docs = byDb.get(db) ?? [];
    docs.push(doc);
    byDb.set(db, docs);
  }
  for (const [db, docs] of byDb) await index.rememberRead(db, async () => docs);
  byDb.clear();
  const loaded = heap();
  for (const number of numbers) await index.respond(number);
  const answered = heap();
  const per = (bytes: number): number => Math.round(bytes / index.size);
  process.stdout.write(`${index.size} numbers: ${per(loaded - empty)} bytes each loaded, ${per(answered - empty)} bytes each once hunted (answer kept)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
