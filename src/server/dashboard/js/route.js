/**
 * Hash routes: "#/exceptions?state=open&kind=unmapped-sku&id=12", "#/messages/41?seg=5",
 * "#/orders/acme/111-2223334-5556667". Filters live in the hash so a view can be bookmarked,
 * shared and reached with Back; the fragment never reaches the server.
 */

export function parseHash(hash = location.hash) {
  const raw = hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] ?? 'overview', parts: parts.slice(1), params: new URLSearchParams(q) };
}

export function hashOf(parts, params = {}) {
  const path = parts.map((p) => encodeURIComponent(p)).join('/');
  const q = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params] : Object.entries(params);
  for (const [k, v] of entries) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

/** Go to a hash; replace: true changes it without a history entry (filter edits). False when already there. */
export function navigate(parts, params, { replace = false } = {}) {
  const next = hashOf(parts, params);
  if (next === location.hash) return false;
  if (replace) {
    history.replaceState(null, '', next);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else location.hash = next;
  return true;
}

export const messageHref = (id, params) => hashOf(['messages', String(id)], params);
export const orderHref = (seller, orderId) => hashOf(['orders', seller, orderId]);
export const exceptionHref = (id) => hashOf(['exceptions'], { state: 'all', id });
export const fbaShipmentHref = (seller, shipmentId) => hashOf(['fba'], { id: `${seller}/${shipmentId}` });
export const arrivalHref = (id) => hashOf(['returns'], { id });
