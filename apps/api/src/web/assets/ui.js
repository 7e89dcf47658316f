// Aegis Ingest web UI: the little the pages need a script for. No framework, no inline script (the CSP has
// none); text reaches the page through textContent only. Calls the API's own JSON routes with the browser
// session, sending the session's CSRF token (meta csrf-token) on every mutation.

const FINAL = new Set(['completed', 'completed_with_warnings', 'failed', 'cancelled', 'superseded']);
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function badge(cell, status, detail) {
  cell.replaceChildren(el('span', { class: `badge status-${status}` }, status.replaceAll('_', ' ')));
  if (detail) cell.append(' ', detail);
}

async function errorText(response) {
  try {
    const body = await response.json();
    return `${body.error?.code ?? response.status}: ${body.error?.message ?? ''}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** One EventSource for a set of documents, reopened when the set changes; `onOpen` re-reads missed state. */
function follower(onEvent, onOpen, stateNode) {
  const ids = new Set();
  let source;
  function open() {
    source?.close();
    source = undefined;
    if (ids.size === 0) return;
    const query = [...ids].map((id) => `documentId=${encodeURIComponent(id)}`).join('&');
    source = new EventSource(`/v1/events?${query}`);
    for (const type of ['stage', 'version', 'deleted'])
      source.addEventListener(type, (message) => onEvent(type, JSON.parse(message.data)));
    source.addEventListener('heartbeat', (message) => {
      const { workers } = JSON.parse(message.data);
      if (stateNode) stateNode.textContent = `Live · ${workers ?? '?'} worker(s) running`;
    });
    source.addEventListener('open', () => {
      if (stateNode) stateNode.textContent = 'Live';
      for (const id of ids) void onOpen(id)?.catch(() => {});
    });
    source.addEventListener('error', () => {
      if (stateNode) stateNode.textContent = 'Reconnecting to live progress…';
    });
  }
  return {
    add(id) {
      ids.add(id);
      open();
    },
    remove(id) {
      if (ids.delete(id)) open();
    },
  };
}

function setupUpload(form) {
  const stages = form.dataset.stages.split(',');
  const table = document.getElementById('uploads');
  const body = table.querySelector('tbody');
  const rows = new Map();
  const live = follower(onEvent, refresh, document.getElementById('live-state'));

  function stageCell(row, stage) {
    return row.querySelector(`td[data-stage="${stage}"]`);
  }
  function showVersion(id, status) {
    const row = rows.get(id);
    if (!row) return;
    badge(row.querySelector('td.version-status'), status);
    row.dataset.status = status;
    if (FINAL.has(status)) live.remove(id);
  }
  function onEvent(type, event) {
    const row = rows.get(event.documentId);
    if (!row || Number(row.dataset.version) !== event.version) return;
    if (type === 'stage') {
      const items = event.total ? `${event.done ?? 0}/${event.total}` : undefined;
      badge(stageCell(row, event.stage), event.status, items);
    } else if (type === 'version') {
      // Events from different connections may arrive out of order: a final row is read from the registry
      // (its stages first, then its status), so it never ends with a stale stage.
      if (FINAL.has(event.status))
        void refresh(event.documentId).catch(() => showVersion(event.documentId, event.status));
      else showVersion(event.documentId, event.status);
    }
  }
  async function refresh(id) {
    const response = await fetch(`/v1/documents/${encodeURIComponent(id)}`, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const status = await response.json();
    const row = rows.get(id);
    const version = status.versions.find((entry) => entry.version === Number(row?.dataset.version));
    if (!row || !version) return;
    for (const stage of version.stages) badge(stageCell(row, stage.stage), stage.status);
    showVersion(id, version.status);
  }

  function upload(file) {
    table.hidden = false;
    const row = el('tr', { class: 'upload-row' });
    const name = el('td', { class: 'file-name' }, file.name);
    const progress = el('progress', { max: '1', value: '0' });
    const uploadCell = el('td', { class: 'upload-progress' });
    uploadCell.append(progress);
    row.append(name, uploadCell);
    for (const stage of stages) row.append(el('td', { 'data-stage': stage }, '·'));
    const statusCell = el('td', { class: 'version-status' }, 'uploading');
    row.append(statusCell);
    body.append(row);

    const data = new FormData();
    data.append('knowledgeBase', document.getElementById('upload-kb').value);
    const metadata = document.getElementById('upload-metadata').value.trim();
    if (metadata) data.append('metadata', metadata);
    data.append('file', file, file.name);
    const request = new XMLHttpRequest();
    request.open('POST', '/v1/documents');
    request.setRequestHeader('x-csrf-token', csrf());
    request.setRequestHeader('accept', 'application/json');
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) progress.value = event.loaded / event.total;
    });
    request.addEventListener('load', () => {
      let answer;
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        answer = {};
      }
      if (request.status !== 200 && request.status !== 202) {
        row.dataset.status = 'refused';
        badge(
          statusCell,
          'failed',
          `${answer.error?.code ?? request.status}: ${answer.error?.message ?? ''}`,
        );
        return;
      }
      progress.value = 1;
      row.dataset.documentId = answer.documentId;
      row.dataset.version = String(answer.version);
      const link = el('a', { href: `/ui/documents/${encodeURIComponent(answer.documentId)}` }, file.name);
      name.replaceChildren(link);
      if (!answer.created) name.append(el('span', { class: 'muted' }, ' (already registered)'));
      rows.set(answer.documentId, row);
      showVersion(answer.documentId, answer.status);
      if (!FINAL.has(answer.status)) live.add(answer.documentId);
      else void refresh(answer.documentId).catch(() => {});
    });
    request.addEventListener('error', () => badge(statusCell, 'failed', 'network error'));
    request.send(data);
  }

  const zone = document.getElementById('dropzone');
  const input = document.getElementById('file-input');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    for (const file of event.dataTransfer?.files ?? []) upload(file);
  });
  zone.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') input.click();
  });
  input.addEventListener('change', () => {
    for (const file of input.files ?? []) upload(file);
    input.value = '';
  });
  form.addEventListener('submit', (event) => event.preventDefault());
}

function setupDocument(head) {
  const id = head.dataset.documentId;
  const version = head.dataset.version;
  const result = document.getElementById('action-result');
  const path = `/v1/documents/${encodeURIComponent(id)}`;

  async function act(button) {
    const action = button.dataset.action;
    if (action === 'delete' && !window.confirm('Delete this document from every store?')) return;
    if (action === 'cancel' && !window.confirm(`Cancel version ${version}?`)) return;
    const url =
      action === 'retry'
        ? `${path}/retry?stage=${encodeURIComponent(button.dataset.stage)}&version=${version}`
        : action === 'cancel'
          ? `${path}/cancel?version=${version}`
          : path;
    button.disabled = true;
    const response = await fetch(url, {
      method: action === 'delete' ? 'DELETE' : 'POST',
      credentials: 'same-origin',
      headers: { 'x-csrf-token': csrf(), accept: 'application/json' },
    });
    button.disabled = false;
    if (!response.ok) {
      result.className = 'action-result error';
      result.textContent = await errorText(response);
      return;
    }
    result.className = 'action-result';
    if (action === 'delete') {
      window.location.assign('/ui/documents?deleted=1');
      return;
    }
    result.textContent = action === 'retry' ? `Retrying ${button.dataset.stage}…` : 'Cancelling…';
    window.location.reload();
  }
  for (const button of document.querySelectorAll('button[data-action]'))
    button.addEventListener('click', () => void act(button));

  // While the version runs, the page follows it and reloads when a stage or the version changes state.
  if (head.dataset.live === 'true') {
    let timer;
    const reload = () => {
      clearTimeout(timer);
      timer = setTimeout(() => window.location.reload(), 400);
    };
    follower(
      (type, event) => {
        if (type === 'deleted') return window.location.assign('/ui/documents');
        if (event.version !== Number(version)) return;
        if (type === 'version' || event.status !== 'running') reload();
      },
      () => {},
      result,
    ).add(id);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  const upload = document.getElementById('upload-form');
  if (upload) setupUpload(upload);
  const head = document.getElementById('document');
  if (head) setupDocument(head);
});
