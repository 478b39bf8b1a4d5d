import { useCallback, useEffect, useMemo, useState } from 'react';
import { sessionSession, type SessionDto } from '@cmk/api-client';
import { call, clientFor, orgOfToken, tokenStore } from './api';
import { describeFailure } from './messages';
import { SignIn } from './SignIn';
import { KeysPage } from './KeysPage';
import { NoAccess } from './NoAccess';

type Signed = { token: string; org: string; session: SessionDto };

/** The console shell: sign-in with a pasted token, then the keys page or the reason it is not offered. */
export function App() {
  const [signed, setSigned] = useState<Signed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signIn = useCallback(async (token: string) => {
    setError(null);
    const org = orgOfToken(token);
    if (!org) {
      setError('This does not look like an access token. Tokens start with "cmk." followed by the organization.');
      return;
    }
    setBusy(true);
    try {
      const session = await call(sessionSession({ client: clientFor(token), path: { org } }));
      tokenStore.write(token);
      setSigned({ token: token.trim(), org, session });
    } catch (failure) {
      tokenStore.clear();
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  }, []);

  useEffect(() => {
    const stored = tokenStore.read();
    if (stored) void signIn(stored);
  }, [signIn]);

  const signOut = () => {
    tokenStore.clear();
    setSigned(null);
  };

  const client = useMemo(() => (signed ? clientFor(signed.token) : null), [signed]);

  return (
    <>
      <header className="topbar">
        <span className="brand">Customer Managed Keys</span>
        {signed && (
          <div className="who" aria-label="Signed in as">
            <span>
              <strong>{signed.session.user}</strong> · {signed.session.role} of <strong>{signed.session.org.name}</strong> ({signed.session.org.login}, {signed.session.org.edition} edition)
            </span>
            <button type="button" className="secondary" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main">
        {!signed || !client ? (
          <SignIn onSubmit={signIn} error={error} busy={busy} />
        ) : signed.session.canManageKeys ? (
          <KeysPage client={client} session={signed.session} />
        ) : (
          <NoAccess session={signed.session} />
        )}
      </main>
    </>
  );
}
