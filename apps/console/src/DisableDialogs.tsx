import { useState, type FormEvent } from 'react';
import { keysDisable, keysDisableAll, type Client, type KeyDto } from '@cmk/api-client';
import { call } from './api';
import { describeFailure } from './messages';
import { Modal } from './Modal';

/** "Disable": its data keys first move to the chosen key (another active key or the platform key). */
export function DisableDialog(props: { client: Client; org: string; keyToDisable: KeyDto; keys: KeyDto[]; onClose: () => void; onStarted: () => void }) {
  const { client, org, keyToDisable } = props;
  const targets = props.keys.filter((k) => k.id !== keyToDisable.id && k.state === 'active');
  const [destID, setDestID] = useState(targets.find((k) => k.isDefault)?.id ?? targets[0]?.id ?? 'platform');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await call(keysDisable({ client, path: { org, keyId: keyToDisable.id }, body: { destID } }));
      props.onStarted();
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={`Disable "${keyToDisable.name}"`} onClose={props.onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <p>Every data key wrapped by this key is re-encrypted with the key you choose; then this key is no longer used.</p>
        <div className="field">
          <label htmlFor="disable-dest">Re-encrypt its data keys with</label>
          <select id="disable-dest" value={destID} onChange={(event) => setDestID(event.target.value)}>
            {targets.map((k) => (
              <option key={k.id} value={k.id}>
                {k.name}
                {k.isDefault ? ' (default)' : ''}
              </option>
            ))}
            <option value="platform">Platform managed key</option>
          </select>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy}>
            {busy ? 'Starting…' : 'Disable key'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** "Disable all keys": every data key returns to the platform key; the admin types the org name to confirm. */
export function DisableAllDialog(props: { client: Client; org: string; onClose: () => void; onStarted: () => void }) {
  const { client, org } = props;
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (typed !== org) return;
    setBusy(true);
    setError(null);
    try {
      await call(keysDisableAll({ client, path: { org } }));
      props.onStarted();
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title="Disable all keys" onClose={props.onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <p>
          Every customer managed key is disabled and all data keys are re-encrypted with the platform managed key. Your AWS keys are no longer used once it
          completes.
        </p>
        <div className="field">
          <label htmlFor="disable-all-confirm">
            Type the organization name <code>{org}</code> to confirm
          </label>
          <input id="disable-all-confirm" value={typed} onChange={(event) => setTyped(event.target.value)} autoComplete="off" spellCheck={false} />
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy || typed !== org}>
            {busy ? 'Starting…' : 'Disable all keys'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
