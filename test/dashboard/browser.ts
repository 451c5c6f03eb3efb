/**
 * Headless Chromium for the dashboard's browser tests: Debian's /usr/bin/chromium driven by
 * playwright-core (never a downloaded browser). The flags keep a browser on a machine without
 * network quiet (no update checks, sync, QUIC or first-run pings), and every launch gets a fresh
 * profile in a temporary directory, removed on close.
 *
 * Without chromium the tests are skipped by name (the reason says so), except under CI=true,
 * where a missing browser is a failure: CI installs it (.ci/run).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { startGateway, type RunningGateway } from './gateway.ts';

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

export interface DashboardTabs {
  /** Every tab opened, with the problems it collected: none may have any when it is closed. */
  opened: Array<{ name: string; problems: PageProblems }>;
  /** A tab signed in through the URL fragment, as the demo's printed link does, at #/<hash>. */
  signedIn(name: string, hash?: string, options?: { token?: string; viewport?: ViewportName }): Promise<Page>;
  /** The page's view (overview, exceptions, fba, returns, …) has its data. */
  loaded(page: Page, view: string): Promise<void>;
  /** Laptop and tablet screenshots of what the page shows now; neither may scroll the page sideways. */
  screenshots(page: Page, name: string): Promise<void>;
  /** The tab had no page errors, console errors (CSP refusals among them) or failed requests; it is closed. */
  noProblems(page: Page, name: string): Promise<void>;
}

/** The tab helpers of a test file whose browser and gateway are started in its before(). */
export function dashboardTabs(env: () => { browser: Browser; gateway: RunningGateway }): DashboardTabs {
  const opened: DashboardTabs['opened'] = [];
  const loaded = async (page: Page, view: string): Promise<void> => {
    await page.locator(`.page[data-page="${view}"][data-loaded="true"]`).waitFor({ timeout: 30_000 });
  };
  return {
    opened,
    loaded,
    async signedIn(name, hash = 'overview', options = {}) {
      const { browser, gateway } = env();
      const { page, problems } = await browser.page(options.viewport);
      opened.push({ name, problems });
      await page.goto(`${gateway.url}/dashboard/#token=${encodeURIComponent(options.token ?? gateway.token)}`);
      await page.locator('.who-name').waitFor();
      if (hash !== 'overview') await page.evaluate((h) => (location.hash = h), `#/${hash}`);
      await loaded(page, hash.split(/[/?]/)[0]);
      return page;
    },
    async screenshots(page, name) {
      for (const viewport of ['laptop', 'tablet'] as const) {
        await page.setViewportSize(VIEWPORTS[viewport]);
        // A resize reflows (charts follow their box): wait for the layout to settle at the new width.
        await page.waitForFunction((w) => window.innerWidth === w, VIEWPORTS[viewport].width);
        assert.equal(await horizontalOverflow(page), 0, `${name} scrolls sideways at ${viewport} size`);
        await screenshot(page, name, viewport);
      }
      await page.setViewportSize(VIEWPORTS.laptop);
    },
    async noProblems(page, name) {
      const entry = opened.find((o) => o.name === name)!;
      assert.deepEqual(entry.problems, { errors: [], console: [], failed: [] }, `${name}: page errors, console errors (CSP refusals among them) or failed requests`);
      await page.close();
    },
  };
}

export interface DashboardSession extends DashboardTabs {
  /** Set once before() ran (a skipped file never starts either). */
  readonly gateway: RunningGateway;
  readonly browser: Browser;
}

/**
 * One gateway and one browser for a whole test file, started together in before() and stopped in
 * after(); the gateway must exit 0. Whichever started is kept, so that after() stops it when the
 * other failed.
 */
export function dashboardSession(skip: string | false): DashboardSession {
  let gateway: RunningGateway | undefined;
  let browser: Browser | undefined;
  before(async () => {
    if (skip) return;
    const [g, b] = await Promise.allSettled([startGateway(), launchBrowser()]);
    if (g.status === 'fulfilled') gateway = g.value;
    if (b.status === 'fulfilled') browser = b.value;
    if (g.status === 'rejected') throw g.reason;
    if (b.status === 'rejected') throw b.reason;
  });
  after(async () => {
    await browser?.close();
    if (gateway) {
      const r = await gateway.stop();
      assert.equal(r.code, 0, `the gateway stopped with ${r.code ?? r.signal}:\n${gateway.output().slice(-3000)}`);
    }
  });
  const tabs = dashboardTabs(() => ({ browser: browser!, gateway: gateway! }));
  return {
    ...tabs,
    get gateway() {
      return gateway!;
    },
    get browser() {
      return browser!;
    },
  };
}
