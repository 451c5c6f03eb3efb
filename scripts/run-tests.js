#!/usr/bin/env node
// Runs every *.test.ts under test/ and src/ with Node's own test runner (tsx as loader).
// Node 20's --test does not expand globs or pick up .ts files, so we list them here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filter = process.argv.slice(2);
let files = walk('test', []).concat(walk('src', [])).sort();
if (filter.length) files = files.filter((f) => filter.some((s) => f.includes(s)));
// Two test files at a time: most of the suite waits on child processes (the real bin, sshd,
// chromium, the gateway), so two files keep a 2-core machine busy where one leaves a core idle.
// The tests assert states, never durations, so running beside another file changes no verdict.
// DOCKGATE_TEST_CONCURRENCY=1 runs them one by one.
const concurrency = process.env.DOCKGATE_TEST_CONCURRENCY ?? '2';
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
