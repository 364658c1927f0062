// The browser client: fetch the bundle, check its sha256, run it with onnxruntime-web.
// `window.edge.ready` resolves once the model is loaded; `window.edge.predict(rows)` answers
// rows the way the server's POST /predict does, so a test can compare the two.
/* global ort */
'use strict';

const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

// Single-threaded wasm: more threads need cross-origin isolation headers and gain nothing
// on a model this small. The runtime's files come from this server, never a CDN.
ort.env.wasm.wasmPaths = '/edge/runtime/';
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

async function fetchOk(url) {
  const response = await fetch(url, { cache: 'no-cache' });
  if (!response.ok) {
    throw new Error(`GET ${url} answered ${response.status}: ${await response.text()}`);
  }
  return response;
}

async function loadBundle() {
  const manifest = await (await fetchOk('/edge/manifest')).json();
  const bytes = await (await fetchOk('/edge/model')).arrayBuffer();
  // crypto.subtle exists only in secure contexts (HTTPS or localhost).
  let verified = false;
  if (globalThis.crypto && crypto.subtle) {
    const actual = await sha256Hex(bytes);
    if (actual !== manifest.model.sha256) {
      throw new Error(`checksum mismatch: the model hashes to ${actual}, the manifest says ${manifest.model.sha256}`);
    }
    verified = true;
  }
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: ['wasm'] });
  return { manifest, session, verified };
}

function softmax(values) {
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

async function predict(bundle, rows) {
  const { session, manifest } = bundle;
  const width = rows[0].length;
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, width]);
  const outputs = await session.run({ [session.inputNames[0]]: input });
  // A scikit-learn graph answers probabilities; a network may answer raw scores.
  const scores = outputs.probabilities ?? outputs[session.outputNames[session.outputNames.length - 1]];
  const classes = scores.dims[1];
  return rows.map((_, row) => {
    let values = Array.from(scores.data.slice(row * classes, (row + 1) * classes), Number);
    if (!outputs.probabilities) values = softmax(values);
    const index = outputs.label ? Number(outputs.label.data[row]) : values.indexOf(Math.max(...values));
    const probabilities = Object.fromEntries(manifest.labels.map((name, i) => [name, values[i]]));
    return { label: manifest.labels[index], label_index: index, probabilities };
  });
}

function show(prediction) {
  document.getElementById('prediction').textContent = prediction.label;
  const table = document.getElementById('probabilities');
  table.replaceChildren(...Object.entries(prediction.probabilities).map(([name, value]) => {
    // Class names come from the manifest: set as text, never parsed as HTML.
    const row = document.createElement('tr');
    const label = document.createElement('th');
    label.textContent = name;
    const share = document.createElement('td');
    share.textContent = `${(value * 100).toFixed(2)} %`;
    row.append(label, share);
    return row;
  }));
}

function start() {
  const status = document.getElementById('status');
  const ready = loadBundle();
  window.edge = { ready, predict: async (rows) => predict(await ready, rows) };
  ready.then((bundle) => {
    const { manifest } = bundle;
    status.textContent = `Model ${manifest.name} ${manifest.version} (${manifest.quantization.precision}, ` +
      `${manifest.model.bytes} bytes, sha256 ${bundle.verified ? 'verified' : 'not checked: page not served over HTTPS'}) runs in this browser.`;
    status.dataset.state = 'ready';
    document.getElementById('predict').disabled = false;
  }, (error) => {
    status.textContent = `The model could not be loaded: ${error.message}`;
    status.className = 'error';
    status.dataset.state = 'failed';
  });
  document.getElementById('measurements').addEventListener('submit', async (event) => {
    event.preventDefault();
    const row = FEATURES.map((name) => Number(document.getElementById(name).value));
    const [prediction] = await window.edge.predict([row]);
    show(prediction);
  });
}

start();
