/**
 * The Dockerfile, .dockerignore and compose.yaml, checked where no Docker engine runs (as in CI:
 * the docker client is there, no daemon). Debian has no hadolint package, so the rules of it that
 * matter for this image are checked here on the parsed Dockerfile, each shown to catch a broken
 * file. Then the install: the build stage runs the README's and CI's `npm ci`, the runtime stage
 * takes its node_modules, every path COPY'd exists and is not excluded from the build context, and
 * nothing under src/ imports a dev dependency (the image has none). Last the image's file tree is
 * assembled from the COPY instructions and run for real with the image's ENV: compose's three
 * services (the emulator on every interface, the warehouse, the gateway with its contract flags), the
 * HEALTHCHECK command itself against the gateway, SIGTERM -> exit 0. Every wait is for a state (a
 * line on stdout, an exit), never for a duration.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { registerSandboxCommand } from '../../src/cli/sandbox-command.ts';
import { registerStartCommand } from '../../src/cli/start-command.ts';

const root = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

// ------------------------------------------------------------------ the Dockerfile, parsed

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name?: string;
  line: number;
  instructions: Instruction[];
}
interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults (usable in FROM lines). */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

/** Instructions with their continuation lines joined (a trailing backslash), comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i].trim();
      line = `${line.slice(0, -1).trimEnd()} ${next.startsWith('#') ? '' : next}`.trimEnd();
    }
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
  }
  return out;
}

function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const image = words[0].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => globalArgs.get(a ?? b) ?? '');
      stages.push({ image, name: words[1]?.toUpperCase() === 'AS' ? words[2] : undefined, line: ins.line, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [name, value = ''] = ins.args.split('=');
        globalArgs.set(name, value.replace(/^"|"$/g, ''));
      }
    } else stages[stages.length - 1].instructions.push(ins);
  }
  return { globalArgs, stages };
}

/** A COPY's flags, sources and destination (shell form; no file of ours uses the JSON form). */
function copyParts(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [flag, value = ''] = words.shift()!.slice(2).split('=');
    flags.set(flag, value);
  }
  const dest = words.pop()!;
  return { flags, sources: words, dest };
}

/** An exec-form (JSON array) instruction's words, or null for the shell form. */
function execForm(args: string): string[] | null {
  try {
    const v = JSON.parse(args) as unknown;
    return Array.isArray(v) && v.length > 0 && v.every((w) => typeof w === 'string') ? v : null;
  } catch {
    return null;
  }
}

const lastOf = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).at(-1);

/** The final stage's user (the last USER), or "root" when it never says. */
function runtimeUser(stage: Stage): string {
  return lastOf(stage, 'USER')?.args.split(':')[0] ?? 'root';
}

/** The ENV of a stage as a map (`ENV A=1 B=2` form). */
function stageEnv(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const m of ins.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env.set(m[1], m[2].replace(/^"|"$/g, ''));
  }
  return env;
}

/**
 * The hadolint rules that matter for this image (DL codes where hadolint has one), plus the
 * image's own contract. Returns the problems, each naming the line; [] when the file is clean.
 */
