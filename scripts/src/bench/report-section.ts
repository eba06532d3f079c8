/**
 * `document` with the section under `heading` (up to the next `## ` heading) replaced by `section`;
 * a document without that section gets it before the heading `before`, or at its end.
 */
export function withSection(document: string, heading: string, section: string, before: string): string {
  const at = document.indexOf(`${heading}\n`);
  if (at >= 0) {
    const next = document.indexOf('\n## ', at + heading.length);
    return `${document.slice(0, at)}${section}\n${next >= 0 ? document.slice(next) : ''}`;
  }
  const insertAt = document.indexOf(`${before}\n`);
  return insertAt >= 0 ? `${document.slice(0, insertAt)}${section}\n\n${document.slice(insertAt)}` : `${document}\n${section}\n`;
}
