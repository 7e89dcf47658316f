/** Escapes text for HTML element content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The admin login form. Plain HTML with no script (the CSP allows none inline) and a same-origin POST.
 * Stable hooks for browser tests: form `#login-form`, field `apiKey` (`#apiKey`), hidden `next`, button
 * `#login-submit`, error `#login-error` (role="alert").
 */
export function loginPage(options: {
  next: string;
  error?: string | undefined;
  /** Where the form posts; default the admin login. */
  action?: string | undefined;
  heading?: string | undefined;
  label?: string | undefined;
}): string {
  const heading = escapeHtml(options.heading ?? 'Admin');
  const error = options.error
    ? `<p id="login-error" role="alert" class="error">${escapeHtml(options.error)}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Aegis Ingest · ${heading} login</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  main { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px rgb(0 0 0 / 0.15); width: min(26rem, 90vw); }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  label { display: block; font-weight: 600; margin-bottom: 0.4rem; }
  input[type=password] { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; font-family: monospace; }
  button { margin-top: 1rem; padding: 0.5rem 1.2rem; font: inherit; cursor: pointer; }
  .error { color: #b00020; }
  .hint { color: #555; font-size: 0.9rem; }
</style>
</head>
<body>
<main>
  <h1>Aegis Ingest · ${heading}</h1>
  ${error}
  <form id="login-form" method="post" action="${escapeHtml(options.action ?? '/admin/login')}">
    <label for="apiKey">${escapeHtml(options.label ?? 'Admin API key')}</label>
    <input id="apiKey" name="apiKey" type="password" autocomplete="off" required placeholder="aegis_xxxxxxxx_...">
    <input type="hidden" name="next" value="${escapeHtml(options.next)}">
    <button id="login-submit" type="submit">Sign in</button>
  </form>
  <p class="hint">Create one with <code>npm run aegis -- keys create &lt;name&gt; --roles ${options.action && options.action !== '/admin/login' ? 'read,ingest' : 'admin'}</code>. The session lasts 8 hours.</p>
</main>
</body>
</html>`;
}
