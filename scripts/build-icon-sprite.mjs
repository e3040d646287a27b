// Builds an SVG sprite of the Bootstrap Icons listed in static/icons.txt (no dependency beyond Node).
// Usage: node scripts/build-icon-sprite.mjs <icons.txt> <bootstrap-icons/icons dir> <output.svg>
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [listPath, iconsDir, outputPath] = process.argv.slice(2);
const names = readFileSync(listPath, "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"));
const symbols = names.map((name) => {
  const svg = readFileSync(join(iconsDir, `${name}.svg`), "utf8");
  const viewBox = /viewBox="([^"]+)"/.exec(svg)[1];
  const body = svg.replace(/^[\s\S]*?<svg[^>]*>/, "").replace(/<\/svg>\s*$/, "").trim();
  return `<symbol id="${name}" viewBox="${viewBox}">${body}</symbol>`;
});
writeFileSync(
  outputPath,
  `<svg xmlns="http://www.w3.org/2000/svg">\n<!-- Bootstrap Icons (MIT), https://icons.getbootstrap.com -->\n${symbols.join("\n")}\n</svg>\n`,
);
console.log(`${names.length} icons -> ${outputPath}`);
