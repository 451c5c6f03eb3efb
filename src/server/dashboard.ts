/**
 * The dashboard's static files (src/server/dashboard/, shipped in the package: no build step at
 * run time) and the charting library's own files from node_modules, under /dashboard/.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { type Express } from 'express';

const here = import.meta.dirname;

export function mountDashboard(app: Express): void {
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  app.use('/dashboard/vendor/uplot', express.static(join(uplot, 'dist'), { fallthrough: false, index: false }));
  app.use('/dashboard', express.static(join(here, 'dashboard'), { index: 'index.html', fallthrough: false }));
  app.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
}
