// The public REST API, as a browser client uses it: OpenID Connect password sign-in, bearer
// tokens renewed with the refresh token, the csrftoken cookie echoed on unsafe requests, RFC 9457
// problems turned into ApiError, 429 Retry-After waited out, 3D Print API tasks polled.

export class ApiError extends Error {
  constructor(status, code, title, detail, problem = {}) {
    super(detail || title || code);
    this.status = status;
    this.code = code;
    this.title = title;
    this.detail = detail;
    this.problem = problem;
  }
}

const KEY = 'makeready.session';
let session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
let discovery = null;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function signedIn() {
  return session !== null;
}

export function username() {
  return session ? session.username : '';
}

async function discover() {
  if (!discovery) {
    const response = await fetch('/', { headers: { Accept: 'application/json' } });
    discovery = await response.json();
  }
  return discovery;
}

function keep(body, name) {
  const now = Date.now();
  session = {
    username: name,
    access: body.access_token,
    refresh: body.refresh_token || null,
    expires: now + 1000 * (body.expires_in || 300),
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  const code = body.code || (response.status === 401 ? 'auth.required' : `http.${response.status}`);
  return new ApiError(response.status, code, body.title || response.statusText, body.detail || body.error_description || '', body);
}

async function tokenRequest(form) {
  const { token_endpoint: endpoint, client_id: clientId } = await discover();
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, ...form }),
  });
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

export async function signIn(name, password) {
  keep(await tokenRequest({ grant_type: 'password', username: name, password }), name);
  // The csrftoken cookie: unsafe requests echo it in X-CSRFToken (3D Spark API's rule).
  await fetch('/api-auth/login', { credentials: 'same-origin' });
}

export function signOut() {
  session = null;
  sessionStorage.removeItem(KEY);
}

async function renew() {
  if (!session || !session.refresh) return false;
  try {
    keep(await tokenRequest({ grant_type: 'refresh_token', refresh_token: session.refresh }), session.username);
    return true;
  } catch {
    return false;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

// Listeners told when the session ends (expired and not renewable): the page shows sign-in.
const onSignedOut = [];
export function whenSignedOut(callback) {
  onSignedOut.push(callback);
}

/**
 * One API request. `json` or `form` (FormData) is the body; the answer is parsed JSON, or the
 * Response itself with `raw: true`. Throws ApiError with the problem's code and message.
 */
export async function api(path, { method = 'GET', json, form, raw = false, onRetry } = {}) {
  if (session && session.expires - Date.now() < 30_000) await renew();
  for (let attempt = 0; ; attempt += 1) {
    const headers = {};
    if (session) headers.Authorization = `Bearer ${session.access}`;
    if (method !== 'GET') headers['X-CSRFToken'] = csrfToken();
    let body;
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(json);
    } else if (form !== undefined) {
      body = form;
    }
    const response = await fetch(path, { method, headers, body, credentials: 'same-origin' });
    if (response.status === 401 && attempt === 0 && (await renew())) continue;
    if (response.status === 429 && attempt < 5) {
      const wait = Number(response.headers.get('Retry-After') || '1');
      if (onRetry) onRetry(wait);
      await sleep(Math.min(60, Math.max(0.2, wait)) * 1000);
      continue;
    }
    if (!response.ok) {
      const error = await problemOf(response);
      if (response.status === 401) {
        signOut();
        onSignedOut.forEach((callback) => callback(error));
      }
      throw error;
    }
    if (raw) return response;
    if (response.status === 204) return null;
    return response.json();
  }
}

/** Poll a 3D Print API task until it is done; `progress(fraction, status)` on each poll. */
export async function waitTask(task, progress = () => {}) {
  let current = task;
  let delay = 400;
  while (current.status === 'running') {
    progress(current.progress || 0, current.status);
    await sleep(delay);
    delay = Math.min(2000, delay * 1.5);
    current = await api(`/api/v1/print/tasks/${current.id}`);
  }
  if (current.status === 'error') {
    const e = current.error || {};
    throw new ApiError(422, e.code || 'task.failed', 'The task failed', e.message || '', e);
  }
  progress(1, 'done');
  return current.result;
}

/** Save an API resource as a file (the browser's download, named `filename`). */
export async function download(path, filename) {
  const response = await api(path, { raw: true });
  const blob = await response.blob();
  saveBlob(blob, filename);
  return blob.size;
}

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