function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  const { stages } = parseDockerfile(text);
  if (stages.length === 0) return ['no FROM'];
  const names = new Set<string>();
  for (const [index, stage] of stages.entries()) {
    const at = (ins: { line: number }) => `line ${ins.line}`;
    if (!stage.name) problems.push(`${at(stage)}: stage ${index} has no name (FROM ... AS name)`);
    else if (names.has(stage.name)) problems.push(`${at(stage)}: stage name ${stage.name} used twice (DL3024)`);
    // DL3006 / DL3007: a tag, and not latest (a digest pins harder, and is fine too).
    const tag = /^[^@]+:([^/@]+)$/.exec(stage.image)?.[1];
    if (!stage.image.includes('@sha256:') && !tag) problems.push(`${at(stage)}: image ${stage.image || '(empty)'} has no tag (DL3006)`);
    if (tag === 'latest') problems.push(`${at(stage)}: image ${stage.image} uses latest (DL3007)`);
    for (const ins of stage.instructions) {
      if (ins.keyword === 'ADD') problems.push(`${at(ins)}: ADD instead of COPY (DL3020)`);
      if (ins.keyword === 'WORKDIR' && !ins.args.startsWith('/')) problems.push(`${at(ins)}: WORKDIR ${ins.args} is relative (DL3000)`);
      if (ins.keyword === 'RUN') {
        if (/\bapt-get\s+(?:-\S+\s+)*install\b/.test(ins.args)) {
          if (!ins.args.includes('--no-install-recommends')) problems.push(`${at(ins)}: apt-get install without --no-install-recommends (DL3015)`);
          if (!/\s-y\b|--yes|--assume-yes/.test(ins.args)) problems.push(`${at(ins)}: apt-get install without -y (DL3014)`);
          if (!/rm -rf \/var\/lib\/apt\/lists\/?\*/.test(ins.args)) problems.push(`${at(ins)}: apt-get install without rm -rf /var/lib/apt/lists/* in the same RUN (DL3009)`);
          if (!/\bapt-get\s+update\b/.test(ins.args)) problems.push(`${at(ins)}: apt-get install without apt-get update in the same RUN (DL3009)`);
        }
        if (/\bnpm\s+(install|i|add)\b/.test(ins.args)) problems.push(`${at(ins)}: npm install instead of npm ci (the lockfile's tree, every time)`);
        if (/\bsudo\b/.test(ins.args)) problems.push(`${at(ins)}: sudo (DL3004)`);
      }
      if (ins.keyword === 'COPY') {
        const from = copyParts(ins.args).flags.get('from');
        if (from !== undefined && !names.has(from)) problems.push(`${at(ins)}: COPY --from=${from} names no earlier stage (DL3022)`);
      }
      if ((ins.keyword === 'CMD' || ins.keyword === 'ENTRYPOINT') && !execForm(ins.args)) problems.push(`${at(ins)}: ${ins.keyword} not in JSON (exec) form (DL3025)`);
    }
    if (stage.name) names.add(stage.name);
  }
  const final = stages.at(-1)!;
  const user = runtimeUser(final);
  if (user === 'root' || user === '0') problems.push(`the final stage runs as root (DL3002)`);
  const healthcheck = lastOf(final, 'HEALTHCHECK');
  if (!healthcheck) problems.push('the final stage has no HEALTHCHECK');
  else {
    const cmd = execForm(healthcheck.args.replace(/^(--\S+\s+)*CMD\s+/, ''));
    if (!cmd) problems.push(`line ${healthcheck.line}: HEALTHCHECK CMD not in JSON form`);
    else if (!healthcheckTargets(cmd).includes('/healthz')) problems.push(`line ${healthcheck.line}: HEALTHCHECK does not GET /healthz`);
  }
  // What the runtime user writes must be its own: each VOLUME folder chowned to it in a RUN,
  // and anything COPY'd into a volume with --chown (the application itself stays root's).
  const volumes = final.instructions.filter((i) => i.keyword === 'VOLUME').flatMap((i) => execForm(i.args) ?? i.args.split(/\s+/));
  for (const volume of volumes) {
    const chowned = final.instructions.some((i) => i.keyword === 'RUN' && new RegExp(`chown\\s+(-\\S+\\s+)*${user}(:\\S+)?\\s+[^&;]*${volume.replace(/\//g, '\\/')}(\\s|$)`).test(i.args));
    if (!chowned) problems.push(`VOLUME ${volume} is not chowned to ${user} before the volume is declared`);
  }
  for (const ins of final.instructions.filter((i) => i.keyword === 'COPY')) {
    const { flags, dest } = copyParts(ins.args);
    if (volumes.some((v) => dest === v || dest.startsWith(`${v}/`)) && flags.get('chown')?.split(':')[0] !== user) problems.push(`line ${ins.line}: COPY into a volume without --chown=${user}`);
  }
  return problems;
}

/** The text a HEALTHCHECK's command reaches for: its words, and the script it runs if it runs one of ours. */
function healthcheckTargets(cmd: string[]): string {
  const script = cmd.find((w) => /^docker\/.+\.mjs$/.test(w));
  return [...cmd, script && existsSync(join(root, script)) ? read(script) : ''].join(' ');
}

const dockerfileText = read('Dockerfile');
const dockerfile = parseDockerfile(dockerfileText);
const buildStage = dockerfile.stages[0];
const runtimeStage = dockerfile.stages.at(-1)!;

