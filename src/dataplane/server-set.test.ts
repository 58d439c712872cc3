import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataPlaneError, GW_ERR } from './errors.js';
import { ServerSet } from './server-set.js';

interface Table {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly kind: string;
}

class Fake {
  table: Table;
  draining = false;
  listens = 0;
  constructor(table: Table) {
    this.table = table;
  }
  listen(): Promise<void> {
    this.listens++;
    if (this.table.port === 1) return Promise.reject(new DataPlaneError(GW_ERR.BIND, 'taken'));
    return Promise.resolve();
  }
  drain(): Promise<void> {
    this.draining = true;
    return Promise.resolve();
  }
}

const t = (name: string, port: number, kind = 'a'): Table => ({ name, address: '127.0.0.1', port, kind });

test('server set: binds new, swaps kept without rebinding, drains removed, reports bind errors', async () => {
  const created: Fake[] = [];
  const set = new ServerSet<Table, Fake>(
    {
      create: (table) => {
        const f = new Fake(table);
        created.push(f);
        return f;
      },
      mustReplace: (l, table) => l.table.kind !== table.kind,
    },
    () => undefined,
    10,
  );
  const swap = (l: Fake, table: Table): void => {
    l.table = table;
  };
  const e1 = await set.apply(new Map([['x', t('x', 80)], ['y', t('y', 81)], ['bad', t('bad', 1)]]), swap);
  assert.deepEqual(e1.map((e) => [e.server, e.code]), [['bad', GW_ERR.BIND]]);
  assert.equal(set.size, 2);
  const [x, y] = created;
  assert.ok(x !== undefined && y !== undefined);

  // x stays (new table, same socket), y changes kind (rebound), and one more new server.
  const x2 = t('x2', 80);
  const e2 = await set.apply(new Map([['x', x2], ['y', t('y', 81, 'b')]]), swap);
  assert.deepEqual(e2, []);
  assert.equal(x.table, x2);
  assert.equal(x.listens, 1);
  assert.equal(y.draining, true);
  assert.equal(created.length, 4); // x, y, bad, y'
  assert.equal(set.size, 2);

  // Everything goes away: drained.
  assert.deepEqual(await set.apply(new Map(), swap), []);
  assert.equal(set.size, 0);
  assert.equal(x.draining, true);
  await set.close(10);
  assert.deepEqual(set.listeners(), []);
});
