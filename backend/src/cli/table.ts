import Table from 'cli-table3';

/** Renders rows as a table for people; nested values (maps, arrays) are shown as JSON. */
export function renderTable(head: readonly string[], rows: readonly unknown[][]): string {
  const table = new Table({ head: [...head], style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map((cell) => (typeof cell === 'object' && cell !== null ? JSON.stringify(cell) : String(cell))));
  return table.toString();
}