test('Dockerfile: the hadolint rules that matter here hold (Debian has no hadolint package)', () => {
  assert.deepEqual(lintDockerfile(dockerfileText), []);
  assert.equal(dockerfile.stages.length, 2, 'a build stage and a runtime stage');
  assert.equal(new Set(dockerfile.stages.map((s) => s.image)).size, 1, "both stages on one Node image: the build stage's native addons are compiled for the runtime's Node and glibc");
  assert.match(runtimeStage.image, /^node:20[.\d]*-bookworm-slim$/);
  assert.match(dockerfileText, /useradd [^\n]*--uid 10001/, 'the runtime user has uid 10001');
  assert.equal(runtimeUser(runtimeStage), 'dockgate');
  assert.deepEqual(execForm(lastOf(runtimeStage, 'ENTRYPOINT')!.args), ['node', 'bin/dockgate.js']);
  assert.deepEqual(execForm(lastOf(runtimeStage, 'CMD')!.args), ['start']);
  assert.equal(lastOf(runtimeStage, 'WORKDIR')!.args, '/app');
  assert.equal(lastOf(runtimeStage, 'EXPOSE')!.args, '8740');
  assert.deepEqual(execForm(lastOf(runtimeStage, 'VOLUME')!.args), ['/data']);
  const env = stageEnv(runtimeStage);
  assert.equal(env.get('DOCKGATE_HTTP_PORT'), '8740', 'the port EXPOSE names');
  assert.equal(env.get('DOCKGATE_HTTP_HOST'), '0.0.0.0', 'reachable from outside the container');
  assert.equal(env.get('DOCKGATE_DATA_DIR'), '/data', 'the store on the volume (src/config/config.ts reads DOCKGATE_DATA_DIR)');
  assert.equal(env.get('DOCKGATE_MAPPINGS'), '/app/mappings');
  const labels = runtimeStage.instructions.filter((i) => i.keyword === 'LABEL').map((i) => i.args).join(' ');
  for (const key of ['title', 'description', 'licenses', 'version']) assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`));
  assert.match(labels, new RegExp(`version="${JSON.parse(read('package.json')).version.replace(/\./g, '\\.')}"`), "the label's version is package.json's");
  assert.ok(!runtimeStage.instructions.some((i) => i.keyword === 'RUN' && /\b(g\+\+|gcc|make|python3)\b/.test(i.args)), 'no compilers in the runtime stage');
});

test('Dockerfile lint: each rule catches the mistake it is for', () => {
  const broken: Array<[string, (text: string) => string, RegExp]> = [
    ['latest tag', (t) => t.replace(/ARG NODE_IMAGE=\S+/, 'ARG NODE_IMAGE=node:latest'), /uses latest \(DL3007\)/],
    ['no tag', (t) => t.replace(/ARG NODE_IMAGE=\S+/, 'ARG NODE_IMAGE=node'), /has no tag \(DL3006\)/],
    ['root at the end', (t) => `${t}\nUSER root\n`, /runs as root \(DL3002\)/],
    ['shell-form CMD', (t) => t.replace('CMD ["start"]', 'CMD node bin/dockgate.js start'), /CMD not in JSON/],
    ['shell-form ENTRYPOINT', (t) => t.replace('ENTRYPOINT ["node", "bin/dockgate.js"]', 'ENTRYPOINT node bin/dockgate.js'), /ENTRYPOINT not in JSON/],
    ['recommends', (t) => t.replace('--no-install-recommends ', ''), /DL3015/],
    ['apt lists kept', (t) => t.replace(/\n \&\& rm -rf \/var\/lib\/apt\/lists\/\*/, ''), /rm -rf \/var\/lib\/apt\/lists/],
    ['npm install', (t) => t.replace('npm ci --no-audit', 'npm install --no-audit'), /npm install instead of npm ci/],
    ['relative WORKDIR', (t) => t.replaceAll('WORKDIR /app', 'WORKDIR app'), /relative \(DL3000\)/],
    ['no HEALTHCHECK', (t) => t.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), /no HEALTHCHECK/],
    ['HEALTHCHECK elsewhere', (t) => t.replace('CMD ["node", "docker/healthcheck.mjs"]', 'CMD ["node", "-e", "fetch(\'http://127.0.0.1:8740/\')"]'), /does not GET \/healthz/],
    ['unknown stage', (t) => t.replace('COPY --from=build', 'COPY --from=builder'), /names no earlier stage \(DL3022\)/],
    ['unnamed stage', (t) => t.replace('AS build', ''), /has no name/],
    ['volume not the user', (t) => t.replace(' \\\n && chown dockgate:dockgate /data /partners', ''), /VOLUME \/data is not chowned/],
    ['copy into the volume as root', (t) => t.replace('VOLUME ["/data"]', 'COPY LICENSE /data/LICENSE\nVOLUME ["/data"]'), /COPY into a volume without --chown/],
    ['ADD', (t) => t.replace('COPY bin ./bin', 'ADD bin ./bin'), /DL3020/],
  ];
  for (const [what, breakIt, expected] of broken) {
    const text = breakIt(dockerfileText);
    assert.notEqual(text, dockerfileText, `${what}: the mutation applies to the Dockerfile as it is`);
    const problems = lintDockerfile(text);
    assert.ok(problems.some((p) => expected.test(p)), `${what}: expected ${expected} in ${JSON.stringify(problems)}`);
  }
});

// ------------------------------------------------------------------ the install

/** The first `npm ...` command of a shell line (up to && ; | or the end), as words. */
function npmCommands(line: string): string[][] {
  return line
    .split(/&&|;|\|\|/)
    .map((part) => part.trim().split(/\s+/))
    .filter((words) => words[0] === 'npm');
}

/** .dockerignore patterns applied as Docker does: a pattern matches a path or any folder above it; the last match wins; `!` re-includes. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, '')).replace(/\/+$/, '');
      const source = pattern
        .split('/')
        .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules) {
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}

test("Dockerfile: the build stage runs the README's and CI's install, the runtime stage takes its node_modules, every path COPY'd is in the build context", () => {
  // The README quick start's first command line (`npm ci && npm run demo`) and .ci/run's install line.
  const quickStart = read('README.md').split('## Quick start')[1];
  const firstCommand = /```sh\n([^\n]+)/.exec(quickStart)![1].replace(/#.*$/, '');
  const readmeInstall = npmCommands(firstCommand)[0];
  assert.deepEqual(readmeInstall.slice(0, 2), ['npm', 'ci'], firstCommand);
  const ciInstall = read('.ci/run').split('\n').map((l) => l.trim()).find((l) => /^npm ci\b/.test(l))!;
  assert.ok(ciInstall, 'an npm ci line in .ci/run');
  const buildRuns = buildStage.instructions.filter((i) => i.keyword === 'RUN');
  const buildNpm = buildRuns.flatMap((i) => npmCommands(i.args));
  assert.deepEqual(buildNpm[0], ciInstall.split(/\s+/), "the build stage's install is .ci/run's, word for word");
  assert.deepEqual(buildNpm[0].slice(0, readmeInstall.length), readmeInstall, "and the README's");
  // Then the dev dependencies leave (in place: the compiled addons stay).
  assert.deepEqual(buildNpm[1]?.slice(0, 3), ['npm', 'prune', '--omit=dev']);
  assert.equal(buildNpm.length, 2, `no other npm command in the build stage: ${JSON.stringify(buildNpm)}`);
  // The README's build tools, in the build stage.
  const tools = /apt-get install ([a-z0-9+ ]+)`/.exec(read('README.md'))![1].trim().split(/\s+/);
  const aptRun = buildRuns.find((i) => /apt-get\s+(?:-\S+\s+)*install/.test(i.args))!;
  for (const tool of tools) assert.match(aptRun.args, new RegExp(`\\s${tool.replace(/\+/g, '\\+')}(\\s|$)`), `the build stage installs ${tool}`);
  // The lockfile the install reads is in the build stage before it.
  const lockCopy = buildStage.instructions.findIndex((i) => i.keyword === 'COPY' && copyParts(i.args).sources.includes('package-lock.json'));
  const install = buildStage.instructions.findIndex((i) => i.keyword === 'RUN' && /npm ci/.test(i.args));
  assert.ok(lockCopy >= 0 && lockCopy < install, 'package.json and package-lock.json are copied before npm ci');

  const runtimeCopies = runtimeStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args));
  const fromBuild = runtimeCopies.filter((c) => c.flags.get('from') === buildStage.name);
  assert.deepEqual(
    fromBuild.map((c) => [c.sources, c.dest]),
    [[['/app/node_modules'], './node_modules']],
    'the runtime takes exactly the build stage node_modules',
  );
  const ignored = dockerignore(read('.dockerignore'));
  for (const excluded of ['node_modules', 'data', 'test-output', '.git', 'bench/out', 'gateway.log', 'src/x.log', 'dockgate.yaml']) assert.ok(ignored(excluded), `.dockerignore excludes ${excluded}`);
  assert.ok(ignored('node_modules/better-sqlite3/build/Release/x.node') && ignored('data/store.sqlite'), 'and what is inside them');
  const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const copy of [...runtimeCopies, ...buildStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => copyParts(i.args))]) {
    if (copy.flags.has('from')) continue;
    for (const source of copy.sources) {
      assert.ok(existsSync(join(root, source)), `COPY ${source}: in the repository`);
      assert.ok(!ignored(source), `COPY ${source}: not excluded by .dockerignore`);
      const inside = tracked.filter((f) => f === source || f.startsWith(`${source}/`));
      assert.ok(inside.length > 0, `COPY ${source}: tracked by git`);
      for (const file of inside) assert.ok(!ignored(file), `${file} (under COPY ${source}) is not excluded by .dockerignore`);
    }
  }
  // What runs reads these at run time; each is in the image.
  const copied = runtimeCopies.flatMap((c) => c.sources);
  for (const needed of ['package.json', 'bin', 'src', 'mappings', 'samples', 'docker']) assert.ok(copied.includes(needed), `the image has ${needed}`);
});

// ------------------------------------------------------------------ no dev dependency at run time

/** The packages a module loads at run time: value imports, re-exports, import(), require(), require.resolve(); not `import type`. */
function runtimeImports(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = clause?.isTypeOnly || (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const loads =
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === 'require') ||
        (ts.isPropertyAccessExpression(callee) && callee.name.text === 'resolve') ||
        ts.isCallExpression(callee); // createRequire(import.meta.url)('pkg')
      if (loads) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const packageOf = (specifier: string) => (specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|mts|js|mjs|cjs)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(path);
  }
  return out;
}

test('nothing the image runs (src/, bin/, docker/) imports a dev dependency: every package it loads is a dependency', () => {
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  // The reader itself: a type-only import is erased; the rest count, however they are written.
  assert.deepEqual(
    runtimeImports(
      'probe.ts',
      `import type { A } from 'typescript';\nimport { type B } from '@types/node';\nimport Ajv from 'ajv';\nexport { x } from 'fast-check';\nexport type { Y } from 'zod';\nconst p = await import('playwright-core');\nconst r = createRequire(import.meta.url)('node-x12');\nrequire.resolve('uplot/package.json');`,
    ),
    ['ajv', 'fast-check', 'playwright-core', 'node-x12', 'uplot/package.json'],
  );
  const files = ['src', 'bin', 'docker'].flatMap((d) => sourceFiles(join(root, d)));
  assert.ok(files.length > 100, `the sources were found (${files.length})`);
  const loaded = new Map<string, string>();
  for (const file of files) {
    for (const specifier of runtimeImports(file, readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) continue;
      loaded.set(packageOf(specifier), relative(root, file));
    }
  }
  for (const dev of Object.keys(pkg.devDependencies)) assert.ok(!loaded.has(dev), `${loaded.get(dev)} imports the dev dependency ${dev}, which the image does not have`);
  for (const [name, file] of loaded) assert.ok(name in pkg.dependencies, `${file} imports ${name}, which is not in dependencies`);
  assert.ok(loaded.has('tsx'), 'bin/dockgate.js runs the TypeScript through tsx, a dependency');
});

// ------------------------------------------------------------------ compose.yaml

interface ComposeService {
  build?: unknown;
  image?: string;
  init?: boolean;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parseYaml(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const flagValue = (words: string[], flag: string) => {
  const i = words.indexOf(flag);
  return i >= 0 ? words[i + 1] : undefined;
};
/** A service's command line as the image runs it: its entrypoint (or the image's) and its command. */
const serviceArgv = (s: ComposeService) => [...(s.entrypoint ?? execForm(lastOf(runtimeStage, 'ENTRYPOINT')!.args)!), ...(s.command ?? execForm(lastOf(runtimeStage, 'CMD')!.args)!)];

/** The long flags of a dockgate command (`start`, `sandbox amazon`, ...), from the command's own declaration. */
function flagsOf(path: string[]): Set<string> {
  const program = new Command('dockgate');
  registerStartCommand(program);
  registerSandboxCommand(program);
  let command: Command | undefined = program;
  for (const name of path) command = command?.commands.find((c) => c.name() === name);
  assert.ok(command && command !== program, `dockgate has a command ${path.join(' ')}`);
  return new Set(command.options.map((o) => o.long!).filter(Boolean));
}

test('compose.yaml: the gateway with the emulator and the warehouse simulator, on the contract flags, healthchecks, ports on 127.0.0.1 only', () => {
  const { amazon, warehouse, gateway } = compose.services;
  assert.deepEqual(Object.keys(compose.services).sort(), ['amazon', 'gateway', 'warehouse']);
  for (const [name, s] of Object.entries(compose.services)) {
    assert.ok(s.build !== undefined, `${name} builds the image from this Dockerfile`);
    assert.equal(s.init, true, `${name} runs under Docker's init (signals forwarded, children reaped)`);
    assert.ok(s.healthcheck && Array.isArray(s.healthcheck.test) && s.healthcheck.test[0] === 'CMD', `${name} has an exec-form healthcheck`);
    for (const port of s.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name} publishes ${port} on 127.0.0.1 only`);
  }
  // Every flag each service passes is one its command declares.
  for (const [name, s] of Object.entries(compose.services)) {
    const argv = serviceArgv(s);
    const words = argv.slice(argv.indexOf('bin/dockgate.js') + 1);
    const path = words[0] === 'sandbox' ? words.slice(0, 2) : words.slice(0, 1);
    const flags = flagsOf(path);
    for (const flag of words.filter((w) => w.startsWith('--'))) assert.ok(flags.has(flag), `${name}: ${flag} is a flag of dockgate ${path.join(' ')}`);
  }

  // The emulator: on every interface of its container, at the port the gateway uses.
  const amazonArgv = serviceArgv(amazon);
  assert.deepEqual(amazonArgv.slice(0, 4), ['node', 'bin/dockgate.js', 'sandbox', 'amazon']);
  assert.equal(flagValue(amazonArgv, '--host'), '0.0.0.0', 'reachable from the other containers');
  const amazonPort = flagValue(amazonArgv, '--port')!;
  assert.deepEqual(amazon.ports, [`127.0.0.1:${amazonPort}:${amazonPort}`]);

  // The gateway: `dockgate start` with the contract flags, against the emulator and the shared partner root.
  const gatewayArgv = serviceArgv(gateway);
  assert.deepEqual(gatewayArgv.slice(0, 3), ['node', 'bin/dockgate.js', 'start']);
  assert.equal(flagValue(gatewayArgv, '--amazon-endpoint'), `http://amazon:${amazonPort}`);
  assert.equal(flagValue(gatewayArgv, '--amazon-time-scale'), flagValue(amazonArgv, '--time-scale'), "the adapter's quota runs as fast as the emulator's");
  const partnerRoot = flagValue(gatewayArgv, '--partner-root')!;
  assert.equal(flagValue(serviceArgv(warehouse), '--root'), partnerRoot, "the warehouse plays the gateway's partner root");
  const partnerVolume = (s: ComposeService) => s.volumes?.find((v) => v.endsWith(`:${partnerRoot}`))?.split(':')[0];
  assert.ok(partnerVolume(gateway) && partnerVolume(gateway) === partnerVolume(warehouse), `one volume at ${partnerRoot} for both`);
  assert.ok(dockerfileText.includes(`mkdir -p /data ${partnerRoot}`), `${partnerRoot} exists in the image, owned by the user (a new named volume takes its owner)`);
  const dataVolume = gateway.volumes?.find((v) => v.endsWith(':/data'))?.split(':')[0];
  assert.ok(dataVolume && dataVolume in compose.volumes, 'the store on a named volume at the image VOLUME');
  assert.match(gateway.environment!.DOCKGATE_API_TOKEN, /^\$\{DOCKGATE_API_TOKEN:-[^}]+\}$/, 'the API token from the environment, with a demo default');
  assert.deepEqual(gateway.ports, [`127.0.0.1:${stageEnv(runtimeStage).get('DOCKGATE_HTTP_PORT')}:${lastOf(runtimeStage, 'EXPOSE')!.args}`]);
  assert.deepEqual(gateway.healthcheck!.test, ['CMD', ...execForm(lastOf(runtimeStage, 'HEALTHCHECK')!.args.replace(/^(--\S+\s+)*CMD\s+/, ''))!], "the image's healthcheck");
  assert.deepEqual(gateway.depends_on, { amazon: { condition: 'service_healthy' }, warehouse: { condition: 'service_healthy' } });
  // The sellers' variables the sample seller files name are all set (sandbox values).
  for (const seller of ['ACME', 'NORTHWIND']) for (const v of ['CLIENT_ID', 'CLIENT_SECRET', 'REFRESH_TOKEN']) assert.ok(gateway.environment![`${seller}_LWA_${v}`], `${seller}_LWA_${v}`);
});

