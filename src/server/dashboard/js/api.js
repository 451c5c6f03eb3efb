/**
 * The REST API as the dashboard calls it: the bearer token from sessionStorage (it arrived in
 * the URL fragment, which browsers never send to the server, or through the sign-in form), JSON
 * in and out, and the API's one error shape turned into an ApiFailure with the server's message.
 */

const TOKEN_KEY = 'dockgate.token';

export class ApiFailure extends Error {
  constructor(status, code, message, where) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
    this.where = where ?? null;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** Called with the failure when the server answers 401: the app goes back to the sign-in form. */
let onUnauthorized = () => {};
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function failureOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not the API's shape (a proxy's page): the status says enough.
  }
  const e = body?.error;
  return new ApiFailure(res.status, e?.code ?? 'http', e?.message ?? `${res.status} ${res.statusText}`, e?.where);
}

async function call(method, path, { params, body } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token.get();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1${path}${query(params)}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch (e) {
    throw new ApiFailure(0, 'network', `the gateway did not answer (${e.message})`);
  }
  if (!res.ok) {
    const f = await failureOf(res);
    if (res.status === 401) onUnauthorized(f);
    throw f;
  }
  return res.json();
}

export const api = {
  get: (path, params) => call('GET', path, { params }),
  post: (path, body = {}) => call('POST', path, { body }),
  /** A file from the API (CSV): fetched with the token, saved through a Blob link. */
  async download(path, params, fallbackName) {
    const headers = {};
    const t = token.get();
    if (t) headers.Authorization = `Bearer ${t}`;
    const res = await fetch(`/api/v1${path}${query(params)}`, { headers, cache: 'no-store' });
    if (!res.ok) {
      const f = await failureOf(res);
      if (res.status === 401) onUnauthorized(f);
      throw f;
    }
    const blob = await res.blob();
    const disposition = res.headers.get('Content-Disposition') ?? '';
    const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] ?? fallbackName;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = decodeURIComponent(name);
    document.body.append(a);
    a.click();
    a.remove();
    // The click has started the download; the object URL can go after this task.
    setTimeout(() => URL.revokeObjectURL(url), 0);
    return { name: a.download, bytes: blob.size };
  },
};

/**
 * Enumerations the API declares (filter values such as exception kinds and states), read from the
 * OpenAPI document so the dashboard never keeps its own copy of the store's lists.
 */
let openapi = null;
export async function declaredEnum(path, method, param) {
  try {
    openapi ??= await fetch('/api/v1/openapi.json', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : {}));
  } catch {
    openapi = {};
  }
  const op = openapi?.paths?.[`/api/v1${path}`]?.[method] ?? openapi?.paths?.[path]?.[method];
  const p = op?.parameters?.find((x) => x.name === param);
  const schema = p?.schema ?? {};
  const values = schema.enum ?? schema.items?.enum ?? schema.anyOf?.flatMap((s) => s.enum ?? []) ?? [];
  return values.filter((v) => typeof v === 'string');
}
