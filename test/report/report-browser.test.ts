/**
 * End to end in a real browser: the report of the article's scenario (curl localhost:5000 through
 * docker-proxy, lo + docker0) opened in headless Chromium from Debian's `chromium` package,
 * driven by playwright-core (never downloads a browser). Skipped, saying so, without chromium.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { renderReport } from '../../src/present/report/index.js';
import { capturesDir } from '../helpers/paths.js';
import { analyze, scenarios } from './scenarios.js';
import { HOSTILE_PATH, hostileCaptures } from './hostile-capture.js';

const CHROMIUM = process.env.NATFLOW_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'report in headless Chromium'
  : `report in headless Chromium — SKIPPED: no browser at ${CHROMIUM} (apt-get install -y chromium, or set NATFLOW_CHROMIUM)`;

describe.skipIf(!haveChromium)(title, () => {
  let dir: string;
  let ctx: BrowserContext;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'natflow-report-e2e-'));
    ctx = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
      viewport: { width: 1280, height: 900 },
      offline: true,
    });
  });

  afterAll(async () => {
    await ctx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(files: string[], name: string): Promise<Page> {
    const { analysis, flowMap } = await analyze(files);
    const file = path.join(dir, `${name}.html`);
    writeFileSync(file, renderReport(analysis, flowMap));
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pathToFileURL(file).href);
    (page as Page & { errors?: string[] }).errors = errors;
    return page;
  }

  it("the article's scenario: the ladder is drawn, visible, and screenshotted", async () => {
    const files = ['lo.pcap', 'docker0.pcap'].map((f) => path.join(capturesDir, '01-localhost-proxy', f));
    const page = await open(files, 'article');
    const svg = page.locator('svg.ladder').first();
    await expect.poll(() => svg.isVisible()).toBe(true);
    const box = await svg.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.width).toBeGreaterThan(400);
    expect(box!.height).toBeGreaterThan(300);
    // Both legs' interfaces label the diagram, and the proxy hand-off box is rendered with a size.
    expect(await page.locator('svg.ladder .leg-iface').allTextContents()).toEqual(['lo', 'docker0']);
    const crossing = await page.locator('svg.ladder g.crossing[data-mechanism="userland-proxy"] rect').boundingBox();
    expect(crossing!.width).toBeGreaterThan(100);
    const shot = process.env.NATFLOW_SCREENSHOT ?? path.join(dir, 'article-ladder.png');
    await svg.scrollIntoViewIfNeeded();
    // The sticky filter bar would float over a tall element's screenshot: pin it for the picture.
    await page.locator('section.correlation').first().screenshot({ path: shot, style: '.toolbar { position: static !important; }' });
    expect(existsSync(shot)).toBe(true);
    // The inline script ran under the page's CSP (the filter count only appears through it).
    await page.fill('#filter', 'docker0');
    await expect.poll(() => page.textContent('#filter-count')).toBe('1 of 1 conversations match');
    await page.fill('#filter', 'no-such-thing');
    await expect.poll(() => page.locator('section.correlation').first().isHidden()).toBe(true);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
  });

  it('the filter box hides the conversations that do not match', async () => {
    const sc = scenarios().find((s) => s.name === '04-port-collision')!;
    const page = await open(sc.files, 'collision');
    const sections = page.locator('section.correlation');
    const total = await sections.count();
    expect(total).toBeGreaterThanOrEqual(4);
    await page.fill('#filter', 'nf-s04-t2');
    await expect.poll(() => page.locator('section.correlation:visible').count()).toBe(1);
    expect(await page.locator('section.correlation:visible summary').textContent()).toContain('/hello.txt?m=nf-s04-t2');
    // Two terms must both match: a DNS marker and "tcp"-only text match nothing.
    await page.fill('#filter', 'nf-s04-u1 eth0');
    await expect.poll(() => page.locator('section.correlation:visible').count()).toBe(1);
    await page.fill('#filter', '');
    await expect.poll(() => page.locator('section.correlation:visible').count()).toBe(total);
  });

  it('a <script> in an HTTP path stays text: no extra script element, the path shown literally', async () => {
    const page = await open(hostileCaptures(), 'hostile');
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    expect(await page.locator('script').count()).toBe(1);
    expect(await page.locator('svg.ladder .app-line').first().textContent()).toBe(`GET ${HOSTILE_PATH} HTTP/1.1`);
    expect(dialogs).toEqual([]);
  });
});
