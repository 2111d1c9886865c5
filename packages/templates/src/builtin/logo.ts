/** a small inline SVG badge (letters on a colour): the built-in templates' logos, so nothing is fetched */
export function badge(letters: string, color: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="${color}"/><text x="32" y="41" font-family="sans-serif" font-size="${letters.length > 2 ? 20 : 26}" font-weight="700" fill="#fff" text-anchor="middle">${letters}</text></svg>`;
}
