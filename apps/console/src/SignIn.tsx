import { useState, type FormEvent } from 'react';

/** Paste an access token; it is kept in session storage only (cleared on sign-out or tab close). */
export function SignIn({ onSubmit, error, busy }: { onSubmit: (token: string) => void; error: string | null; busy: boolean }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(token);
  };
  return (
    <section className="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <p>Paste an access token issued for your organization. It stays in this browser tab only and is never written to the address bar.</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="token">Access token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : undefined}
          required
        />
        {error && (
          <p id="signin-error" className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
