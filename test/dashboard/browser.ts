/**
 * Headless Chromium for the dashboard's browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). The flags keep a browser on a machine without
 * network quiet (no update checks, sync, QUIC or first-run pings), and every launch gets a fresh
 * profile in a temporary directory, removed on close.
 *
 * Without chromium the tests are skipped by name (the reason says so), except under CI=true,
 * where a missing browser is a failure: CI installs it (.ci/run).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's chromium; DOCKGATE_TEST_CHROMIUM names another binary (or a missing one, to see the skip). */
export const CHROMIUM = process.env.DOCKGATE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The sizes the dashboard must work at: a laptop and a tablet held upright. */
export const VIEWPORTS = {
  laptop: { width: 1366, height: 768 },
  tablet: { width: 768, height: 1024 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/**
 * The `skip` option for a browser test: a reason when chromium is not installed, false when it
 * is — and false under CI=true either way, so that a CI machine without it fails the test.
 */
export function skipWithoutChromium(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') return false;
  return `chromium not installed: ${CHROMIUM} is missing (apt-get install chromium; CI installs it in .ci/run)`;
}

export interface PageProblems {
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** console.error lines (CSP refusals show here). */
  console: string[];
  /** Requests that failed or answered 5xx. */
  failed: string[];
}

export interface Browser {
  context: BrowserContext;
  /** A new tab at a viewport, with its problems collected. */
  page(viewport?: ViewportName): Promise<{ page: Page; problems: PageProblems }>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium is not installed at ${CHROMIUM}: the browser tests need Debian's chromium package (CI installs it in .ci/run)`);
  const profile = mkdtempSync(join(tmpdir(), 'dockgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORTS.laptop,
    acceptDownloads: true,
    // Not the machine's locale or zone: what the page shows must not depend on them.
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(30_000);
  // The persistent context opens a first tab: closed, every test makes its own.
  for (const p of context.pages()) await p.close();
  return {
    context,
    async page(viewport = 'laptop') {
      const page = await context.newPage();
      await page.setViewportSize(VIEWPORTS[viewport]);
      const problems: PageProblems = { errors: [], console: [], failed: [] };
      page.on('pageerror', (e) => problems.errors.push(e.message));
      page.on('console', (m: ConsoleMessage) => {
        if (m.type() === 'error') problems.console.push(m.text());
      });
      page.on('requestfailed', (r) => {
        // A download the test saved, or a navigation away from a page, aborts its request: not a failure of the page.
        if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
        problems.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 500) problems.failed.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
      });
      return { page, problems };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const SCREENSHOTS = join(import.meta.dirname, '../../test-output/screenshots');

/** A full-page screenshot for review: test-output/screenshots/<name>-<viewport>.png. */
export async function screenshot(page: Page, name: string, viewport: ViewportName): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}-${viewport}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The page is wider than its viewport (the page itself scrolls sideways, not a table's box). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
