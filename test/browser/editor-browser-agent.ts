// Agent for test/browser/sidebar.test.ts, run inside the LAN host where the editor listens on
// loopback: playwright-core launches Debian's chromium (no browser download) as a child of this
// process, so the browser shares the host's network namespace. One page; page expressions are
// strings so the test keeps the editor's vocabulary (RED.sidebar, jQuery) in one place.
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium as root in a container: no sandbox, no GPU, nothing fetched from Google's servers. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser: Browser | undefined;
let page: Page | undefined;

function current(): Page {
  if (!page) throw new Error('no page: call open() first');
  return page;
}

export async function open(url: string): Promise<void> {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url);
}

/**
 * Polls a page expression until it is truthy and returns its value. An exception counts as not yet:
 * the editor throws from RED.sidebar and friends while it is still loading.
 */
export async function waitFor(expression: string, timeoutMs: number): Promise<unknown> {
  const guarded = `(() => { try { return (${expression}); } catch { return false; } })()`;
  const handle = await current().waitForFunction(guarded, undefined, { timeout: timeoutMs, polling: 100 });
  return handle.jsonValue();
}

export async function click(selector: string): Promise<void> {
  await current().locator(selector).click();
}

export async function evaluate(expression: string): Promise<unknown> {
  return current().evaluate(expression);
}

/** A PNG of one element (the editor's sidebar), or of the whole page without a selector. */
export async function screenshot(selector?: string): Promise<Buffer> {
  const p = current();
  return selector ? p.locator(selector).screenshot() : p.screenshot();
}

export async function shutdown(): Promise<void> {
  await browser?.close();
  browser = undefined;
  page = undefined;
}
