import type { Store } from '@rollpoint/backend';

/** Bytes on disk per row of each table, after merging its parts (as a day-old partition would be). */
export async function bytesPerRow(store: Store, tables: readonly string[]): Promise<Record<string, number>> {
  for (const table of tables) await store.command(`OPTIMIZE TABLE ${table} FINAL`);
  const rows = await store.query<{ table: string; bytes_per_row: number }>({
    sql: 'SELECT table, sum(bytes_on_disk) / sum(rows) AS bytes_per_row FROM system.parts WHERE active AND database = currentDatabase() AND has({tables:Array(String)}, table) GROUP BY table',
    params: { tables },
  });
  return Object.fromEntries(rows.map((row) => [row.table, Number(row.bytes_per_row)]));
}
