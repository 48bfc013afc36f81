// Bundles src/setup.jsx into static/setup.js, the one file the setup view
// loads. Run by tests/app/package.sh (npm run build).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
await build({
    entryPoints: [join(here, 'src', 'setup.jsx')],
    outfile: join(here, 'static', 'setup.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2019'],
    jsx: 'transform',
    legalComments: 'linked',
    define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
    logLevel: 'warning',
});
