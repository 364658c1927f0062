// The browser client in headless Chromium: it loads the bundle from the edge server, and
// its predictions must equal the server's own (POST /predict) on the same rows.
// Run by tests/edge/test_clients.py, which starts the server: EDGE_BASE_URL, CHROMIUM and
// SCREENSHOT_DIR come from there.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const BASE_URL = process.env.EDGE_BASE_URL;
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR ?? 'test-output/edge';
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.1, 4.4, 1.4],
  [6.7, 3.0, 5.2, 2.3],
  [5.9, 3.0, 5.1, 1.8],
  [4.9, 2.4, 3.3, 1.0],
];
// How far the page's probabilities may stray from the server's float model: fp32 in
// WebAssembly against fp32 in native ONNX Runtime differ by float rounding only; an int8
// bundle's outputs move in steps of 1/255.
const TOLERANCE = { fp32: 1e-5, int8: 0.05 };

let browser;
let page;
let tolerance;

before(async () => {
  assert.ok(BASE_URL, 'EDGE_BASE_URL must name a running edge server');
  // launch() gives the browser a fresh, throwaway profile (user data dir) of its own.
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(`${BASE_URL}/edge/`);
  await page.waitForFunction(() => document.getElementById('status').dataset.state !== undefined);
  const state = await page.evaluate(() => document.getElementById('status').dataset.state);
  assert.equal(state, 'ready', await page.textContent('#status'));
  const manifest = await (await fetch(`${BASE_URL}/edge/manifest`)).json();
  tolerance = TOLERANCE[manifest.quantization.precision];
});

after(async () => {
  await browser?.close();
});

async function serverPredictions(rows) {
  const response = await fetch(`${BASE_URL}/predict`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ rows }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).predictions;
}

function assertSame(browserAnswers, serverAnswers) {
  assert.equal(browserAnswers.length, serverAnswers.length);
  browserAnswers.forEach((mine, row) => {
    const theirs = serverAnswers[row];
    assert.equal(mine.label, theirs.label, `row ${row}`);
    assert.equal(mine.label_index, theirs.label_index, `row ${row}`);
    for (const [name, probability] of Object.entries(theirs.probabilities)) {
      const difference = Math.abs(mine.probabilities[name] - probability);
      assert.ok(difference <= tolerance, `row ${row} ${name}: ${mine.probabilities[name]} vs ${probability}`);
    }
  });
}

test('the page verified the bundle it runs', async () => {
  const status = await page.textContent('#status');
  assert.match(status, /sha256 verified/);
});

test('the browser predicts what the server predicts', async () => {
  const browserAnswers = await page.evaluate((rows) => window.edge.predict(rows), ROWS);
  assertSame(browserAnswers, await serverPredictions(ROWS));
});

test('a user types measurements and sees the server\'s label', async () => {
  const row = ROWS[2];
  const fields = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
  for (const [index, field] of fields.entries()) await page.fill(`#${field}`, String(row[index]));
  await page.click('#predict');
  await page.waitForFunction(() => document.getElementById('prediction').textContent !== '');
  const [expected] = await serverPredictions([row]);
  assert.equal(await page.textContent('#prediction'), expected.label);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, 'prediction.png'), fullPage: true });
});
