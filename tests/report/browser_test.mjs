// End-to-end test of the HTML report in a real browser.
//
//   node tests/report/browser_test.mjs ASSAY_BINARY SOURCE_DIR OUTPUT_DIR
//
// Runs `assay run` on examples/triage_protocol.toml into a temporary bundle,
// opens its report.html in headless Chromium (playwright-core from
// SOURCE_DIR/node_modules, Debian's /usr/bin/chromium; nothing is downloaded)
// and checks that every plot renders with no console errors and no network
// access, that the endpoint table matches evidence.json, and that with
// JavaScript disabled the table and the plot notes are still there. Saves a
// full-page screenshot to OUTPUT_DIR/report.png. Prints one line per check and
// "N passed, M failed"; exits 0 only when nothing failed.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [binary, sourceDir, outputDir] = process.argv.slice(2);
if (!binary || !sourceDir || !outputDir) {
  console.error('usage: node browser_test.mjs ASSAY_BINARY SOURCE_DIR OUTPUT_DIR');
  process.exit(2);
}
// Resolve playwright-core from the source tree, whatever the current directory.
const { chromium } = createRequire(path.resolve(sourceDir, 'package.json'))('playwright-core');

let passed = 0, failed = 0;
function check(ok, name, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? ': ' + detail : ''}`);
  return ok;
}

// The endpoint table in section#endpoints: for every endpoint in evidence.json,
// a row whose first cell is its id and whose text contains the verdict word.
async function checkEndpointTable(page, evidence, prefix) {
  const rows = await page.$$eval('section#endpoints table tr', (trs) => trs.map((tr) => ({
    first: tr.cells[0]?.textContent.trim(), text: tr.textContent,
  })));
  check(rows.length > 0, `${prefix}endpoint table is present (${rows.length} rows)`);
  for (const ep of evidence.endpoints) {
    const word = String(ep.verdict).replaceAll('_', ' ');
    const row = rows.find((r) => r.first === ep.id);
    check(row && row.text.includes(word), `${prefix}endpoint ${ep.id} shows '${word}'`,
      row ? `row text: ${row.text.trim()}` : 'no row');
  }
}

const work = mkdtempSync(path.join(tmpdir(), 'assay-browser-'));
const bundle = path.join(work, 'bundle');
let browser;
try {
  // 1. Produce a bundle with a throwaway registry.
  const run = spawnSync(path.resolve(binary),
    ['run', path.join(sourceDir, 'examples', 'triage_protocol.toml'), '--out', bundle],
    { env: { ...process.env, ASSAY_REGISTRY: path.join(work, 'registry.sqlite') }, encoding: 'utf8' });
  if (!check(run.status === 0, 'assay run exits 0', `status ${run.status} ${run.error ?? ''} ${run.stderr}`))
    throw new Error('no bundle');
  const evidence = JSON.parse(readFileSync(path.join(bundle, 'evidence.json'), 'utf8'));
  const reportUrl = pathToFileURL(path.join(bundle, 'report.html')).href;

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-component-update', '--disable-sync', '--no-first-run'],
  });

  // 2. With JavaScript: collect every problem the page reports while loading.
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  const note = (msg) => problems.push(msg.length > 300 ? msg.slice(0, 300) + '…' : msg);
  const localScheme = /^(file|data|blob|about):/;
  page.on('console', (m) => { if (m.type() === 'error') note(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => note(`page error: ${e.message}`));
  page.on('requestfailed', (r) => note(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('request', (r) => { if (!localScheme.test(r.url())) note(`network request: ${r.url()}`); });
  await page.goto(reportUrl);

  const plotCount = await page.locator('.plot').count();
  check(plotCount > 0, `report has plots (${plotCount})`);
  // The page script sets data-rendered="yes" once vegaEmbed resolves.
  let allRendered = true;
  try {
    await page.waitForFunction(() => [...document.querySelectorAll('.plot')]
      .every((d) => d.getAttribute('data-rendered') === 'yes'), null, { timeout: 20000 });
  } catch (e) {
    allRendered = false;
  }
  const notRendered = await page.$$eval('.plot:not([data-rendered="yes"])',
    (ds) => ds.map((d) => `${d.id}: ${d.textContent.slice(0, 120)}`));
  check(allRendered, 'every plot is rendered within 20 s', notRendered.join('; '));

  // Vega's SVG renderer puts each mark's items into <g class="mark-… role-mark">;
  // count the drawn items (paths need a non-empty d).
  const marks = await page.$$eval('.plot', (ds) => ds.map((d) => ({
    id: d.id,
    items: [...d.querySelectorAll('svg g.role-mark > *')].filter((el) =>
      el.tagName !== 'path' || (el.getAttribute('d') || '').length > 0).length,
  })));
  for (const m of marks) check(m.items > 0, `${m.id} draws marks (${m.items} items)`);

  await checkEndpointTable(page, evidence, '');
  mkdirSync(outputDir, { recursive: true });
  const shot = path.join(outputDir, 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  check(existsSync(shot) && statSync(shot).size > 0, `screenshot saved to ${shot}`);
  check(problems.length === 0, 'no console errors, page errors or network requests', problems.join('; '));

  // 3. Without JavaScript the report must still carry its content.
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  const page2 = await noJs.newPage();
  await page2.goto(reportUrl);
  await checkEndpointTable(page2, evidence, 'without JS: ');
  const notes = await page2.$$eval('.plot', (ds) => ds.map((d) => ({
    id: d.id, note: d.querySelector('.plot-note')?.textContent.trim() ?? '',
  })));
  check(notes.length === plotCount, `without JS all ${plotCount} plots are present`);
  const noNote = notes.filter((n) => n.note.length === 0).map((n) => n.id);
  check(noNote.length === 0, 'without JS every plot shows its .plot-note', noNote.join(', '));
  await noJs.close();
} catch (e) {
  check(false, 'test ran to completion', e.stack ?? String(e));
} finally {
  if (browser) await browser.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
