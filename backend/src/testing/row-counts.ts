// Rows per table of rollpoint's database as a reader of the data counts them: a table whose engine
// merges rows (Replacing, Aggregating) is counted with FINAL, so background merges do not change
// the count. The backup catalogue is left out (a restore marks its own backup made). Test helper.

const TABLES = "SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND name != 'backups' ORDER BY name";
const MERGING = /(Replacing|Aggregating|Summing|Collapsing)MergeTree$/;

/** `run` runs one statement and gives its rows by column name (a store's query, the SQL API). */
export async function rowCounts(run: (sql: string) => Promise<ReadonlyArray<Record<string, unknown>>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { name, engine } of (await run(TABLES)) as Array<{ name: string; engine: string }>) {
    const [row] = await run(`SELECT count() AS n FROM ${name}${MERGING.test(engine) ? ' FINAL' : ''}`);
    counts[name] = Number(row?.n);
  }
  return counts;
}
