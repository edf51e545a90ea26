import { createStatement, write } from './create-statement';

const insertOrder = write(
  'inserted_order',
  `
  INSERT INTO orders (id, note)
  SELECT :id::uuid, :note::text
    FROM claimed
  RETURNING id`,
);

describe('createStatement', () => {
  it('writes the rows only from the claim, and takes the claim and the rows parameters by name', () => {
    const { keyed, unkeyed } = createStatement('Test.create', [insertOrder]);
    expect(keyed.text).toContain('claimed AS (\n    INSERT INTO idempotency_keys');
    expect(keyed.text).toMatch(/inserted_order AS \(\n\s+INSERT INTO orders \(id, note\)/);
    expect(keyed.params.slice(0, 4)).toEqual(['caller', 'method', 'route', 'key']);
    expect(keyed.params.slice(-2)).toEqual(['id', 'note']);
    expect(unkeyed.text).toMatch(/^WITH\n {2}claimed AS \(SELECT 1\),\n {2}inserted_order AS/);
    expect(unkeyed.params).toEqual(['id', 'note']);
  });

  it('refuses a write that does not read from the claim or an earlier write', () => {
    const unguarded = write('job', 'INSERT INTO jobs (id) SELECT :jobId::uuid FROM orders');
    expect(() => createStatement('Test.create', [unguarded])).toThrow(
      'write job must read FROM claimed',
    );
    const chained = write('items', 'INSERT INTO items (order_id) SELECT id FROM inserted_order');
    expect(() => createStatement('Test.create', [insertOrder, chained])).not.toThrow();
    expect(() => createStatement('Test.create', [chained, insertOrder])).toThrow(
      'write items must read FROM claimed',
    );
  });

  it("refuses a write whose parameter would take one of the claim's values", () => {
    const clash = write('noted', 'INSERT INTO notes (k) SELECT :key::text FROM claimed');
    expect(() => createStatement('Test.create', [clash])).toThrow(
      "write noted reuses the claim's parameter :key",
    );
  });

  it('reads every write that is a SELECT, so PostgreSQL runs it', () => {
    const job = write('job', "SELECT add_job('thumbnail', :fileId::uuid) FROM claimed");
    const { keyed, unkeyed } = createStatement('Test.create', [insertOrder, job]);
    expect(keyed.text).toContain('e.*, (SELECT count(*) FROM job) AS job');
    expect(unkeyed.text).toMatch(/SELECT 1, \(SELECT count\(\*\) FROM job\) AS job$/);
    expect(keyed.text).not.toContain('FROM inserted_order) AS');
  });

  describe('the batched form', () => {
    const insertOrders = write(
      'inserted_orders',
      'INSERT INTO orders (id, note) SELECT id, note FROM claimed',
    );

    it("takes every create's claim and columns as JSON rows, beside the key's lifetime", () => {
      const { many } = createStatement('Test.create', [insertOrder], {
        columns: 'id uuid, note text',
        writes: [insertOrders],
      });
      expect(many!.params).toEqual(['claims', 'rows', 'ttlMs']);
      expect(many!.text).toContain('json_to_recordset($2::json) AS (id uuid, note text)');
      expect(many!.text).toMatch(/inserted_orders AS \(\n\s+INSERT INTO orders \(id, note\)/);
      expect(many!.text).toMatch(/ORDER BY i\.ordinality$/);
    });

    it('is absent unless the feature gives one', () => {
      expect(createStatement('Test.create', [insertOrder]).many).toBeUndefined();
    });

    it('refuses a SELECT write, and a write that does not read from the claim', () => {
      const job = write('job', "SELECT add_job('thumbnail', id) FROM claimed");
      expect(() =>
        createStatement('Test.create', [insertOrder], { columns: 'id uuid', writes: [job] }),
      ).toThrow("a batched create's writes must all be INSERTs");
      const unguarded = write('items', 'INSERT INTO items (id) SELECT id FROM orders');
      expect(() =>
        createStatement('Test.create', [insertOrder], { columns: 'id uuid', writes: [unguarded] }),
      ).toThrow('write items must read FROM claimed');
    });
  });
});
