// Talking to the daemon's REST API with the session cookie.

import { message, t } from "./i18n.js";

let onUnauthorized = () => {};
export function whenUnauthorized(fn) { onUnauthorized = fn; }


export class ApiError extends Error {
  // said: the server's sentence ({id, params, text}) when it named one, so a caller can tell which
  // error it is without reading the (translated) text.
  constructor(status, detail, field, said) {
    super(detail); this.status = status; this.field = field || null; this.said = said || null;
  }
}

// FastAPI's error location without where it was: ["body", "cycle", "day"] -> "cycle.day".
export function errorLoc(e) {
  const loc = (e && e.loc) || [];
  return (["body", "query", "path"].includes(loc[0]) ? loc.slice(1) : loc).join(".");
}

export function detailText(body, status) {
  const d = body && body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {  // FastAPI validation errors: "field: message"
    return d.map(e => (e.message ? message(e.message) : `${errorLoc(e)}: ${String(e.msg).replace(/^Value error, /, "")}`)).join("; ");
  }
  return `HTTP ${status}`;
}

// The input an error is about: the API's structured "field", or the first schema error's location.
export function errorField(body) {
  if (!body) return null;
  if (typeof body.field === "string" && body.field) return body.field;
  if (Array.isArray(body.detail) && body.detail.length) return errorLoc(body.detail[0]) || null;
  return null;
}

export async function api(method, path, body) {
  const opts = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  } else if (method !== "GET") {
    opts.headers["Content-Type"] = "application/json";
  }
  let r;
  try {
    r = await fetch("/api/v1" + path, opts);
  } catch (exc) {
    throw new ApiError(0, t("offline", "cannot reach the daemon"));
  }
  if (r.status === 401) { onUnauthorized(); throw new ApiError(401, t("login", "Log in")); }
  const data = await r.json().catch(() => null);
  // A sentence with a message id is shown in the reader's language.
  if (!r.ok) {
    const said = data && data.message ? data.message : null;
    throw new ApiError(r.status, said ? message(said) : detailText(data, r.status), errorField(data), said);
  }
  return data;
}

// Runs an action for a button: disables it meanwhile, shows the API's detail in errEl.
export async function act(errEl, fn, button) {
  if (errEl) errEl.textContent = "";
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (exc) {
    if (errEl) {
      errEl.textContent = exc.message;
      errEl.scrollIntoView({ block: "nearest" });
    }
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
