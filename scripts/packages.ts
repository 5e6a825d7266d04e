/**
 * The published packages (scripts/lib/packages.ts):
 *   npm run packages:build                 compiles and assembles each package's dist/
 *   npm run packages:pack [-- --out <dir>] also packs them (default dist/packages/)
 *   npm run packages:pack -- --dry-run     lists what each tarball would hold, packs nothing
 */
import { parseArgs } from 'node:util';
import { buildPackages, DEFAULT_PACK_DIR, packPackages } from './lib/packages.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
});

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

const command = positionals[0] ?? '';

try {
  if (command === 'build') {
    for (const built of buildPackages()) {
      console.log(`${built.name}@${built.version}: ${built.files} files in ${built.dir}/dist`);
    }
  } else if (command === 'pack') {
    const dryRun = values['dry-run'];
    for (const packed of await packPackages(values.out ?? DEFAULT_PACK_DIR, dryRun)) {
      console.log(
        `${packed.name}@${packed.version}: ${packed.files.length} files, ${kilobytes(packed.size)} packed, ${kilobytes(packed.unpackedSize)} unpacked${dryRun ? '' : ` → ${packed.tarball}`}`,
      );
      if (dryRun) {
        for (const file of packed.files) {
          console.log(`  ${kilobytes(file.size).padStart(9)}  ${file.path}`);
        }
      }
    }
  } else {
    console.error('usage: node scripts/packages.ts build | pack [--out <dir>] [--dry-run]');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