// ------------------------------------------------------------------ the image's tree, run

/** A process of the image, its stdout lines awaited by predicate. */
interface Running {
  child: ChildProcess;
  out(): string;
  err(): string;
  line(predicate: (json: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every process the tests started, so that none outlives them. */
const started: ChildProcess[] = [];

function run(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const [command, ...args] = argv;
  // Its own process group: the command and anything under it are stopped together (kill(-pid)).
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let out = '';
  let err = '';
  const waiters: Array<{ predicate: (j: Record<string, unknown>) => boolean; resolve(j: Record<string, unknown>): void }> = [];
  const seen: Array<Record<string, unknown>> = [];
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      const json = JSON.parse(l) as Record<string, unknown>;
      seen.push(json);
      for (const w of [...waiters]) if (w.predicate(json)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(json));
    }
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    line(predicate, what) {
      const already = seen.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        void exit.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before ${what}\n${err}\n${out.slice(-3000)}`)));
      });
    },
  };
}

function runToEnd(argv: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string; err: string }> {
  const r = run(argv, options);
  return r.exit.then(({ code }) => ({ code, out: r.out(), err: r.err() }));
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The image's file tree in a temporary folder: each runtime COPY from the repository, the build
 * stage's node_modules as the repository's (linked), the image's folders under `<tmp>/` in place
 * of `/`. Returns where `/` is and a mapper of image paths.
 */
function assembleImage(): { rootDir: string; at(imagePath: string): string; workdir: string; env: NodeJS.ProcessEnv } {
  const rootDir = mkdtempSync(join(tmpdir(), 'dockgate-image-'));
  const at = (imagePath: string) => join(rootDir, imagePath);
  let workdir = '/';
  for (const ins of runtimeStage.instructions) {
    if (ins.keyword === 'WORKDIR') workdir = posix.resolve(workdir, ins.args);
    if (ins.keyword === 'RUN') for (const m of ins.args.matchAll(/mkdir -p ((?:\/\S+\s?)+)/g)) for (const d of m[1].trim().split(/\s+/)) mkdirSync(at(d), { recursive: true });
    if (ins.keyword !== 'COPY') continue;
    const { flags, sources, dest } = copyParts(ins.args);
    const target = posix.resolve(workdir, dest);
    if (flags.get('from') === buildStage.name) {
      assert.deepEqual(sources, ['/app/node_modules']);
      mkdirSync(dirname(at(target)), { recursive: true });
      symlinkSync(join(root, 'node_modules'), at(target), 'dir');
      continue;
    }
    for (const source of sources) {
      const into = dest.endsWith('/') ? join(at(target), posix.basename(source)) : at(target);
      mkdirSync(dirname(into), { recursive: true });
      cpSync(join(root, source), into, { recursive: true });
    }
  }
  // The image's ENV with its absolute paths moved under the temporary root.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: at('/app') };
  for (const [k, v] of stageEnv(runtimeStage)) env[k] = v.startsWith('/') ? at(v) : v;
  return { rootDir, at, workdir: at(workdir), env };
}

/** An address of this machine other than loopback, if it has one: proof a port is bound beyond 127.0.0.1. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test("the image's file tree runs: compose's emulator on every interface, the warehouse, the gateway on the image's ENV, its HEALTHCHECK, SIGTERM -> exit 0", { timeout: 120_000 }, async (t) => {
  const image = assembleImage();
  // A test that times out is abandoned without its finally: the processes must not outlive it.
  const killAll = () => {
    for (const child of started) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone between the look and the kill.
      }
    }
  };
  t.signal.addEventListener('abort', killAll);
  try {
    // The entry point answers --version (started now, looked at below: the processes start side by side).
    const version = runToEnd([...serviceArgv({ command: ['--version'] })], { cwd: image.workdir, env: image.env });
    const { amazon, warehouse, gateway } = compose.services;
    // compose's warehouse service, one cycle, over the image's partner root.
    const partnerRoot = flagValue(serviceArgv(gateway), '--partner-root')!;
    const warehouseArgv = serviceArgv(warehouse).map((w) => (w === partnerRoot ? image.at(partnerRoot) : w));
    const cycle = runToEnd([...warehouseArgv, '--once'], { cwd: image.workdir, env: image.env });

    // compose's amazon service, its ports moved to free ones.
    const amazonPort = await closedPort();
    const amazonArgv = serviceArgv(amazon).map((w, i, all) => (all[i - 1] === '--port' ? String(amazonPort) : w));
    const emulator = run(amazonArgv, { cwd: image.workdir, env: image.env });
    await emulator.line((j) => j.msg === 'SP-API emulator listening', 'the emulator listens');
    const amazonCheck = amazon.healthcheck!.test.slice(1).map((w) => w.replace(/:\d+\//, `:${amazonPort}/`));
    const healthy = await runToEnd(amazonCheck, { cwd: image.workdir, env: image.env });
    assert.equal(healthy.code, 0, `the amazon service's healthcheck: ${healthy.err}`);
    if (outsideAddress) {
      const calls = await fetch(`http://${outsideAddress}:${amazonPort}/emulator/calls`);
      assert.equal(calls.status, 200, 'the emulator is reachable from outside 127.0.0.1 (--host 0.0.0.0)');
    }
    // An order taken now, inside the gateway's first look-back.
    const placed = await fetch(`http://127.0.0.1:${amazonPort}/emulator/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seller: 'acme', generate: { count: 1, sku: 'TSHIRT-RED-M' } }) });
    assert.equal(placed.status, 201, await placed.text());

    const versionRun = await version;
    assert.equal(versionRun.code, 0, versionRun.err);
    assert.equal(versionRun.out.trim(), JSON.parse(read('package.json')).version);
    const cycleRun = await cycle;
    assert.equal(cycleRun.code, 0, cycleRun.err);
    const warehouseCheck = warehouse.healthcheck!.test.slice(1).map((w) => w.replaceAll(`'${partnerRoot}/`, `'${image.at(partnerRoot)}/`));
    assert.equal((await runToEnd(warehouseCheck, { cwd: image.workdir, env: image.env })).code, 0, "the warehouse service's healthcheck");

    // compose's gateway service: the image's ENV (a free port instead of 8740), compose's environment, its command.
    const gatewayArgv = serviceArgv(gateway).map((w, i, all) => (all[i - 1] === '--amazon-endpoint' ? `http://127.0.0.1:${amazonPort}` : w === partnerRoot ? image.at(partnerRoot) : w));
    const composeEnv = Object.fromEntries(Object.entries(gateway.environment!).map(([k, v]) => [k, v.replace(/^\$\{\w+:-(.*)\}$/, '$1')]));
    const env = { ...image.env, ...composeEnv, DOCKGATE_HTTP_PORT: '0', DOCKGATE_LOG_LEVEL: 'info' };
    const gw = run(gatewayArgv, { cwd: image.workdir, env });
    const listening = await gw.line((j) => j.event === 'listening' && typeof j.url === 'string', 'the gateway prints its URL once listening');
    const port = Number(new URL(listening.url as string).port);
    assert.ok(port > 0, JSON.stringify(listening));

    // The HEALTHCHECK exactly as the Dockerfile writes it, on the port the gateway took.
    const check = execForm(lastOf(runtimeStage, 'HEALTHCHECK')!.args.replace(/^(--\S+\s+)*CMD\s+/, ''))!;
    const ok = await runToEnd(check, { cwd: image.workdir, env: { ...image.env, DOCKGATE_HTTP_PORT: String(port) } });
    assert.equal(ok.code, 0, `HEALTHCHECK against the running gateway: ${ok.err}`);
    if (outsideAddress) assert.equal((await fetch(`http://${outsideAddress}:${port}/healthz`)).status, 200, 'DOCKGATE_HTTP_HOST=0.0.0.0: reachable from outside the container');
    const down = await runToEnd(check, { cwd: image.workdir, env: { ...image.env, DOCKGATE_HTTP_PORT: String(await closedPort()) } });
    assert.equal(down.code, 1, 'HEALTHCHECK fails where nothing answers');
    assert.match(down.err, /unhealthy: GET http:\/\/127\.0\.0\.1:\d+\/healthz failed/);

    // The store is the image's /data (DOCKGATE_DATA_DIR from the image's ENV).
    assert.ok(readdirSync(image.at('/data')).length > 0, 'the store is in the image /data');
    assert.ok(!gw.out().includes('Atzr|acme') && !gw.out().includes(composeEnv.DOCKGATE_API_TOKEN), 'no credential or token in the logs');

    gw.child.kill('SIGTERM');
    assert.deepEqual(await gw.exit, { code: 0, signal: null }, `the gateway stops on SIGTERM with exit 0\n${gw.err()}`);
    emulator.child.kill('SIGTERM');
    assert.deepEqual(await emulator.exit, { code: 0, signal: null }, `the emulator stops on SIGTERM with exit 0\n${emulator.err()}`);
  } finally {
    killAll();
    rmSync(image.rootDir, { recursive: true, force: true });
  }
});
